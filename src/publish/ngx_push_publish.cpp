/* The internal publish endpoint: publish, channel info, delete. */
#include "ngx_push_publish.h"
#include "ngx_push_http.h"
#include "ngx_push_ipc.h"
#include "ngx_push_redis_share.h"
#include "push_id.h"
#include "push_idempotency.h"
#include "push_sse.h"


/* Longest Content-Type kept with a message. */
#define NGX_PUSH_CTYPE_MAX  255


static ngx_int_t ngx_push_publisher_handler(ngx_http_request_t *r);
static void ngx_push_publisher_body(ngx_http_request_t *r);


char *
ngx_push_publisher_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto                  *plcf = static_cast<ngx_push_loc_conf_t *>(conf);
    char                  *rv;
    ngx_push_main_conf_t  *pmcf;

    rv = ngx_push_set_content(cf, plcf, "push_publisher",
                              ngx_push_publisher_handler);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    plcf->publisher = 1;

    pmcf = static_cast<ngx_push_main_conf_t *>(
               ngx_http_conf_get_module_main_conf(cf, ngx_push_module));
    pmcf->used = 1;

    return NGX_CONF_OK;
}


static ngx_uint_t
ngx_push_wants_text(ngx_http_request_t *r)
{
    ngx_str_t  *accept;

    accept = ngx_push_find_header(r, "Accept", 6);

    return accept != nullptr
           && ngx_strlcasestrn(accept->data, accept->data + accept->len,
                               reinterpret_cast<u_char *>(
                                   const_cast<char *>("text/plain")),
                               10 - 1) != nullptr
           && ngx_strlcasestrn(accept->data, accept->data + accept->len,
                               reinterpret_cast<u_char *>(
                                   const_cast<char *>("json")),
                               4 - 1) == nullptr;
}


/* Channel info as JSON (default) or as "name: value" lines. */
static ngx_int_t
ngx_push_send_info(ngx_http_request_t *r, ngx_uint_t status,
    const ngx_str_t *id, const ngx_push_channel_info_t *info)
{
    u_char     *p;
    size_t      len, esc;
    ngx_str_t   text;
    char        last[push::cursor_max_len];
    size_t      last_len;
    ngx_uint_t  plain = ngx_push_wants_text(r);

    last_len = push::format_id(info->epoch, info->last_seq, last,
                               sizeof(last));

    esc = plain ? 0 : ngx_escape_json(nullptr, id->data, id->len);
    len = sizeof("{\"channel\":\"\",\"messages\":,\"subscribers\":,"
                 "\"last_message_id\":\"\"}\n")
          + id->len + esc + 2 * NGX_INT64_LEN + last_len + 32;

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, len));
    if (p == nullptr) {
        return NGX_ERROR;
    }

    text.data = p;

    if (plain) {
        p = ngx_sprintf(p, "channel: %V\nmessages: %uD\nsubscribers: %uD\n"
                        "last_message_id: %*s\n", id, info->messages,
                        info->subscribers, last_len, last);

    } else {
        p = ngx_cpymem(p, "{\"channel\":\"", 12);
        p = reinterpret_cast<u_char *>(ngx_escape_json(p, id->data,
                                                       id->len));
        p = ngx_sprintf(p, "\",\"messages\":%uD,\"subscribers\":%uD,"
                        "\"last_message_id\":\"%*s\"}\n", info->messages,
                        info->subscribers, last_len, last);
    }

    text.len = p - text.data;

    return ngx_push_respond_text(r, status,
                                 plain ? "text/plain" : "application/json",
                                 &text);
}


