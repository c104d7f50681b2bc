/* Subscriber requests: transport choice, cursors, joining channels. */
#include "ngx_push_subscriber.h"
#include "push_token.h"
#include "ngx_push_out.h"
#include "ngx_push_http.h"
#include "ngx_push_ipc.h"
#include "ngx_push_redis_share.h"


static ngx_int_t ngx_push_subscriber_handler(ngx_http_request_t *r);


/* In order of preference when a request does not say which it wants. */
static const ngx_push_transport_t  *ngx_push_transports[] = {
    &ngx_push_longpoll_transport,
    &ngx_push_poll_transport,
    &ngx_push_sse_transport,
    &ngx_push_stream_transport,
    &ngx_push_websocket_transport,
};


char *
ngx_push_subscriber_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto                      *plcf = static_cast<ngx_push_loc_conf_t *>(conf);
    auto                      *value = static_cast<ngx_str_t *>(
                                           cf->args->elts);
    char                      *rv;
    ngx_uint_t                 i, t;
    ngx_push_main_conf_t      *pmcf;

    rv = ngx_push_set_content(cf, plcf, "push_subscriber",
                              ngx_push_subscriber_handler);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    plcf->transports = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        for (t = 0; t < sizeof(ngx_push_transports) / sizeof(void *); t++) {
            if (value[i].len == ngx_push_transports[t]->name.len
                && ngx_strncmp(value[i].data, ngx_push_transports[t]->name.data,
                               value[i].len) == 0)
            {
                break;
            }
        }

        if (t == sizeof(ngx_push_transports) / sizeof(void *)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "unknown push_subscriber transport \"%V\", "
                               "expected poll, longpoll, sse, stream or websocket",
                               &value[i]);
            return static_cast<char *>(NGX_CONF_ERROR);
        }

        plcf->transports |= ngx_push_transports[t]->flag;
    }

    if (plcf->transports == 0) {
        for (t = 0; t < sizeof(ngx_push_transports) / sizeof(void *); t++) {
            plcf->transports |= ngx_push_transports[t]->flag;
        }
    }

    pmcf = static_cast<ngx_push_main_conf_t *>(
               ngx_http_conf_get_module_main_conf(cf, ngx_push_module));
    pmcf->used = 1;

    return NGX_CONF_OK;
}


char *
ngx_push_channel_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto                              *plcf = static_cast<ngx_push_loc_conf_t *>(
                                                  conf);
    auto                              *value = static_cast<ngx_str_t *>(
                                                   cf->args->elts);
    ngx_uint_t                         i;
    ngx_http_complex_value_t          *cv;
    ngx_http_compile_complex_value_t   ccv;

    /* NGX_CONF_UNSET_PTR until set: a location without push_channel
     * inherits the server's or http's */
    if (plcf->channels != NGX_CONF_UNSET_PTR) {
        return const_cast<char *>("is duplicate");
    }

    if (cf->args->nelts - 1 > push::max_channels) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_channel takes at most %uz channels",
                           push::max_channels);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    plcf->channels = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                      sizeof(ngx_http_complex_value_t));
    if (plcf->channels == nullptr) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    for (i = 1; i < cf->args->nelts; i++) {
        cv = static_cast<ngx_http_complex_value_t *>(
                 ngx_array_push(plcf->channels));
        if (cv == nullptr) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = cv;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    return NGX_CONF_OK;
}


static const ngx_push_transport_t *
ngx_push_pick_transport(ngx_http_request_t *r, ngx_push_loc_conf_t *plcf,
    const char **reason)
{
    ngx_uint_t                   t;
    ngx_str_t                    arg;
    const ngx_push_transport_t  *tr;

    if (ngx_http_arg(r, reinterpret_cast<u_char *>(
                            const_cast<char *>("transport")),
                     9, &arg) == NGX_OK)
    {
        for (t = 0; t < sizeof(ngx_push_transports) / sizeof(void *); t++) {
            tr = ngx_push_transports[t];

            if (arg.len == tr->name.len
                && ngx_strncmp(arg.data, tr->name.data, arg.len) == 0)
            {
                if (plcf->transports & tr->flag) {
                    return tr;
                }
                break;
            }
        }

        *reason = "transport not served here";
        return nullptr;
    }

    if (plcf->transports & NGX_PUSH_WEBSOCKET) {
        ngx_table_elt_t  *up = r->headers_in.upgrade;

        if (up != nullptr
            && ngx_strlcasestrn(up->value.data, up->value.data + up->value.len,
                                reinterpret_cast<u_char *>(
                                    const_cast<char *>("websocket")),
                                9 - 1) != nullptr)
        {
            return &ngx_push_websocket_transport;
        }

        if (plcf->transports == NGX_PUSH_WEBSOCKET) {
            *reason = "WebSocket upgrade required";
            return nullptr;
        }
    }

    if ((plcf->transports & NGX_PUSH_SSE)) {
        ngx_str_t  *accept = ngx_push_find_header(r, "Accept", 6);

        if (accept != nullptr
            && ngx_strlcasestrn(accept->data, accept->data + accept->len,
                                reinterpret_cast<u_char *>(
                                    const_cast<char *>("text/event-stream")),
                                17 - 1) != nullptr)
        {
            return &ngx_push_sse_transport;
        }
    }

    /* one transport, or the first of the list in order of preference */
    for (t = 0; t < sizeof(ngx_push_transports) / sizeof(void *); t++) {
        if (plcf->transports & ngx_push_transports[t]->flag) {
            return ngx_push_transports[t];
        }
    }

    *reason = "no transport";
    return nullptr;
}


