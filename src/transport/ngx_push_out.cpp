/* Output of long-lived responses: shared frames, unsent bytes, pings. */
#include "ngx_push_out.h"
#include "ngx_push_http.h"
#include "ngx_push_shutdown.h"


static void ngx_push_out_write_handler(ngx_http_request_t *r);
static void ngx_push_out_ping_handler(ngx_event_t *ev);


/* While a wake-up is delivered, writes are held per subscriber and leave
 * together at its end: one system call per subscriber for all the
 * messages of the round, not one per message. */
static ngx_uint_t   ngx_push_out_corks;
static ngx_queue_t  ngx_push_out_held;


/* Headers now, before any message, so that a browser sees the stream open
 * (EventSource's onopen) at once. */
ngx_int_t
ngx_push_out_begin(ngx_push_sub_t *sub, ngx_str_t *ctype)
{
    ngx_int_t            rc;
    ngx_str_t            value;
    ngx_http_request_t  *r = sub->request;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type = *ctype;
    r->headers_out.content_type_len = ctype->len;
    r->headers_out.content_length_n = -1;
    r->allow_ranges = 0;

    ngx_str_set(&value, "no-cache");
    if (ngx_push_add_header(r, "Cache-Control", &value) == nullptr) {
        return NGX_ERROR;
    }

    /* tells a proxying nginx in front not to buffer the stream */
    ngx_str_set(&value, "no");
    if (ngx_push_add_header(r, "X-Accel-Buffering", &value) == nullptr) {
        return NGX_ERROR;
    }

    /* without it Chromium holds back the first 1 KB of a text/plain
     * stream to guess its type, and an XHR reading at readyState 3 sees
     * nothing */
    ngx_str_set(&value, "nosniff");
    if (ngx_push_add_header(r, "X-Content-Type-Options", &value) == nullptr) {
        return NGX_ERROR;
    }

    sub->out_last = &sub->out;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc == NGX_OK ? NGX_DONE : rc;
    }

    return NGX_OK;
}


ngx_push_out_t *
ngx_push_out_get(ngx_push_sub_t *sub)
{
    ngx_push_out_t  *out = sub->out_free;

    if (out != nullptr) {
        sub->out_free = out->next;

    } else {
        out = static_cast<ngx_push_out_t *>(
                  ngx_palloc(sub->request->pool, sizeof(ngx_push_out_t)));
        if (out == nullptr) {
            return nullptr;
        }
    }

    out->next = nullptr;
    out->msg = nullptr;
    out->n = 0;
    out->index = 0;

    return out;
}


void
ngx_push_out_add(ngx_push_out_t *out, u_char *p, size_t len)
{
    ngx_buf_t  *b;

    if (len == 0 || out->n == 3) {
        return;
    }

    b = &out->buf[out->n];
    ngx_memzero(b, sizeof(ngx_buf_t));
    b->start = p;
    b->pos = p;
    b->last = p + len;
    b->end = p + len;
    b->memory = 1;

    out->cl[out->n].buf = b;
    out->cl[out->n].next = nullptr;

    if (out->n > 0) {
        out->cl[out->n - 1].next = &out->cl[out->n];
    }

    out->n++;
}


/* Gives back what has been sent, and returns how many bytes left since
 * the last look.  Writes leave in order: only the first one can have
 * bytes gone and bytes left, so the walk ends there and the count of
 * unsent bytes is kept, never summed anew (a long list of small writes
 * would make every flush walk it all).  A message that has left moves the
 * cursor of what was sent. */
size_t
ngx_push_out_reap(ngx_push_sub_t *sub)
{
    size_t           now, gone = 0;
    ngx_uint_t       i;
    ngx_push_out_t  *out;

    while ((out = sub->out) != nullptr) {
        now = 0;
        for (i = 0; i < out->n; i++) {
            now += out->buf[i].last - out->buf[i].pos;
        }

        gone += out->left - now;
        sub->unsent -= out->left - now;
        out->left = now;

        if (now != 0) {
            break;
        }

        sub->out = out->next;
        if (sub->out == nullptr) {
            sub->out_last = &sub->out;
        }

        if (out == sub->pong) {
            sub->pong = nullptr;
        }

        if (out == sub->beat) {
            sub->beat = nullptr;
        }

        if (out->msg) {
            sub->sent.seq[out->index] = out->msg->seq;
            ngx_push_lmsg_release(out->msg);
        }

        out->next = sub->out_free;
        sub->out_free = out;
    }

    return gone;
}


