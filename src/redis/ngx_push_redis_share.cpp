/* Channels shared by several servers through Redis: the publisher's
 * requests run there, and what Redis holds comes back into the zone.
 *
 * Redis is the source of truth (push_redis_scripts.h has the scripts and
 * the keys); the zone is this server's copy, in front of it:
 *
 * Publish, info, delete: one script on the channel's node, from the
 *   worker that got the request, on its own command connection.  The
 *   publisher is answered after Redis did it; the message is then stored
 *   in the zone at the seq Redis gave it.  Redis unreachable: 503.
 *
 * The epoch: the deployment's, in Redis (SET NX GET of a fresh random
 *   value when a command connection comes up, and from the lease holder
 *   every push_redis_ping_interval: a Redis that lost its data gets a new
 *   one).  The zone's epoch follows it; a change ends every local copy as
 *   a DELETE does, so that cursors of the old life get the gap signal.
 *
 * The lease: one worker per server holds the server's subscriptions
 *   (sh->redis_lease_*: slot, pid and start time, taken over on a tick by
 *   any worker when that slot is no longer that process).  It subscribes
 *   a channel's announcements when the channel has subscribers anywhere on
 *   the server (a worker whose subscriber joins a channel not subscribed
 *   yet sets sh->redis_scan and wakes it), and unsubscribes
 *   NGX_PUSH_SHARE_UNSUB_DELAY seconds after the last left.
 *
 * Announcements (lease holder): m with seq == last + 1 is stored and the
 *   workers woken as for a local publish; a seq already held (this
 *   server's own publishes) is skipped; n, a jump, or a message while the
 *   copy is not live triggers a catch-up: the history script from the
 *   copy's last seq, in batches.  A confirmed subscription is caught up
 *   too, from then on the copy is live (ch->redis_live): nothing Redis
 *   announces is missed.  A lost subscription connection makes every copy
 *   not live until its subscription is confirmed again and caught up.
 *
 * Parking: a subscriber whose cursor the copy cannot answer (a channel
 *   not live, or a cursor below ch->redis_from or past last_seq) waits
 *   while the history after its cursor is read into the zone, then is
 *   resolved as on one server.  With Redis unreachable it is resolved
 *   against the copy at once.
 *
 * Objects: the share is per worker (cycle pool); an op is one command and
 * its continuation: in the request's pool for a request (the request is
 * counted once more until the op answers it), ngx_alloc'ed for a
 * catch-up.  Every op's handler is called once: by the reply, or by the
 * link failing it; none is cancelled. */
#include "ngx_push_redis_share.h"
#include "ngx_push_redis_link.h"
#include "ngx_push_http.h"
#include "ngx_push_ipc.h"
#include "ngx_push_subscriber.h"
#include "push_redis_key.h"
#include "push_redis_reply.h"
#include "push_redis_scripts.h"

#include <openssl/rand.h>
#include <openssl/sha.h>


#define NGX_PUSH_SHARE_TICK         500      /* ms: lease, subscriptions */
#define NGX_PUSH_SHARE_UNSUB_DELAY  5        /* s after the last subscriber */
#define NGX_PUSH_SHARE_BUSY_MAX     5        /* s a catch-up holds a channel */
#define NGX_PUSH_SHARE_BATCH        1000     /* history entries per read */
#define NGX_PUSH_SHARE_INLINE_MAX   65536    /* announced with the message */


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


struct ngx_push_share_op_t {
    ngx_push_share_kind           kind;
    ngx_http_request_t           *r;
    ngx_push_share_done_pt        done;
    ngx_push_share_park_t        *park;
    ngx_str_t                     id;
    push::redis_channel_keys      keys;
    ngx_str_t                     keys_pubsub;
    ngx_push_publish_t            in;
    uint64_t                      after;
    uint64_t                      limit;
    uint64_t                      ttl_ms;
    ngx_uint_t                    eval;      /* NOSCRIPT seen: EVAL */
    ngx_uint_t                    tries;     /* epoch checks made */
    ngx_uint_t                    first;     /* the catch-up's first read */
    ngx_uint_t                    owned;     /* ngx_alloc'ed */
    ngx_uint_t                    sent;      /* the script went out */
    char                          meta_epoch[8];
    ngx_uint_t                    replace;   /* publish over an orphan */
};


/* Plain data: this worker's share, or nullptr. */
static ngx_push_share_t  *ngx_push_share_worker;


static ngx_int_t ngx_push_share_send(ngx_push_share_op_t *op);
static void ngx_push_share_reply(void *data, const push::resp_node *reply,
    const char *error);
static void ngx_push_share_handle(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr);
static void ngx_push_share_catch_up(const ngx_str_t *id);
static void ngx_push_share_scan(void);


ngx_uint_t
ngx_push_share_on(void)
{
    return ngx_push_share_worker != nullptr;
}


static void
ngx_push_share_epoch_hex(uint32_t epoch, char *out)
{
    static const char  hex[] = "0123456789abcdef";
    ngx_uint_t         i;

    for (i = 0; i < 8; i++) {
        out[i] = hex[(epoch >> (28 - 4 * i)) & 0xf];
    }
}


static ngx_int_t
ngx_push_share_parse_epoch(std::string_view s, uint32_t *epoch)
{
    ngx_int_t  h;
    size_t     i;
    uint32_t   v = 0;

    if (s.size() != 8) {
        return NGX_ERROR;
    }

    for (i = 0; i < 8; i++) {
        h = ngx_hextoi(reinterpret_cast<u_char *>(const_cast<char *>(
                           s.data() + i)), 1);
        if (h == NGX_ERROR) {
            return NGX_ERROR;
        }
        v = (v << 4) | static_cast<uint32_t>(h);
    }

    if (v == 0) {
        return NGX_ERROR;
    }

    *epoch = v;
    return NGX_OK;
}


/* The three keys of a channel, written into the pool's memory (or into
 * buf when it is given, sized by ngx_push_share_keys_size). */
static size_t
ngx_push_share_keys_size(const ngx_str_t *id)
{
    return push::redis_channel_keys_size(
               ngx_push_sv(ngx_push_share_worker->conf->prefix),
               ngx_push_sv(*id));
}


static ngx_int_t
ngx_push_share_keys(ngx_pool_t *pool, u_char *buf, const ngx_str_t *id,
    push::redis_channel_keys *keys)
{
    if (buf == nullptr) {
        buf = static_cast<u_char *>(
                  ngx_pnalloc(pool, ngx_push_share_keys_size(id)));
        if (buf == nullptr) {
            return NGX_ERROR;
        }
    }

    *keys = push::redis_channel_keys_write(
                reinterpret_cast<char *>(buf),
                ngx_push_sv(ngx_push_share_worker->conf->prefix),
                ngx_push_sv(*id));

    return NGX_OK;
}


static ngx_str_t
ngx_push_share_str(std::string_view sv)
{
    ngx_str_t  s;

    s.data = reinterpret_cast<u_char *>(const_cast<char *>(sv.data()));
    s.len = sv.size();

    return s;
}