/* The client's cursor: push_last_event_id when it is set and not empty
 * (an X-Accel-Redirect replaces the query, so the configuration may keep
 * the cursor in a variable of its own), else Last-Event-ID, else
 * ?last_event_id=, else If-None-Match (what a poll's Etag gives back).
 * Last-Event-ID comes before the query: an EventSource keeps the URL it
 * was made with and sends the newest id in the header when it reconnects
 * by itself, so the query is the older of the two.
 * An id Nchan gave out (a client coming from Nchan) is taken as a cursor
 * of another epoch, so that the client starts over instead of being
 * refused on every reconnect: "<time>:<tag>" from any of these, and the
 * tag alone from If-None-Match when If-Modified-Since comes with it (what
 * Nchan's long-poll clients send back).
 * Returns 0 when there is none, 1 when parsed. */
static ngx_int_t
ngx_push_read_cursor(ngx_http_request_t *r, ngx_push_sub_t *sub,
    const char **reason)
{
    ngx_str_t      arg, *text = nullptr;
    u_char        *dst, *src;
    ngx_int_t      have = 0, inm = 0;
    ngx_uint_t     i;
    push::status   rc;

    if (sub->conf->last_event_id != nullptr) {
        if (ngx_http_complex_value(r, sub->conf->last_event_id, &arg)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        have = arg.len > 0;
    }

    if (!have) {
        /* what EventSource sends when it reconnects; empty: as if absent */
        text = ngx_push_find_header(r, "Last-Event-ID", 13);
        if (text != nullptr && text->len == 0) {
            text = nullptr;
        }
    }

    if (!have && text == nullptr
        && ngx_http_arg(r, reinterpret_cast<u_char *>(
                               const_cast<char *>("last_event_id")),
                        13, &arg) == NGX_OK)
    {
        have = 1;
    }

    if (text != nullptr) {
        /* the header, as it came */

    } else if (have) {
        /* ids hold ':' and ',' which clients may percent-encode */
        dst = static_cast<u_char *>(ngx_pnalloc(r->pool, arg.len));
        if (dst == nullptr) {
            return NGX_ERROR;
        }

        src = arg.data;
        arg.data = dst;
        ngx_unescape_uri(&dst, &src, arg.len, NGX_UNESCAPE_URI);
        arg.len = dst - arg.data;
        text = &arg;

    } else if (r->headers_in.if_none_match) {
        text = &r->headers_in.if_none_match->value;
        inm = 1;
    }

    if (text == nullptr || text->len == 0) {
        return 0;
    }

    rc = push::parse_cursor(ngx_push_sv(*text), sub->cursor);

    if (rc == push::status::invalid
        && (push::nchan_id(ngx_push_sv(*text))
            || (inm && r->headers_in.if_modified_since != nullptr
                && push::nchan_tag(ngx_push_sv(*text)))))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "push: message id \"%V\" is Nchan's, "
                      "the subscriber starts over", text);

        /* epoch 0 is never a zone's or Redis's: the cursor is of
         * another epoch, and the subscriber starts over as for one */
        sub->cursor.epoch = 0;
        sub->cursor.count = static_cast<uint32_t>(sub->nchannels);

        for (i = 0; i < sub->nchannels; i++) {
            sub->cursor.seq[i] = 0;
        }

        return 1;
    }

    if (rc != push::status::ok) {
        *reason = "invalid message id";
        return NGX_HTTP_BAD_REQUEST;
    }

    if (sub->cursor.count != sub->nchannels) {
        *reason = "message id does not match the channels";
        return NGX_HTTP_BAD_REQUEST;
    }

    return 1;
}


