/* Small HTTP helpers shared by the publisher and the subscribers. */
#include "ngx_push_http.h"
#include "push_channel_id.h"
#include "push_utf8.h"


/* A short text answer: the body is the reason, one line. */
ngx_int_t
ngx_push_respond_text(ngx_http_request_t *r, ngx_uint_t status,
    const char *ctype, ngx_str_t *text)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = text->len;
    r->headers_out.content_type.data =
        reinterpret_cast<u_char *>(const_cast<char *>(ctype));
    r->headers_out.content_type.len = ngx_strlen(ctype);
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only || text->len == 0) {
        return rc == NGX_OK && text->len == 0
               ? ngx_http_send_special(r, NGX_HTTP_LAST) : rc;
    }

    b = static_cast<ngx_buf_t *>(ngx_calloc_buf(r->pool));
    if (b == nullptr) {
        return NGX_ERROR;
    }

    b->pos = text->data;
    b->last = text->data + text->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = nullptr;

    return ngx_http_output_filter(r, &out);
}


/* A client mistake: the status, the reason as the body, and an info line
 * in the error log, as nginx does for "client sent ...". */
ngx_int_t
ngx_push_reject(ngx_http_request_t *r, ngx_uint_t status, const char *reason)
{
    ngx_str_t  text;
    size_t     len = ngx_strlen(reason);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0, "push: %s", reason);

    text.data = static_cast<u_char *>(ngx_pnalloc(r->pool, len + 1));
    if (text.data == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(text.data, reason, len);
    text.data[len] = '\n';
    text.len = len + 1;

    /* a no-op when the body was read already */
    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    return ngx_push_respond_text(r, status, "text/plain", &text);
}


/* 405 with the methods the location takes. */
ngx_int_t
ngx_push_not_allowed(ngx_http_request_t *r, const char *allow,
    const char *reason)
{
    ngx_str_t  value;

    value.data = reinterpret_cast<u_char *>(const_cast<char *>(allow));
    value.len = ngx_strlen(allow);

    if (ngx_push_add_header(r, "Allow", &value) == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_push_reject(r, NGX_HTTP_NOT_ALLOWED, reason);
}


/* Checks one channel id and that it is not there already. */
static ngx_int_t
ngx_push_check_id(ngx_push_loc_conf_t *plcf, ngx_str_t *ids, ngx_uint_t n,
    const char **reason)
{
    ngx_uint_t  j;
    ngx_str_t  *id = &ids[n];

    switch (push::check_channel_id(ngx_push_sv(*id),
                                   plcf->channel_id_max_length))
    {
    case push::status::ok:
        break;

    case push::status::too_large:
        *reason = "channel id too long";
        return NGX_HTTP_BAD_REQUEST;

    default:
        *reason = id->len == 0 ? "channel id is empty"
                  : push::utf8_valid(id->data, id->len)
                    ? "channel id has a control character"
                    : "channel id is not UTF-8";
        return NGX_HTTP_BAD_REQUEST;
    }

    for (j = 0; j < n; j++) {
        if (ids[j].len == id->len
            && ngx_memcmp(ids[j].data, id->data, id->len) == 0)
        {
            *reason = "channel id given twice";
            return NGX_HTTP_BAD_REQUEST;
        }
    }

    return NGX_OK;
}


/* The channel ids of a request: each push_channel value, split at
 * push_channel_split when it is set, at most the location's limit. */
ngx_int_t
ngx_push_eval_channels(ngx_http_request_t *r, ngx_push_loc_conf_t *plcf,
    ngx_str_t **ids, ngx_uint_t *n, const char **reason)
{
    u_char                    *p, *end, *cut;
    ngx_int_t                  rc;
    ngx_str_t                 *out, value;
    ngx_uint_t                 i, count = 0, limit;
    ngx_http_complex_value_t  *cv;
    ngx_str_t                 *split = &plcf->channel_split;

    if (plcf->channels == nullptr) {
        *reason = "no push_channel in this location";
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    limit = plcf->publisher ? 1 : plcf->max_channels_per_sub;
    cv = static_cast<ngx_http_complex_value_t *>(plcf->channels->elts);

    out = static_cast<ngx_str_t *>(ngx_palloc(r->pool,
                                              limit * sizeof(ngx_str_t)));
    if (out == nullptr) {
        return NGX_ERROR;
    }

    for (i = 0; i < plcf->channels->nelts; i++) {
        if (ngx_http_complex_value(r, &cv[i], &value) != NGX_OK) {
            return NGX_ERROR;
        }

        p = value.data;
        end = value.data + value.len;

        for ( ;; ) {
            cut = nullptr;
            if (split->len) {
                size_t at = std::string_view(reinterpret_cast<char *>(p),
                                             end - p)
                                .find(ngx_push_sv(*split));
                if (at != std::string_view::npos) {
                    cut = p + at;
                }
            }

            if (count == limit) {
                *reason = plcf->publisher
                          ? "a publisher takes one channel"
                          : "too many channels for one subscriber";
                return plcf->publisher ? NGX_HTTP_BAD_REQUEST
                                       : NGX_HTTP_FORBIDDEN;
            }

            out[count].data = p;
            out[count].len = (cut ? cut : end) - p;

            rc = ngx_push_check_id(plcf, out, count, reason);
            if (rc != NGX_OK) {
                return rc;
            }

            count++;

            if (cut == nullptr) {
                break;
            }

            p = cut + split->len;
        }
    }

    *ids = out;
    *n = count;

    return NGX_OK;
}


ngx_table_elt_t *
ngx_push_add_header(ngx_http_request_t *r, const char *key, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = static_cast<ngx_table_elt_t *>(
            ngx_list_push(&r->headers_out.headers));
    if (h == nullptr) {
        return nullptr;
    }

    h->hash = 1;
    h->key.data = reinterpret_cast<u_char *>(const_cast<char *>(key));
    h->key.len = ngx_strlen(key);
    h->value = *value;
#if (nginx_version >= 1023000)
    h->next = nullptr;
#endif

    return h;
}


/* A request header by name, case-insensitively (for the ones nginx does
 * not keep a pointer to). */
ngx_str_t *
ngx_push_find_header(ngx_http_request_t *r, const char *key, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part = &r->headers_in.headers.part;
    auto             *h = static_cast<ngx_table_elt_t *>(part->elts);

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == nullptr) {
                return nullptr;
            }
            part = part->next;
            h = static_cast<ngx_table_elt_t *>(part->elts);
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data,
                               reinterpret_cast<u_char *>(
                                   const_cast<char *>(key)), len) == 0)
        {
            return &h[i].value;
        }
    }
}


ngx_push_zone_t *
ngx_push_zone_of(ngx_http_request_t *r)
{
    auto  *pmcf = static_cast<ngx_push_main_conf_t *>(
                      ngx_http_get_module_main_conf(r, ngx_push_module));

    return static_cast<ngx_push_zone_t *>(pmcf->shm_zone->data);
}
