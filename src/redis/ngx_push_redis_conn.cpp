/* One connection to a Redis node on nginx's event loop.
 *
 * States: connecting (TCP, then the pipelined handshake: AUTH when
 * credentials are given, HELLO 3, SELECT when a database is, CLIENT
 * SETNAME; all of it within push_redis_connect_timeout) -> ready ->
 * (any failure) closed, every pending command failed with the reason ->
 * after the backoff (push_redis_reconnect, doubling, with jitter)
 * connecting again.  HELLO 3 refused for any reason but authentication
 * leaves the connection in RESP2; the reader takes both.
 *
 * Commands are pipelined: each goes into the output buffer and a FIFO
 * entry with its deadline; replies come in the order of the commands, so
 * the FIFO's head has the earliest deadline and one timer serves all of
 * them.  With nothing pending the same timer is the idle probe: a PING
 * when nothing was read for push_redis_ping_interval.  A reply that
 * answers no command (a pub/sub delivery, a RESP3 push) goes to the
 * owner.  Nothing here blocks, and nothing asserts on what Redis sends. */
#include "ngx_push_redis_conn.h"
#include "push_resp_pubsub.h"
#include "push_redis_url.h"

#include <time.h>


/* First sizes of the buffers; they grow to push_redis_max_reply. */
#define NGX_PUSH_REDIS_BUF  16384

/* Nodes of one reply, and its nesting. */
#define NGX_PUSH_REDIS_NODES  4096
#define NGX_PUSH_REDIS_DEPTH  8

/* Reads in one go before the next turn of the event loop. */
#define NGX_PUSH_REDIS_READS  32


/* What an internal command was, for its reply. */
enum ngx_push_redis_internal_e : ngx_uint_t {
    NGX_PUSH_REDIS_USER = 0,
    NGX_PUSH_REDIS_AUTH,
    NGX_PUSH_REDIS_HELLO,
    NGX_PUSH_REDIS_SELECT,
    NGX_PUSH_REDIS_SETNAME,
    NGX_PUSH_REDIS_PING
};


static void ngx_push_redis_conn_connect(ngx_push_redis_conn_t *rc);
static void ngx_push_redis_conn_read_handler(ngx_event_t *rev);
static void ngx_push_redis_conn_write_handler(ngx_event_t *wev);
static void ngx_push_redis_conn_timer_handler(ngx_event_t *ev);


static uint64_t
ngx_push_redis_now_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return static_cast<uint64_t>(ts.tv_sec) * 1000000
           + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}


ngx_push_redis_conn_t *
ngx_push_redis_conn_create(ngx_cycle_t *cycle,
    const ngx_push_redis_conf_t *conf, const char *role, ngx_uint_t pubsub,
    const ngx_push_redis_conn_ops_t *ops, void *owner,
    ngx_push_stats_t *stats)
{
    u_char                 *p;
    ngx_push_redis_conn_t  *rc;

    rc = static_cast<ngx_push_redis_conn_t *>(
             ngx_pcalloc(cycle->pool, sizeof(ngx_push_redis_conn_t)));
    if (rc == nullptr) {
        return nullptr;
    }

    rc->conf = conf;
    rc->ops = ops;
    rc->owner = owner;
    rc->role = role;
    rc->pubsub = pubsub;
    rc->stats = stats;
    rc->log = cycle->log;
    rc->state = NGX_PUSH_REDIS_CONNECTING;

    /* nginx logs a refused connect() at error and a reset at info on the
     * connection's log, every attempt: the link says it once instead */
    rc->quiet = *cycle->log;
    if (rc->quiet.log_level > NGX_LOG_CRIT) {
        rc->quiet.log_level = NGX_LOG_CRIT;
    }

    /* "push-<role>-<pid>": CLIENT LIST tells the link's connections */
    p = static_cast<u_char *>(ngx_pnalloc(cycle->pool, 64));
    if (p == nullptr) {
        return nullptr;
    }
    rc->client_name.data = p;
    rc->client_name.len = ngx_snprintf(p, 64, "push-%s-%P", role, ngx_pid)
                          - p;

    rc->fifo = static_cast<ngx_push_redis_pending_t *>(
                   ngx_pcalloc(cycle->pool, NGX_PUSH_REDIS_PENDING_MAX
                                            * sizeof(ngx_push_redis_pending_t)));
    rc->nodes = static_cast<push::resp_node *>(
                    ngx_palloc(cycle->pool, NGX_PUSH_REDIS_NODES
                                            * sizeof(push::resp_node)));
    rc->in = static_cast<u_char *>(ngx_alloc(NGX_PUSH_REDIS_BUF, cycle->log));
    rc->out = static_cast<u_char *>(ngx_alloc(NGX_PUSH_REDIS_BUF, cycle->log));

    if (rc->fifo == nullptr || rc->nodes == nullptr || rc->in == nullptr
        || rc->out == nullptr)
    {
        ngx_free(rc->in);
        ngx_free(rc->out);
        return nullptr;
    }

    rc->in_cap = NGX_PUSH_REDIS_BUF;
    rc->out_cap = NGX_PUSH_REDIS_BUF;

    push::resp_reader_init(rc->reader, rc->nodes, NGX_PUSH_REDIS_NODES,
                           NGX_PUSH_REDIS_DEPTH, conf->max_reply);

    /* the timer, set up here once: handler, data, log */
    rc->timer.handler = ngx_push_redis_conn_timer_handler;
    rc->timer.data = rc;
    rc->timer.log = cycle->log;
    rc->timer.cancelable = 1;     /* a quitting worker does not wait */

    return rc;
}