static void
ngx_push_sub_cleanup(void *data)
{
    ngx_push_out_t  *out;
    auto            *sub = static_cast<ngx_push_sub_t *>(data);

    ngx_push_sub_leave(sub);
    ngx_push_out_release(sub, 0);

    if (sub->pending) {
        ngx_push_lmsg_release(sub->pending);
        sub->pending = nullptr;
    }

    /* the request is over: what was not sent never will be */
    for (out = sub->out; out; out = out->next) {
        if (out->msg) {
            ngx_push_lmsg_release(out->msg);
            out->msg = nullptr;
        }
    }

    sub->out = nullptr;
}


/* push_allow_origin: the CORS headers a cross-origin EventSource or XHR
 * needs, and the answer to a preflight.  NGX_DECLINED: carry on. */
static ngx_int_t
ngx_push_cors(ngx_http_request_t *r, ngx_push_loc_conf_t *plcf)
{
    ngx_str_t  origin, value;

    if (plcf->allow_origin == nullptr) {
        return NGX_DECLINED;
    }

    if (ngx_http_complex_value(r, plcf->allow_origin, &origin) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* an answer that depends on the request's Origin must say so, with or
     * without the header, or a cache hands one origin's answer to
     * another; a fixed value ("*") does not depend on it */
    if (plcf->allow_origin->lengths != nullptr) {
        ngx_str_set(&value, "Origin");
        if (ngx_push_add_header(r, "Vary", &value) == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (origin.len == 0) {
        return NGX_DECLINED;
    }

    ngx_str_set(&value, "Etag, Push-Gap, Push-Event");

    if (ngx_push_add_header(r, "Access-Control-Allow-Origin", &origin)
        == nullptr
        || ngx_push_add_header(r, "Access-Control-Expose-Headers", &value)
           == nullptr)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method != NGX_HTTP_OPTIONS) {
        return NGX_DECLINED;
    }

    ngx_str_set(&value, "GET, HEAD, OPTIONS");
    if (ngx_push_add_header(r, "Access-Control-Allow-Methods", &value)
        == nullptr)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&value, "If-None-Match, Last-Event-ID, Cache-Control");
    if (ngx_push_add_header(r, "Access-Control-Allow-Headers", &value)
        == nullptr)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&value, "86400");
    if (ngx_push_add_header(r, "Access-Control-Max-Age", &value) == nullptr)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->header_only = 1;

    return ngx_http_send_header(r);
}


/* A signed subscriber URL: the token must grant every channel of the
 * subscription, and not have expired. */
static ngx_int_t
ngx_push_check_token(ngx_http_request_t *r, ngx_push_sub_t *sub,
    const char **reason)
{
    ngx_str_t                 secret, token;
    ngx_uint_t                i;
    push::token_status        st;
    std::string_view          ids[push::max_channels];

    if (ngx_http_complex_value(r, sub->conf->sub_secret, &secret) != NGX_OK
        || ngx_http_complex_value(r, sub->conf->sub_token, &token) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (secret.len == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "push: push_subscriber_secret is empty, "
                      "subscriber refused");
        *reason = "no secret to check the token with";
        return NGX_HTTP_FORBIDDEN;
    }

    if (token.len == 0) {
        *reason = "a token is required";
        return NGX_HTTP_FORBIDDEN;
    }

    for (i = 0; i < sub->nchannels; i++) {
        ids[i] = ngx_push_sv(sub->channels[i]);
    }

    st = push::token_check(ngx_push_sv(secret), ngx_push_sv(token),
                           ngx_time(), ids, sub->nchannels);

    if (st != push::token_status::ok) {
        *reason = push::token_status_text(st);
        return NGX_HTTP_FORBIDDEN;
    }

    return NGX_OK;
}


static ngx_int_t ngx_push_sub_begin(ngx_push_sub_t *sub,
    ngx_int_t have_cursor);
static void ngx_push_sub_resume(ngx_push_sub_t *sub, ngx_int_t have_cursor);


