/* Inside the Redis channel sharing: what its four files share (the
 * design is in ngx_push_redis_share.cpp). */
#ifndef NGX_PUSH_REDIS_SHARE_INT_H_INCLUDED
#define NGX_PUSH_REDIS_SHARE_INT_H_INCLUDED

#include "ngx_push_redis_share.h"
#include "ngx_push_redis_link.h"
#include "push_redis_reply.h"
#include "push_redis_scripts.h"


#define NGX_PUSH_SHARE_TICK         500      /* ms: lease, subscriptions */
#define NGX_PUSH_SHARE_UNSUB_DELAY  5        /* s after the last subscriber */
#define NGX_PUSH_SHARE_BUSY_MAX     5        /* s a catch-up holds a channel */
#define NGX_PUSH_SHARE_BATCH        256      /* history entries per read:
                                              * 11 nodes an entry, so a
                                              * reply fits the link's 4096
                                              * (NGX_PUSH_REDIS_NODES) */
#define NGX_PUSH_SHARE_INLINE_MAX   65536    /* announced with the message */
#define NGX_PUSH_SHARE_CAP_MAX      1000000  /* push_message_buffer's */
#define NGX_PUSH_SHARE_FRESH        5000     /* ms a read for a cursor
                                              * answers later cursors, while
                                              * the copy is not live yet:
                                              * long enough for the lease
                                              * holder's ticks to subscribe
                                              * it on a loaded machine; what
                                              * comes after the read comes
                                              * with the catch-up that
                                              * follows the subscription */


/* Owner: the worker (init / exit), cycle pool. */
struct ngx_push_share_t {
    const ngx_push_redis_conf_t  *conf;
    ngx_push_redis_link_t        *link;
    ngx_push_zone_t              *zone;
    ngx_log_t                    *log;
    char                          sha[push::redis_scripts][41];
    ngx_str_t                     head;      /* "{<p>:", escaped */
    ngx_str_t                     epoch_key;
    ngx_event_t                   tick;
    ngx_event_t                   scan;      /* posted: look now */
    ngx_msec_t                    epoch_at;  /* the last periodic check */
    ngx_uint_t                    holder;
    ngx_uint_t                    outage;    /* logged since last success */
    ngx_uint_t                    retry;     /* a catch-up failed: the
                                              * channels not live are
                                              * caught up again */
    ngx_rbtree_t                  reads;     /* ngx_push_share_read_t in
                                              * flight, by channel id */
    ngx_rbtree_node_t             reads_sentinel;
};


enum class ngx_push_share_kind {
    publish,
    info,
    del,
    fetch,
    catchup
};


struct ngx_push_share_park_t {
    ngx_push_sub_t               *sub;
    ngx_int_t                     have_cursor;
    ngx_uint_t                    waiting;
    ngx_push_share_resume_pt      resume;
};


struct ngx_push_share_read_t;


struct ngx_push_share_op_t {
    ngx_push_share_kind           kind;
    ngx_http_request_t           *r;
    ngx_push_share_done_pt        done;
    ngx_push_share_read_t        *read;      /* fetch: the read it is */
    ngx_str_t                     id;
    push::redis_channel_keys      keys;
    ngx_str_t                     keys_pubsub;
    ngx_push_publish_t            in;
    uint64_t                      after;
    uint64_t                      limit;
    uint64_t                      ttl_ms;
    ngx_uint_t                    eval;      /* NOSCRIPT seen: EVAL */
    ngx_uint_t                    tries;     /* epoch checks made */
    ngx_uint_t                    first;     /* a catch-up's or fetch's
                                              * first read */
    ngx_uint_t                    owned;     /* ngx_alloc'ed */
    ngx_uint_t                    sent;      /* the script went out */
    char                          meta_epoch[8];
    char                          sent_epoch[8];  /* the script's last */
    ngx_uint_t                    replace;   /* publish over an orphan */
    ngx_str_t                     idem;      /* publish: its key (the
                                              * publisher's or made) */
    ngx_str_t                     idem_key;  /* {<p>:<id>}:idem:<key> */
};


/* A history read for parked subscribers of one channel (a fetch), in
 * this worker: a subscriber whose cursor an indexed read in flight covers
 * (its cursor at or after the read's, the same buffer and ttl) waits for
 * it instead of making its own, so N subscribers arriving together make
 * one read.  Owner: ngx_alloc'ed with its op, id and keys; freed when it
 * is answered or fails, after its waiters are resumed. */