void
ngx_push_redis_conn_start(ngx_push_redis_conn_t *rc)
{
    ngx_push_redis_conn_connect(rc);
}


/* The error text of an error reply, for a reason. */
static u_char *
ngx_push_redis_error_text(const push::resp_node *reply, u_char *p,
    u_char *end)
{
    size_t  n = reply->str.size();

    if (n > 160) {
        n = 160;
    }

    return ngx_slprintf(p, end, "%*s", n, reply->str.data());
}


static ngx_uint_t
ngx_push_redis_is_error(const push::resp_node *reply)
{
    return reply->type == push::resp_type::error
           || reply->type == push::resp_type::blob_error;
}


static void
ngx_push_redis_arm(ngx_push_redis_conn_t *rc)
{
    ngx_msec_int_t  t;

    if (!rc->ready) {
        return;
    }

    if (rc->fifo_len) {
        t = static_cast<ngx_msec_int_t>(
                rc->fifo[rc->fifo_head].deadline - ngx_current_msec);
    } else {
        t = static_cast<ngx_msec_int_t>(
                rc->last_read + rc->conf->ping_interval - ngx_current_msec);
    }

    ngx_add_timer(&rc->timer, t > 0 ? static_cast<ngx_msec_t>(t) : 1);
}


/* Writes at the next turn of the event loop: the commands of one turn
 * leave together, and a send never calls back into its caller. */
static void
ngx_push_redis_post_write(ngx_push_redis_conn_t *rc)
{
    if (rc->c != nullptr && !rc->c->write->posted) {
        ngx_post_event(rc->c->write, &ngx_posted_events);
    }
}


/* Encodes a command into the output buffer and the FIFO. */
static uint64_t
ngx_push_redis_enqueue(ngx_push_redis_conn_t *rc, const push::resp_arg *args,
    size_t n, ngx_push_redis_reply_pt handler, void *data,
    ngx_uint_t internal, ngx_msec_t timeout)
{
    u_char                    *p;
    size_t                     size, cap;
    ngx_push_redis_pending_t  *e;

    if (rc->fifo_len == NGX_PUSH_REDIS_PENDING_MAX) {
        return 0;
    }

    size = push::resp_command_size(args, n);

    if (rc->out_cap - rc->out_last < size && rc->out_pos > 0) {
        ngx_memmove(rc->out, rc->out + rc->out_pos,
                    rc->out_last - rc->out_pos);
        rc->out_last -= rc->out_pos;
        rc->out_pos = 0;
    }

    if (rc->out_cap - rc->out_last < size) {
        cap = rc->out_cap;
        while (cap - rc->out_last < size && cap < rc->conf->max_reply) {
            cap *= 2;
        }
        if (cap - rc->out_last < size) {
            return 0;
        }

        p = static_cast<u_char *>(ngx_alloc(cap, rc->log));
        if (p == nullptr) {
            return 0;
        }
        ngx_memcpy(p, rc->out, rc->out_last);
        ngx_free(rc->out);
        rc->out = p;
        rc->out_cap = cap;
    }

    rc->out_last += push::resp_command_write(
                        reinterpret_cast<char *>(rc->out + rc->out_last),
                        args, n);

    e = &rc->fifo[(rc->fifo_head + rc->fifo_len)
                  % NGX_PUSH_REDIS_PENDING_MAX];
    rc->fifo_len++;

    e->handler = handler;
    e->data = data;
    e->id = ++rc->next_id;
    e->sent_us = ngx_push_redis_now_us();
    e->deadline = ngx_current_msec + timeout;
    e->internal = internal;

    ngx_push_stats_add(&rc->stats->redis_commands, 1);

    return e->id;
}


