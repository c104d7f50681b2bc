/* Subscribers: the request side, and the interface every transport fills. */
#ifndef NGX_PUSH_SUBSCRIBER_H_INCLUDED
#define NGX_PUSH_SUBSCRIBER_H_INCLUDED

#include "ngx_push_conf.h"
#include "ngx_push_local.h"
#include "push_id.h"


/* Why a subscriber is ended by the server. */
enum class ngx_push_close_e {
    deleted,       /* its channel was deleted */
    shutdown,      /* this worker is going away (reload, stop) */
    timeout,       /* a long-poll waited push_longpoll_timeout */
    slow,          /* it stopped reading: push_subscriber_pending_max */
    send_timeout,  /* no byte left for send_timeout */
    write_error,   /* writing failed (or no memory to write with) */
};


struct ngx_push_out_t;


struct ngx_push_transport_t {
    ngx_str_t    name;
    ngx_uint_t   flag;              /* NGX_PUSH_POLL, ... */
    ngx_uint_t   registers;         /* waits for messages: joins channels */
    ngx_uint_t   streams;           /* many messages in one response */

    /* before anything is joined: 0, or a status to refuse with */
    ngx_int_t  (*check)(ngx_push_sub_t *sub, const char **reason);
    /* all channels resolved (and joined if it registers): send or wait */
    ngx_int_t  (*start)(ngx_push_sub_t *sub);
    /* a new message on channel "index", newer than the sub's cursor */
    void       (*deliver)(ngx_push_sub_t *sub, ngx_uint_t index,
                          ngx_push_lmsg_t *msg);
    /* the connection was idle for push_ping_interval: NGX_DONE if that
     * ended the subscriber */
    ngx_int_t  (*ping)(ngx_push_sub_t *sub);
    void       (*close)(ngx_push_sub_t *sub, ngx_push_close_e reason);
};


/* One subscriber: lives in its request's pool and is freed with it.  Who
 * ends it: its transport (answered, closed, slow, deleted, shut down) or
 * its client (a pool cleanup); either way ngx_push_sub_leave unlinks it
 * from every channel first.  Any transport callback (deliver, close, ping)
 * may end the subscriber it was given, and only that one: its caller does
 * not touch it, nor its links, afterwards (see ngx_push_local_t for what a
 * wake-up round pins). */
struct ngx_push_sub_t {
    ngx_http_request_t          *request;
    const ngx_push_transport_t  *transport;
    ngx_push_loc_conf_t         *conf;
    ngx_push_zone_t             *zone;
    ngx_uint_t                   nchannels;
    ngx_str_t                   *channels;
    ngx_push_link_t             *links;      /* when it registers */
    push::cursor                 cursor;     /* what is queued */
    push::cursor                 sent;       /* what has left, for
                                              * $push_message_id */
    uint64_t                     missed;     /* messages skipped: gap */
    ngx_push_lmsg_t             *pending;    /* found at start */
    ngx_uint_t                   pending_index;
    /* a stream that starts behind reads its backlog from the zone in
     * steps, as its client takes the bytes, through replay */
    ngx_int_t                  (*replay)(ngx_push_sub_t *sub,
                                         ngx_uint_t index,
                                         ngx_push_lmsg_t *msg);
    ngx_event_t                  timer;
    ngx_push_out_t              *out;        /* being sent, oldest first */
    ngx_push_out_t             **out_last;
    ngx_push_out_t              *out_free;
    ngx_push_out_t              *held;       /* first write not yet passed
                                              * to nginx: corked */
    ngx_queue_t                  corked;     /* in the worker's list */
    ngx_queue_t                  watch;      /* the worker's waiting ones,
                                              * ended on its shutdown */
    ngx_push_out_t              *pong;       /* a WebSocket pong in out */
    ngx_push_out_t              *beat;       /* a heartbeat answer in out */
    size_t                       unsent;     /* bytes in out */
    ngx_msec_t                   sent_at;    /* last write, for pings */
    void                        *ws;         /* WebSocket state */
    unsigned                     gap:1;
    unsigned                     gap_unknown:1;
    unsigned                     joined:1;
    unsigned                     done:1;
    unsigned                     watched:1;  /* in watch */
    unsigned                     catching_up:1;  /* messages after the
                                                  * cursor are still in the
                                                  * zone only: wake-ups
                                                  * leave it alone */
};


/* One message of a stream's backlog, and its channel. */
struct ngx_push_replay_t {
    ngx_push_lmsg_t             *msg;
    ngx_uint_t                   index;
};


extern const ngx_push_transport_t  ngx_push_poll_transport;
extern const ngx_push_transport_t  ngx_push_longpoll_transport;
extern const ngx_push_transport_t  ngx_push_stream_transport;
extern const ngx_push_transport_t  ngx_push_sse_transport;
extern const ngx_push_transport_t  ngx_push_websocket_transport;


char *ngx_push_subscriber_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_push_channel_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_push_sub_leave(ngx_push_sub_t *sub);
void ngx_push_sub_count_locked(ngx_push_sub_t *sub, int delta);
ngx_int_t ngx_push_sub_resolve(ngx_push_sub_t *sub, ngx_int_t have_cursor,
    const char **reason);
ngx_int_t ngx_push_sub_set_cursor_headers(ngx_push_sub_t *sub);
ngx_uint_t ngx_push_sub_replay_next(ngx_push_sub_t *sub,
    ngx_push_replay_t *batch, ngx_uint_t max, size_t budget,
    ngx_uint_t *done);

#endif /* NGX_PUSH_SUBSCRIBER_H_INCLUDED */
