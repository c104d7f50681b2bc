/* Redis channel sharing: what Redis answers, into the zone's copy of a
 * channel: publishes, info, deletes, catch-ups, parked subscribers. */
#include "ngx_push_redis_share_int.h"
#include "ngx_push_http.h"
#include "ngx_push_ipc.h"
#include "ngx_push_subscriber.h"


/* The local copy starts over at Redis's view: base, and nothing held up
 * to last. */
void
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


/* The copy takes the channel's cap and TTL that Redis holds (those its
 * last publish set, on whichever server): not the reading location's.
 * 0: Redis has none (a meta older than them), the copy keeps its own. */
void
ngx_push_share_cap_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch,
    uint64_t cap, uint64_t ttl_ms)
{
    ngx_uint_t  changed = 0;

    if (cap != 0) {
        cap = ngx_min(cap, static_cast<uint64_t>(NGX_PUSH_SHARE_CAP_MAX));
        if (ch->max_messages != cap) {
            ch->max_messages = static_cast<uint32_t>(cap);
            changed = 1;
        }
    }

    if (ttl_ms != 0) {
        ttl_ms = ngx_max((ttl_ms + 999) / 1000, static_cast<uint64_t>(1));
        ttl_ms = ngx_min(ttl_ms, static_cast<uint64_t>(UINT32_MAX));
        if (ch->ttl != ttl_ms) {
            ch->ttl = static_cast<uint32_t>(ttl_ms);
            changed = 1;
        }
    }

    if (changed) {
        ngx_push_store_expire_locked(zone, ch);
    }
}


/* A copy made from what Redis said. */
ngx_push_channel_t *
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
ngx_uint_t
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


/* Whether the copy holds a message at seq that is not in: the same seq
 * for another message means Redis went back.  Not held: cannot tell. */
ngx_uint_t
ngx_push_share_other_locked(ngx_pool_t *pool, ngx_push_channel_t *ch,
    uint64_t seq, const ngx_push_publish_t *in)
{
    u_char          *p;
    ngx_queue_t     *q;
    ngx_push_msg_t  *m;

    for (q = ngx_queue_last(&ch->messages);
         q != ngx_queue_sentinel(&ch->messages);
         q = ngx_queue_prev(q))
    {
        m = ngx_queue_data(q, ngx_push_msg_t, queue);

        if (m->seq > seq) {
            continue;
        }

        if (m->seq < seq) {
            return 0;
        }

        if (m->len != in->data.len || m->ctype_len != in->ctype.len
            || m->event_len != in->event.len)
        {
            return 1;
        }

        p = static_cast<u_char *>(ngx_pnalloc(pool, m->ctype_len
                                                   + m->event_len + m->len));
        if (p == nullptr) {
            return 0;
        }

        ngx_push_store_copy_payload(m, p);

        return ngx_memcmp(p, in->ctype.data, in->ctype.len) != 0
               || ngx_memcmp(p + in->ctype.len, in->event.data,
                             in->event.len) != 0
               || ngx_memcmp(p + in->ctype.len + in->event.len,
                             in->data.data, in->data.len) != 0;
    }

    return 0;
}


/* A publish whose Idempotency-Key Redis knew: nothing was stored; the
 * answer is the first one's (its seq and status), marked as a repeat.  The
 * copy is left as it is: the message reached it by its announcement, or is
 * read from Redis when a cursor needs it. */
static void
ngx_push_share_repeated(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr, const push::redis_publish_extra &x)
{
    ngx_str_t                yes = ngx_string("true");
    ngx_push_zone_t         *zone = ngx_push_share_worker->zone;
    ngx_push_channel_t      *ch;
    ngx_push_channel_info_t  info;

    ngx_memzero(&info, sizeof(ngx_push_channel_info_t));

    {
        ngx_push_shm_lock  lock(zone->shpool);

        ch = ngx_push_store_find_locked(zone, &op->id);
        if (ch != nullptr) {
            ngx_push_store_channel_info_locked(zone, ch, &info);
        }

        info.epoch = zone->sh->epoch;
    }

    info.last_seq = x.seq;
    info.messages = static_cast<uint32_t>(cr.count);

    ngx_log_error(NGX_LOG_INFO, op->r->connection->log, 0,
                  "push: a publish to \"%V\" repeats Idempotency-Key "
                  "\"%V\": answered as the first, seq %uL",
                  &op->id, &op->idem, x.seq);

    (void) ngx_push_add_header(op->r, "Idempotent-Replayed", &yes);
    ngx_push_share_answer(op, x.status, &info, nullptr);
}


