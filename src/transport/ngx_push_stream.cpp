/* HTTP streaming: every message, then a separator, in one response. */
#include "ngx_push_out.h"
#include "ngx_push_stream_template.h"


/* With push_stream_template, a gap is told in the stream too, as the
 * template lays out an event "gap" whose text is how many messages were
 * missed, or "unknown" (the Push-Gap header only covers what was known
 * when the stream started).  index: the channel, or nchannels. */
static ngx_int_t
ngx_push_stream_gap(ngx_push_sub_t *sub, ngx_uint_t index, ngx_uint_t known,
    uint64_t missed)
{
    u_char            num[NGX_INT64_LEN];
    ngx_str_t         text, notice;

    if (known) {
        text.data = num;
        text.len = ngx_sprintf(num, "%uL", missed) - num;

    } else {
        ngx_str_set(&text, "unknown");
    }

    if (ngx_push_stream_notice(sub, index, "gap", &text, &notice)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_push_out_text(sub, &notice);
}


static void
ngx_push_stream_close(ngx_push_sub_t *sub, ngx_push_close_e reason)
{
    ngx_int_t  rc;
    ngx_str_t  empty = ngx_null_string, notice;

    if (reason == ngx_push_close_e::deleted && !sub->done
        && sub->conf->stream_template != nullptr)
    {
        /* the template's event "deleted", then the footer */
        rc = ngx_push_stream_notice(sub, sub->nchannels == 1 ? 0
                                                             : sub->nchannels,
                                    "deleted", &empty, &notice);
        if (rc == NGX_OK) {
            rc = ngx_push_out_text(sub, &notice);
        }

        if (rc != NGX_OK) {
            reason = ngx_push_out_why(rc);
        }
    }

    ngx_push_out_end(sub, &sub->conf->stream_footer, reason);
}


static ngx_int_t
ngx_push_stream_send(ngx_push_sub_t *sub, ngx_uint_t index,
    ngx_push_lmsg_t *msg)
{
    u_char            *p;
    ngx_int_t          rc;
    ngx_push_out_t    *out;
    ngx_push_frame_t  *f = nullptr;

    if (sub->conf->stream_template != nullptr
        && msg->seq > sub->cursor.seq[index] + 1)
    {
        /* this worker read past messages the zone no longer had */
        rc = ngx_push_stream_gap(sub, index, 1,
                                 msg->seq - sub->cursor.seq[index] - 1);
        if (rc != NGX_OK) {
            return rc;
        }

        ngx_push_stats_add(&sub->zone->sh->stats.gaps, 1);
    }

    sub->cursor.seq[index] = msg->seq;

    if (sub->conf->stream_template != nullptr) {
        f = ngx_push_stream_frame(sub, index, msg);
        if (f == nullptr) {
            return NGX_ERROR;
        }
    }

    out = ngx_push_out_get(sub);
    if (out == nullptr) {
        return NGX_ERROR;
    }

    if (f == nullptr) {
        /* the payload straight from the worker's one copy of the message */
        ngx_push_out_add(out, msg->data.data, msg->data.len);
        ngx_push_out_add(out, sub->conf->stream_separator.data,
                         sub->conf->stream_separator.len);

    } else if (sub->nchannels == 1 || f->id_len == 0) {
        /* the worker's one frame of the message */
        ngx_push_out_add(out, f->bytes.data, f->bytes.len);

    } else {
        /* a multiplexed id carries every channel's position: the one part
         * of the frame that is this subscriber's own */
        p = out->own + push::format_cursor(sub->cursor,
                                           reinterpret_cast<char *>(out->own),
                                           push::cursor_max_len);
        ngx_push_out_add(out, f->bytes.data, f->id_at);
        ngx_push_out_add(out, out->own, p - out->own);
        ngx_push_out_add(out, f->bytes.data + f->id_at + f->id_len,
                         f->bytes.len - f->id_at - f->id_len);
    }

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
    ngx_uint_t        gap = sub->gap, known = !sub->gap_unknown;
    uint64_t          missed = sub->missed;

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

    if (gap && sub->conf->stream_template != nullptr
        && ngx_push_stream_gap(sub, sub->nchannels == 1 ? 0 : sub->nchannels,
                               known, missed) == NGX_ERROR)
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
