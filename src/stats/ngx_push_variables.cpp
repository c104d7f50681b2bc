/* $push_channel, $push_transport, $push_message_id, $push_subscribers: for
 * log_format and anything else that takes variables. */
#include "ngx_push_stats.h"
#include "ngx_push_publish.h"
#include "ngx_push_out.h"


enum ngx_push_var_e : uintptr_t {
    NGX_PUSH_VAR_CHANNEL,
    NGX_PUSH_VAR_TRANSPORT,
    NGX_PUSH_VAR_MESSAGE_ID,
    NGX_PUSH_VAR_SUBSCRIBERS,
};


static ngx_int_t
ngx_push_var_set(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    u_char *data, size_t len)
{
    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_push_var_publisher(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    ngx_push_pub_ctx_t *ctx, uintptr_t which)
{
    u_char  *p;

    switch (which) {

    case NGX_PUSH_VAR_CHANNEL:
        return ngx_push_var_set(r, v, ctx->channel.data, ctx->channel.len);

    case NGX_PUSH_VAR_MESSAGE_ID:
        if (ctx->seq == 0) {
            break;
        }
        p = static_cast<u_char *>(ngx_pnalloc(r->pool, push::cursor_max_len));
        if (p == nullptr) {
            return NGX_ERROR;
        }
        return ngx_push_var_set(r, v, p,
                                push::format_id(ctx->epoch, ctx->seq,
                                                reinterpret_cast<char *>(p),
                                                push::cursor_max_len));

    case NGX_PUSH_VAR_SUBSCRIBERS:
        if (ctx->seq == 0) {
            break;
        }
        p = static_cast<u_char *>(ngx_pnalloc(r->pool, NGX_INT32_LEN));
        if (p == nullptr) {
            return NGX_ERROR;
        }
        return ngx_push_var_set(r, v, p,
                                ngx_sprintf(p, "%uD", ctx->subscribers) - p);
    }

    v->not_found = 1;
    return NGX_OK;
}


static ngx_int_t
ngx_push_var_subscriber(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    ngx_push_sub_t *sub, uintptr_t which)
{
    u_char      *p, *q;
    size_t       len;
    ngx_uint_t   i;

    switch (which) {

    case NGX_PUSH_VAR_CHANNEL:
        len = 0;
        for (i = 0; i < sub->nchannels; i++) {
            len += sub->channels[i].len + 1;
        }
        p = static_cast<u_char *>(ngx_pnalloc(r->pool, len));
        if (p == nullptr) {
            return NGX_ERROR;
        }
        q = p;
        for (i = 0; i < sub->nchannels; i++) {
            if (i) {
                *q++ = ',';
            }
            q = ngx_cpymem(q, sub->channels[i].data, sub->channels[i].len);
        }
        return ngx_push_var_set(r, v, p, q - p);

    case NGX_PUSH_VAR_TRANSPORT:
        return ngx_push_var_set(r, v, sub->transport->name.data,
                                sub->transport->name.len);

    case NGX_PUSH_VAR_MESSAGE_ID:
        if (sub->cursor.count == 0) {
            break;
        }
        /* the cursor: what the subscriber has been sent, or where it
         * stands.  A stream counts a message once it has left, not when
         * it was queued: a client cut off never got what was waiting. */
        if (sub->transport->streams) {
            (void) ngx_push_out_reap(sub);
        }
        p = static_cast<u_char *>(ngx_pnalloc(r->pool, push::cursor_max_len));
        if (p == nullptr) {
            return NGX_ERROR;
        }
        return ngx_push_var_set(r, v, p,
                                push::format_cursor(
                                    sub->transport->streams
                                    ? sub->sent : sub->cursor,
                                    reinterpret_cast<char *>(p),
                                    push::cursor_max_len));
    }

    v->not_found = 1;
    return NGX_OK;
}


static ngx_int_t
ngx_push_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    void                 *ctx;
    ngx_push_loc_conf_t  *plcf;

    ctx = ngx_http_get_module_ctx(r, ngx_push_module);
    plcf = static_cast<ngx_push_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r, ngx_push_module));

    if (ctx == nullptr) {
        v->not_found = 1;
        return NGX_OK;
    }

    /* the module's context is a publish or a subscriber, as its
     * location */
    if (plcf->publisher) {
        return ngx_push_var_publisher(
                   r, v, static_cast<ngx_push_pub_ctx_t *>(ctx), data);
    }

    if (plcf->transports) {
        return ngx_push_var_subscriber(
                   r, v, static_cast<ngx_push_sub_t *>(ctx), data);
    }

    v->not_found = 1;
    return NGX_OK;
}


ngx_int_t
ngx_push_add_variables(ngx_conf_t *cf)
{
    static ngx_str_t  names[] = {
        ngx_string("push_channel"),
        ngx_string("push_transport"),
        ngx_string("push_message_id"),
        ngx_string("push_subscribers"),
    };

    ngx_uint_t           i;
    ngx_http_variable_t  *var;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        var = ngx_http_add_variable(cf, &names[i], NGX_HTTP_VAR_NOCACHEABLE);
        if (var == nullptr) {
            return NGX_ERROR;
        }

        var->get_handler = ngx_push_variable;
        var->data = i;
    }

    return NGX_OK;
}