/* A pub/sub key back to its channel id: "{<p>:<id>}:pubsub", escaped. */
static ngx_int_t
ngx_push_share_id_of(const ngx_str_t *key, u_char *out, size_t cap,
    ngx_str_t *id)
{
    static const char  tail[] = "}:pubsub";
    size_t             i, n = 0, len;
    u_char            *p;
    ngx_push_share_t  *share = ngx_push_share_worker;

    if (key->len < share->head.len + sizeof(tail) - 1
        || ngx_memcmp(key->data, share->head.data, share->head.len) != 0
        || ngx_memcmp(key->data + key->len - (sizeof(tail) - 1), tail,
                      sizeof(tail) - 1) != 0)
    {
        return NGX_DECLINED;
    }

    p = key->data + share->head.len;
    len = key->len - share->head.len - (sizeof(tail) - 1);

    for (i = 0; i < len; i++) {
        if (n == cap) {
            return NGX_DECLINED;
        }

        if (p[i] == '%') {
            if (i + 2 >= len) {
                return NGX_DECLINED;
            }
            if (p[i + 1] == '2' && p[i + 2] == '5') {
                out[n++] = '%';
            } else if (p[i + 1] == '7' && (p[i + 2] == 'B' || p[i + 2] == 'b'))
            {
                out[n++] = '{';
            } else if (p[i + 1] == '7' && (p[i + 2] == 'D' || p[i + 2] == 'd'))
            {
                out[n++] = '}';
            } else {
                return NGX_DECLINED;
            }
            i += 2;
            continue;
        }

        out[n++] = p[i];
    }

    id->data = out;
    id->len = n;

    return NGX_OK;
}


/* The zone follows the deployment's epoch. */
static void
ngx_push_share_adopt(uint32_t epoch)
{
    uint32_t           old = 0;
    ngx_uint_t         changed = 0;
    ngx_push_wake_t    wake = 0;
    ngx_push_share_t  *share = ngx_push_share_worker;
    ngx_push_zone_t   *zone = share->zone;

    {
        ngx_push_shm_lock  lock(zone->shpool);

        if (zone->sh->epoch != epoch) {
            old = zone->sh->epoch;
            changed = zone->sh->redis_epoch_ok;
            wake = ngx_push_store_new_life_locked(zone, epoch);
        }

        zone->sh->redis_epoch_ok = 1;
    }

    if (changed) {
        ngx_log_error(NGX_LOG_NOTICE, share->log, 0,
                      "push: redis epoch is %08xD now, was %08xD: the "
                      "local copies of channels are dropped",
                      epoch, old);
    }

    ngx_push_ipc_wake(wake, share->log);
}


/* Failing an op: a request gets 503, a subscriber goes on with what the
 * zone holds, a catch-up is left for the next trigger. */
static void ngx_push_share_op_end(ngx_push_share_op_t *op);


static void
ngx_push_share_answer(ngx_push_share_op_t *op, ngx_uint_t status,
    const ngx_push_channel_info_t *info, const char *reason)
{
    ngx_str_t            one = ngx_string("1");
    ngx_connection_t    *c = op->r->connection;
    ngx_http_request_t  *r = op->r;

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        (void) ngx_push_add_header(r, "Retry-After", &one);
    }

    op->done(r, status, info, reason);
    ngx_http_run_posted_requests(c);
}


static void
ngx_push_share_failed(ngx_push_share_op_t *op, const char *why)
{
    ngx_push_share_t  *share = ngx_push_share_worker;

    if (!share->outage) {
        share->outage = 1;
        ngx_log_error(NGX_LOG_WARN, share->log, 0,
                      "push: redis %V cannot be used (%s): publishes are "
                      "answered 503 until it can",
                      &share->conf->addr->name, why);
    }

    switch (op->kind) {

    case ngx_push_share_kind::publish:
    case ngx_push_share_kind::info:
    case ngx_push_share_kind::del:
        if (op->kind == ngx_push_share_kind::publish) {
            ngx_push_stats_add(&share->zone->sh->stats.redis_refused, 1);
        }
        /* a script sent and not answered may still run (a Redis that
         * stalled reads it when it resumes): the publisher must know */
        ngx_push_share_answer(op, NGX_HTTP_SERVICE_UNAVAILABLE, nullptr,
                              op->sent && op->kind
                                          != ngx_push_share_kind::info
                              ? "redis did not answer, the request may "
                                "have been done there"
                              : "redis is unreachable, try again later");
        return;

    default:
        ngx_push_share_op_end(op);
        return;
    }
}


/* SET {<p>}:epoch <fresh> NX GET, for an op (then retried) or alone.
 * Owner of a check: ngx_alloc'ed here, freed by its reply. */
struct ngx_push_share_echeck_t {
    ngx_push_share_op_t  *op;
    uint32_t              fresh;
};


static void ngx_push_share_epoch_reply(void *data,
    const push::resp_node *reply, const char *error);


