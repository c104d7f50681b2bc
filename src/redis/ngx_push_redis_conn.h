/* One connection to a Redis node on nginx's event loop: connect,
 * handshake, pipelined commands, replies, deadlines, reconnect. */
#ifndef NGX_PUSH_REDIS_CONN_H_INCLUDED
#define NGX_PUSH_REDIS_CONN_H_INCLUDED

#include "ngx_push.h"
#include "ngx_push_redis_conf.h"
#include "ngx_push_zone.h"
#include "push_resp.h"


/* Where a connection is (also the values push_stats shows, worst first
 * across a worker's connections: see ngx_push_redis_link.cpp). */
enum ngx_push_redis_state_e : uint32_t {
    NGX_PUSH_REDIS_NONE = 0,       /* no Redis configured */
    NGX_PUSH_REDIS_UP,             /* ready: handshake done */
    NGX_PUSH_REDIS_CONNECTING,     /* first connection, not failed yet */
    NGX_PUSH_REDIS_DOWN            /* failed since it was last up: waiting
                                    * for its backoff or reconnecting */
};


/* A reply, or why there is none: error is a static string or a string in
 * the connection's reason buffer, valid only during the call, as are the
 * reply's nodes and string views (they point into the read buffer).  A
 * Redis error reply is a reply (type error): error is for the link's
 * failures (connection lost, timed out, closed). */
typedef void (*ngx_push_redis_reply_pt)(void *data,
    const push::resp_node *reply, const char *error);


struct ngx_push_redis_conn_t;

/* What the owner (the link) is told.  Each may send commands on any
 * connection; none may free a connection. */
struct ngx_push_redis_conn_ops_t {
    /* the handshake finished: commands may be sent */
    void (*ready)(ngx_push_redis_conn_t *rc);
    /* the connection failed and was closed, every pending command failed
     * first; it reconnects by itself after its backoff */
    void (*down)(ngx_push_redis_conn_t *rc, const char *reason);
    /* a reply that answers no command: a pub/sub delivery, or a RESP3
     * push frame that is not a confirmation */
    void (*push)(ngx_push_redis_conn_t *rc, const push::resp_node *root);
    /* in-flight count or latency changed: figures to publish */
    void (*changed)(ngx_push_redis_conn_t *rc);
};


/* A command waiting for its reply; the FIFO is a ring of these. */
struct ngx_push_redis_pending_t {
    ngx_push_redis_reply_pt   handler;    /* nullptr: cancelled */
    void                     *data;
    uint64_t                  id;
    uint64_t                  sent_us;    /* monotonic, for latency */
    ngx_msec_t                deadline;   /* ngx_current_msec based */
    ngx_uint_t                internal;   /* the connection's own */
};


/* Owner: the link (ngx_push_redis_link.cpp), one per role and node and
 * worker, for the worker's life.  Allocated in the cycle pool; its
 * buffers with ngx_alloc, freed by ngx_push_redis_conn_destroy (worker
 * exit).  The nginx connection is closed on failure and reopened. */
struct ngx_push_redis_conn_t {
    const ngx_push_redis_conf_t      *conf;
    const ngx_push_redis_conn_ops_t  *ops;
    void                             *owner;
    const char                       *role;      /* "command", ... */
    ngx_str_t                         client_name;  /* CLIENT SETNAME */
    ngx_log_t                        *log;       /* the cycle's */
    ngx_log_t                         quiet;     /* nginx's own lines on
                                                  * this connection below
                                                  * crit are not logged:
                                                  * the link logs once per
                                                  * state change */

    ngx_peer_connection_t             peer;
    ngx_connection_t                 *c;
    ngx_event_t                       timer;     /* connect deadline,
                                                  * command deadline, idle
                                                  * ping, or backoff */
    ngx_push_redis_state_e            state;
    ngx_uint_t                        tcp_pending;  /* connect() under way */
    ngx_uint_t                        connected; /* TCP up, handshake or
                                                  * ready */
    ngx_uint_t                        ready;
    ngx_uint_t                        pubsub;    /* replies may be pub/sub
                                                  * events */
    ngx_uint_t                        resp3;     /* HELLO 3 accepted */
    ngx_uint_t                        closing;   /* worker exit: no more
                                                  * reconnects */
    ngx_uint_t                        attempt;   /* since the last up */
    ngx_uint_t                        gen;       /* +1 per close */
    ngx_msec_t                        last_read;
    ngx_msec_t                        down_since;

    u_char                           *out;       /* commands to write */
    size_t                            out_pos, out_last, out_cap;
    u_char                           *in;        /* bytes read */
    size_t                            in_pos, in_last, in_cap;
    push::resp_reader                 reader;
    push::resp_node                  *nodes;

    ngx_push_redis_pending_t         *fifo;
    ngx_uint_t                        fifo_head, fifo_len;
    uint64_t                          next_id;
    uint64_t                          latency_us;  /* the last round trip */

    ngx_push_stats_t                 *stats;     /* the zone's counters */
    u_char                            reason[256];
};


/* Commands one connection holds unanswered at most. */
#define NGX_PUSH_REDIS_PENDING_MAX  1024

ngx_push_redis_conn_t *ngx_push_redis_conn_create(ngx_cycle_t *cycle,
    const ngx_push_redis_conf_t *conf, const char *role,
    ngx_uint_t pubsub, const ngx_push_redis_conn_ops_t *ops, void *owner,
    ngx_push_stats_t *stats);
void ngx_push_redis_conn_start(ngx_push_redis_conn_t *rc);
void ngx_push_redis_conn_destroy(ngx_push_redis_conn_t *rc);

/* Queues a command and writes it as soon as the socket takes it.  Returns
 * 0 when the connection is not ready or the queue or buffer is full (the
 * handler is then not called), else an id for
 * ngx_push_redis_conn_cancel(); the handler is called exactly once. */
uint64_t ngx_push_redis_conn_send(ngx_push_redis_conn_t *rc,
    const push::resp_arg *args, size_t n, ngx_push_redis_reply_pt handler,
    void *data);

/* The handler of that command will not be called (its reply is read and
 * dropped): for a caller that goes away first. */
void ngx_push_redis_conn_cancel(ngx_push_redis_conn_t *rc, uint64_t id);

/* Closes the connection as failed for reason and reconnects after the
 * backoff: for the owner's probes. */
void ngx_push_redis_conn_fail(ngx_push_redis_conn_t *rc, const char *reason);

#endif /* NGX_PUSH_REDIS_CONN_H_INCLUDED */
