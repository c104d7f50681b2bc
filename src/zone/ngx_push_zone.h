/* The shared-memory zone: channels, their messages and the worker slots. */
#ifndef NGX_PUSH_ZONE_H_INCLUDED
#define NGX_PUSH_ZONE_H_INCLUDED

#include "ngx_push.h"
#include "push_layout.h"

#include <cstddef>
#include <type_traits>


/* Worker processes that may hold subscribers at once, counting the old
 * workers still finishing after a reload. */
#define NGX_PUSH_MAX_SLOTS  64

#define NGX_PUSH_DEFAULT_ZONE_NAME  "push"
#define NGX_PUSH_DEFAULT_ZONE_SIZE  (32 * 1024 * 1024)


struct ngx_push_channel_t;


/* The payload of a large message past what its head holds, one page
 * each: pages need not be contiguous, so a page that cannot move (a channel
 * with subscribers) never keeps a message out of a zone with room. */
struct ngx_push_seg_t {
    ngx_push_seg_t      *next;
    u_char               data[1];      /* up to the end of the page */
};


/* One message: content type, event name and the payload, the part that
 * does not fit a small slab chunk in whole-page segments. */
struct ngx_push_msg_t {
    ngx_queue_t          queue;        /* channel->messages, oldest first */
    ngx_queue_t          age;          /* sh->messages, oldest first */
    ngx_push_channel_t  *channel;
    ngx_push_seg_t      *more;         /* the payload past inline_len */
    uint64_t             seq;
    uint64_t             order;        /* publish order across the zone */
    time_t               time;
    uint32_t             len;
    uint32_t             inline_len;
    uint16_t             ctype_len;
    uint8_t              event_len;
    u_char               data[1];      /* ctype, event, payload's start */
};


struct ngx_push_channel_t {
    ngx_rbtree_node_t    node;         /* key: crc32 of the id */
    ngx_queue_t          lru;          /* sh->channels, idle first */
    ngx_queue_t          idle;         /* sh->idle while it was never
                                        * published to and has no
                                        * subscribers */
    ngx_queue_t          messages;
    ngx_queue_t          recs;         /* ngx_push_rec_t with subscribers */
    ngx_queue_t          redis_q;      /* Redis mode: in sh->redis_todo or
                                        * sh->redis_drop, as redis_in says */
    uint64_t             first_seq;    /* the position before its first
                                        * message: above every seq a gone
                                        * channel gave out */
    uint64_t             last_seq;
    time_t               active;
    uint32_t             nmessages;
    uint32_t             subscribers;  /* across all workers */
    uint32_t             max_messages;
    uint32_t             ttl;          /* seconds */
    uint16_t             id_len;
    uint8_t              deleted;      /* out of the tree, freed when unused */
    uint8_t              pinned;       /* being changed: not to be evicted */
    uint8_t              in_idle;
    uint8_t              sub_made;     /* made by a subscriber, not yet
                                        * published to: counted in
                                        * sh->sub_made_bytes */
    /* Redis mode (src/redis/ngx_push_redis_share.cpp), all under the lock */
    uint8_t              redis_sub;    /* the lease holder subscribed it */
    uint8_t              redis_live;   /* subscribed, confirmed and caught
                                        * up since: every message Redis
                                        * announces reaches this copy */
    uint8_t              redis_busy;   /* a catch-up is under way */
    uint8_t              redis_in;     /* NGX_PUSH_REDIS_IN_*: the queue
                                        * redis_q is in */
    uint64_t             redis_from;   /* the copy holds every message
                                        * Redis keeps with a seq above this
                                        * one, up to last_seq */
    time_t               redis_unsub_at;  /* unsubscribe then: no local
                                           * subscriber since */
    time_t               redis_busy_at;   /* when the catch-up began */
    uint64_t             redis_read_at;   /* ngx_current_msec when a read
                                           * for a cursor last brought the
                                           * copy up to Redis's; 0: never */
    u_char               id[1];
};


/* ch->redis_in: none; sh->redis_todo (its server-wide subscribers went
 * 0 -> 1 or 1 -> 0, or it was deleted: the lease holder looks at it);
 * sh->redis_drop (subscribed, no subscriber since: unsubscribed at
 * redis_unsub_at, that queue is in that order). */