static ngx_int_t
ngx_push_share_epoch_check(ngx_push_share_op_t *op)
{
    char                      fresh[8];
    uint32_t                  v;
    ngx_push_share_t         *share = ngx_push_share_worker;
    ngx_push_redis_node_t    *node;
    ngx_push_share_echeck_t  *ec;

    do {
        if (RAND_bytes(reinterpret_cast<unsigned char *>(&v), sizeof(v))
            != 1)
        {
            v = static_cast<uint32_t>(ngx_random()) ^ ngx_pid;
        }
    } while (v == 0);

    ngx_push_share_epoch_hex(v, fresh);

    push::resp_arg  args[5] = {
        push::resp_bytes("SET"),
        push::resp_bytes(ngx_push_sv(share->epoch_key)),
        push::resp_bytes(std::string_view(fresh, 8)),
        push::resp_bytes("NX"),
        push::resp_bytes("GET")
    };

    node = ngx_push_redis_route_key(share->link,
                                    ngx_push_sv(share->epoch_key));
    if (node == nullptr) {
        return NGX_ERROR;
    }

    ec = static_cast<ngx_push_share_echeck_t *>(
             ngx_alloc(sizeof(ngx_push_share_echeck_t), share->log));
    if (ec == nullptr) {
        return NGX_ERROR;
    }

    ec->op = op;
    ec->fresh = v;

    if (ngx_push_redis_command(node, args, 5, ngx_push_share_epoch_reply, ec)
        == 0)
    {
        ngx_free(ec);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_push_share_epoch_reply(void *data, const push::resp_node *reply,
    const char *error)
{
    char                      cur[8];
    uint32_t                  epoch;
    ngx_push_share_t         *share = ngx_push_share_worker;
    ngx_push_share_op_t      *op;
    ngx_push_share_echeck_t  *ec = static_cast<ngx_push_share_echeck_t *>(
                                       data);

    op = ec->op;
    epoch = ec->fresh;
    ngx_free(ec);

    if (share == nullptr) {
        return;
    }

    if (reply == nullptr
        || (reply->type != push::resp_type::null
            && reply->type != push::resp_type::bulk))
    {
        if (op != nullptr) {
            ngx_push_share_failed(op, error ? error : "epoch not readable");
        }
        return;
    }

    /* nil: the key was missing, the fresh value is the epoch now */
    if (reply->type == push::resp_type::bulk
        && ngx_push_share_parse_epoch(reply->str, &epoch) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_WARN, share->log, 0,
                      "push: redis holds an epoch that is not 8 hex "
                      "digits: \"%*s\"",
                      ngx_min(reply->str.size(), static_cast<size_t>(32)),
                      reply->str.data());
        if (op != nullptr) {
            ngx_push_share_failed(op, "bad epoch in redis");
        }
        return;
    }

    ngx_push_share_adopt(epoch);

    if (op == nullptr) {
        return;
    }

    /* the channel's meta under another epoch than the deployment's: an
     * orphan of a data loss; a publish starts it over */
    if (op->meta_epoch[0] != '\0') {
        ngx_push_share_epoch_hex(epoch, cur);

        if (ngx_memcmp(cur, op->meta_epoch, 8) != 0) {
            if (op->kind != ngx_push_share_kind::publish) {
                /* for them, no channel in this epoch */
                push::redis_channel_reply  none{};

                none.outcome = push::redis_outcome::none;
                ngx_push_share_handle(op, none);
                return;
            }

            op->replace = 1;
        }
    }

    if (ngx_push_share_send(op) != NGX_OK) {
        ngx_push_share_failed(op, "not connected");
    }
}


ngx_int_t
ngx_push_share_send(ngx_push_share_op_t *op)
{
    char                      epoch[8];
    size_t                    n;
    uint64_t                  id;
    push::resp_arg            v[push::redis_args_max];
    ngx_push_share_t         *share = ngx_push_share_worker;
    ngx_push_redis_node_t    *node;
    push::redis_script_ref    ref;

    if (!share->zone->sh->redis_epoch_ok) {
        /* ids made before the deployment's epoch is known would fork */
        op->meta_epoch[0] = '\0';
        if (op->tries++ < 3) {
            return ngx_push_share_epoch_check(op);
        }
        return NGX_ERROR;
    }

    ngx_push_share_epoch_hex(share->zone->sh->epoch, epoch);
    std::string_view  ep(epoch, 8);

    switch (op->kind) {

    case ngx_push_share_kind::publish: {
        push::redis_publish_args  a;

        ref.which = push::redis_script::publish;
        a.epoch = ep;
        a.replace = op->replace ? std::string_view(op->meta_epoch, 8)
                                : std::string_view();
        a.buffer = op->in.max_messages ? op->in.max_messages : 1;
        a.ttl_ms = op->ttl_ms;
        a.inline_max = NGX_PUSH_SHARE_INLINE_MAX;
        a.sharded = false;
        a.content_type = ngx_push_sv(op->in.ctype);
        a.event = ngx_push_sv(op->in.event);
        a.data = ngx_push_sv(op->in.data);
        ref.sha1 = op->eval ? std::string_view()
                            : std::string_view(share->sha[0], 40);
        n = push::redis_publish_argv(v, ref, op->keys, a);
        break;
    }

    case ngx_push_share_kind::info: {
        push::redis_info_args  a;

        ref.which = push::redis_script::info;
        a.epoch = ep;
        a.ttl_ms = op->ttl_ms;
        ref.sha1 = op->eval ? std::string_view()
                            : std::string_view(share->sha[2], 40);
        n = push::redis_info_argv(v, ref, op->keys, a);
        break;
    }

    case ngx_push_share_kind::del: {
        push::redis_delete_args  a;

        ref.which = push::redis_script::del;
        a.epoch = ep;
        a.ttl_ms = op->ttl_ms;
        a.sharded = false;
        ref.sha1 = op->eval ? std::string_view()
                            : std::string_view(share->sha[3], 40);
        n = push::redis_delete_argv(v, ref, op->keys, a);
        break;
    }

    default: {
        push::redis_history_args  a;

        ref.which = push::redis_script::history;
        a.epoch = ep;
        a.after = op->after;
        a.limit = op->limit ? op->limit : 1;
        a.ttl_ms = op->ttl_ms;
        ref.sha1 = op->eval ? std::string_view()
                            : std::string_view(share->sha[1], 40);
        n = push::redis_history_argv(v, ref, op->keys, a);
        break;
    }
    }

    node = ngx_push_redis_route_key(share->link, op->keys.meta);
    if (node == nullptr) {
        return NGX_ERROR;
    }

    id = ngx_push_redis_command(node, v, n, ngx_push_share_reply, op);
    if (id == 0) {
        return NGX_ERROR;
    }

    op->sent = 1;

    return NGX_OK;
}


/* The reply of a channel script, for any op. */
static void
ngx_push_share_reply(void *data, const push::resp_node *reply,
    const char *error)
{
    auto                       *op = static_cast<ngx_push_share_op_t *>(data);
    ngx_push_share_t           *share = ngx_push_share_worker;
    push::redis_channel_reply   cr;

    if (share == nullptr) {
        /* the worker is exiting */
        return;
    }

    if (reply == nullptr) {
        ngx_push_share_failed(op, error ? error : "no reply");
        return;
    }

    if (reply->type == push::resp_type::error
        || reply->type == push::resp_type::blob_error)
    {
        if (!op->eval && reply->str.substr(0, 8) == "NOSCRIPT") {
            /* the script cache was flushed (or Redis restarted): the text
             * once, which loads it for the EVALSHAs that follow */
            op->eval = 1;
            if (ngx_push_share_send(op) == NGX_OK) {
                return;
            }
            ngx_push_share_failed(op, "not connected");
            return;
        }

        ngx_log_error(NGX_LOG_WARN, share->log, 0,
                      "push: redis refused a script: %*s",
                      ngx_min(reply->str.size(), static_cast<size_t>(200)),
                      reply->str.data());
        ngx_push_share_failed(op, "a script was refused");
        return;
    }

    if (push::redis_channel_reply_parse(reply, cr) != push::status::ok) {
        ngx_push_share_failed(op, "a script answered in an unknown form");
        return;
    }

    if (share->outage) {
        share->outage = 0;
        ngx_log_error(NGX_LOG_NOTICE, share->log, 0,
                      "push: redis %V can be used again", &share->conf->addr->name);
    }

    if (cr.outcome == push::redis_outcome::epoch) {
        /* the channel's epoch is not ours: read the deployment's */
        if (cr.epoch.size() == 8 && op->tries++ < 3) {
            ngx_memcpy(op->meta_epoch, cr.epoch.data(), 8);
            if (ngx_push_share_epoch_check(op) == NGX_OK) {
                return;
            }
        }
        ngx_push_share_failed(op, "the epoch does not settle");
        return;
    }

    ngx_push_share_handle(op, cr);
}


/* The local copy starts over at Redis's view: base, and nothing held up
 * to last. */
static void
ngx_push_share_reset_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch,
    uint64_t base, uint64_t last)
{
    while (!ngx_queue_empty(&ch->messages)) {
        ngx_push_store_drop_message_locked(zone,
            ngx_queue_data(ngx_queue_head(&ch->messages), ngx_push_msg_t,
                           queue));
    }

    ch->first_seq = base;
    ch->last_seq = last > base ? last : base;
    ch->redis_from = ch->last_seq;
}


/* A copy made from what Redis said. */
static ngx_push_channel_t *
ngx_push_share_create_locked(ngx_push_zone_t *zone, ngx_push_share_op_t *op,
    uint64_t base, uint64_t last)
{
    ngx_push_channel_t  *ch;

    if (op->in.max_channels && zone->sh->nchannels >= op->in.max_channels) {
        return nullptr;
    }

    ch = ngx_push_store_create_locked(zone, &op->id,
                                      op->in.max_messages
                                      ? op->in.max_messages : 1,
                                      op->in.ttl);
    if (ch != nullptr) {
        ngx_push_share_reset_locked(zone, ch, base, last);
    }

    return ch;
}


/* History entries into the copy: all of them (older ones in their place),
 * or only those after its last seq. */
static ngx_uint_t
ngx_push_share_put_entries_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch, const push::resp_node *entries,
    ngx_uint_t append_only, uint64_t *last_entry, ngx_push_wake_t *wake)
{
    uint32_t             i;
    ngx_uint_t           n = 0;
    push::redis_entry    e;
    ngx_push_publish_t   in;
    const push::resp_node  *node;

    if (entries == nullptr || entries->type != push::resp_type::array) {
        return 0;
    }

    ngx_memzero(&in, sizeof(ngx_push_publish_t));
    in.channel.data = ch->id;
    in.channel.len = ch->id_len;

    for (i = 0, node = entries + 1; i < entries->count;
         i++, node = push::resp_next(node))
    {
        if (push::redis_entry_parse(node, e) != push::status::ok) {
            continue;
        }

        n++;
        *last_entry = e.seq;

        if (append_only && e.seq <= ch->last_seq) {
            continue;
        }

        in.ctype = ngx_push_share_str(e.content_type);
        in.event = ngx_push_share_str(e.event);
        in.data = ngx_push_share_str(e.data);

        (void) ngx_push_store_put_locked(zone, ch, &in, e.seq,
                                         static_cast<time_t>(e.time_ms
                                                             / 1000),
                                         wake);
    }

    return n;
}