struct ngx_push_share_read_t {
    ngx_str_node_t                sn;        /* key: op.id */
    ngx_queue_t                   waiters;   /* ngx_push_share_wait_t */
    ngx_uint_t                    indexed;   /* in share->reads */
    ngx_push_share_op_t           op;
};


/* A parked subscriber waiting for a read; in the subscriber's pool. */
struct ngx_push_share_wait_t {
    ngx_queue_t                   queue;
    ngx_push_share_park_t        *park;
};


/* SET {<p>}:epoch <fresh> NX GET, for an op (then retried) or alone.
 * Owner of a check: ngx_alloc'ed here, freed by its reply. */
struct ngx_push_share_echeck_t {
    ngx_push_share_op_t  *op;
    uint32_t              fresh;
};


/* Plain data: this worker's share, or nullptr (ngx_push_redis_share.cpp). */
extern ngx_push_share_t  *ngx_push_share_worker;


size_t ngx_push_share_keys_size(const ngx_str_t *id);
ngx_int_t ngx_push_share_keys(ngx_pool_t *pool, u_char *buf,
    const ngx_str_t *id, push::redis_channel_keys *keys);
ngx_str_t ngx_push_share_str(std::string_view sv);
void ngx_push_share_answer(ngx_push_share_op_t *op, ngx_uint_t status,
    const ngx_push_channel_info_t *info, const char *reason);
ngx_int_t ngx_push_share_idem_header(ngx_push_share_op_t *op);
void ngx_push_share_failed(ngx_push_share_op_t *op, const char *why);
ngx_int_t ngx_push_share_send(ngx_push_share_op_t *op);
void ngx_push_share_reply(void *data, const push::resp_node *reply,
    const char *error);
void ngx_push_share_handle(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr);
void ngx_push_share_op_end(ngx_push_share_op_t *op);
ngx_push_share_op_t *ngx_push_share_op(ngx_http_request_t *r,
    ngx_push_share_kind kind, const ngx_str_t *id, ngx_uint_t max_messages,
    time_t ttl);
ngx_int_t ngx_push_share_start(ngx_push_share_op_t *op,
    ngx_push_share_done_pt done);
void ngx_push_share_epoch_hex(uint32_t epoch, char *out);
ngx_int_t ngx_push_share_parse_epoch(std::string_view s, uint32_t *epoch);
ngx_int_t ngx_push_share_id_of(const ngx_str_t *key, u_char *out, size_t cap,
    ngx_str_t *id);
void ngx_push_share_adopt(uint32_t epoch);
ngx_int_t ngx_push_share_epoch_check(ngx_push_share_op_t *op);
void ngx_push_share_epoch_reply(void *data, const push::resp_node *reply,
    const char *error);
void ngx_push_share_reset_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch,
    uint64_t base, uint64_t last);
void ngx_push_share_cap_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch,
    uint64_t cap, uint64_t ttl_ms);
ngx_push_channel_t *ngx_push_share_create_locked(ngx_push_zone_t *zone,
    ngx_push_share_op_t *op, uint64_t base, uint64_t last);
ngx_uint_t ngx_push_share_put_entries_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch, const push::resp_node *entries,
    ngx_uint_t append_only, uint64_t *last_entry, ngx_push_wake_t *wake);
ngx_uint_t ngx_push_share_other_locked(ngx_pool_t *pool,
    ngx_push_channel_t *ch, uint64_t seq, const ngx_push_publish_t *in);
void ngx_push_share_published(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr);
void ngx_push_share_infoed(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr);
void ngx_push_share_deleted(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr);
void ngx_push_share_read_done(ngx_push_share_read_t *read);
void ngx_push_share_fetched(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr);
void ngx_push_share_caught(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr);
void ngx_push_share_catch_up(const ngx_str_t *id);
void ngx_push_share_retry(void);
void ngx_push_share_scan(void);
void ngx_push_share_scan_handler(ngx_event_t *ev);
void ngx_push_share_on_message(void *data, ngx_push_redis_node_t *node,
    const ngx_str_t *channel, const ngx_str_t *payload);
void ngx_push_share_on_subscribed(void *data, ngx_push_redis_node_t *node,
    const ngx_str_t *channel);
void ngx_push_share_on_lost(void *data, ngx_push_redis_node_t *node);
void ngx_push_share_on_resubscribed(void *data, ngx_push_redis_node_t *node);
void ngx_push_share_on_command_ready(void *data, ngx_push_redis_node_t *node);
void ngx_push_share_tick(ngx_event_t *ev);

#endif /* NGX_PUSH_REDIS_SHARE_INT_H_INCLUDED */
