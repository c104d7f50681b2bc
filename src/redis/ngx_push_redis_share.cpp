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
 *   the server, and unsubscribes NGX_PUSH_SHARE_UNSUB_DELAY seconds after
 *   the last left.  It looks only at channels that changed: one whose
 *   server-wide subscribers go 0 -> 1 or 1 -> 0, or that is deleted, is
 *   queued in sh->redis_todo (by whichever worker changed it, which wakes
 *   the holder for a 0 -> 1); those waiting out the delay sit in
 *   sh->redis_drop, oldest first.  A new holder walks every channel once.
 *   What the subscription connection cannot queue now goes back to the
 *   queues for a later tick.
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
 *   this server does not follow, a cursor below ch->redis_from or past
 *   last_seq, or at last_seq of a copy that is not live) waits while the
 *   history after its cursor is read into the zone, then is resolved as
 *   on one server.  A cursor with messages after it in a followed copy
 *   is served from the copy at once, live or not: a slow Redis never
 *   holds up what is local.  Readers of one channel in one worker share
 *   a read in flight that covers their cursors (share->reads), so a crowd
 *   arriving with one cursor makes one read, and a copy read just now
 *   answers as a live one for NGX_PUSH_SHARE_FRESH.  With Redis
 *   unreachable it is resolved against the copy at once.
 *
 * A catch-up that could not be sent or was not answered is tried again by
 *   the lease holder when its command connection is ready, and on ticks.
 *
 * Files: this one (requests, script calls and replies, setup), and
 *   ngx_push_redis_epoch.cpp (the epoch, key names read back),
 *   ngx_push_redis_copy.cpp (replies into the zone: publish, info, delete,
 *   catch-up, parking), ngx_push_redis_lease.cpp (the lease, subscriptions,
 *   announcements, ticks); ngx_push_redis_share_int.h between them.
 *
 * Objects: the share is per worker (cycle pool); an op is one command and
 * its continuation: in the request's pool for a request (the request is
 * counted once more until the op answers it), ngx_alloc'ed for a
 * catch-up and, inside its read, for a fetch.  Every op's handler is called once: by the reply, or by the
 * link failing it; none is cancelled. */
#include "ngx_push_redis_share_int.h"
#include "ngx_push_http.h"
#include "ngx_push_ipc.h"
#include "push_idempotency.h"
#include "push_redis_key.h"

#include <openssl/rand.h>
#include <openssl/sha.h>


/* Plain data: this worker's share, or nullptr. */
ngx_push_share_t  *ngx_push_share_worker;


ngx_uint_t
ngx_push_share_on(void)
{
    return ngx_push_share_worker != nullptr;
}


/* The three keys of a channel, written into the pool's memory (or into
 * buf when it is given, sized by ngx_push_share_keys_size). */
size_t
ngx_push_share_keys_size(const ngx_str_t *id)
{
    return push::redis_channel_keys_size(
               ngx_push_sv(ngx_push_share_worker->conf->prefix),
               ngx_push_sv(*id));
}


ngx_int_t
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
    keys->epoch = ngx_push_sv(ngx_push_share_worker->epoch_key);

    return NGX_OK;
}


ngx_str_t
ngx_push_share_str(std::string_view sv)
{
    ngx_str_t  s;

    s.data = reinterpret_cast<u_char *>(const_cast<char *>(sv.data()));
    s.len = sv.size();

    return s;
}


void
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


/* Idempotency-Key: "<key>" on a publish's answer. */
ngx_int_t
ngx_push_share_idem_header(ngx_push_share_op_t *op)
{
    u_char     *p;
    ngx_str_t   v;

    p = static_cast<u_char *>(ngx_pnalloc(op->r->pool, op->idem.len + 2));
    if (p == nullptr) {
        return NGX_ERROR;
    }

    v.data = p;
    *p++ = '"';
    p = ngx_cpymem(p, op->idem.data, op->idem.len);
    *p++ = '"';
    v.len = p - v.data;

    return ngx_push_add_header(op->r, "Idempotency-Key", &v) ? NGX_OK
                                                             : NGX_ERROR;
}