#define NGX_PUSH_REDIS_IN_NONE  0
#define NGX_PUSH_REDIS_IN_TODO  1
#define NGX_PUSH_REDIS_IN_DROP  2


/* The subscribers one worker slot holds on one channel.  The channel is not
 * freed while a record points to it, so a worker may keep the pointer. */
struct ngx_push_rec_t {
    ngx_queue_t          in_channel;
    ngx_queue_t          in_slot;
    ngx_queue_t          in_dirty;     /* slot->dirty while dirty */
    ngx_push_channel_t  *channel;
    uint32_t             count;
    uint32_t             slot;
    uint32_t             dirty;
};


/* A worker process: what it subscribes to and what it must look at.
 *
 * Owner: the worker that took it (ngx_push_slot_acquire) until it gives it
 * back on exit; a worker that died without doing so is found out by the
 * next worker that looks for a slot, or by a publisher that cannot reach
 * it, through its pid AND its start time (a pid alone may have been
 * reused by another process since).  Helper processes take no slot. */
#define NGX_PUSH_TRANSPORTS    5        /* poll ... websocket, as bits */
#define NGX_PUSH_IPC_NAME_LEN  16       /* random bytes of a socket name */

/* A worker's Redis link as it is now (src/redis), written by that worker
 * alone with relaxed atomics, read by push_stats; zero without Redis. */
struct ngx_push_redis_gauges_t {
    uint32_t             state;        /* ngx_push_redis_state_e */
    uint32_t             in_flight;    /* commands sent, not answered */
    uint64_t             latency_us;   /* the last round trip */
};


struct ngx_push_slot_t {
    ngx_pid_t            pid;          /* 0: free */
    uint32_t             signalled;    /* a wake-up was sent, not yet read:
                                        * set only while it is on its way */
    uint64_t             start;        /* the process's start time, clock
                                        * ticks since boot; 0: unknown */
    u_char               name[NGX_PUSH_IPC_NAME_LEN];
                                       /* its wake-up socket's name: random
                                        * for each taker, never published */
    ngx_queue_t          recs;
    ngx_queue_t          dirty;
    uint32_t             subscribers[NGX_PUSH_TRANSPORTS];  /* waiting */
    ngx_push_redis_gauges_t  redis;
};


/* Counters: monotonic, kept across reloads.  Those a worker bumps while
 * delivering, without the lock, change with ngx_push_stats_add(). */
struct ngx_push_stats_t {
    uint64_t             published;
    uint64_t             delivered;    /* messages sent to subscribers */
    uint64_t             slow_closed;  /* over push_subscriber_pending_max */
    uint64_t             gaps;         /* gap notices sent */
    uint64_t             evicted;      /* messages dropped for room */
    uint64_t             expired;      /* messages dropped by age */
    uint64_t             refused;      /* publishes answered 507 */
    uint64_t             channels_evicted;
    uint64_t             send_timeout_closed;  /* nothing left for
                                                * send_timeout */
    uint64_t             write_error_closed;   /* a write failed */
    uint64_t             redis_reconnects;     /* connection attempts made
                                                * after a failure */
    uint64_t             redis_commands;       /* commands sent, the link's
                                                * own included */
    uint64_t             redis_errors;         /* connections lost and
                                                * attempts that failed */
    uint64_t             redis_latency_us;     /* round trips: their sum */
    uint64_t             redis_latency_n;      /* and their number */
    uint64_t             redis_catchups;       /* channels read back from
                                                * a Redis stream after a
                                                * jump or a reconnect */
    uint64_t             redis_fetches;        /* histories read for a
                                                * subscriber's cursor */
    uint64_t             redis_refused;        /* publishes answered 503:
                                                * Redis unreachable */
};


#define NGX_PUSH_IPC_SECRET_LEN  16