void
ngx_push_share_published(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr)
{
    uint64_t                   seq = cr.last;
    ngx_uint_t                 catch_up = 0, lost = 0;
    ngx_push_wake_t            wake = 0;
    ngx_push_zone_t           *zone = ngx_push_share_worker->zone;
    ngx_push_channel_t        *ch;
    ngx_push_channel_info_t    info;
    push::redis_publish_extra  x;

    if (cr.outcome != push::redis_outcome::ok
        || push::redis_publish_extra_parse(cr, x) != push::status::ok)
    {
        ngx_push_share_failed(op, "the publish script made no message");
        return;
    }

    if (x.repeat) {
        ngx_push_share_repeated(op, cr, x);
        return;
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

            if (seq <= ch->last_seq
                && ngx_push_share_other_locked(op->r->pool, ch, seq,
                                               &op->in))
            {
                /* Redis gave a seq this copy holds another message
                 * under: it lost its data (FLUSHALL, a restart without
                 * it) and the next epoch check has not come yet */
                lost = 1;
                goto done;
            }

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
        }

    done:

        info.epoch = zone->sh->epoch;
    }

    if (lost) {
        ngx_log_error(NGX_LOG_WARN, op->r->connection->log, 0,
                      "push: redis gave \"%V\" seq %uL again: it lost "
                      "its data, a new epoch is made", &op->id, seq);

        /* the epoch is made anew, then the message is published again
         * over the orphan it made (see push_redis_scripts.h) */
        op->meta_epoch[0] = '\0';
        if (op->tries++ < 3 && ngx_push_share_epoch_check(op) == NGX_OK) {
            return;
        }
        ngx_push_share_failed(op, "redis lost its data");
        return;
    }

    ngx_push_ipc_wake(wake, ngx_push_share_worker->log);

    if (catch_up) {
        ngx_push_share_catch_up(&op->id);
    }

    info.last_seq = seq;
    info.messages = static_cast<uint32_t>(cr.count);

    /* the status the script decided and recorded with the key (see
     * ngx_push_share_send), so that a repeat is answered the same */
    ngx_push_share_answer(op, x.status, &info, nullptr);
}


void
ngx_push_share_infoed(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr)
{
    ngx_push_zone_t         *zone = ngx_push_share_worker->zone;
    ngx_push_channel_t      *ch;
    ngx_push_channel_info_t  info;

    ngx_memzero(&info, sizeof(ngx_push_channel_info_t));

    if (cr.outcome != push::redis_outcome::ok || cr.last == cr.base) {
        /* never published to, or deleted and not published to since
         * (the meta stays as the floor): as on one server, a channel
         * with no message is there while subscribers here wait on it,
         * and unknown otherwise */
        {
            ngx_push_shm_lock  lock(zone->shpool);

            ch = ngx_push_store_find_locked(zone, &op->id);
            if (ch != nullptr && ch->subscribers > 0) {
                info.subscribers = ch->subscribers;
                info.last_seq = cr.outcome == push::redis_outcome::ok
                                ? cr.last : 0;
                info.active = ngx_time();
            }
            info.epoch = zone->sh->epoch;
        }

        if (info.subscribers == 0) {
            ngx_push_share_answer(op, NGX_HTTP_NOT_FOUND, nullptr,
                                  "no such channel");
            return;
        }

        ngx_push_share_answer(op, NGX_HTTP_OK, &info, nullptr);
        return;
    }

    {
        ngx_push_shm_lock  lock(zone->shpool);

        ch = ngx_push_store_find_locked(zone, &op->id);
        if (ch != nullptr) {
            ngx_push_share_cap_locked(zone, ch, cr.cap, cr.ttl_ms);
        }
        info.subscribers = ch ? ch->subscribers : 0;
        info.epoch = zone->sh->epoch;
    }

    info.messages = static_cast<uint32_t>(cr.count);
    info.last_seq = cr.last;
    info.oldest_seq = cr.count ? cr.first : 0;
    info.active = ngx_time();

    ngx_push_share_answer(op, NGX_HTTP_OK, &info, nullptr);
}


void
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
ngx_push_share_park_done(ngx_push_share_park_t *park)
{
    ngx_connection_t  *c;

    if (--park->waiting > 0) {
        return;
    }

    c = park->sub->request->connection;
    park->resume(park->sub, park->have_cursor);
    ngx_http_run_posted_requests(c);
}


/* A read answered or failed: no newcomer joins it now; each of its
 * waiters is told, taken off first (a resumed request may end, with its
 * pool), then the read goes. */