static ngx_int_t
ngx_push_subscriber_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc, have_cursor;
    const char                  *reason = nullptr;
    ngx_push_sub_t              *sub;
    ngx_pool_cleanup_t          *cln;
    ngx_push_loc_conf_t         *plcf;
    const ngx_push_transport_t  *tr;

    plcf = static_cast<ngx_push_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r, ngx_push_module));

    rc = ngx_push_cors(r, plcf);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET | NGX_HTTP_HEAD))) {
        return ngx_push_not_allowed(r, "GET, HEAD",
                                    "method not allowed for subscribers");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    tr = ngx_push_pick_transport(r, plcf, &reason);
    if (tr == nullptr) {
        return ngx_push_reject(r, NGX_HTTP_BAD_REQUEST, reason);
    }

    sub = static_cast<ngx_push_sub_t *>(
              ngx_pcalloc(r->pool, sizeof(ngx_push_sub_t)));
    if (sub == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    sub->request = r;
    sub->transport = tr;
    sub->conf = plcf;
    sub->zone = ngx_push_zone_of(r);

    rc = ngx_push_eval_channels(r, plcf, &sub->channels, &sub->nchannels,
                                &reason);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (rc != NGX_OK) {
        return ngx_push_reject(r, rc, reason);
    }

    if (plcf->sub_secret != nullptr) {
        rc = ngx_push_check_token(r, sub, &reason);
        if (rc != NGX_OK) {
            return rc == NGX_ERROR ? NGX_HTTP_INTERNAL_SERVER_ERROR
                                   : ngx_push_reject(r, rc, reason);
        }
    }

    if (tr->check != nullptr) {
        rc = tr->check(sub, &reason);
        if (rc != 0) {
            return rc == NGX_ERROR ? NGX_HTTP_INTERNAL_SERVER_ERROR
                                   : ngx_push_reject(r, rc, reason);
        }
    }

    have_cursor = ngx_push_read_cursor(r, sub, &reason);
    if (have_cursor == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (have_cursor > 1) {
        return ngx_push_reject(r, have_cursor, reason);
    }

    if (tr->registers) {
        if (ngx_push_ipc_slot() < 0) {
            return ngx_push_reject(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                   "this worker serves no subscribers");
        }

        sub->links = static_cast<ngx_push_link_t *>(
            ngx_pcalloc(r->pool, sub->nchannels * sizeof(ngx_push_link_t)));
        if (sub->links == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ngx_http_set_ctx(r, sub, ngx_push_module);

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_push_sub_cleanup;
    cln->data = sub;

    rc = ngx_push_share_park(sub, have_cursor, ngx_push_sub_resume);
    if (rc == NGX_DONE) {
        return NGX_DONE;
    }

    return ngx_push_sub_begin(sub, have_cursor);
}


/* The cursor resolved (the zone holding what it needs), then started. */
static ngx_int_t
ngx_push_sub_begin(ngx_push_sub_t *sub, ngx_int_t have_cursor)
{
    ngx_int_t            rc;
    const char          *reason = nullptr;
    ngx_http_request_t  *r = sub->request;

    rc = ngx_push_sub_resolve(sub, have_cursor, &reason);
    if (rc != NGX_OK) {
        return ngx_push_reject(r, rc == NGX_ERROR
                                  ? NGX_HTTP_SERVICE_UNAVAILABLE : rc,
                               reason);
    }

    ngx_push_share_joined(sub);

    sub->sent = sub->cursor;

    return sub->transport->start(sub);
}


/* A subscriber parked while Redis was read (ngx_push_share_park). */
static void
ngx_push_sub_resume(ngx_push_sub_t *sub, ngx_int_t have_cursor)
{
    ngx_http_request_t  *r = sub->request;

    ngx_http_finalize_request(r, ngx_push_sub_begin(sub, have_cursor));
}


/* Etag (the cursor, as an entity-tag) and, after a gap, Push-Gap. */
ngx_int_t
ngx_push_sub_set_cursor_headers(ngx_push_sub_t *sub)
{
    size_t               len;
    ngx_str_t            value;
    ngx_http_request_t  *r = sub->request;

    value.data = static_cast<u_char *>(
                     ngx_pnalloc(r->pool, push::cursor_max_len + 2));
    if (value.data == nullptr) {
        return NGX_ERROR;
    }

    value.data[0] = '"';
    len = push::format_cursor(sub->cursor,
                              reinterpret_cast<char *>(value.data + 1),
                              push::cursor_max_len);
    value.data[len + 1] = '"';
    value.len = len + 2;

    if (ngx_push_add_header(r, "Etag", &value) == nullptr) {
        return NGX_ERROR;
    }

    if (sub->gap) {
        if (sub->gap_unknown) {
            ngx_str_set(&value, "unknown");

        } else {
            value.data = static_cast<u_char *>(
                             ngx_pnalloc(r->pool, NGX_INT64_LEN));
            if (value.data == nullptr) {
                return NGX_ERROR;
            }
            value.len = ngx_sprintf(value.data, "%uL", sub->missed)
                        - value.data;
        }

        if (ngx_push_add_header(r, "Push-Gap", &value) == nullptr) {
            return NGX_ERROR;
        }

        sub->gap = 0;
        sub->gap_unknown = 0;
        sub->missed = 0;
        ngx_push_stats_add(&sub->zone->sh->stats.gaps, 1);
    }

    return NGX_OK;
}