static void
ngx_push_share_published(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr)
{
    uint64_t                 seq = cr.last, receivers = 0, own = 0;
    ngx_uint_t               catch_up = 0;
    ngx_push_wake_t          wake = 0;
    ngx_push_zone_t         *zone = ngx_push_share_worker->zone;
    ngx_push_channel_t      *ch;
    ngx_push_channel_info_t  info;

    if (cr.outcome != push::redis_outcome::ok) {
        ngx_push_share_failed(op, "the publish script made no message");
        return;
    }

    if (cr.extra != nullptr && cr.extra->type == push::resp_type::integer
        && cr.extra->integer > 0)
    {
        receivers = static_cast<uint64_t>(cr.extra->integer);
    }

    ngx_memzero(&info, sizeof(ngx_push_channel_info_t));

    {
        ngx_push_shm_lock  lock(zone->shpool);

        ch = ngx_push_store_find_locked(zone, &op->id);

        if (ch == nullptr) {
            ch = ngx_push_share_create_locked(zone, op, cr.base, seq - 1);
        }

        if (ch != nullptr) {
            ch->max_messages = static_cast<uint32_t>(
                                   op->in.max_messages
                                   ? op->in.max_messages : 1);
            ch->ttl = static_cast<uint32_t>(op->in.ttl);
            ngx_push_store_expire_locked(zone, ch);

            if (ch->subscribers == 0 && !ch->redis_live
                && (cr.base != ch->first_seq || ch->last_seq >= seq))
            {
                /* a copy of another life, nobody reads it */
                ngx_push_share_reset_locked(zone, ch, cr.base, seq - 1);
            }

            if (seq > ch->last_seq + 1) {
                if (ch->subscribers == 0 && !ch->redis_live) {
                    /* what lies between is in Redis: a cursor there
                     * reads it back (redis_from) */
                    ch->last_seq = seq - 1;
                    ch->redis_from = seq - 1;

                } else {
                    /* subscribers here wait for what lies between: it
                     * is read first, in order */
                    catch_up = 1;
                }
            }

            if (seq == ch->last_seq + 1) {
                (void) ngx_push_store_put_locked(zone, ch, &op->in, seq,
                                                 ngx_time(), &wake);
            }

            ngx_push_store_channel_info_locked(zone, ch, &info);
            own = ch->redis_sub;
        }

        info.epoch = zone->sh->epoch;
    }

    ngx_push_ipc_wake(wake, ngx_push_share_worker->log);

    if (catch_up) {
        ngx_push_share_catch_up(&op->id);
    }

    info.last_seq = seq;
    info.messages = static_cast<uint32_t>(cr.count);

    ngx_push_share_answer(op, info.subscribers || receivers > own
                              ? NGX_HTTP_CREATED : NGX_HTTP_ACCEPTED,
                          &info, nullptr);
}


static void
ngx_push_share_infoed(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr)
{
    ngx_push_zone_t         *zone = ngx_push_share_worker->zone;
    ngx_push_channel_t      *ch;
    ngx_push_channel_info_t  info;

    if (cr.outcome != push::redis_outcome::ok || cr.last == cr.base) {
        /* never published to, or deleted and not published to since
         * (the meta stays as the floor): none, as on one server */
        ngx_push_share_answer(op, NGX_HTTP_NOT_FOUND, nullptr,
                              "no such channel");
        return;
    }

    ngx_memzero(&info, sizeof(ngx_push_channel_info_t));

    {
        ngx_push_shm_lock  lock(zone->shpool);

        ch = ngx_push_store_find_locked(zone, &op->id);
        info.subscribers = ch ? ch->subscribers : 0;
        info.epoch = zone->sh->epoch;
    }

    info.messages = static_cast<uint32_t>(cr.count);
    info.last_seq = cr.last;
    info.oldest_seq = cr.count ? cr.first : 0;
    info.active = ngx_time();

    ngx_push_share_answer(op, NGX_HTTP_OK, &info, nullptr);
}


static void
ngx_push_share_deleted(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr)
{
    ngx_uint_t               local = 0;
    ngx_push_wake_t          wake = 0;
    ngx_push_zone_t         *zone = ngx_push_share_worker->zone;
    ngx_push_channel_t      *ch;
    ngx_push_channel_info_t  info;

    ngx_memzero(&info, sizeof(ngx_push_channel_info_t));

    {
        ngx_push_shm_lock  lock(zone->shpool);

        ch = ngx_push_store_find_locked(zone, &op->id);
        if (ch != nullptr) {
            local = 1;
            info.subscribers = ch->subscribers;
            wake = ngx_push_store_delete_locked(zone, ch);
        }

        info.epoch = zone->sh->epoch;
    }

    ngx_push_ipc_wake(wake, ngx_push_share_worker->log);

    if ((cr.outcome != push::redis_outcome::ok || cr.last == cr.base)
        && !local)
    {
        ngx_push_share_answer(op, NGX_HTTP_NOT_FOUND, nullptr,
                              "no such channel");
        return;
    }

    if (cr.outcome == push::redis_outcome::ok) {
        info.messages = static_cast<uint32_t>(cr.count);
        info.last_seq = cr.last;
    }

    ngx_log_error(NGX_LOG_INFO, op->r->connection->log, 0,
                  "push: channel \"%V\" deleted on every server, %uD "
                  "subscribers here ended", &op->id, info.subscribers);

    ngx_push_share_answer(op, NGX_HTTP_OK, &info, nullptr);
}


/* A parked subscriber's channel is read: resolve when all are. */
static void
ngx_push_share_park_done(ngx_push_share_op_t *op)
{
    ngx_connection_t       *c;
    ngx_push_share_park_t  *park = op->park;

    if (--park->waiting > 0) {
        return;
    }

    c = park->sub->request->connection;
    park->resume(park->sub, park->have_cursor);
    ngx_http_run_posted_requests(c);
}


static void
ngx_push_share_fetched(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr)
{
    uint64_t             after, old_last, last_entry = 0;
    ngx_push_wake_t      wake = 0;
    ngx_push_zone_t     *zone = ngx_push_share_worker->zone;
    ngx_push_channel_t  *ch;

    ngx_push_stats_add(&zone->sh->stats.redis_fetches, 1);

    {
        ngx_push_shm_lock  lock(zone->shpool);

        ch = ngx_push_store_find_locked(zone, &op->id);

        if (cr.outcome != push::redis_outcome::ok) {
            /* never published to in this epoch: it starts at 0, as
             * Redis will start it */
            if (ch == nullptr) {
                ch = ngx_push_share_create_locked(zone, op, 0, 0);

            } else if (ch->subscribers == 0 && !ch->redis_live
                       && ngx_queue_empty(&ch->messages))
            {
                ngx_push_share_reset_locked(zone, ch, 0, 0);
            }

        } else {
            if (ch == nullptr) {
                ch = ngx_push_share_create_locked(zone, op, cr.base,
                                                  cr.base);

            } else if (ch->subscribers == 0 && !ch->redis_live
                       && (cr.base != ch->first_seq
                           || ch->last_seq > cr.last))
            {
                ngx_push_share_reset_locked(zone, ch, cr.base, cr.base);
            }
        }

        if (ch != nullptr && cr.outcome == push::redis_outcome::ok) {
            ngx_push_store_expire_locked(zone, ch);

            old_last = ch->last_seq;
            after = ngx_max(op->after, cr.base);

            (void) ngx_push_share_put_entries_locked(zone, ch, cr.extra, 0,
                                                     &last_entry, &wake);

            if (cr.last > ch->last_seq) {
                ch->last_seq = cr.last;
            }

            if (after <= old_last) {
                ch->redis_from = ngx_min(ch->redis_from, after);
            } else {
                ch->redis_from = after;
            }

            if (ch->redis_from < ch->first_seq) {
                ch->redis_from = ch->first_seq;
            }
        }
    }

    ngx_push_ipc_wake(wake, ngx_push_share_worker->log);

    ngx_push_share_park_done(op);
}