/* Why a subscriber is cut, from what a write returned. */
ngx_push_close_e
ngx_push_out_why(ngx_int_t rc)
{
    return rc == NGX_DECLINED ? ngx_push_close_e::slow
                              : ngx_push_close_e::write_error;
}


/* Whether the client is over push_subscriber_pending_max: more bytes wait
 * than the cap, not counting the oldest message still leaving (looked for
 * among the first writes, behind a pong or a keepalive perhaps).  So one
 * message larger than the cap (push_websocket_max_message_size and the
 * cap are both 1m by default) reaches a client that reads, whole, and a
 * client that does not read holds the cap and one message at most. */
ngx_uint_t
ngx_push_out_over(const ngx_push_sub_t *sub)
{
    size_t                 exempt;
    ngx_uint_t             i;
    const ngx_push_out_t  *out = sub->out;

    if (sub->unsent <= sub->conf->pending_max) {
        return 0;
    }

    exempt = out ? out->left : 0;

    for (i = 0; out != nullptr && i < 4; i++, out = out->next) {
        if (out->msg != nullptr) {
            exempt = out->left;
            break;
        }
    }

    return sub->unsent - exempt > sub->conf->pending_max;
}


/* NGX_ERROR: the write failed; NGX_DECLINED: the client is over
 * push_subscriber_pending_max. */
static ngx_int_t
ngx_push_out_flush(ngx_push_sub_t *sub, ngx_chain_t *in)
{
    size_t                     gone;
    ngx_int_t                  rc;
    ngx_http_request_t        *r = sub->request;
    ngx_connection_t          *c = r->connection;
    ngx_http_core_loc_conf_t  *clcf;

    rc = ngx_http_output_filter(r, in);

    gone = ngx_push_out_reap(sub);
    sub->sent_at = ngx_current_msec;

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r, ngx_http_core_module));

    if (r->buffered || c->buffered) {
        /* send_timeout counts from the last byte that left, as nginx's
         * own writer does: a client that reads slowly but steadily is
         * not timed out, one that stopped is */
        if (!c->write->delayed && (gone || !c->write->timer_set)) {
            ngx_add_timer(c->write, clcf->send_timeout);
        }

        if (ngx_handle_write_event(c->write, clcf->send_lowat) != NGX_OK) {
            return NGX_ERROR;
        }

    } else if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (ngx_push_out_over(sub)) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* Sends one write; the last piece flushes, so that postpone_output never
 * holds a message back.  NGX_DECLINED: the client is too far behind. */
ngx_int_t
ngx_push_out_send(ngx_push_sub_t *sub, ngx_push_out_t *out,
    ngx_push_lmsg_t *msg)
{
    if (out->n == 0) {
        out->next = sub->out_free;
        sub->out_free = out;
        return NGX_OK;
    }

    out->buf[out->n - 1].flush = 1;

    out->left = 0;
    for (ngx_uint_t i = 0; i < out->n; i++) {
        out->left += out->buf[i].last - out->buf[i].pos;
    }

    sub->unsent += out->left;

    if (msg != nullptr) {
        msg->refs++;
        out->msg = msg;
    }

    *sub->out_last = out;
    sub->out_last = &out->next;

    if (ngx_push_out_corks == 0 || sub->done) {
        return ngx_push_out_flush(sub, &out->cl[0]);
    }

    if (sub->held == nullptr) {
        sub->held = out;
        ngx_queue_insert_tail(&ngx_push_out_held, &sub->corked);
    }

    return ngx_push_out_over(sub) ? NGX_DECLINED : NGX_OK;
}


void
ngx_push_out_cork(void)
{
    if (ngx_push_out_corks++ == 0) {
        ngx_queue_init(&ngx_push_out_held);
    }
}


/* Lets every held write go, each subscriber's as one chain. */
void
ngx_push_out_uncork(void)
{
    ngx_int_t        rc;
    ngx_queue_t     *q;
    ngx_push_sub_t  *sub;

    if (--ngx_push_out_corks != 0) {
        return;
    }

    while (!ngx_queue_empty(&ngx_push_out_held)) {
        q = ngx_queue_head(&ngx_push_out_held);
        sub = ngx_queue_data(q, ngx_push_sub_t, corked);

        rc = ngx_push_out_release(sub, 1);
        if (rc != NGX_OK) {
            sub->transport->close(sub, ngx_push_out_why(rc));
        }
    }
}