void
ngx_push_share_read_done(ngx_push_share_read_t *read)
{
    ngx_queue_t            *q;
    ngx_push_share_wait_t  *w;
    ngx_push_share_t       *share = ngx_push_share_worker;

    if (read->indexed) {
        ngx_rbtree_delete(&share->reads, &read->sn.node);
        read->indexed = 0;
    }

    while (!ngx_queue_empty(&read->waiters)) {
        q = ngx_queue_head(&read->waiters);
        ngx_queue_remove(q);
        w = ngx_queue_data(q, ngx_push_share_wait_t, queue);
        ngx_push_share_park_done(w->park);
    }

    ngx_free(read);
}


void
ngx_push_share_fetched(ngx_push_share_op_t *op,
    const push::redis_channel_reply &cr)
{
    uint64_t             after, old_last, last_entry = 0;
    ngx_uint_t           n, more = 0;
    ngx_push_wake_t      wake = 0;
    ngx_push_zone_t     *zone = ngx_push_share_worker->zone;
    ngx_push_channel_t  *ch;

    if (op->first) {
        ngx_push_stats_add(&zone->sh->stats.redis_fetches, 1);
    }

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
            ngx_push_share_cap_locked(zone, ch, cr.cap, cr.ttl_ms);
            ngx_push_store_expire_locked(zone, ch);

            old_last = ch->last_seq;
            after = ngx_max(op->after, cr.base);

            n = ngx_push_share_put_entries_locked(zone, ch, cr.extra, 0,
                                                  &last_entry, &wake);

            /* the channel's cap may be above a batch: the rest is read
             * before the copy says it holds up to Redis's last */
            more = n >= op->limit && last_entry < cr.last;

            if (!more && cr.last > ch->last_seq) {
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

        if (ch != nullptr) {
            /* as Redis has it now: later cursors are answered here until
             * the subscription is live (it catches up what comes after);
             * not yet between batches */
            ch->redis_read_at = more ? 0
                                : ngx_current_msec ? ngx_current_msec : 1;
        }
    }

    ngx_push_ipc_wake(wake, ngx_push_share_worker->log);

    if (more) {
        op->after = last_entry;
        op->first = 0;
        if (ngx_push_share_send(op) == NGX_OK) {
            return;
        }
        /* its subscribers are resolved against the copy as it is: it
         * holds, without a hole, up to what was read */
    }

    ngx_push_share_read_done(op->read);
}


void
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
            ngx_push_share_cap_locked(zone, ch, cr.cap, cr.ttl_ms);
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


/* An op of a worker's own (not a request's), kind, for channel id: the
 * id and the channel's keys are laid out in buf, which the caller
 * allocated after the op (id->len + ngx_push_share_keys_size(id)). */
static void
ngx_push_share_op_name(ngx_push_share_op_t *op, ngx_push_share_kind kind,
    u_char *buf, const ngx_str_t *id)
{
    op->kind = kind;
    op->owned = 1;
    op->first = 1;
    op->id.data = buf;
    op->id.len = id->len;
    buf = ngx_cpymem(buf, id->data, id->len);
    (void) ngx_push_share_keys(nullptr, buf, id, &op->keys);
    op->keys_pubsub = ngx_push_share_str(op->keys.pubsub);
}


/* Reads what Redis holds after the copy's last seq into it.  One at a
 * time per channel: a trigger during one runs it once more after. */