uint64_t
ngx_push_redis_conn_send(ngx_push_redis_conn_t *rc,
    const push::resp_arg *args, size_t n, ngx_push_redis_reply_pt handler,
    void *data)
{
    uint64_t  id;

    if (!rc->ready) {
        return 0;
    }

    id = ngx_push_redis_enqueue(rc, args, n, handler, data,
                                NGX_PUSH_REDIS_USER,
                                rc->conf->command_timeout);
    if (id == 0) {
        return 0;
    }

    ngx_push_redis_post_write(rc);

    if (rc->fifo_len == 1) {
        ngx_push_redis_arm(rc);
    }

    rc->ops->changed(rc);

    return id;
}


void
ngx_push_redis_conn_cancel(ngx_push_redis_conn_t *rc, uint64_t id)
{
    ngx_uint_t                 i;
    ngx_push_redis_pending_t  *e;

    for (i = 0; i < rc->fifo_len; i++) {
        e = &rc->fifo[(rc->fifo_head + i) % NGX_PUSH_REDIS_PENDING_MAX];
        if (e->id == id) {
            e->handler = nullptr;
            return;
        }
    }
}


/* Closes, fails every pending command with reason, tells the owner, and
 * arms the reconnect after the backoff. */
void
ngx_push_redis_conn_fail(ngx_push_redis_conn_t *rc, const char *reason)
{
    ngx_msec_t                delay;
    ngx_push_redis_pending_t  e;

    if (reason != reinterpret_cast<const char *>(rc->reason)) {
        ngx_cpystrn(rc->reason, reinterpret_cast<u_char *>(
                                    const_cast<char *>(reason)),
                    sizeof(rc->reason));
    }
    reason = reinterpret_cast<const char *>(rc->reason);

    if (rc->c != nullptr) {
        ngx_close_connection(rc->c);
        rc->c = nullptr;
    }

    rc->gen++;
    rc->tcp_pending = 0;
    rc->connected = 0;
    rc->ready = 0;
    rc->out_pos = 0;
    rc->out_last = 0;
    rc->in_pos = 0;
    rc->in_last = 0;
    push::resp_reader_init(rc->reader, rc->nodes, NGX_PUSH_REDIS_NODES,
                           NGX_PUSH_REDIS_DEPTH, rc->conf->max_reply);

    if (rc->timer.timer_set) {
        ngx_del_timer(&rc->timer);
    }

    if (rc->state != NGX_PUSH_REDIS_DOWN) {
        rc->down_since = ngx_current_msec;
    }
    rc->state = NGX_PUSH_REDIS_DOWN;

    if (!rc->closing) {
        ngx_push_stats_add(&rc->stats->redis_errors, 1);
    }

    /* each handler once; one that sends meets a closed connection */
    while (rc->fifo_len) {
        e = rc->fifo[rc->fifo_head];
        rc->fifo_head = (rc->fifo_head + 1) % NGX_PUSH_REDIS_PENDING_MAX;
        rc->fifo_len--;

        if (e.internal == NGX_PUSH_REDIS_USER && e.handler != nullptr) {
            e.handler(e.data, nullptr, reason);
        }
    }

    if (rc->closing) {
        return;
    }

    rc->ops->changed(rc);
    rc->ops->down(rc, reason);

    if (rc->closing || ngx_exiting || ngx_quit || ngx_terminate
        || rc->c != nullptr || rc->timer.timer_set)
    {
        /* shutting down, or the owner reconnected it already */
        return;
    }

    delay = static_cast<ngx_msec_t>(
                push::redis_backoff(rc->conf->reconnect_min,
                                    rc->conf->reconnect_max,
                                    static_cast<uint32_t>(rc->attempt),
                                    static_cast<uint32_t>(ngx_random())));
    rc->attempt++;

    ngx_add_timer(&rc->timer, delay);
}