void
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

        if (op->sent && op->kind == ngx_push_share_kind::publish) {
            /* a script sent and not answered may still run (a Redis
             * that stalled reads it when it resumes): its key, sent back,
             * makes the retry find it instead of storing it twice */
            if (ngx_push_share_idem_header(op) == NGX_OK) {
                ngx_push_share_answer(op, NGX_HTTP_SERVICE_UNAVAILABLE,
                                      nullptr,
                                      "redis did not answer, the publish "
                                      "may have been done there: send it "
                                      "again with this answer's "
                                      "Idempotency-Key");
                return;
            }
        }

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

    ngx_memcpy(op->sent_epoch, epoch, 8);

    switch (op->kind) {

    case ngx_push_share_kind::publish: {
        uint64_t                  need = 1;
        ngx_push_channel_t       *ch;
        push::redis_publish_args  a;

        {
            /* 201 when a subscriber here or on another server gets it:
             * Redis counts the receivers, this server's subscription
             * being one of them; the script records the status with the
             * key, so that a repeat answers the same */
            ngx_push_shm_lock  lock(share->zone->shpool);

            ch = ngx_push_store_find_locked(share->zone, &op->id);
            if (ch != nullptr) {
                need = ch->subscribers ? 0 : 1 + (ch->redis_sub ? 1 : 0);
            }
        }

        ref.which = push::redis_script::publish;
        a.need = need;
        a.idem_key = ngx_push_sv(op->idem_key);
        a.idem_ttl_ms = share->conf->idempotency_ttl;
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
void
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
                      "push: redis %V can be used again",
                      &share->conf->addr->name);
    }

    if (cr.outcome == push::redis_outcome::stale) {
        /* Redis's epoch key is gone (FLUSHALL, a restart without data)
         * or another: nothing was done; the epoch procedure, then the
         * publish again under the epoch it leaves.  A read (history,
         * info, delete) is of the epoch it was sent under: when that
         * epoch is gone, it has no channel in the new one (none) */
        if (op->kind == ngx_push_share_kind::publish) {
            op->meta_epoch[0] = '\0';
        } else {
            ngx_memcpy(op->meta_epoch, op->sent_epoch, 8);
        }

        if (op->tries++ < 3 && ngx_push_share_epoch_check(op) == NGX_OK) {
            return;
        }
        ngx_push_share_failed(op, "the epoch does not settle");
        return;
    }

    if (cr.outcome == push::redis_outcome::reused) {
        if (op->kind == ngx_push_share_kind::publish) {
            /* the draft's answer to a key reused for another payload;
             * nginx 1.22 has no reason phrase for 422 */
            ngx_str_set(&op->r->headers_out.status_line,
                        "422 Unprocessable Content");
            ngx_push_share_answer(op, 422, nullptr,
                                  "Idempotency-Key already used for "
                                  "another message");
            return;
        }
        ngx_push_share_failed(op, "a script answered in an unknown form");
        return;
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


void
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


void
ngx_push_share_op_end(ngx_push_share_op_t *op)
{
    ngx_push_zone_t     *zone = ngx_push_share_worker->zone;
    ngx_push_channel_t  *ch;

    if (op->kind == ngx_push_share_kind::fetch) {
        /* its subscribers are resolved against the copy as it is */
        ngx_push_share_read_done(op->read);
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


/* An op for a request, in its pool. */
ngx_push_share_op_t *
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


ngx_int_t
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
    const ngx_str_t *idem, ngx_push_share_done_pt done)
{
    size_t                n;
    u_char               *p;
    unsigned char         rnd[16];
    ngx_push_share_op_t  *op;
    ngx_push_share_t     *share = ngx_push_share_worker;

    op = ngx_push_share_op(r, ngx_push_share_kind::publish, &in->channel,
                           in->max_messages, in->ttl);
    if (op == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    op->in = *in;

    if (idem != nullptr) {
        op->idem = *idem;

    } else {
        p = static_cast<u_char *>(
                ngx_pnalloc(r->pool, push::idempotency_key_made));
        if (p == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "push: RAND_bytes() failed for an "
                          "Idempotency-Key");
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        push::idempotency_key_make(rnd, reinterpret_cast<char *>(p));
        op->idem.data = p;
        op->idem.len = push::idempotency_key_made;
    }

    n = push::redis_idem_key_size(ngx_push_sv(share->conf->prefix),
                                  ngx_push_sv(in->channel),
                                  ngx_push_sv(op->idem));
    p = static_cast<u_char *>(ngx_pnalloc(r->pool, n));
    if (p == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    op->idem_key.data = p;
    op->idem_key.len = push::redis_idem_key_write(
                           reinterpret_cast<char *>(p),
                           ngx_push_sv(share->conf->prefix),
                           ngx_push_sv(in->channel), ngx_push_sv(op->idem));

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

    ngx_rbtree_init(&share->reads, &share->reads_sentinel,
                    ngx_str_rbtree_insert_value);

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