struct ngx_push_shctx_t {
    uint32_t             layout;       /* NGX_PUSH_LAYOUT */
    uint32_t             epoch;
    uint32_t             nchannels;
    uint64_t             nmessages;
    uint64_t             message_bytes;
    uint64_t             seq_floor;    /* highest seq of a channel gone from
                                        * the tree (deleted or evicted) */
    ngx_rbtree_t         rbtree;
    ngx_rbtree_node_t    sentinel;
    ngx_queue_t          channels;
    ngx_queue_t          messages;
    ngx_queue_t          idle;         /* channels never published to,
                                        * without subscribers, longest
                                        * idle first: evicted before any
                                        * message */
    uint64_t             sub_made_bytes;
    uint64_t             message_pages;  /* in segments */
    uint64_t             message_heads;  /* bytes of message heads */
    ngx_push_stats_t     stats;
    u_char               ipc_secret[NGX_PUSH_IPC_SECRET_LEN];
                                       /* in every wake-up datagram: only
                                        * processes mapping the zone know
                                        * it; never in a message id */
    ngx_push_slot_t      slots[NGX_PUSH_MAX_SLOTS];
    /* Redis mode: the worker that holds the server's subscriptions (the
     * lease), as slot, pid and start time: valid while that slot is still
     * that process (ngx_push_slot_alive); NGX_PUSH_MAX_SLOTS: nobody */
    uint32_t             redis_lease_slot;
    ngx_pid_t            redis_lease_pid;
    uint64_t             redis_lease_start;
    uint32_t             redis_scan;   /* redis_todo has channels, or one
                                        * in redis_drop waits: the lease
                                        * holder looks */
    uint32_t             redis_epoch_ok;  /* epoch adopted from Redis */
    ngx_queue_t          redis_todo;   /* channels whose subscription may
                                        * have to change, by redis_q */
    ngx_queue_t          redis_drop;   /* subscribed channels without
                                        * subscribers, by redis_unsub_at */
};


/* Changes whenever a shared structure does: the size and the offset and
 * size of every field of each, the constants that size arrays in them, and
 * a version for changes of meaning.  A reload that loads a build laid out
 * otherwise must not reuse the zone. */
#define NGX_PUSH_LAYOUT_VERSION  6

#define NGX_PUSH_F(type, field)                                              \
    offsetof(type, field), sizeof(type::field)