/* Passes a subscriber's held writes to nginx (send), or forgets them
 * because the response is ending. */
ngx_int_t
ngx_push_out_release(ngx_push_sub_t *sub, ngx_uint_t send)
{
    ngx_push_out_t  *out, *first = sub->held;

    if (first == nullptr) {
        return NGX_OK;
    }

    sub->held = nullptr;
    ngx_queue_remove(&sub->corked);

    if (!send) {
        return NGX_OK;
    }

    for (out = first; out->next; out = out->next) {
        out->cl[out->n - 1].next = &out->next->cl[0];
    }

    return ngx_push_out_flush(sub, &first->cl[0]);
}


/* Text that lives as long as the request (configuration or pool). */
ngx_int_t
ngx_push_out_text(ngx_push_sub_t *sub, ngx_str_t *text)
{
    ngx_push_out_t  *out;

    out = ngx_push_out_get(sub);
    if (out == nullptr) {
        return NGX_ERROR;
    }

    ngx_push_out_add(out, text->data, text->len);

    return ngx_push_out_send(sub, out, nullptr);
}


/* Ends the response: last words, the end of the stream, finalization.  A
 * client cut off (too slow to read, timed out, or the write failed) gets
 * nothing more: its cursor lets it resume. */
void
ngx_push_out_end(ngx_push_sub_t *sub, ngx_str_t *last,
    ngx_push_close_e reason)
{
    ngx_int_t            rc = NGX_OK;
    ngx_uint_t           cut;
    ngx_http_request_t  *r = sub->request;
    ngx_connection_t    *c = r->connection;
    ngx_push_stats_t    *st = &sub->zone->sh->stats;

    if (sub->done) {
        return;
    }

    sub->done = 1;
    ngx_push_sub_leave(sub);

    cut = reason == ngx_push_close_e::slow
          || reason == ngx_push_close_e::send_timeout
          || reason == ngx_push_close_e::write_error;

    if (ngx_push_out_release(sub, !cut) == NGX_ERROR) {
        rc = NGX_ERROR;

    } else if (reason == ngx_push_close_e::slow) {
        ngx_push_stats_add(&st->slow_closed, 1);
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "push: subscriber closed: %uz bytes unsent, over "
                      "push_subscriber_pending_max", sub->unsent);
        rc = NGX_ERROR;

    } else if (reason == ngx_push_close_e::send_timeout) {
        ngx_push_stats_add(&st->send_timeout_closed, 1);
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "push: subscriber closed: %uz bytes unsent, nothing "
                      "sent for send_timeout", sub->unsent);
        c->timedout = 1;
        rc = NGX_ERROR;

    } else if (reason == ngx_push_close_e::write_error) {
        ngx_push_stats_add(&st->write_error_closed, 1);
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "push: subscriber closed: %uz bytes unsent, the "
                      "write failed", sub->unsent);
        rc = NGX_ERROR;

    } else {
        if (last != nullptr && last->len) {
            rc = ngx_push_out_text(sub, last);
        }

        if (rc != NGX_ERROR) {
            rc = ngx_http_send_special(r, NGX_HTTP_LAST);
        }
    }

    ngx_http_finalize_request(r, rc == NGX_ERROR ? NGX_ERROR : NGX_OK);
    ngx_http_run_posted_requests(c);
}


/* Messages read from the zone for a stream's backlog in one step. */
#define NGX_PUSH_REPLAY_BATCH  16


/* Sends a stream's backlog, in publish order, through send: as much as
 * push_subscriber_pending_max lets wait at a time (one message at least),
 * the rest when the client has taken it (from the write handler).  So a
 * client that does not read holds one cap's worth of messages, not the
 * whole backlog, and a steady reader gets it all. */
ngx_int_t
ngx_push_out_backlog(ngx_push_sub_t *sub,
    ngx_int_t (*send)(ngx_push_sub_t *sub, ngx_uint_t index,
                      ngx_push_lmsg_t *msg))
{
    sub->replay = send;

    return ngx_push_out_catch_up(sub);
}


