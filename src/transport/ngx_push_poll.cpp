/* Short polling and long polling: one message per response. */
#include "ngx_push_subscriber.h"
#include "ngx_push_http.h"
#include "ngx_push_out.h"
#include "ngx_push_shutdown.h"
#include "ngx_push_multipart.h"


/* Answers with msg (200) or, when msg is null, 304 Not Modified; either
 * way the Etag is the cursor to come back with. */
static ngx_int_t
ngx_push_poll_reply(ngx_push_sub_t *sub, ngx_uint_t index,
    ngx_push_lmsg_t *msg)
{
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_str_t            cache = ngx_string("no-store");
    ngx_chain_t          out;
    ngx_http_request_t  *r = sub->request;

    if (msg != nullptr) {
        sub->cursor.seq[index] = msg->seq;
    }

    /* clients come back with If-None-Match on purpose: it is the cursor,
     * not a cache validator for nginx to answer */
    r->disable_not_modified = 1;

    if (ngx_push_sub_set_cursor_headers(sub) != NGX_OK
        || ngx_push_add_header(r, "Cache-Control", &cache) == nullptr)
    {
        return NGX_ERROR;
    }

    if (msg == nullptr) {
        r->headers_out.status = NGX_HTTP_NOT_MODIFIED;
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = msg->data.len;
    r->headers_out.last_modified_time = msg->time;

    if (msg->ctype.len) {
        r->headers_out.content_type = msg->ctype;
        r->headers_out.content_type_len = msg->ctype.len;

    } else if (ngx_http_set_content_type(r) != NGX_OK) {
        return NGX_ERROR;
    }

    if (msg->event.len
        && ngx_push_add_header(r, "Push-Event", &msg->event) == nullptr)
    {
        return NGX_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    if (msg->data.len == 0) {
        return ngx_http_send_special(r, NGX_HTTP_LAST);
    }

    b = static_cast<ngx_buf_t *>(ngx_calloc_buf(r->pool));
    if (b == nullptr || ngx_push_lmsg_hold(r->pool, msg) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the payload is sent from the worker's one copy of the message */
    b->pos = msg->data.data;
    b->last = msg->data.data + msg->data.len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = nullptr;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_push_poll_start(ngx_push_sub_t *sub)
{
    if (sub->pending != nullptr) {
        ngx_push_stats_add(&sub->zone->sh->stats.delivered, 1);
    }

    return ngx_push_poll_reply(sub, sub->pending_index, sub->pending);
}


/* Ends a parked long-poll from outside its own events. */
static void
ngx_push_longpoll_finish(ngx_push_sub_t *sub, ngx_int_t rc)
{
    ngx_http_request_t  *r = sub->request;
    ngx_connection_t    *c = r->connection;

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


static void
ngx_push_longpoll_deliver(ngx_push_sub_t *sub, ngx_uint_t index,
    ngx_push_lmsg_t *msg)
{
    if (sub->done) {
        return;
    }

    sub->done = 1;

    if (msg->seq > sub->cursor.seq[index] + 1) {
        /* this worker read past messages the zone no longer had */
        sub->gap = 1;
        sub->missed += msg->seq - sub->cursor.seq[index] - 1;
    }

    ngx_push_sub_leave(sub);
    ngx_push_longpoll_finish(sub, ngx_push_poll_reply(sub, index, msg));
}


static void
ngx_push_longpoll_close(ngx_push_sub_t *sub, ngx_push_close_e reason)
{
    ngx_int_t  rc;

    if (sub->done) {
        return;
    }

    sub->done = 1;
    ngx_push_sub_leave(sub);

    switch (reason) {

    case ngx_push_close_e::deleted:
        rc = ngx_push_reject(sub->request, NGX_PUSH_HTTP_GONE,
                             "channel deleted");
        break;

    case ngx_push_close_e::shutdown:
        sub->request->keepalive = 0;
        rc = ngx_push_poll_reply(sub, 0, nullptr);
        break;

    default:
        rc = ngx_push_poll_reply(sub, 0, nullptr);
        break;
    }

    ngx_push_longpoll_finish(sub, rc);
}


static void
ngx_push_longpoll_timeout(ngx_event_t *ev)
{
    auto  *sub = static_cast<ngx_push_sub_t *>(ev->data);

    ngx_push_longpoll_close(sub, ngx_push_close_e::timeout);
}


static ngx_int_t
ngx_push_longpoll_start(ngx_push_sub_t *sub)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r = sub->request;

    if (sub->pending != nullptr && sub->conf->longpoll_multipart) {
        /* behind: everything waiting, in one answer (one message alone
         * is answered as below) */
        rc = ngx_push_multipart_reply(sub);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    if (sub->pending != nullptr) {
        /* found at once: the wake-up rounds count the others */
        ngx_push_stats_add(&sub->zone->sh->stats.delivered, 1);
        return ngx_push_poll_reply(sub, sub->pending_index, sub->pending);
    }

    ngx_push_out_timer(sub, ngx_push_longpoll_timeout,
                       sub->conf->longpoll_timeout);

    /* notice a client that goes away while we wait */
    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    /* a worker that shuts down answers it at once (304, no keep-alive)
     * rather than wait for the timeout */
    ngx_push_shutdown_watch(sub);

    r->main->count++;

    return NGX_DONE;
}


const ngx_push_transport_t  ngx_push_poll_transport = {
    ngx_string("poll"),
    NGX_PUSH_POLL,
    0,
    0,
    nullptr,
    ngx_push_poll_start,
    nullptr,
    nullptr,
    nullptr,
};


const ngx_push_transport_t  ngx_push_longpoll_transport = {
    ngx_string("longpoll"),
    NGX_PUSH_LONGPOLL,
    1,
    0,
    nullptr,
    ngx_push_longpoll_start,
    ngx_push_longpoll_deliver,
    nullptr,
    ngx_push_longpoll_close,
};