static constexpr uint32_t  ngx_push_layout_stamp = push::layout_stamp(
    NGX_PUSH_LAYOUT_VERSION, NGX_PUSH_MAX_SLOTS, NGX_PUSH_TRANSPORTS,
    NGX_PUSH_IPC_NAME_LEN, NGX_PUSH_IPC_SECRET_LEN,
    sizeof(ngx_queue_t), sizeof(ngx_rbtree_node_t), sizeof(ngx_rbtree_t),
    sizeof(ngx_push_seg_t),
    NGX_PUSH_F(ngx_push_seg_t, next), NGX_PUSH_F(ngx_push_seg_t, data),
    sizeof(ngx_push_msg_t),
    NGX_PUSH_F(ngx_push_msg_t, more), NGX_PUSH_F(ngx_push_msg_t, inline_len),
    NGX_PUSH_F(ngx_push_msg_t, queue), NGX_PUSH_F(ngx_push_msg_t, age),
    NGX_PUSH_F(ngx_push_msg_t, channel), NGX_PUSH_F(ngx_push_msg_t, seq),
    NGX_PUSH_F(ngx_push_msg_t, order), NGX_PUSH_F(ngx_push_msg_t, time),
    NGX_PUSH_F(ngx_push_msg_t, len), NGX_PUSH_F(ngx_push_msg_t, ctype_len),
    NGX_PUSH_F(ngx_push_msg_t, event_len), NGX_PUSH_F(ngx_push_msg_t, data),
    sizeof(ngx_push_channel_t),
    NGX_PUSH_F(ngx_push_channel_t, node), NGX_PUSH_F(ngx_push_channel_t, lru),
    NGX_PUSH_F(ngx_push_channel_t, idle),
    NGX_PUSH_F(ngx_push_channel_t, messages),
    NGX_PUSH_F(ngx_push_channel_t, first_seq),
    NGX_PUSH_F(ngx_push_channel_t, in_idle),
    NGX_PUSH_F(ngx_push_channel_t, sub_made),
    NGX_PUSH_F(ngx_push_channel_t, recs),
    NGX_PUSH_F(ngx_push_channel_t, last_seq),
    NGX_PUSH_F(ngx_push_channel_t, active),
    NGX_PUSH_F(ngx_push_channel_t, nmessages),
    NGX_PUSH_F(ngx_push_channel_t, subscribers),
    NGX_PUSH_F(ngx_push_channel_t, max_messages),
    NGX_PUSH_F(ngx_push_channel_t, ttl),
    NGX_PUSH_F(ngx_push_channel_t, id_len),
    NGX_PUSH_F(ngx_push_channel_t, deleted),
    NGX_PUSH_F(ngx_push_channel_t, pinned),
    NGX_PUSH_F(ngx_push_channel_t, redis_sub),
    NGX_PUSH_F(ngx_push_channel_t, redis_live),
    NGX_PUSH_F(ngx_push_channel_t, redis_busy),
    NGX_PUSH_F(ngx_push_channel_t, redis_in),
    NGX_PUSH_F(ngx_push_channel_t, redis_q),
    NGX_PUSH_F(ngx_push_channel_t, redis_from),
    NGX_PUSH_F(ngx_push_channel_t, redis_unsub_at),
    NGX_PUSH_F(ngx_push_channel_t, redis_busy_at),
    NGX_PUSH_F(ngx_push_channel_t, redis_read_at),
    NGX_PUSH_F(ngx_push_channel_t, id),
    sizeof(ngx_push_rec_t),
    NGX_PUSH_F(ngx_push_rec_t, in_channel),
    NGX_PUSH_F(ngx_push_rec_t, in_slot), NGX_PUSH_F(ngx_push_rec_t, in_dirty),
    NGX_PUSH_F(ngx_push_rec_t, channel), NGX_PUSH_F(ngx_push_rec_t, count),
    NGX_PUSH_F(ngx_push_rec_t, slot), NGX_PUSH_F(ngx_push_rec_t, dirty),
    sizeof(ngx_push_slot_t),
    NGX_PUSH_F(ngx_push_slot_t, pid), NGX_PUSH_F(ngx_push_slot_t, signalled),
    NGX_PUSH_F(ngx_push_slot_t, start), NGX_PUSH_F(ngx_push_slot_t, name),
    NGX_PUSH_F(ngx_push_slot_t, recs), NGX_PUSH_F(ngx_push_slot_t, dirty),
    NGX_PUSH_F(ngx_push_slot_t, subscribers),
    NGX_PUSH_F(ngx_push_slot_t, redis),
    sizeof(ngx_push_redis_gauges_t),
    NGX_PUSH_F(ngx_push_redis_gauges_t, state),
    NGX_PUSH_F(ngx_push_redis_gauges_t, in_flight),
    NGX_PUSH_F(ngx_push_redis_gauges_t, latency_us),
    sizeof(ngx_push_stats_t),
    NGX_PUSH_F(ngx_push_stats_t, published),
    NGX_PUSH_F(ngx_push_stats_t, delivered),
    NGX_PUSH_F(ngx_push_stats_t, slow_closed),
    NGX_PUSH_F(ngx_push_stats_t, gaps), NGX_PUSH_F(ngx_push_stats_t, evicted),
    NGX_PUSH_F(ngx_push_stats_t, expired),
    NGX_PUSH_F(ngx_push_stats_t, refused),
    NGX_PUSH_F(ngx_push_stats_t, channels_evicted),
    NGX_PUSH_F(ngx_push_stats_t, send_timeout_closed),
    NGX_PUSH_F(ngx_push_stats_t, write_error_closed),
    NGX_PUSH_F(ngx_push_stats_t, redis_reconnects),
    NGX_PUSH_F(ngx_push_stats_t, redis_commands),
    NGX_PUSH_F(ngx_push_stats_t, redis_errors),
    NGX_PUSH_F(ngx_push_stats_t, redis_latency_us),
    NGX_PUSH_F(ngx_push_stats_t, redis_latency_n),
    NGX_PUSH_F(ngx_push_stats_t, redis_catchups),
    NGX_PUSH_F(ngx_push_stats_t, redis_fetches),
    NGX_PUSH_F(ngx_push_stats_t, redis_refused),
    sizeof(ngx_push_shctx_t),
    NGX_PUSH_F(ngx_push_shctx_t, layout), NGX_PUSH_F(ngx_push_shctx_t, epoch),
    NGX_PUSH_F(ngx_push_shctx_t, nchannels),
    NGX_PUSH_F(ngx_push_shctx_t, nmessages),
    NGX_PUSH_F(ngx_push_shctx_t, message_bytes),
    NGX_PUSH_F(ngx_push_shctx_t, seq_floor),
    NGX_PUSH_F(ngx_push_shctx_t, idle),
    NGX_PUSH_F(ngx_push_shctx_t, sub_made_bytes),
    NGX_PUSH_F(ngx_push_shctx_t, message_pages),
    NGX_PUSH_F(ngx_push_shctx_t, message_heads),
    NGX_PUSH_F(ngx_push_shctx_t, rbtree),
    NGX_PUSH_F(ngx_push_shctx_t, sentinel),
    NGX_PUSH_F(ngx_push_shctx_t, channels),
    NGX_PUSH_F(ngx_push_shctx_t, messages),
    NGX_PUSH_F(ngx_push_shctx_t, stats),
    NGX_PUSH_F(ngx_push_shctx_t, ipc_secret),
    NGX_PUSH_F(ngx_push_shctx_t, slots),
    NGX_PUSH_F(ngx_push_shctx_t, redis_lease_slot),
    NGX_PUSH_F(ngx_push_shctx_t, redis_lease_pid),
    NGX_PUSH_F(ngx_push_shctx_t, redis_lease_start),
    NGX_PUSH_F(ngx_push_shctx_t, redis_scan),
    NGX_PUSH_F(ngx_push_shctx_t, redis_epoch_ok),
    NGX_PUSH_F(ngx_push_shctx_t, redis_todo),
    NGX_PUSH_F(ngx_push_shctx_t, redis_drop));