/* Redis mode: the answer once Redis has done the request. */
static void
ngx_push_share_answered(ngx_http_request_t *r, ngx_uint_t status,
    const ngx_push_channel_info_t *info, const char *reason)
{
    ngx_int_t            rc;
    ngx_push_pub_ctx_t  *ctx;

    ctx = static_cast<ngx_push_pub_ctx_t *>(
              ngx_http_get_module_ctx(r, ngx_push_module));

    if (info == nullptr || ctx == nullptr) {
        ngx_http_finalize_request(r, ngx_push_reject(r, status, reason));
        return;
    }

    if (r->method & (NGX_HTTP_POST | NGX_HTTP_PUT)) {
        ctx->epoch = info->epoch;
        ctx->seq = info->last_seq;
        ctx->subscribers = info->subscribers;
    }

    rc = ngx_push_send_info(r, status, &ctx->channel, info);
    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_push_publisher_handler(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_str_t               *ids;
    ngx_uint_t               n;
    const char              *reason;
    ngx_push_wake_t          wake;
    ngx_push_store_rc        src;
    ngx_push_pub_ctx_t      *ctx;
    ngx_push_loc_conf_t     *plcf;
    ngx_push_channel_info_t  info;

    plcf = static_cast<ngx_push_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r, ngx_push_module));

    if (!(r->method & (NGX_HTTP_GET | NGX_HTTP_HEAD | NGX_HTTP_POST
                       | NGX_HTTP_PUT | NGX_HTTP_DELETE)))
    {
        return ngx_push_not_allowed(r, "GET, HEAD, POST, PUT, DELETE",
                                    "method not allowed for the publisher");
    }

    rc = ngx_push_eval_channels(r, plcf, &ids, &n, &reason);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (rc != NGX_OK) {
        return ngx_push_reject(r, rc, reason);
    }

    ctx = static_cast<ngx_push_pub_ctx_t *>(
              ngx_pcalloc(r->pool, sizeof(ngx_push_pub_ctx_t)));
    if (ctx == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->channel = ids[0];
    ngx_http_set_ctx(r, ctx, ngx_push_module);

    if (r->method & (NGX_HTTP_POST | NGX_HTTP_PUT)) {
        r->request_body_in_single_buf = 1;

        rc = ngx_http_read_client_request_body(r, ngx_push_publisher_body);
        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    auto  *zone = ngx_push_zone_of(r);

    if (ngx_push_share_on()) {
        return (r->method & NGX_HTTP_DELETE)
               ? ngx_push_share_delete(r, &ids[0], plcf->message_ttl,
                                       ngx_push_share_answered)
               : ngx_push_share_info(r, &ids[0], plcf->message_ttl,
                                     ngx_push_share_answered);
    }

    if (r->method & NGX_HTTP_DELETE) {
        src = ngx_push_store_delete(zone, &ids[0], &info, &wake);

        if (src == ngx_push_store_rc::not_found) {
            return ngx_push_reject(r, NGX_HTTP_NOT_FOUND, "no such channel");
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "push: channel \"%V\" deleted, %uD subscribers ended",
                      &ids[0], info.subscribers);

        ngx_push_ipc_wake(wake, r->connection->log);

        return ngx_push_send_info(r, NGX_HTTP_OK, &ids[0], &info);
    }

    src = ngx_push_store_info(zone, &ids[0], &info);

    if (src == ngx_push_store_rc::not_found) {
        return ngx_push_reject(r, NGX_HTTP_NOT_FOUND, "no such channel");
    }

    return ngx_push_send_info(r, NGX_HTTP_OK, &ids[0], &info);
}


/* The body in one piece: as read into memory, or read back from the temp
 * file nginx spilled a large one to. */
static ngx_int_t
ngx_push_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    off_t         len = 0;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    body->len = 0;
    body->data = nullptr;

    if (r->request_body == nullptr || r->request_body->bufs == nullptr) {
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    if (cl->next == nullptr && !cl->buf->in_file) {
        body->data = cl->buf->pos;
        body->len = cl->buf->last - cl->buf->pos;
        return NGX_OK;
    }

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? b->file_last - b->file_pos : b->last - b->pos;
    }

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, len));
    if (p == nullptr) {
        return NGX_ERROR;
    }

    body->data = p;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                          b->file_pos);
        if (n != b->file_last - b->file_pos) {
            return NGX_ERROR;
        }

        p += n;
    }

    body->len = p - body->data;

    return NGX_OK;
}