static void
ngx_push_share_caught(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr)
{
    uint64_t             last_entry = 0;
    ngx_uint_t           n = 0, more = 0, again = 0;
    ngx_push_wake_t      wake = 0;
    ngx_push_share_t    *share = ngx_push_share_worker;
    ngx_push_zone_t     *zone = share->zone;
    ngx_push_channel_t  *ch;

    {
        ngx_push_shm_lock  lock(zone->shpool);

        ch = ngx_push_store_find_locked(zone, &op->id);

        if (ch != nullptr && cr.outcome == push::redis_outcome::ok) {
            ngx_push_store_expire_locked(zone, ch);

            if (ch->last_seq > ch->first_seq && cr.base >= ch->last_seq) {
                /* deleted elsewhere while the announcement was missed:
                 * this life is over here too */
                wake = ngx_push_store_delete_locked(zone, ch);
                ch = nullptr;

            } else {
                if (cr.base > ch->first_seq) {
                    /* the copy held nothing of an earlier life */
                    ch->first_seq = cr.base;
                    if (ch->last_seq < cr.base) {
                        ch->last_seq = cr.base;
                    }
                }

                n = ngx_push_share_put_entries_locked(zone, ch, cr.extra, 1,
                                                      &last_entry, &wake);

                more = n >= op->limit && last_entry < cr.last;

                if (!more && cr.last > ch->last_seq) {
                    /* expired or trimmed in Redis: gone */
                    ch->last_seq = cr.last;
                }
            }
        }

        if (ch != nullptr && !more) {
            again = ch->redis_busy == 2;
            ch->redis_busy = 0;

            if (share->holder && ch->redis_sub
                && ngx_push_redis_is_subscribed(share->link, &op->keys_pubsub))
            {
                ch->redis_live = 1;
            }
        }

        if (op->first) {
            zone->sh->stats.redis_catchups++;
        }
    }

    ngx_push_ipc_wake(wake, share->log);

    if (more) {
        op->after = last_entry;
        op->first = 0;
        if (ngx_push_share_send(op) == NGX_OK) {
            return;
        }
        ngx_push_share_op_end(op);
        return;
    }

    if (again) {
        ngx_push_share_catch_up(&op->id);
    }

    ngx_free(op);
}


static void
ngx_push_share_handle(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr)
{
    switch (op->kind) {

    case ngx_push_share_kind::publish:
        ngx_push_share_published(op, cr);
        return;

    case ngx_push_share_kind::info:
        ngx_push_share_infoed(op, cr);
        return;

    case ngx_push_share_kind::del:
        ngx_push_share_deleted(op, cr);
        return;

    case ngx_push_share_kind::fetch:
        ngx_push_share_fetched(op, cr);
        return;

    default:
        ngx_push_share_caught(op, cr);
        return;
    }
}


static void
ngx_push_share_op_end(ngx_push_share_op_t *op)
{
    ngx_push_zone_t     *zone = ngx_push_share_worker->zone;
    ngx_push_channel_t  *ch;

    if (op->kind == ngx_push_share_kind::fetch) {
        ngx_push_share_park_done(op);
        return;
    }

    if (op->kind == ngx_push_share_kind::catchup) {
        {
            ngx_push_shm_lock  lock(zone->shpool);

            ch = ngx_push_store_find_locked(zone, &op->id);
            if (ch != nullptr) {
                ch->redis_busy = 0;
            }
        }

        /* not sent, or no answer: again when the link is back */
        ngx_push_share_worker->retry = 1;
        ngx_free(op);
    }
}


/* Reads what Redis holds after the copy's last seq into it.  One at a
 * time per channel: a trigger during one runs it once more after. */
static void
ngx_push_share_catch_up(const ngx_str_t *id)
{
    u_char               *p;
    time_t                ttl;
    size_t                size;
    uint64_t              after;
    ngx_uint_t            max;
    ngx_push_share_t     *share = ngx_push_share_worker;
    ngx_push_zone_t      *zone = share->zone;
    ngx_push_channel_t   *ch;
    ngx_push_share_op_t  *op;

    {
        ngx_push_shm_lock  lock(zone->shpool);

        ch = ngx_push_store_find_locked(zone, id);
        if (ch == nullptr) {
            return;
        }

        if (ch->redis_busy && ngx_time() - ch->redis_busy_at
                              < NGX_PUSH_SHARE_BUSY_MAX)
        {
            ch->redis_busy = 2;
            return;
        }

        ch->redis_busy = 1;
        ch->redis_busy_at = ngx_time();
        after = ch->last_seq;
        max = ch->max_messages;
        ttl = ch->ttl;
    }

    size = sizeof(ngx_push_share_op_t) + id->len
           + ngx_push_share_keys_size(id);

    op = static_cast<ngx_push_share_op_t *>(ngx_alloc(size, share->log));
    if (op == nullptr) {
        return;
    }

    *op = ngx_push_share_op_t();
    p = reinterpret_cast<u_char *>(op + 1);
    op->kind = ngx_push_share_kind::catchup;
    op->owned = 1;
    op->first = 1;
    op->id.data = p;
    op->id.len = id->len;
    p = ngx_cpymem(p, id->data, id->len);
    (void) ngx_push_share_keys(nullptr, p, id, &op->keys);
    op->keys_pubsub = ngx_push_share_str(op->keys.pubsub);
    op->after = after;
    op->limit = ngx_max(ngx_min(max, static_cast<ngx_uint_t>(
                                         NGX_PUSH_SHARE_BATCH)), 1);
    op->ttl_ms = static_cast<uint64_t>(ttl) * 1000;
    op->in.max_messages = max;
    op->in.ttl = ttl;

    if (ngx_push_share_send(op) != NGX_OK) {
        ngx_push_share_op_end(op);
    }
}


/* An op for a request, in its pool. */
static ngx_push_share_op_t *
ngx_push_share_op(ngx_http_request_t *r, ngx_push_share_kind kind,
    const ngx_str_t *id, ngx_uint_t max_messages, time_t ttl)
{
    ngx_push_share_op_t  *op;

    op = static_cast<ngx_push_share_op_t *>(
             ngx_pcalloc(r->pool, sizeof(ngx_push_share_op_t)));
    if (op == nullptr) {
        return nullptr;
    }

    op->kind = kind;
    op->r = r;
    op->id = *id;

    if (ngx_push_share_keys(r->pool, nullptr, id, &op->keys) != NGX_OK) {
        return nullptr;
    }

    op->keys_pubsub = ngx_push_share_str(op->keys.pubsub);
    op->in.channel = *id;
    op->in.max_messages = max_messages;
    op->in.ttl = ttl;
    op->ttl_ms = static_cast<uint64_t>(ttl > 0 ? ttl : 1) * 1000;

    return op;
}


static ngx_int_t
ngx_push_share_start(ngx_push_share_op_t *op, ngx_push_share_done_pt done)
{
    ngx_str_t  one = ngx_string("1");

    op->done = done;

    if (ngx_push_share_send(op) != NGX_OK) {
        ngx_push_share_t  *share = ngx_push_share_worker;

        if (!share->outage) {
            share->outage = 1;
            ngx_log_error(NGX_LOG_WARN, share->log, 0,
                          "push: redis %V cannot be used (not connected): "
                          "publishes are answered 503 until it can",
                          &share->conf->addr->name);
        }

        if (op->kind == ngx_push_share_kind::publish) {
            ngx_push_stats_add(&share->zone->sh->stats.redis_refused, 1);
        }

        (void) ngx_push_add_header(op->r, "Retry-After", &one);
        return ngx_push_reject(op->r, NGX_HTTP_SERVICE_UNAVAILABLE,
                               "redis is unreachable, try again later");
    }

    op->r->main->count++;

    return NGX_DONE;
}