ngx_int_t
ngx_push_out_catch_up(ngx_push_sub_t *sub)
{
    size_t             budget;
    ngx_int_t          rc = NGX_OK;
    ngx_uint_t         i, n, done;
    ngx_push_replay_t  batch[NGX_PUSH_REPLAY_BATCH];

    while (sub->catching_up && !sub->done) {

        if (sub->unsent >= sub->conf->pending_max) {
            /* the write handler calls again as bytes leave */
            return NGX_OK;
        }

        budget = sub->conf->pending_max - sub->unsent;

        n = ngx_push_sub_replay_next(sub, batch, NGX_PUSH_REPLAY_BATCH,
                                     budget, &done);

        if (n == 0 && !done) {
            return NGX_ERROR;
        }

        for (i = 0; i < n; i++) {
            if (rc != NGX_ERROR && !sub->done) {
                /* over the cap is no reason to cut here: the step was
                 * sized to it, and only a single message can pass it */
                rc = sub->replay(sub, batch[i].index, batch[i].msg);
                ngx_push_stats_add(&sub->zone->sh->stats.delivered, 1);
            }

            ngx_push_lmsg_release(batch[i].msg);
        }

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (done) {
            /* from here, wake-ups bring what is new */
            sub->catching_up = 0;
        }

        if (sub->unsent) {
            return NGX_OK;
        }
    }

    return NGX_OK;
}


/* A keepalive for a stream idle for push_ping_interval.  NGX_DONE: the
 * client was too far behind, and is gone. */
ngx_int_t
ngx_push_out_keepalive(ngx_push_sub_t *sub, ngx_str_t *text)
{
    ngx_int_t  rc;

    if (text->len == 0
        || ngx_current_msec - sub->sent_at < sub->conf->ping_interval)
    {
        return NGX_OK;
    }

    rc = ngx_push_out_text(sub, text);
    if (rc != NGX_OK) {
        ngx_push_out_end(sub, nullptr, ngx_push_out_why(rc));
        return NGX_DONE;
    }

    return NGX_OK;
}


ngx_int_t
ngx_push_out_wait(ngx_push_sub_t *sub)
{
    ngx_http_request_t        *r = sub->request;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_get_module_loc_conf(r, ngx_http_core_module));

    /* nginx turns Nagle off only for keep-alive and upgraded upstream
     * connections; a stream's small writes would otherwise wait for the
     * client's delayed ACK (tens of milliseconds).  Writes are batched
     * here instead, per wake-up. */
    if (clcf->tcp_nodelay && r == r->main
        && r->http_version < NGX_HTTP_VERSION_20
        && ngx_tcp_nodelay(r->connection) != NGX_OK)
    {
        return NGX_ERROR;
    }

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_push_out_write_handler;

    if (sub->transport->ping != nullptr && sub->conf->ping_interval) {
        ngx_push_out_timer(sub, ngx_push_out_ping_handler,
                           sub->conf->ping_interval);
    }

    /* a worker that shuts down ends it as its transport ends (a stream's
     * last chunk and footer, a WebSocket close) so that clients tell it
     * from a network failure, rather than keep it (and itself) for good */
    ngx_push_shutdown_watch(sub);

    r->main->count++;

    return NGX_DONE;
}


/* The subscriber's one timer, set up whole here whatever it is for: its
 * handler, its data and its log (which a debug build logs through). */
void
ngx_push_out_timer(ngx_push_sub_t *sub, ngx_event_handler_pt handler,
    ngx_msec_t msec)
{
    sub->timer.handler = handler;
    sub->timer.data = sub;
    sub->timer.log = sub->request->connection->log;
    ngx_add_timer(&sub->timer, msec);
}


static void
ngx_push_out_write_handler(ngx_http_request_t *r)
{
    ngx_int_t          rc;
    ngx_event_t       *wev = r->connection->write;
    ngx_push_sub_t    *sub;

    sub = static_cast<ngx_push_sub_t *>(
              ngx_http_get_module_ctx(r, ngx_push_module));

    if (sub == nullptr || sub->done) {
        return;
    }

    if (wev->timedout) {
        sub->transport->close(sub, ngx_push_close_e::send_timeout);
        return;
    }

    if (wev->delayed) {
        return;
    }

    rc = ngx_push_out_flush(sub, nullptr);

    if (rc == NGX_OK && sub->catching_up) {
        rc = ngx_push_out_catch_up(sub);
    }

    if (rc == NGX_ERROR) {
        sub->transport->close(sub, ngx_push_close_e::write_error);
    }
}


static void
ngx_push_out_ping_handler(ngx_event_t *ev)
{
    auto  *sub = static_cast<ngx_push_sub_t *>(ev->data);

    if (sub->transport->ping(sub) == NGX_DONE) {
        /* the subscriber is gone, and its memory may be */
        return;
    }

    ngx_add_timer(&sub->timer, sub->conf->ping_interval);
}