void
ngx_push_share_catch_up(const ngx_str_t *id)
{
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
    ngx_push_share_op_name(op, ngx_push_share_kind::catchup,
                           reinterpret_cast<u_char *>(op + 1), id);
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


/* A read of a channel's history after a cursor, sent and indexed as the
 * one newcomers of the channel join (one indexed before, at a later
 * cursor, stays in flight for its waiters). */
static ngx_push_share_read_t *
ngx_push_share_read(ngx_push_sub_t *sub, const ngx_str_t *id,
    uint32_t hash, uint64_t after, ngx_uint_t limit)
{
    size_t                  size;
    ngx_str_node_t         *node;
    ngx_push_share_t       *share = ngx_push_share_worker;
    ngx_push_share_op_t    *op;
    ngx_push_share_read_t  *read, *old;

    size = sizeof(ngx_push_share_read_t) + id->len
           + ngx_push_share_keys_size(id);

    read = static_cast<ngx_push_share_read_t *>(ngx_alloc(size, share->log));
    if (read == nullptr) {
        return nullptr;
    }

    *read = ngx_push_share_read_t();
    ngx_queue_init(&read->waiters);

    op = &read->op;
    ngx_push_share_op_name(op, ngx_push_share_kind::fetch,
                           reinterpret_cast<u_char *>(read + 1), id);
    op->read = read;
    op->in.channel = op->id;
    op->in.max_messages = sub->conf->message_buffer;
    op->in.ttl = sub->conf->message_ttl;
    op->in.max_channels = sub->conf->max_channels;
    op->ttl_ms = static_cast<uint64_t>(sub->conf->message_ttl > 0
                                       ? sub->conf->message_ttl : 1) * 1000;
    op->after = after;
    op->limit = limit;

    if (ngx_push_share_send(op) != NGX_OK) {
        ngx_free(read);
        return nullptr;
    }

    node = ngx_str_rbtree_lookup(&share->reads, const_cast<ngx_str_t *>(id),
                                 hash);
    if (node != nullptr) {
        old = reinterpret_cast<ngx_push_share_read_t *>(node);
        ngx_rbtree_delete(&share->reads, &old->sn.node);
        old->indexed = 0;
    }

    read->sn.node.key = hash;
    read->sn.str = op->id;
    ngx_rbtree_insert(&share->reads, &read->sn.node);
    read->indexed = 1;

    return read;
}


ngx_int_t
ngx_push_share_park(ngx_push_sub_t *sub, ngx_int_t have_cursor,
    ngx_push_share_resume_pt resume)
{
    uint32_t                hash;
    uint64_t                after[push::max_channels];
    ngx_uint_t              i, need[push::max_channels], cursor_ok, limit;
    ngx_uint_t              fresh;
    ngx_push_share_t       *share = ngx_push_share_worker;
    ngx_push_zone_t        *zone = sub->zone;
    ngx_push_channel_t     *ch;
    ngx_push_share_wait_t  *w;
    ngx_push_share_read_t  *read;
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

            /* A copy this server follows (subscribed) but that is not
             * live (its subscription being made again, a catch-up under
             * way, Redis slow or stalled) still holds, in order and
             * without a hole, what it has from redis_from to last_seq:
             * a cursor in there is served from it now, and what follows
             * comes with the catch-up, as announcements do.  A cursor
             * the copy has nothing after waits for Redis (the newest may
             * be there), and so does any cursor on a copy nobody here
             * follows: it may be of a life Redis has ended.  A copy read
             * just now for another cursor (in any worker) counts as live
             * for NGX_PUSH_SHARE_FRESH. */
            fresh = ch != nullptr
                    && (ch->redis_live
                        || (ch->redis_read_at != 0
                            && ngx_current_msec - ch->redis_read_at
                               < NGX_PUSH_SHARE_FRESH));

            need[i] = ch == nullptr
                      || (!fresh && !ch->redis_sub)
                      || (cursor_ok && (after[i] < ch->redis_from
                                        || after[i] > ch->last_seq
                                        || (!fresh
                                            && after[i] == ch->last_seq)))
                      || (!cursor_ok
                          && (!fresh
                              || (sub->conf->first_message
                                  != NGX_PUSH_FIRST_NEWEST
                                  && ch->redis_from > ch->first_seq)));
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

    /* not the location's buffer: the channel's cap (Redis's) decides
     * what is kept, and may be larger; a read goes on in batches */
    limit = NGX_PUSH_SHARE_BATCH;

    for (i = 0; i < sub->nchannels; i++) {
        if (!need[i]) {
            continue;
        }

        w = static_cast<ngx_push_share_wait_t *>(
                ngx_palloc(r->pool, sizeof(ngx_push_share_wait_t)));
        if (w == nullptr) {
            continue;
        }

        hash = ngx_crc32_long(sub->channels[i].data, sub->channels[i].len);
        read = reinterpret_cast<ngx_push_share_read_t *>(
                   ngx_str_rbtree_lookup(&share->reads, &sub->channels[i],
                                         hash));

        if (read == nullptr || read->op.after > after[i]
            || read->op.limit != limit
            || read->op.in.max_messages != sub->conf->message_buffer
            || read->op.in.ttl != sub->conf->message_ttl)
        {
            read = ngx_push_share_read(sub, &sub->channels[i], hash,
                                       after[i], limit);
            if (read == nullptr) {
                continue;
            }
        }

        w->park = park;
        ngx_queue_insert_tail(&read->waiters, &w->queue);
        park->waiting++;
    }

    if (park->waiting == 0) {
        return NGX_DECLINED;
    }

    r->main->count++;

    return NGX_DONE;
}


/* Lease holder: catches up again every subscribed channel that is not
 * live and has no catch-up under way (one failed, or could not be sent). */
void
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
