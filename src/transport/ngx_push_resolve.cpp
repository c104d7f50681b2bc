/* Where a subscriber starts: its cursor in every channel, what it is sent
 * first, and joining the channels, all under one zone lock. */
#include "ngx_push_subscriber.h"
#include "ngx_push_ipc.h"
#include "ngx_push_shutdown.h"

#include <cstddef>


/* Plain data: the copies of zone messages this worker's streams are
 * replaying, keyed by the zone message's address, so that subscribers
 * catching up on the same messages share one copy (and one frame per
 * transport).  An entry goes with its copy's last reference. */
static ngx_rbtree_t       ngx_push_replay_cache;
static ngx_rbtree_node_t  ngx_push_replay_sentinel;


/* Leaves every channel the subscriber waits on; safe to call twice. */
void
ngx_push_sub_leave(ngx_push_sub_t *sub)
{
    ngx_uint_t       i, n = 0;
    ngx_push_rec_t  *recs[push::max_channels];

    if (sub->timer.timer_set) {
        ngx_del_timer(&sub->timer);
    }

    ngx_push_shutdown_forget(sub);

    if (!sub->joined) {
        return;
    }

    sub->joined = 0;

    for (i = 0; i < sub->nchannels; i++) {
        if (sub->links[i].local != nullptr) {
            recs[n++] = sub->links[i].local->rec;
            ngx_push_local_unlink(&sub->links[i]);
        }
    }

    ngx_push_shm_lock  lock(sub->zone->shpool);

    for (i = 0; i < n; i++) {
        ngx_push_store_unsubscribe_locked(sub->zone, recs[i], 1);
    }

    ngx_push_sub_count_locked(sub, -1);
}


/* The stats' subscribers by worker and transport; a slot reaped since
 * (its worker is exiting) has no count to give back. */
void
ngx_push_sub_count_locked(ngx_push_sub_t *sub, int delta)
{
    ngx_int_t         slot = ngx_push_ipc_slot();
    uint32_t         *n;
    ngx_push_slot_t  *s;

    if (slot < 0) {
        return;
    }

    s = &sub->zone->sh->slots[slot];
    if (s->pid != ngx_pid) {
        return;
    }

    n = &s->subscribers[__builtin_ctz(
                            static_cast<unsigned>(sub->transport->flag))];

    if (delta > 0) {
        (*n)++;

    } else if (*n > 0) {
        (*n)--;
    }
}


/* Where a subscriber without a cursor starts in a channel whose newest
 * message is "last" and that began after "first": never below "first",
 * which would read as a cursor of an earlier life of the channel. */
static uint64_t
ngx_push_first_seq(ngx_push_sub_t *sub, uint64_t first, uint64_t last)
{
    ngx_int_t  n = sub->conf->first_message;

    if (n == NGX_PUSH_FIRST_OLDEST) {
        return first;
    }

    if (n == NGX_PUSH_FIRST_NEWEST) {
        /* a short poll without a cursor is answered the newest message:
         * the page that polls every few seconds shows the latest state */
        if (!sub->transport->registers && last > first) {
            return last - 1;
        }
        return last;
    }

    return last - first > static_cast<uint64_t>(n)
           ? last - static_cast<uint64_t>(n) : first;
}


/* Under one lock: resolves the cursor in every channel, finds the first
 * message to send, and if there is none and the transport waits, joins the
 * channels so that no message can slip between looking and waiting. */
