/* HTTP streaming: every message, then a separator, in one response. */
#include "ngx_push_out.h"


static void
ngx_push_stream_close(ngx_push_sub_t *sub, ngx_push_close_e reason)
{
    ngx_push_out_end(sub, &sub->conf->stream_footer, reason);
}


static ngx_int_t
ngx_push_stream_send(ngx_push_sub_t *sub, ngx_uint_t index,
    ngx_push_lmsg_t *msg)
{
    ngx_push_out_t  *out;

    sub->cursor.seq[index] = msg->seq;

    out = ngx_push_out_get(sub);
    if (out == nullptr) {
        return NGX_ERROR;
    }

    /* the payload straight from the worker's one copy of the message */
    ngx_push_out_add(out, msg->data.data, msg->data.len);
    ngx_push_out_add(out, sub->conf->stream_separator.data,
                     sub->conf->stream_separator.len);

    out->index = index;

    return ngx_push_out_send(sub, out, msg);
}


static void
ngx_push_stream_deliver(ngx_push_sub_t *sub, ngx_uint_t index,
    ngx_push_lmsg_t *msg)
{
    ngx_int_t  rc;

    if (sub->done) {
        return;
    }

    rc = ngx_push_stream_send(sub, index, msg);
    if (rc != NGX_OK) {
        ngx_push_stream_close(sub, ngx_push_out_why(rc));
    }
}


static ngx_int_t
ngx_push_stream_ping(ngx_push_sub_t *sub)
{
    return ngx_push_out_keepalive(sub, &sub->conf->stream_ping);
}


static ngx_int_t
ngx_push_stream_start(ngx_push_sub_t *sub)
{
    ngx_int_t         rc;

    if (sub->gap && ngx_push_sub_set_cursor_headers(sub) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_push_out_begin(sub, &sub->conf->stream_content_type);
    if (rc != NGX_OK) {
        return rc == NGX_DONE ? NGX_OK : rc;
    }

    if (sub->conf->stream_header.len
        && ngx_push_out_text(sub, &sub->conf->stream_header) == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    if (ngx_push_out_backlog(sub, ngx_push_stream_send) == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (ngx_http_send_special(sub->request, NGX_HTTP_FLUSH) == NGX_ERROR) {
        return NGX_ERROR;
    }

    return ngx_push_out_wait(sub);
}


const ngx_push_transport_t  ngx_push_stream_transport = {
    ngx_string("stream"),
    NGX_PUSH_STREAM,
    1,
    1,
    nullptr,
    ngx_push_stream_start,
    ngx_push_stream_deliver,
    ngx_push_stream_ping,
    ngx_push_stream_close,
};