#undef NGX_PUSH_F

#define NGX_PUSH_LAYOUT  ngx_push_layout_stamp

static_assert(std::is_standard_layout<ngx_push_shctx_t>::value
              && std::is_trivially_copyable<ngx_push_shctx_t>::value,
              "shared memory holds plain data only");
static_assert(std::is_standard_layout<ngx_push_channel_t>::value
              && std::is_trivially_copyable<ngx_push_channel_t>::value,
              "shared memory holds plain data only");
static_assert(std::is_standard_layout<ngx_push_msg_t>::value
              && std::is_trivially_copyable<ngx_push_msg_t>::value,
              "shared memory holds plain data only");
static_assert(std::is_standard_layout<ngx_push_seg_t>::value
              && std::is_trivially_copyable<ngx_push_seg_t>::value,
              "shared memory holds plain data only");
static_assert(std::is_standard_layout<ngx_push_rec_t>::value
              && std::is_trivially_copyable<ngx_push_rec_t>::value,
              "shared memory holds plain data only");
static_assert(std::is_standard_layout<ngx_push_slot_t>::value
              && std::is_trivially_copyable<ngx_push_slot_t>::value,
              "shared memory holds plain data only");


static inline void
ngx_push_stats_add(uint64_t *counter, uint64_t n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}


/* Per cycle: shm_zone->data. */
struct ngx_push_zone_t {
    ngx_push_shctx_t    *sh;
    ngx_slab_pool_t     *shpool;
    size_t               size;
};


/* What a publish stores. */
struct ngx_push_publish_t {
    ngx_str_t            channel;
    ngx_str_t            ctype;
    ngx_str_t            event;
    ngx_str_t            data;
    ngx_uint_t           max_messages;
    time_t               ttl;
    ngx_uint_t           max_channels; /* for a new channel; 0: unlimited */
};


/* What a publisher or an operator is told of a channel. */
struct ngx_push_channel_info_t {
    uint32_t             epoch;
    uint32_t             messages;
    uint32_t             subscribers;
    uint64_t             last_seq;
    uint64_t             oldest_seq;   /* 0 when no message is kept */
    time_t               active;
};


/* Channel ids to wake: bit N is slot N. */
typedef uint64_t  ngx_push_wake_t;

static_assert(NGX_PUSH_MAX_SLOTS <= 64, "a wake mask has a bit per slot");


enum class ngx_push_store_rc {
    ok,
    not_found,
    no_memory,
    too_large,
    limited,       /* push_max_channels */
    crowded        /* subscribers' channels have their share of the zone */
};