ngx_int_t
ngx_push_sub_resolve(ngx_push_sub_t *sub, ngx_int_t have_cursor,
    const char **reason)
{
    ngx_int_t            rc = NGX_ERROR;
    ngx_uint_t           i, slot;
    uint64_t             seq, first, last;
    ngx_push_msg_t      *m;
    ngx_push_rec_t      *rec;
    ngx_push_store_rc    src;
    ngx_push_local_t    *local;
    ngx_push_zone_t     *zone = sub->zone;
    ngx_push_channel_t  *ch[push::max_channels] = {};
    ngx_http_request_t  *r = sub->request;
    ngx_push_shm_lock    lock(zone->shpool);

    *reason = "out of memory";

    if (have_cursor && sub->cursor.epoch != zone->sh->epoch) {
        /* ids of another life of the zone, or of Nchan's: start over,
         * say so */
        sub->gap = 1;
        sub->gap_unknown = 1;
        for (i = 0; i < sub->nchannels; i++) {
            sub->cursor.seq[i] = 0;
        }
    }

    sub->cursor.epoch = zone->sh->epoch;
    sub->cursor.count = static_cast<uint32_t>(sub->nchannels);

    for (i = 0; i < sub->nchannels; i++) {
        ch[i] = ngx_push_store_find_locked(zone, &sub->channels[i]);

        if (ch[i] == nullptr && sub->conf->subscribe_existing_only) {
            *reason = "channel does not exist (push_subscribe_existing_only)";
            rc = NGX_HTTP_FORBIDDEN;
            goto failed;
        }

        if (ch[i] == nullptr && sub->transport->registers) {
            if (sub->conf->max_channels
                && zone->sh->nchannels >= sub->conf->max_channels)
            {
                *reason = "too many channels (push_max_channels)";
                rc = NGX_HTTP_TOO_MANY_REQUESTS;
                goto failed;
            }

            ch[i] = ngx_push_store_create_for_sub_locked(zone,
                        &sub->channels[i], sub->conf->message_buffer,
                        sub->conf->message_ttl, &src);

            if (src == ngx_push_store_rc::crowded) {
                ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                              "push: channels made by subscribers take "
                              "their share of the zone, subscriber "
                              "refused");
                *reason = "too many channels made by subscribers wait for "
                          "a publisher";
                rc = NGX_HTTP_SERVICE_UNAVAILABLE;
                goto failed;
            }

            if (ch[i] == nullptr) {
                goto no_memory;
            }
        }

        if (ch[i] != nullptr) {
            ch[i]->pinned = 1;
        }

        first = ch[i] ? ch[i]->first_seq
                      : ngx_push_store_first_seq_locked(zone);
        last = ch[i] ? ch[i]->last_seq : first;
        seq = have_cursor ? sub->cursor.seq[i]
                         : ngx_push_first_seq(sub, first, last);

        if (seq > last || (have_cursor && seq < first)) {
            /* a cursor of another life of the channel: it was deleted or
             * evicted and made anew since */
            sub->gap = 1;
            sub->gap_unknown = 1;
            seq = first;
        }

        m = ch[i] ? ngx_push_store_next_locked(zone, ch[i], seq) : nullptr;

        if (have_cursor && m != nullptr && m->seq > seq + 1) {
            sub->gap = 1;
            sub->missed += m->seq - seq - 1;

        } else if (have_cursor && m == nullptr && seq < last) {
            sub->gap = 1;
            sub->missed += last - seq;
            seq = last;
        }

        sub->cursor.seq[i] = seq;

        if (sub->transport->streams) {
            /* a stream starts with everything after the cursor, read from
             * the zone as its client takes it (the gap, if any, is
             * counted: the cursor is put right before what is left) */
            if (m != nullptr) {
                sub->cursor.seq[i] = m->seq - 1;
                sub->catching_up = 1;
            }

            continue;
        }

        if (m != nullptr && sub->pending == nullptr) {
            sub->pending = ngx_push_lmsg_copy(m, r->connection->log);
            if (sub->pending == nullptr) {
                goto failed;
            }
            sub->pending_index = i;
        }
    }

    if (!sub->transport->registers
        || (sub->pending != nullptr && !sub->transport->streams))
    {
        goto done;
    }

    if (sub->conf->max_subscribers) {
        for (i = 0; i < sub->nchannels; i++) {
            if (ch[i]->subscribers >= sub->conf->max_subscribers) {
                *reason = "channel has too many subscribers "
                          "(push_max_subscribers_per_channel)";
                rc = NGX_HTTP_TOO_MANY_REQUESTS;
                goto failed;
            }
        }
    }

    slot = static_cast<ngx_uint_t>(ngx_push_ipc_slot());

    for (i = 0; i < sub->nchannels; i++) {
        rec = ngx_push_store_join_locked(zone, ch[i], slot);
        if (rec == nullptr) {
            goto no_memory;
        }

        local = ngx_push_local_get(rec, r->connection->log);
        if (local == nullptr) {
            ngx_push_store_unsubscribe_locked(zone, rec, 1);
            goto failed;
        }

        if (local->seq == UINT64_MAX) {
            local->seq = ch[i]->last_seq;
        }

        sub->links[i].sub = sub;
        sub->links[i].index = i;
        ngx_push_local_link(&sub->links[i], local);
        sub->joined = 1;
    }

    ngx_push_sub_count_locked(sub, 1);

done:

    for (i = 0; i < sub->nchannels; i++) {
        if (ch[i] != nullptr) {
            ch[i]->pinned = 0;
        }
    }

    return NGX_OK;

no_memory:

    /* what a client asks for cannot make the module log an alert */
    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "push: zone is full, subscriber refused");
    *reason = "push zone is full";