ngx_int_t
ngx_push_share_publish(ngx_http_request_t *r, const ngx_push_publish_t *in,
    ngx_push_share_done_pt done)
{
    ngx_push_share_op_t  *op;

    op = ngx_push_share_op(r, ngx_push_share_kind::publish, &in->channel,
                           in->max_messages, in->ttl);
    if (op == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    op->in = *in;

    return ngx_push_share_start(op, done);
}


ngx_int_t
ngx_push_share_info(ngx_http_request_t *r, const ngx_str_t *id, time_t ttl,
    ngx_push_share_done_pt done)
{
    ngx_push_share_op_t  *op;

    op = ngx_push_share_op(r, ngx_push_share_kind::info, id, 1, ttl);
    if (op == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_push_share_start(op, done);
}


ngx_int_t
ngx_push_share_delete(ngx_http_request_t *r, const ngx_str_t *id, time_t ttl,
    ngx_push_share_done_pt done)
{
    ngx_push_share_op_t  *op;

    op = ngx_push_share_op(r, ngx_push_share_kind::del, id, 1, ttl);
    if (op == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_push_share_start(op, done);
}


ngx_int_t
ngx_push_share_park(ngx_push_sub_t *sub, ngx_int_t have_cursor,
    ngx_push_share_resume_pt resume)
{
    uint64_t                after[push::max_channels];
    ngx_uint_t              i, need[push::max_channels], cursor_ok;
    ngx_push_share_t       *share = ngx_push_share_worker;
    ngx_push_zone_t        *zone = sub->zone;
    ngx_push_channel_t     *ch;
    ngx_push_share_op_t    *op;
    ngx_push_share_park_t  *park;
    ngx_http_request_t     *r = sub->request;

    if (share == nullptr || zone != share->zone
        || !zone->sh->redis_epoch_ok)
    {
        return NGX_DECLINED;
    }

    {
        ngx_push_shm_lock  lock(zone->shpool);

        cursor_ok = have_cursor && sub->cursor.epoch == zone->sh->epoch;

        for (i = 0; i < sub->nchannels; i++) {
            ch = ngx_push_store_find_locked(zone, &sub->channels[i]);
            after[i] = cursor_ok ? sub->cursor.seq[i] : 0;

            need[i] = ch == nullptr || !ch->redis_live
                      || (cursor_ok && (after[i] < ch->redis_from
                                        || after[i] > ch->last_seq))
                      || (!cursor_ok
                          && sub->conf->first_message != NGX_PUSH_FIRST_NEWEST
                          && ch->redis_from > ch->first_seq);
        }
    }

    park = static_cast<ngx_push_share_park_t *>(
               ngx_pcalloc(r->pool, sizeof(ngx_push_share_park_t)));
    if (park == nullptr) {
        return NGX_DECLINED;
    }

    park->sub = sub;
    park->have_cursor = have_cursor;
    park->resume = resume;

    for (i = 0; i < sub->nchannels; i++) {
        if (!need[i]) {
            continue;
        }

        op = ngx_push_share_op(r, ngx_push_share_kind::fetch,
                               &sub->channels[i], sub->conf->message_buffer,
                               sub->conf->message_ttl);
        if (op == nullptr) {
            continue;
        }

        op->park = park;
        op->after = after[i];
        op->limit = ngx_max(ngx_min(sub->conf->message_buffer,
                                    static_cast<ngx_uint_t>(
                                        NGX_PUSH_SHARE_BATCH)), 1);
        op->in.max_channels = sub->conf->max_channels;

        park->waiting++;

        if (ngx_push_share_send(op) != NGX_OK) {
            park->waiting--;
        }
    }

    if (park->waiting == 0) {
        return NGX_DECLINED;
    }

    r->main->count++;

    return NGX_DONE;
}


void
ngx_push_share_joined(ngx_push_sub_t *sub)
{
    uint32_t            lease;
    ngx_uint_t          i, need = 0;
    ngx_push_share_t   *share = ngx_push_share_worker;
    ngx_push_zone_t    *zone = sub->zone;
    ngx_push_channel_t *ch;

    if (share == nullptr || zone != share->zone || !sub->joined) {
        return;
    }

    {
        ngx_push_shm_lock  lock(zone->shpool);

        for (i = 0; i < sub->nchannels; i++) {
            ch = ngx_push_store_find_locked(zone, &sub->channels[i]);
            if (ch != nullptr && !ch->redis_sub) {
                need = 1;
            }
        }

        if (need) {
            zone->sh->redis_scan = 1;
        }

        lease = zone->sh->redis_lease_slot;
    }

    if (!need) {
        return;
    }

    if (share->holder) {
        if (!share->scan.posted) {
            ngx_post_event(&share->scan, &ngx_posted_events);
        }

    } else if (lease < NGX_PUSH_MAX_SLOTS) {
        ngx_push_ipc_wake(static_cast<ngx_push_wake_t>(1) << lease,
                          share->log);
    }
}


void
ngx_push_share_woken(ngx_push_zone_t *zone, ngx_uint_t slot)
{
    ngx_push_share_t  *share = ngx_push_share_worker;

    ngx_push_local_drain(zone, slot);

    if (share != nullptr && share->holder && zone == share->zone
        && __atomic_load_n(&zone->sh->redis_scan, __ATOMIC_RELAXED))
    {
        ngx_push_share_scan();
    }
}


/* Lease holder: subscriptions follow the channels with subscribers. */
static void
ngx_push_share_scan(void)
{
    u_char              *p;
    size_t               size;
    time_t               now = ngx_time();
    ngx_str_t           *id, key;
    ngx_uint_t           i, want, pending;
    ngx_pool_t          *pool;
    ngx_array_t          subs, unsubs;
    ngx_queue_t         *q;
    ngx_push_share_t    *share = ngx_push_share_worker;
    ngx_push_zone_t     *zone = share->zone;
    ngx_push_channel_t  *ch, *cur;

    if (!share->holder) {
        return;
    }

    pool = ngx_create_pool(4096, share->log);
    if (pool == nullptr) {
        return;
    }

    if (ngx_array_init(&subs, pool, 8, sizeof(ngx_str_t)) != NGX_OK
        || ngx_array_init(&unsubs, pool, 8, sizeof(ngx_str_t)) != NGX_OK)
    {
        ngx_destroy_pool(pool);
        return;
    }

    {
        ngx_push_shm_lock  lock(zone->shpool);

        zone->sh->redis_scan = 0;
        pending = 0;

        for (q = ngx_queue_head(&zone->sh->channels);
             q != ngx_queue_sentinel(&zone->sh->channels);
             q = ngx_queue_next(q))
        {
            ch = ngx_queue_data(q, ngx_push_channel_t, lru);
            want = ch->subscribers > 0 && !ch->deleted;
            id = nullptr;

            if (want) {
                ch->redis_unsub_at = 0;
                if (!ch->redis_sub) {
                    ch->redis_sub = 1;
                    id = static_cast<ngx_str_t *>(ngx_array_push(&subs));
                }

            } else if (ch->redis_sub) {
                if (ch->deleted) {
                    key.data = ch->id;
                    key.len = ch->id_len;
                    cur = ngx_push_store_find_locked(zone, &key);
                    if (cur != nullptr) {
                        /* a new life of the id holds the subscription */
                        ch->redis_sub = 0;
                        ch->redis_live = 0;
                        continue;
                    }
                }

                if (ch->redis_unsub_at == 0) {
                    ch->redis_unsub_at = now + NGX_PUSH_SHARE_UNSUB_DELAY;
                    pending = 1;

                } else if (now < ch->redis_unsub_at) {
                    pending = 1;

                } else {
                    ch->redis_sub = 0;
                    ch->redis_live = 0;
                    ch->redis_unsub_at = 0;
                    id = static_cast<ngx_str_t *>(ngx_array_push(&unsubs));
                }
            }

            if (id != nullptr) {
                id->data = static_cast<u_char *>(ngx_pnalloc(pool,
                                                             ch->id_len));
                if (id->data == nullptr) {
                    id->len = 0;
                    continue;
                }
                id->len = ch->id_len;
                ngx_memcpy(id->data, ch->id, ch->id_len);
            }
        }

        /* a subscription to drop later: look again on a later tick */
        zone->sh->redis_scan |= pending;
    }

    for (i = 0; i < subs.nelts + unsubs.nelts; i++) {
        id = i < subs.nelts ? &static_cast<ngx_str_t *>(subs.elts)[i]
                            : &static_cast<ngx_str_t *>(unsubs.elts)[
                                  i - subs.nelts];
        if (id->len == 0) {
            continue;
        }

        size = push::redis_key_size(ngx_push_sv(share->conf->prefix),
                                    ngx_push_sv(*id), push::redis_key::pubsub);
        p = static_cast<u_char *>(ngx_pnalloc(pool, size));
        if (p == nullptr) {
            break;
        }

        key.data = p;
        key.len = push::redis_key_write(reinterpret_cast<char *>(p),
                                        ngx_push_sv(share->conf->prefix),
                                        ngx_push_sv(*id),
                                        push::redis_key::pubsub);

        if (i >= subs.nelts) {
            ngx_push_redis_unsubscribe(share->link, &key);
            continue;
        }

        (void) ngx_push_redis_subscribe(share->link, &key);

        if (ngx_push_redis_is_subscribed(share->link, &key)) {
            /* subscribed before (a new life of the id): confirmed */
            ngx_push_share_catch_up(id);
        }
    }

    ngx_destroy_pool(pool);
}


/* Lease holder: catches up again every subscribed channel that is not
 * live and has no catch-up under way (one failed, or could not be sent). */
static void
ngx_push_share_retry(void)
{
    ngx_str_t           *id;
    ngx_uint_t           i;
    ngx_pool_t          *pool;
    ngx_array_t          ids;
    ngx_queue_t         *q;
    ngx_push_share_t    *share = ngx_push_share_worker;
    ngx_push_zone_t     *zone = share->zone;
    ngx_push_channel_t  *ch;

    share->retry = 0;

    pool = ngx_create_pool(4096, share->log);
    if (pool == nullptr) {
        share->retry = 1;
        return;
    }

    if (ngx_array_init(&ids, pool, 8, sizeof(ngx_str_t)) != NGX_OK) {
        ngx_destroy_pool(pool);
        share->retry = 1;
        return;
    }

    {
        ngx_push_shm_lock  lock(zone->shpool);

        for (q = ngx_queue_head(&zone->sh->channels);
             q != ngx_queue_sentinel(&zone->sh->channels);
             q = ngx_queue_next(q))
        {
            ch = ngx_queue_data(q, ngx_push_channel_t, lru);

            if (!ch->redis_sub || ch->redis_live || ch->redis_busy
                || ch->deleted)
            {
                continue;
            }

            id = static_cast<ngx_str_t *>(ngx_array_push(&ids));
            if (id == nullptr) {
                share->retry = 1;
                break;
            }

            id->data = static_cast<u_char *>(ngx_pnalloc(pool, ch->id_len));
            if (id->data == nullptr) {
                id->len = 0;
                share->retry = 1;
                break;
            }
            id->len = ch->id_len;
            ngx_memcpy(id->data, ch->id, ch->id_len);
        }
    }

    for (i = 0; i < ids.nelts; i++) {
        id = &static_cast<ngx_str_t *>(ids.elts)[i];
        if (id->len) {
            ngx_push_share_catch_up(id);
        }
    }

    ngx_destroy_pool(pool);
}


static void
ngx_push_share_scan_handler(ngx_event_t *ev)
{
    ngx_push_share_scan();
}


/* The link's events (lease holder: all but command_ready). */

static void
ngx_push_share_on_message(void *data, ngx_push_redis_node_t *node,
    const ngx_str_t *channel, const ngx_str_t *payload)
{
    u_char               buf[1024];
    uint32_t             epoch;
    ngx_str_t            id;
    ngx_uint_t           catch_up = 0, unknown = 0;
    ngx_push_wake_t      wake = 0;
    ngx_push_share_t    *share = static_cast<ngx_push_share_t *>(data);
    ngx_push_zone_t     *zone = share->zone;
    ngx_push_channel_t  *ch;
    ngx_push_publish_t   in;
    push::redis_announce an;

    if (ngx_push_share_id_of(channel, buf, sizeof(buf), &id) != NGX_OK) {
        return;
    }

    if (push::redis_announce_parse(ngx_push_sv(*payload), an)
        != push::status::ok
        || ngx_push_share_parse_epoch(an.epoch, &epoch) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, share->log, 0,
                      "push: an announcement on %V that is not ours",
                      channel);
        return;
    }

    if (epoch != __atomic_load_n(&zone->sh->epoch, __ATOMIC_RELAXED)) {
        /* a server knows an epoch we do not: read the deployment's */
        (void) ngx_push_share_epoch_check(nullptr);
        return;
    }

    {
        ngx_push_shm_lock  lock(zone->shpool);

        ch = ngx_push_store_find_locked(zone, &id);

        if (ch == nullptr) {
            unknown = 1;

        } else if (an.kind == push::redis_announce_kind::del) {
            if (ch->last_seq <= an.seq) {
                wake = ngx_push_store_delete_locked(zone, ch);
            }

        } else if (an.seq <= ch->last_seq) {
            /* held already: this server's own publish, or a catch-up's */

        } else if (an.kind == push::redis_announce_kind::message
                   && an.seq == ch->last_seq + 1 && ch->redis_live
                   && !ch->redis_busy)
        {
            ngx_memzero(&in, sizeof(ngx_push_publish_t));
            in.channel = id;
            in.ctype = ngx_push_share_str(an.content_type);
            in.event = ngx_push_share_str(an.event);
            in.data = ngx_push_share_str(an.data);

            (void) ngx_push_store_put_locked(zone, ch, &in, an.seq,
                                             ngx_time(), &wake);

        } else {
            catch_up = 1;
        }
    }

    ngx_push_ipc_wake(wake, share->log);

    if (catch_up) {
        ngx_push_share_catch_up(&id);
    }

    if (unknown) {
        ngx_push_redis_unsubscribe(share->link, channel);
    }
}


static void
ngx_push_share_on_subscribed(void *data, ngx_push_redis_node_t *node,
    const ngx_str_t *channel)
{
    u_char             buf[1024];
    ngx_str_t          id;
    ngx_push_share_t  *share = static_cast<ngx_push_share_t *>(data);

    if (!share->holder
        || ngx_push_share_id_of(channel, buf, sizeof(buf), &id) != NGX_OK)
    {
        return;
    }

    /* from now on nothing is missed; what came before is read */
    ngx_push_share_catch_up(&id);
}


static void
ngx_push_share_on_lost(void *data, ngx_push_redis_node_t *node)
{
    ngx_queue_t         *q;
    ngx_push_share_t    *share = static_cast<ngx_push_share_t *>(data);
    ngx_push_zone_t     *zone = share->zone;
    ngx_push_channel_t  *ch;

    if (!share->holder) {
        return;
    }

    ngx_push_shm_lock  lock(zone->shpool);

    for (q = ngx_queue_head(&zone->sh->channels);
         q != ngx_queue_sentinel(&zone->sh->channels);
         q = ngx_queue_next(q))
    {
        ch = ngx_queue_data(q, ngx_push_channel_t, lru);
        ch->redis_live = 0;
    }
}


static void
ngx_push_share_on_resubscribed(void *data, ngx_push_redis_node_t *node)
{
    /* each confirmation caught its channel up already */
}


static void
ngx_push_share_on_command_ready(void *data, ngx_push_redis_node_t *node)
{
    auto  *share = static_cast<ngx_push_share_t *>(data);

    (void) ngx_push_share_epoch_check(nullptr);

    if (share->holder && share->retry) {
        ngx_push_share_retry();
    }
}


/* Every NGX_PUSH_SHARE_TICK: the lease, and for its holder the
 * subscriptions and the epoch. */
static void
ngx_push_share_tick(ngx_event_t *ev)
{
    uint32_t            cur;
    ngx_int_t           slot = ngx_push_ipc_slot();
    ngx_uint_t          was, valid;
    ngx_queue_t        *q;
    ngx_push_share_t   *share = static_cast<ngx_push_share_t *>(ev->data);
    ngx_push_zone_t    *zone = share->zone;
    ngx_push_shctx_t   *sh = zone->sh;
    ngx_push_channel_t *ch;

    was = share->holder;

    if (slot >= 0) {
        ngx_push_shm_lock  lock(zone->shpool);

        cur = sh->redis_lease_slot;
        valid = cur < NGX_PUSH_MAX_SLOTS
                && sh->slots[cur].pid == sh->redis_lease_pid
                && sh->slots[cur].start == sh->redis_lease_start
                && ngx_push_slot_alive(&sh->slots[cur]);

        if (ngx_exiting) {
            if (valid && cur == static_cast<uint32_t>(slot)
                && sh->redis_lease_pid == ngx_pid)
            {
                /* a worker that is leaving hands the lease on */
                sh->redis_lease_slot = NGX_PUSH_MAX_SLOTS;
            }

        } else if (!valid) {
            sh->redis_lease_slot = static_cast<uint32_t>(slot);
            sh->redis_lease_pid = ngx_pid;
            sh->redis_lease_start = sh->slots[slot].start;
            sh->redis_scan = 1;

            /* the subscriptions of the holder before are gone with it */
            for (q = ngx_queue_head(&sh->channels);
                 q != ngx_queue_sentinel(&sh->channels);
                 q = ngx_queue_next(q))
            {
                ch = ngx_queue_data(q, ngx_push_channel_t, lru);
                ch->redis_sub = 0;
                ch->redis_live = 0;
                ch->redis_unsub_at = 0;
            }
        }

        share->holder = !ngx_exiting
                        && sh->redis_lease_slot == static_cast<uint32_t>(slot)
                        && sh->redis_lease_pid == ngx_pid;
    }

    if (share->holder && !was) {
        ngx_log_error(NGX_LOG_INFO, share->log, 0,
                      "push: this worker holds the server's redis "
                      "subscriptions");
    }

    if (share->holder
        && __atomic_load_n(&sh->redis_scan, __ATOMIC_RELAXED))
    {
        /* only after a change: a subscriber came or went, the lease
         * changed hands, or a subscription waits to be dropped */
        ngx_push_share_scan();
    }

    if (share->holder) {

        if (ngx_current_msec - share->epoch_at >= share->conf->ping_interval)
        {
            share->epoch_at = ngx_current_msec;
            (void) ngx_push_share_epoch_check(nullptr);
        }
    }

    if (!ngx_exiting && !ngx_quit && !ngx_terminate) {
        ngx_add_timer(&share->tick, NGX_PUSH_SHARE_TICK);
    }
}


ngx_int_t
ngx_push_share_init(ngx_cycle_t *cycle, const ngx_push_redis_conf_t *conf,
    ngx_push_zone_t *zone)
{
    size_t                  i, n;
    u_char                  md[SHA_DIGEST_LENGTH];
    u_char                 *p;
    std::string_view        text;
    ngx_push_share_t       *share;
    ngx_push_redis_link_t  *link = ngx_push_redis_link();
    ngx_push_redis_owner_t  owner;

    if (link == nullptr || zone == nullptr) {
        return NGX_OK;
    }

    share = static_cast<ngx_push_share_t *>(
                ngx_pcalloc(cycle->pool, sizeof(ngx_push_share_t)));
    if (share == nullptr) {
        return NGX_ERROR;
    }

    share->conf = conf;
    share->link = link;
    share->zone = zone;
    share->log = cycle->log;

    for (i = 0; i < push::redis_scripts; i++) {
        text = push::redis_script_text(static_cast<push::redis_script>(i));
        SHA1(reinterpret_cast<const unsigned char *>(text.data()),
             text.size(), md);
        ngx_hex_dump(reinterpret_cast<u_char *>(share->sha[i]), md,
                     SHA_DIGEST_LENGTH);
        share->sha[i][40] = '\0';
    }

    /* "{<p>:}:pubsub" less its tail: how every channel's key starts */
    n = push::redis_key_size(ngx_push_sv(conf->prefix), "",
                             push::redis_key::pubsub);
    p = static_cast<u_char *>(ngx_pnalloc(cycle->pool, n));
    if (p == nullptr) {
        return NGX_ERROR;
    }
    n = push::redis_key_write(reinterpret_cast<char *>(p),
                              ngx_push_sv(conf->prefix), "",
                              push::redis_key::pubsub);
    share->head.data = p;
    share->head.len = n - (sizeof("}:pubsub") - 1);

    n = push::redis_epoch_key_size(ngx_push_sv(conf->prefix));
    p = static_cast<u_char *>(ngx_pnalloc(cycle->pool, n));
    if (p == nullptr) {
        return NGX_ERROR;
    }
    share->epoch_key.data = p;
    share->epoch_key.len = push::redis_epoch_key_write(
                               reinterpret_cast<char *>(p),
                               ngx_push_sv(conf->prefix));

    share->tick.handler = ngx_push_share_tick;
    share->tick.data = share;
    share->tick.log = cycle->log;
    share->tick.cancelable = 1;

    share->scan.handler = ngx_push_share_scan_handler;
    share->scan.data = share;
    share->scan.log = cycle->log;

    owner.data = share;
    owner.message = ngx_push_share_on_message;
    owner.resubscribed = ngx_push_share_on_resubscribed;
    owner.subscribed = ngx_push_share_on_subscribed;
    owner.lost = ngx_push_share_on_lost;
    owner.command_ready = ngx_push_share_on_command_ready;
    ngx_push_redis_link_set_owner(link, &owner);

    ngx_push_share_worker = share;

    ngx_add_timer(&share->tick, 1);

    return NGX_OK;
}


void
ngx_push_share_exit(ngx_cycle_t *cycle)
{
    ngx_int_t          slot = ngx_push_ipc_slot();
    ngx_push_share_t  *share = ngx_push_share_worker;

    if (share == nullptr) {
        return;
    }

    ngx_push_share_worker = nullptr;

    if (share->tick.timer_set) {
        ngx_del_timer(&share->tick);
    }

    if (share->scan.posted) {
        ngx_delete_posted_event(&share->scan);
    }

    if (slot >= 0) {
        ngx_push_shm_lock  lock(share->zone->shpool);

        if (share->zone->sh->redis_lease_slot == static_cast<uint32_t>(slot)
            && share->zone->sh->redis_lease_pid == ngx_pid)
        {
            share->zone->sh->redis_lease_slot = NGX_PUSH_MAX_SLOTS;
        }
    }
}