static ngx_int_t
ngx_push_publish(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_str_t               *ids, *event;
    ngx_uint_t               n;
    const char              *reason;
    ngx_push_wake_t          wake;
    ngx_push_zone_t         *zone = ngx_push_zone_of(r);
    ngx_push_store_rc        src;
    ngx_push_publish_t       in;
    ngx_push_pub_ctx_t      *ctx;
    ngx_push_loc_conf_t     *plcf;
    ngx_push_channel_info_t  info;

    plcf = static_cast<ngx_push_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r, ngx_push_module));

    rc = ngx_push_eval_channels(r, plcf, &ids, &n, &reason);
    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&in, sizeof(ngx_push_publish_t));
    in.channel = ids[0];
    in.max_messages = plcf->message_buffer;
    in.ttl = plcf->message_ttl;
    in.max_channels = plcf->max_channels;

    if (r->headers_in.content_type) {
        in.ctype = r->headers_in.content_type->value;

        if (in.ctype.len > NGX_PUSH_CTYPE_MAX) {
            return ngx_push_reject(r, NGX_HTTP_BAD_REQUEST,
                                   "Content-Type too long");
        }
    }

    event = ngx_push_find_header(r, "Push-Event", 10);

    if (event != nullptr) {
        if (!push::sse_event_name_ok(ngx_push_sv(*event))) {
            return ngx_push_reject(r, NGX_HTTP_BAD_REQUEST,
                                   "invalid Push-Event header");
        }
        in.event = *event;
    }

    if (ngx_push_body(r, &in.data) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_push_share_on()) {
        /* Idempotency-Key (push_idempotency.h): Redis mode only; on one
         * server a publish is stored or not before it is answered */
        ngx_str_t          idem = ngx_null_string;
        ngx_uint_t         idem_given = 0;
        std::string_view   key;
        ngx_str_t         *h;

        h = ngx_push_find_header(r, "Idempotency-Key", 15);
        if (h != nullptr) {
            switch (push::idempotency_key_parse(ngx_push_sv(*h), key)) {
            case push::status::ok:
                idem.data = reinterpret_cast<u_char *>(
                                const_cast<char *>(key.data()));
                idem.len = key.size();
                idem_given = 1;
                break;
            case push::status::too_large:
                return ngx_push_reject(r, NGX_HTTP_BAD_REQUEST,
                                       "Idempotency-Key longer than 128 "
                                       "bytes");
            default:
                return ngx_push_reject(r, NGX_HTTP_BAD_REQUEST,
                                       "invalid Idempotency-Key (a quoted "
                                       "string of A-Z a-z 0-9 - . _ ~ : + / "
                                       "=)");
            }
        }

        /* the zone must be able to hold what Redis takes */
        if (offsetof(ngx_push_msg_t, data) + in.ctype.len + in.event.len
            + in.data.len > zone->size / 2)
        {
            return ngx_push_reject(r, NGX_HTTP_INSUFFICIENT_STORAGE,
                                   "message too large for the push zone");
        }

        return ngx_push_share_publish(r, &in, idem_given ? &idem : nullptr,
                                      ngx_push_share_answered);
    }

    src = ngx_push_store_publish(zone, &in, &info, &wake,
                                 r->connection->log);

    switch (src) {

    case ngx_push_store_rc::ok:
        break;

    case ngx_push_store_rc::too_large:
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "push: a message of %uz bytes to \"%V\" is larger "
                      "than half the push zone", in.data.len, &in.channel);
        return ngx_push_reject(r, NGX_HTTP_INSUFFICIENT_STORAGE,
                               "message too large for the push zone");

    case ngx_push_store_rc::limited:
        return ngx_push_reject(r, NGX_HTTP_TOO_MANY_REQUESTS,
                               "too many channels (push_max_channels)");

    default:
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "push: zone full, a message of %uz bytes to \"%V\" "
                      "refused", in.data.len, &in.channel);
        return ngx_push_reject(r, NGX_HTTP_INSUFFICIENT_STORAGE,
                               "push zone is full");
    }

    ngx_push_ipc_wake(wake, r->connection->log);

    ctx = static_cast<ngx_push_pub_ctx_t *>(
              ngx_http_get_module_ctx(r, ngx_push_module));
    if (ctx != nullptr) {
        ctx->epoch = info.epoch;
        ctx->seq = info.last_seq;
        ctx->subscribers = info.subscribers;
    }

    return ngx_push_send_info(r, info.subscribers ? NGX_HTTP_CREATED
                                                  : NGX_HTTP_ACCEPTED,
                              &in.channel, &info);
}


static void
ngx_push_publisher_body(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_push_publish(r));
}
