/* Server-Sent Events: one event per message, resumable by its id. */
#include "ngx_push_out.h"
#include "push_sse.h"


static ngx_str_t  ngx_push_sse_type =
    ngx_string("text/event-stream; charset=utf-8");
static ngx_str_t  ngx_push_sse_comment = ngx_string(":\n");
static ngx_str_t  ngx_push_sse_deleted =
    ngx_string("event: deleted\ndata: \n\n");


/* The event for msg, made once per worker and shared by every subscriber
 * of one channel: "id: EPOCH:SEQ\n" then the event and data lines. */
static ngx_int_t
ngx_push_sse_frame(ngx_push_sub_t *sub, ngx_push_lmsg_t *msg)
{
    char     id[push::cursor_max_len];
    size_t   id_len, len;
    u_char  *p;

    if (msg->sse.data != nullptr) {
        return NGX_OK;
    }

    id_len = push::format_id(sub->cursor.epoch, msg->seq, id, sizeof(id));
    len = push::sse_event_size({}, ngx_push_sv(msg->event),
                               ngx_push_sv(msg->data));

    p = static_cast<u_char *>(ngx_alloc(sizeof("id: \n") - 1 + id_len + len,
                                        ngx_cycle->log));
    if (p == nullptr) {
        return NGX_ERROR;
    }

    msg->sse.data = p;
    p = ngx_cpymem(p, "id: ", 4);
    p = ngx_cpymem(p, id, id_len);
    *p++ = '\n';
    msg->sse_id_len = p - msg->sse.data;
    p += push::sse_event_write(reinterpret_cast<char *>(p), {},
                               ngx_push_sv(msg->event),
                               ngx_push_sv(msg->data));
    msg->sse.len = p - msg->sse.data;

    return NGX_OK;
}


/* "event: gap" tells a client it missed messages: data is how many, or
 * "unknown". */
static ngx_int_t
ngx_push_sse_gap(ngx_push_sub_t *sub)
{
    u_char          *p;
    ngx_push_out_t  *out;

    out = ngx_push_out_get(sub);
    if (out == nullptr) {
        return NGX_ERROR;
    }

    p = sub->gap_unknown
        ? ngx_sprintf(out->own, "event: gap\ndata: unknown\n\n")
        : ngx_sprintf(out->own, "event: gap\ndata: %uL\n\n", sub->missed);

    ngx_push_out_add(out, out->own, p - out->own);

    sub->gap = 0;
    sub->gap_unknown = 0;
    sub->missed = 0;
    ngx_push_stats_add(&sub->zone->sh->stats.gaps, 1);

    return ngx_push_out_send(sub, out, nullptr);
}


static ngx_int_t
ngx_push_sse_send(ngx_push_sub_t *sub, ngx_uint_t index, ngx_push_lmsg_t *msg)
{
    u_char          *p;
    ngx_int_t        rc;
    ngx_push_out_t  *out;

    if (msg->seq > sub->cursor.seq[index] + 1) {
        /* this worker read past messages the zone no longer had */
        sub->gap = 1;
        sub->missed += msg->seq - sub->cursor.seq[index] - 1;
    }

    if (sub->gap) {
        rc = ngx_push_sse_gap(sub);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    sub->cursor.seq[index] = msg->seq;

    if (ngx_push_sse_frame(sub, msg) != NGX_OK) {
        return NGX_ERROR;
    }

    out = ngx_push_out_get(sub);
    if (out == nullptr) {
        return NGX_ERROR;
    }

    if (sub->nchannels == 1) {
        ngx_push_out_add(out, msg->sse.data, msg->sse.len);

    } else {
        /* a multiplexed id carries every channel's position: the one part
         * of the event that is this subscriber's own */
        p = ngx_cpymem(out->own, "id: ", 4);
        p += push::format_cursor(sub->cursor, reinterpret_cast<char *>(p),
                                 push::cursor_max_len);
        *p++ = '\n';
        ngx_push_out_add(out, out->own, p - out->own);
        ngx_push_out_add(out, msg->sse.data + msg->sse_id_len,
                         msg->sse.len - msg->sse_id_len);
    }

    out->index = index;

    return ngx_push_out_send(sub, out, msg);
}


static void
ngx_push_sse_close(ngx_push_sub_t *sub, ngx_push_close_e reason)
{
    switch (reason) {

    case ngx_push_close_e::deleted:
        ngx_push_out_end(sub, &ngx_push_sse_deleted, reason);
        break;

    default:
        ngx_push_out_end(sub, nullptr, reason);
        break;
    }
}


static void
ngx_push_sse_deliver(ngx_push_sub_t *sub, ngx_uint_t index,
    ngx_push_lmsg_t *msg)
{
    ngx_int_t  rc;

    if (sub->done) {
        return;
    }

    rc = ngx_push_sse_send(sub, index, msg);
    if (rc != NGX_OK) {
        ngx_push_sse_close(sub, ngx_push_out_why(rc));
    }
}


static ngx_int_t
ngx_push_sse_ping(ngx_push_sub_t *sub)
{
    return ngx_push_out_keepalive(sub, &ngx_push_sse_comment);
}


static ngx_int_t
ngx_push_sse_start(ngx_push_sub_t *sub)
{
    u_char           *p;
    ngx_int_t         rc;
    ngx_str_t         retry;

    rc = ngx_push_out_begin(sub, &ngx_push_sse_type);
    if (rc != NGX_OK) {
        return rc == NGX_DONE ? NGX_OK : rc;
    }

    if (sub->conf->sse_retry) {
        p = static_cast<u_char *>(ngx_pnalloc(sub->request->pool, 32));
        if (p == nullptr) {
            return NGX_ERROR;
        }

        retry.data = p;
        retry.len = push::sse_retry_write(reinterpret_cast<char *>(p), 32,
                                          sub->conf->sse_retry);

        if (ngx_push_out_text(sub, &retry) == NGX_ERROR) {
            return NGX_ERROR;
        }
    }

    if (sub->gap && ngx_push_sse_gap(sub) == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (ngx_push_out_backlog(sub, ngx_push_sse_send) == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (ngx_http_send_special(sub->request, NGX_HTTP_FLUSH) == NGX_ERROR) {
        return NGX_ERROR;
    }

    return ngx_push_out_wait(sub);
}


const ngx_push_transport_t  ngx_push_sse_transport = {
    ngx_string("sse"),
    NGX_PUSH_SSE,
    1,
    1,
    nullptr,
    ngx_push_sse_start,
    ngx_push_sse_deliver,
    ngx_push_sse_ping,
    ngx_push_sse_close,
};