static void
ngx_push_redis_fail_errno(ngx_push_redis_conn_t *rc, const char *what,
    ngx_err_t err)
{
    u_char  buf[sizeof(rc->reason)], *p, *end = buf + sizeof(buf) - 1;

    p = ngx_slprintf(buf, end, "%s", what);
    if (err) {
        p = ngx_slprintf(p, end, " (%d: ", err);
        p = ngx_strerror(err, p, end - p);
        p = ngx_slprintf(p, end, ")");
    }
    *p = '\0';

    ngx_push_redis_conn_fail(rc, reinterpret_cast<const char *>(buf));
}


/* The handshake, pipelined: nothing else is sent before it is answered. */
static ngx_int_t
ngx_push_redis_handshake(ngx_push_redis_conn_t *rc)
{
    u_char          db[NGX_INT_T_LEN];
    size_t          n;
    ngx_msec_t      t = rc->conf->connect_timeout;
    push::resp_arg  args[4];

    if (rc->conf->auth) {
        n = 0;
        args[n++] = push::resp_bytes("AUTH");
        if (rc->conf->user.len) {
            args[n++] = push::resp_bytes(ngx_push_sv(rc->conf->user));
        }
        args[n++] = push::resp_bytes(ngx_push_sv(rc->conf->password));

        if (ngx_push_redis_enqueue(rc, args, n, nullptr, nullptr,
                                   NGX_PUSH_REDIS_AUTH, t) == 0)
        {
            return NGX_ERROR;
        }
    }

    args[0] = push::resp_bytes("HELLO");
    args[1] = push::resp_bytes("3");
    if (ngx_push_redis_enqueue(rc, args, 2, nullptr, nullptr,
                               NGX_PUSH_REDIS_HELLO, t) == 0)
    {
        return NGX_ERROR;
    }

    if (rc->conf->db) {
        n = ngx_sprintf(db, "%ui", rc->conf->db) - db;
        args[0] = push::resp_bytes("SELECT");
        args[1] = push::resp_bytes(std::string_view(
                      reinterpret_cast<char *>(db), n));
        if (ngx_push_redis_enqueue(rc, args, 2, nullptr, nullptr,
                                   NGX_PUSH_REDIS_SELECT, t) == 0)
        {
            return NGX_ERROR;
        }
    }

    args[0] = push::resp_bytes("CLIENT");
    args[1] = push::resp_bytes("SETNAME");
    args[2] = push::resp_bytes(ngx_push_sv(rc->client_name));
    if (ngx_push_redis_enqueue(rc, args, 3, nullptr, nullptr,
                               NGX_PUSH_REDIS_SETNAME, t) == 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_push_redis_conn_connect(ngx_push_redis_conn_t *rc)
{
    ngx_int_t          rv;
    ngx_err_t          err;
    ngx_connection_t  *c;

    if (rc->closing || ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    if (rc->attempt > 0) {
        ngx_push_stats_add(&rc->stats->redis_reconnects, 1);
    }

    ngx_memzero(&rc->peer, sizeof(ngx_peer_connection_t));
    rc->peer.sockaddr = rc->conf->addr->sockaddr;
    rc->peer.socklen = rc->conf->addr->socklen;
    rc->peer.name = &rc->conf->addr->name;
    rc->peer.get = ngx_event_get_peer;
    rc->peer.log = &rc->quiet;
    rc->peer.log_error = NGX_ERROR_INFO;

    ngx_set_errno(0);
    rv = ngx_event_connect_peer(&rc->peer);
    err = ngx_errno;

    if (rv == NGX_ERROR || rv == NGX_BUSY || rv == NGX_DECLINED) {
        rc->c = nullptr;
        ngx_push_redis_fail_errno(rc, "connect() failed", err);
        return;
    }

    c = rc->peer.connection;
    c->data = rc;
    c->read->handler = ngx_push_redis_conn_read_handler;
    c->write->handler = ngx_push_redis_conn_write_handler;
    c->log = &rc->quiet;
    c->read->log = &rc->quiet;
    c->write->log = &rc->quiet;

    rc->c = c;
    rc->connected = 1;
    rc->resp3 = 0;
    rc->last_read = ngx_current_msec;
    if (rc->state != NGX_PUSH_REDIS_DOWN) {
        rc->state = NGX_PUSH_REDIS_CONNECTING;
    }

    /* covers the TCP connect and the handshake */
    ngx_add_timer(&rc->timer, rc->conf->connect_timeout);

    if (ngx_push_redis_handshake(rc) != NGX_OK) {
        ngx_push_redis_conn_fail(rc, "cannot queue the handshake");
        return;
    }

    rc->ops->changed(rc);

    /* NGX_AGAIN: the write event says when the connect is done */
    if (rv == NGX_OK) {
        ngx_push_redis_post_write(rc);
    } else {
        rc->tcp_pending = 1;
    }
}


/* After a non-blocking connect: did it work? */
static ngx_int_t
ngx_push_redis_test_connect(ngx_push_redis_conn_t *rc)
{
    int        err = 0;
    socklen_t  len = sizeof(int);

    if (getsockopt(rc->c->fd, SOL_SOCKET, SO_ERROR,
                   reinterpret_cast<void *>(&err), &len) == -1)
    {
        err = ngx_socket_errno;
    }

    if (err) {
        ngx_push_redis_fail_errno(rc, "connect() failed", err);
        return NGX_ERROR;
    }

    rc->tcp_pending = 0;

    return NGX_OK;
}


static void
ngx_push_redis_ready(ngx_push_redis_conn_t *rc)
{
    rc->ready = 1;
    rc->state = NGX_PUSH_REDIS_UP;
    rc->attempt = 0;
    rc->last_read = ngx_current_msec;

    if (rc->timer.timer_set) {
        ngx_del_timer(&rc->timer);
    }
    ngx_push_redis_arm(rc);

    rc->ops->ready(rc);
}


/* The reply to one of the connection's own commands. */
static void
ngx_push_redis_internal_reply(ngx_push_redis_conn_t *rc, ngx_uint_t kind,
    const push::resp_node *reply)
{
    u_char            buf[sizeof(rc->reason)], *p;
    u_char           *end = buf + sizeof(buf) - 1;
    std::string_view  text;

    if (!ngx_push_redis_is_error(reply)) {
        switch (kind) {
        case NGX_PUSH_REDIS_HELLO:
            rc->resp3 = 1;
            break;
        case NGX_PUSH_REDIS_SETNAME:
            ngx_push_redis_ready(rc);
            break;
        default:
            break;
        }
        return;
    }

    text = reply->str;

    switch (kind) {

    case NGX_PUSH_REDIS_HELLO:
        /* refused for authentication: fatal; for anything else (an old
         * Redis without HELLO, RESP3 off): RESP2 it is */
        if (text.substr(0, 6) != "NOAUTH" && text.substr(0, 9) != "WRONGPASS")
        {
            rc->resp3 = 0;
            return;
        }
        p = ngx_slprintf(buf, end, "authentication required: ");
        break;

    case NGX_PUSH_REDIS_AUTH:
        p = ngx_slprintf(buf, end, "AUTH refused: ");
        break;

    case NGX_PUSH_REDIS_SELECT:
        p = ngx_slprintf(buf, end, "SELECT %ui refused: ", rc->conf->db);
        break;

    case NGX_PUSH_REDIS_SETNAME:
        /* a name is a convenience; an ACL may forbid it */
        ngx_push_redis_ready(rc);
        return;

    default:
        /* a PING answered with an error still answered */
        return;
    }

    p = ngx_push_redis_error_text(reply, p, end);
    *p = '\0';
    ngx_push_redis_conn_fail(rc, reinterpret_cast<const char *>(buf));
}


/* One whole reply: a delivery for the owner, or the FIFO head's answer. */
static void
ngx_push_redis_dispatch(ngx_push_redis_conn_t *rc,
    const push::resp_node *root, uint64_t now_us)
{
    push::resp_pubsub         ev;
    ngx_push_redis_pending_t  e;

    if (rc->pubsub) {
        ev = push::resp_pubsub_classify(root);

        switch (ev.kind) {
        case push::resp_pubsub_kind::message:
        case push::resp_pubsub_kind::pmessage:
        case push::resp_pubsub_kind::smessage:
            rc->ops->push(rc, root);
            return;
        case push::resp_pubsub_kind::none:
            if (root->type == push::resp_type::push) {
                rc->ops->push(rc, root);
                return;
            }
            break;
        default:
            /* confirmations and pongs answer the command that asked */
            break;
        }

    } else if (root->type == push::resp_type::push) {
        rc->ops->push(rc, root);
        return;
    }

    if (rc->fifo_len == 0) {
        ngx_push_redis_conn_fail(rc, "Redis sent a reply nobody asked for");
        return;
    }

    e = rc->fifo[rc->fifo_head];
    rc->fifo_head = (rc->fifo_head + 1) % NGX_PUSH_REDIS_PENDING_MAX;
    rc->fifo_len--;

    rc->latency_us = now_us > e.sent_us ? now_us - e.sent_us : 0;
    ngx_push_stats_add(&rc->stats->redis_latency_us, rc->latency_us);
    ngx_push_stats_add(&rc->stats->redis_latency_n, 1);

    ngx_push_redis_arm(rc);
    rc->ops->changed(rc);

    if (e.internal != NGX_PUSH_REDIS_USER) {
        ngx_push_redis_internal_reply(rc, e.internal, root);

    } else if (e.handler != nullptr) {
        e.handler(e.data, root, nullptr);
    }
}


/* Every whole reply in the buffer; stops when a callback closed it. */
static void
ngx_push_redis_process(ngx_push_redis_conn_t *rc)
{
    u_char             buf[sizeof(rc->reason)], *p;
    uint64_t           now_us = ngx_push_redis_now_us();
    ngx_uint_t         gen = rc->gen;
    push::status       st;
    push::resp_reply   out;

    while (rc->in_pos < rc->in_last) {
        st = push::resp_read(rc->reader,
                             reinterpret_cast<const char *>(rc->in
                                                            + rc->in_pos),
                             rc->in_last - rc->in_pos, out);

        if (st == push::status::need_more) {
            return;
        }

        if (st != push::status::ok) {
            p = ngx_slprintf(buf, buf + sizeof(buf) - 1,
                             "%s reply from Redis: %s",
                             st == push::status::too_large ? "too large a"
                                                           : "a bad",
                             rc->reader.reason ? rc->reader.reason : "?");
            *p = '\0';
            ngx_push_redis_conn_fail(rc, reinterpret_cast<const char *>(buf));
            return;
        }

        /* the reply's bytes stay where they are until the next read */
        rc->in_pos += out.consumed;

        ngx_push_redis_dispatch(rc, out.root, now_us);

        if (rc->gen != gen) {
            return;
        }
    }

    rc->in_pos = 0;
    rc->in_last = 0;
}


/* Room to read into: compacts, then grows up to push_redis_max_reply. */
static ngx_int_t
ngx_push_redis_room(ngx_push_redis_conn_t *rc)
{
    u_char  *p;
    size_t   cap;

    if (rc->in_last < rc->in_cap) {
        return NGX_OK;
    }

    if (rc->in_pos > 0) {
        ngx_memmove(rc->in, rc->in + rc->in_pos, rc->in_last - rc->in_pos);
        rc->in_last -= rc->in_pos;
        rc->in_pos = 0;
        return NGX_OK;
    }

    if (rc->in_cap >= rc->conf->max_reply) {
        return NGX_DECLINED;
    }

    cap = ngx_min(rc->in_cap * 2, rc->conf->max_reply);

    p = static_cast<u_char *>(ngx_alloc(cap, rc->log));
    if (p == nullptr) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, rc->in, rc->in_last);
    ngx_free(rc->in);
    rc->in = p;
    rc->in_cap = cap;

    return NGX_OK;
}


static void
ngx_push_redis_conn_read_handler(ngx_event_t *rev)
{
    ssize_t                 n;
    ngx_int_t               rv;
    ngx_uint_t              i, gen;
    ngx_connection_t       *c = static_cast<ngx_connection_t *>(rev->data);
    ngx_push_redis_conn_t  *rc = static_cast<ngx_push_redis_conn_t *>(
                                     c->data);

    if (rc->tcp_pending && ngx_push_redis_test_connect(rc) != NGX_OK) {
        return;
    }

    gen = rc->gen;

    for (i = 0; i < NGX_PUSH_REDIS_READS; i++) {
        rv = ngx_push_redis_room(rc);
        if (rv != NGX_OK) {
            ngx_push_redis_conn_fail(rc, rv == NGX_DECLINED
                                     ? "a reply larger than "
                                       "push_redis_max_reply"
                                     : "out of memory for a reply");
            return;
        }

        n = c->recv(c, rc->in + rc->in_last, rc->in_cap - rc->in_last);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0) {
            ngx_push_redis_conn_fail(rc, "Redis closed the connection");
            return;
        }

        if (n == NGX_ERROR) {
            ngx_push_redis_fail_errno(rc, "recv() failed", ngx_socket_errno);
            return;
        }

        rc->in_last += n;
        rc->last_read = ngx_current_msec;

        ngx_push_redis_process(rc);

        if (rc->gen != gen) {
            return;
        }
    }

    if (i == NGX_PUSH_REDIS_READS) {
        if (!rev->posted) {
            ngx_post_event(rev, &ngx_posted_next_events);
        }
        return;
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_push_redis_conn_fail(rc, "cannot wait for replies");
    }
}


static void
ngx_push_redis_conn_write_handler(ngx_event_t *wev)
{
    ssize_t                 n;
    ngx_connection_t       *c = static_cast<ngx_connection_t *>(wev->data);
    ngx_push_redis_conn_t  *rc = static_cast<ngx_push_redis_conn_t *>(
                                     c->data);

    if (rc->tcp_pending && ngx_push_redis_test_connect(rc) != NGX_OK) {
        return;
    }

    while (rc->out_pos < rc->out_last) {
        n = c->send(c, rc->out + rc->out_pos, rc->out_last - rc->out_pos);

        if (n == NGX_AGAIN || n == 0) {
            break;
        }

        if (n == NGX_ERROR) {
            ngx_push_redis_fail_errno(rc, "send() failed", ngx_socket_errno);
            return;
        }

        rc->out_pos += n;
    }

    if (rc->out_pos == rc->out_last) {
        rc->out_pos = 0;
        rc->out_last = 0;
    }

    if (ngx_handle_write_event(wev, 0) != NGX_OK) {
        ngx_push_redis_conn_fail(rc, "cannot wait to write");
    }
}


static void
ngx_push_redis_conn_timer_handler(ngx_event_t *ev)
{
    ngx_push_redis_conn_t  *rc = static_cast<ngx_push_redis_conn_t *>(
                                     ev->data);
    push::resp_arg          ping = push::resp_bytes("PING");

    if (!rc->connected) {
        /* the backoff is over */
        ngx_push_redis_conn_connect(rc);
        return;
    }

    if (!rc->ready) {
        ngx_push_redis_conn_fail(rc, "no connection and handshake within "
                                     "push_redis_connect_timeout");
        return;
    }

    if (rc->fifo_len) {
        if (static_cast<ngx_msec_int_t>(rc->fifo[rc->fifo_head].deadline
                                        - ngx_current_msec) <= 0)
        {
            ngx_push_redis_conn_fail(rc, "no reply within "
                                         "push_redis_command_timeout");
            return;
        }

        ngx_push_redis_arm(rc);
        return;
    }

    if (static_cast<ngx_msec_int_t>(ngx_current_msec - rc->last_read)
        >= static_cast<ngx_msec_int_t>(rc->conf->ping_interval))
    {
        /* idle for push_redis_ping_interval: is anybody there?  PING is
         * valid in the RESP2 and RESP3 subscribed states alike */
        if (ngx_push_redis_enqueue(rc, &ping, 1, nullptr, nullptr,
                                   NGX_PUSH_REDIS_PING,
                                   rc->conf->command_timeout)
            != 0)
        {
            ngx_push_redis_post_write(rc);
            rc->ops->changed(rc);
        }
    }

    ngx_push_redis_arm(rc);
}


void
ngx_push_redis_conn_destroy(ngx_push_redis_conn_t *rc)
{
    rc->closing = 1;

    if (rc->c != nullptr || rc->fifo_len) {
        ngx_push_redis_conn_fail(rc, "the worker is exiting");
    }

    if (rc->timer.timer_set) {
        ngx_del_timer(&rc->timer);
    }

    ngx_free(rc->in);
    ngx_free(rc->out);
    rc->in = nullptr;
    rc->out = nullptr;
}
