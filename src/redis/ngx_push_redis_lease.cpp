/* Redis channel sharing: the worker that holds the server's
 * subscriptions (the lease), its announcements and its ticks. */
#include "ngx_push_redis_share_int.h"
#include "ngx_push_ipc.h"
#include "ngx_push_subscriber.h"
#include "push_redis_key.h"


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


/* Lease holder: subscriptions follow the channels with subscribers.  It
 * looks only at the channels that changed (sh->redis_todo) and at those
 * whose unsubscribe is due (the head of sh->redis_drop): the work is
 * proportional to the changes, never to the channels in the zone. */

/* Its Redis subscription is not this channel's any more: a deleted
 * channel whose id has a new life, which holds the subscription. */
static ngx_uint_t
ngx_push_share_handed_on_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch)
{
    ngx_str_t  key;

    if (!ch->deleted) {
        return 0;
    }

    key.data = ch->id;
    key.len = ch->id_len;

    if (ngx_push_store_find_locked(zone, &key) == nullptr) {
        return 0;
    }

    ch->redis_sub = 0;
    ch->redis_live = 0;
    ch->redis_unsub_at = 0;

    return 1;
}


static ngx_str_t *
ngx_push_share_copy_id(ngx_pool_t *pool, ngx_array_t *a,
    ngx_push_channel_t *ch)
{
    ngx_str_t  *id;

    id = static_cast<ngx_str_t *>(ngx_array_push(a));
    if (id == nullptr) {
        return nullptr;
    }

    id->data = static_cast<u_char *>(ngx_pnalloc(pool, ch->id_len));
    if (id->data == nullptr) {
        id->len = 0;
        return id;
    }

    id->len = ch->id_len;
    ngx_memcpy(id->data, ch->id, ch->id_len);

    return id;
}


/* The (un)subscriptions from the from-th on were not made: each channel
 * is as before, queued again. */
static void
ngx_push_share_put_back(ngx_array_t *subs, ngx_array_t *unsubs,
    ngx_uint_t from)
{
    ngx_str_t           *id;
    ngx_uint_t           i;
    ngx_push_share_t    *share = ngx_push_share_worker;
    ngx_push_zone_t     *zone = share->zone;
    ngx_push_shctx_t    *sh = zone->sh;
    ngx_push_channel_t  *ch;

    ngx_push_shm_lock  lock(zone->shpool);

    for (i = from; i < subs->nelts + unsubs->nelts; i++) {
        id = i < subs->nelts ? &static_cast<ngx_str_t *>(subs->elts)[i]
                             : &static_cast<ngx_str_t *>(unsubs->elts)[
                                   i - subs->nelts];

        ch = id->len ? ngx_push_store_find_locked(zone, id) : nullptr;
        if (ch == nullptr) {
            /* gone, or a deleted life: an announcement of a channel not
             * held unsubscribes it (ngx_push_share_on_message) */
            continue;
        }

        if (i < subs->nelts) {
            if (ch->redis_sub) {
                ch->redis_sub = 0;
                ngx_push_store_redis_note_locked(zone, ch);
            }
            continue;
        }

        if (ch->redis_sub) {
            continue;
        }

        /* still subscribed in Redis; due again now, unless a subscriber
         * came back (then it is queued already and keeps it) */
        ch->redis_sub = 1;

        if (ch->redis_in == NGX_PUSH_REDIS_IN_NONE) {
            ch->redis_unsub_at = ngx_time();
            ngx_queue_insert_head(&sh->redis_drop, &ch->redis_q);
            ch->redis_in = NGX_PUSH_REDIS_IN_DROP;
        }
    }

    sh->redis_scan = 1;
}