/* ngx_push_zone.cpp: setup, reload, allocation with eviction, slots. */
char *ngx_push_zone_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_push_zone_add_default(ngx_conf_t *cf);
ngx_push_zone_t *ngx_push_zone_current(ngx_cycle_t *cycle);
void *ngx_push_zone_alloc_locked(ngx_push_zone_t *zone, size_t size);
void ngx_push_zone_free_locked(ngx_push_zone_t *zone, void *p);
ngx_int_t ngx_push_slot_acquire(ngx_push_zone_t *zone, ngx_log_t *log);
void ngx_push_slot_rename_locked(ngx_push_zone_t *zone, ngx_uint_t slot);
void ngx_push_slot_release(ngx_push_zone_t *zone, ngx_uint_t slot);
void ngx_push_slot_reap_locked(ngx_push_zone_t *zone, ngx_uint_t slot);
ngx_uint_t ngx_push_slot_alive(const ngx_push_slot_t *slot);
uint64_t ngx_push_process_start(ngx_pid_t pid, u_char *state);

/* ngx_push_store.cpp: channels and messages. */
ngx_push_store_rc ngx_push_store_publish(ngx_push_zone_t *zone,
    const ngx_push_publish_t *in, ngx_push_channel_info_t *info,
    ngx_push_wake_t *wake, ngx_log_t *log);
ngx_push_store_rc ngx_push_store_info(ngx_push_zone_t *zone,
    const ngx_str_t *id, ngx_push_channel_info_t *info);
ngx_push_store_rc ngx_push_store_delete(ngx_push_zone_t *zone,
    const ngx_str_t *id, ngx_push_channel_info_t *info,
    ngx_push_wake_t *wake);
ngx_push_channel_t *ngx_push_store_find_locked(ngx_push_zone_t *zone,
    const ngx_str_t *id);
uint64_t ngx_push_store_first_seq_locked(ngx_push_zone_t *zone);
ngx_push_channel_t *ngx_push_store_create_locked(ngx_push_zone_t *zone,
    const ngx_str_t *id, ngx_uint_t max_messages, time_t ttl);
ngx_push_channel_t *ngx_push_store_create_for_sub_locked(
    ngx_push_zone_t *zone, const ngx_str_t *id, ngx_uint_t max_messages,
    time_t ttl, ngx_push_store_rc *rc);
ngx_push_rec_t *ngx_push_store_join_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch, ngx_uint_t slot);
void ngx_push_store_unsubscribe(ngx_push_zone_t *zone, ngx_push_rec_t *rec);
void ngx_push_store_unsubscribe_locked(ngx_push_zone_t *zone,
    ngx_push_rec_t *rec, uint32_t n);
void ngx_push_store_redis_note_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch);
void ngx_push_store_drop_message_locked(ngx_push_zone_t *zone,
    ngx_push_msg_t *m);
void ngx_push_store_expire_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch);
void ngx_push_store_expire_zone_locked(ngx_push_zone_t *zone,
    ngx_uint_t limit);
void ngx_push_store_free_channel_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch);
ngx_push_msg_t *ngx_push_store_next_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch, uint64_t after);
void ngx_push_store_copy_payload(const ngx_push_msg_t *m, u_char *dst);
ngx_push_msg_t *ngx_push_store_last_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch);
void ngx_push_store_channel_info_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch, ngx_push_channel_info_t *info);

/* Redis mode: a message at the seq Redis gave it (time in seconds), put
 * in seq order; ok and nothing done when that seq is held already. */
ngx_push_store_rc ngx_push_store_put_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch, const ngx_push_publish_t *in, uint64_t seq,
    time_t time, ngx_push_wake_t *wake);
/* Redis mode: the deployment's epoch changed: every channel copy is of
 * another life; those with subscribers end them as a DELETE does. */
ngx_push_wake_t ngx_push_store_new_life_locked(ngx_push_zone_t *zone,
    uint32_t epoch);
/* Retires ch as ngx_push_store_delete does. */
ngx_push_wake_t ngx_push_store_delete_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch);

#endif /* NGX_PUSH_ZONE_H_INCLUDED */