failed:

    for (i = 0; i < sub->nchannels; i++) {
        if (ch[i] != nullptr) {
            ch[i]->pinned = 0;
        }

        if (sub->joined && sub->links[i].local != nullptr) {
            rec = sub->links[i].local->rec;
            ngx_push_local_unlink(&sub->links[i]);
            ngx_push_store_unsubscribe_locked(zone, rec, 1);
        }
    }

    sub->joined = 0;

    return rc;
}


/* The worker's copy of zone message m, made if there is none: call with
 * the zone locked.  A copy of an older message that had the same address
 * (evicted since) is no longer found. */
ngx_push_lmsg_t *
ngx_push_lmsg_shared(const ngx_push_msg_t *m, ngx_log_t *log)
{
    ngx_rbtree_key_t    key = reinterpret_cast<ngx_rbtree_key_t>(m);
    ngx_push_lmsg_t    *msg;
    ngx_rbtree_node_t  *node, *sentinel;

    if (ngx_push_replay_cache.root == nullptr) {
        ngx_rbtree_init(&ngx_push_replay_cache, &ngx_push_replay_sentinel,
                        ngx_rbtree_insert_value);
    }

    node = ngx_push_replay_cache.root;
    sentinel = ngx_push_replay_cache.sentinel;

    while (node != sentinel && node->key != key) {
        node = (key < node->key) ? node->left : node->right;
    }

    if (node != sentinel) {
        msg = reinterpret_cast<ngx_push_lmsg_t *>(
                  reinterpret_cast<u_char *>(node)
                  - offsetof(ngx_push_lmsg_t, cache));

        if (msg->order == m->order && msg->seq == m->seq) {
            msg->refs++;
            return msg;
        }

        ngx_push_lmsg_forget(msg);
    }

    msg = ngx_push_lmsg_copy(m, log);
    if (msg == nullptr) {
        return nullptr;
    }

    msg->cache.key = key;
    msg->cached = 1;
    ngx_rbtree_insert(&ngx_push_replay_cache, &msg->cache);

    return msg;
}


void
ngx_push_lmsg_forget(ngx_push_lmsg_t *msg)
{
    ngx_rbtree_delete(&ngx_push_replay_cache, &msg->cache);
    msg->cached = 0;
}


static ngx_push_msg_t *
ngx_push_sub_msg_after(ngx_push_channel_t *ch, ngx_push_msg_t *m)
{
    return ngx_queue_next(&m->queue) == ngx_queue_sentinel(&ch->messages)
           ? nullptr
           : ngx_queue_data(ngx_queue_next(&m->queue), ngx_push_msg_t, queue);
}


/* The next messages of a stream's backlog, after its cursor, across all
 * its channels in the order they were published: at most max of them,
 * copied out of the zone under one lock, no more bytes than budget but
 * one at least.  *done is set when no message is left after them. */
ngx_uint_t
ngx_push_sub_replay_next(ngx_push_sub_t *sub, ngx_push_replay_t *batch,
    ngx_uint_t max, size_t budget, ngx_uint_t *done)
{
    size_t               size, taken = 0;
    ngx_uint_t           i, n = 0, best;
    ngx_push_msg_t      *m[push::max_channels];
    ngx_push_lmsg_t     *msg;
    ngx_push_zone_t     *zone = sub->zone;
    ngx_push_channel_t  *ch[push::max_channels];
    ngx_push_shm_lock    lock(zone->shpool);

    *done = 0;

    for (i = 0; i < sub->nchannels; i++) {
        ch[i] = ngx_push_store_find_locked(zone, &sub->channels[i]);
        m[i] = ch[i] ? ngx_push_store_next_locked(zone, ch[i],
                                                  sub->cursor.seq[i])
                     : nullptr;
    }

    for ( ;; ) {
        best = sub->nchannels;

        for (i = 0; i < sub->nchannels; i++) {
            if (m[i] != nullptr
                && (best == sub->nchannels || m[i]->order < m[best]->order))
            {
                best = i;
            }
        }

        if (best == sub->nchannels) {
            *done = 1;
            break;
        }

        /* the payload and what framing adds to it, near enough */
        size = m[best]->len + m[best]->ctype_len + m[best]->event_len + 64;

        if (n == max || (n > 0 && taken + size > budget)) {
            break;
        }

        msg = ngx_push_lmsg_shared(m[best], sub->request->connection->log);
        if (msg == nullptr) {
            break;
        }

        batch[n].msg = msg;
        batch[n].index = best;
        n++;
        taken += size;

        m[best] = ngx_push_sub_msg_after(ch[best], m[best]);
    }

    return n;
}