void
ngx_push_share_scan(void)
{
    u_char              *p;
    size_t               size;
    time_t               now = ngx_time();
    ngx_str_t           *id, key;
    ngx_uint_t           i, want;
    ngx_pool_t          *pool;
    ngx_array_t          subs, unsubs;
    ngx_queue_t         *q;
    ngx_push_share_t    *share = ngx_push_share_worker;
    ngx_push_zone_t     *zone = share->zone;
    ngx_push_shctx_t    *sh = zone->sh;
    ngx_push_channel_t  *ch;

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

        sh->redis_scan = 0;

        /* the channels that changed: each leaves the queue as it is
         * looked at, so that a change after this puts it back */
        while (!ngx_queue_empty(&sh->redis_todo)) {
            q = ngx_queue_head(&sh->redis_todo);
            ch = ngx_queue_data(q, ngx_push_channel_t, redis_q);
            ngx_queue_remove(q);
            ch->redis_in = NGX_PUSH_REDIS_IN_NONE;

            want = ch->subscribers > 0 && !ch->deleted;

            if (want) {
                ch->redis_unsub_at = 0;
                if (!ch->redis_sub) {
                    ch->redis_sub = 1;
                    (void) ngx_push_share_copy_id(pool, &subs, ch);
                }

            } else if (ch->redis_sub
                       && !ngx_push_share_handed_on_locked(zone, ch))
            {
                /* dropped when nobody came back for the delay: the queue
                 * is in the order of redis_unsub_at, as the delay is one */
                ch->redis_unsub_at = now + NGX_PUSH_SHARE_UNSUB_DELAY;
                ngx_queue_insert_tail(&sh->redis_drop, &ch->redis_q);
                ch->redis_in = NGX_PUSH_REDIS_IN_DROP;
            }
        }

        /* the subscriptions whose delay is over */
        while (!ngx_queue_empty(&sh->redis_drop)) {
            q = ngx_queue_head(&sh->redis_drop);
            ch = ngx_queue_data(q, ngx_push_channel_t, redis_q);

            if (now < ch->redis_unsub_at) {
                break;
            }

            ngx_queue_remove(q);
            ch->redis_in = NGX_PUSH_REDIS_IN_NONE;

            if (ch->subscribers > 0 && !ch->deleted) {
                /* subscribers came back: the subscription stays */
                ch->redis_unsub_at = 0;
                continue;
            }

            if (!ch->redis_sub || ngx_push_share_handed_on_locked(zone, ch)) {
                continue;
            }

            ch->redis_sub = 0;
            ch->redis_live = 0;
            ch->redis_unsub_at = 0;
            (void) ngx_push_share_copy_id(pool, &unsubs, ch);
        }

        /* a subscription to drop later: look again on a later tick */
        sh->redis_scan |= !ngx_queue_empty(&sh->redis_drop);
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
            if (ngx_push_redis_unsubscribe(share->link, &key) == NGX_AGAIN) {
                break;
            }
            continue;
        }

        if (ngx_push_redis_subscribe(share->link, &key) == NGX_AGAIN) {
            break;
        }

        if (ngx_push_redis_is_subscribed(share->link, &key)) {
            /* subscribed before (a new life of the id): confirmed */
            ngx_push_share_catch_up(id);
        }
    }

    if (i < subs.nelts + unsubs.nelts) {
        /* the subscription connection's queue is full (a crowd came or
         * left at once): those not done go back to their queues, a later
         * tick does them as its replies make room */
        ngx_push_share_put_back(&subs, &unsubs, i);
    }

    ngx_destroy_pool(pool);
}


void
ngx_push_share_scan_handler(ngx_event_t *ev)
{
    ngx_push_share_scan();
}


/* The link's events (lease holder: all but command_ready). */

void
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

        if (ch != nullptr && an.kind != push::redis_announce_kind::del) {
            /* the cap and TTL the publisher set, before the message is
             * put under them */
            ngx_push_share_cap_locked(zone, ch, an.cap, an.ttl_ms);
        }

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
        (void) ngx_push_redis_unsubscribe(share->link, channel);
    }
}


void
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


void
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


void
ngx_push_share_on_resubscribed(void *data, ngx_push_redis_node_t *node)
{
    /* each confirmation caught its channel up already */
}


void
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
void
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

            /* the subscriptions of the holder before are gone with it,
             * and so are its catch-ups: one it had under way (a holder
             * killed while catching up) would otherwise keep the channel
             * busy, and every catch-up the new holder starts would wait
             * for it, for NGX_PUSH_SHARE_BUSY_MAX or for ever (retries
             * skip a busy channel).  It may have died half-way through
             * the queues: once, every channel; those with subscribers are
             * subscribed again */
            ngx_queue_init(&sh->redis_todo);
            ngx_queue_init(&sh->redis_drop);

            for (q = ngx_queue_head(&sh->channels);
                 q != ngx_queue_sentinel(&sh->channels);
                 q = ngx_queue_next(q))
            {
                ch = ngx_queue_data(q, ngx_push_channel_t, lru);
                ch->redis_sub = 0;
                ch->redis_live = 0;
                ch->redis_unsub_at = 0;
                ch->redis_busy = 0;
                ch->redis_in = NGX_PUSH_REDIS_IN_NONE;

                if (ch->subscribers > 0 && !ch->deleted) {
                    ngx_queue_insert_tail(&sh->redis_todo, &ch->redis_q);
                    ch->redis_in = NGX_PUSH_REDIS_IN_TODO;
                }
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
