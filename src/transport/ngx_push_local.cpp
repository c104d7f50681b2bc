/* A worker's channels: reading news from the zone once, fanning it out. */
#include "ngx_push_subscriber.h"
#include "ngx_push_out.h"
#include "ngx_push_ipc.h"

#include <cstddef>


/* Channels made dirty in one go; the rest wait for the next event loop
 * turn, so one busy zone cannot starve this worker's other connections. */
#define NGX_PUSH_DRAIN_BATCH  64


/* Plain data: this worker's channels, keyed by zone record. */
static ngx_rbtree_t       ngx_push_locals;
static ngx_rbtree_node_t  ngx_push_locals_sentinel;


static void ngx_push_local_free_unused(ngx_push_local_t *local);


ngx_push_lmsg_t *
ngx_push_lmsg_copy(const ngx_push_msg_t *m, ngx_log_t *log)
{
    size_t            size;
    ngx_push_lmsg_t  *msg;

    size = offsetof(ngx_push_lmsg_t, bytes) + m->ctype_len + m->event_len
           + m->len;

    msg = static_cast<ngx_push_lmsg_t *>(ngx_alloc(size, log));
    if (msg == nullptr) {
        return nullptr;
    }

    ngx_push_store_copy_payload(m, msg->bytes);

    msg->refs = 1;
    msg->next = nullptr;
    msg->seq = m->seq;
    msg->order = m->order;
    msg->time = m->time;
    msg->ctype.data = msg->bytes;
    msg->ctype.len = m->ctype_len;
    msg->event.data = msg->bytes + m->ctype_len;
    msg->event.len = m->event_len;
    msg->data.data = msg->event.data + m->event_len;
    msg->data.len = m->len;
    msg->sse.data = nullptr;
    msg->sse.len = 0;
    msg->sse_id_len = 0;
    msg->ws_text = -1;
    msg->utf8 = -1;
    ngx_str_null(&msg->ws_meta);
    msg->ws_meta_id_end = 0;
    ngx_str_null(&msg->ws_json);
    msg->ws_json_rest = 0;
    msg->frames = nullptr;
    msg->cached = 0;

    return msg;
}


void
ngx_push_lmsg_release(ngx_push_lmsg_t *msg)
{
    if (--msg->refs == 0) {
        if (msg->cached) {
            ngx_push_lmsg_forget(msg);
        }
        if (msg->sse.data != nullptr) {
            ngx_free(msg->sse.data);
        }
        if (msg->ws_meta.data != nullptr) {
            ngx_free(msg->ws_meta.data);
        }
        if (msg->ws_json.data != nullptr) {
            ngx_free(msg->ws_json.data);
        }
        while (msg->frames != nullptr) {
            ngx_push_frame_t  *f = msg->frames;
            msg->frames = f->next;
            ngx_free(f);
        }
        ngx_free(msg);
    }
}


static void
ngx_push_lmsg_cleanup(void *data)
{
    ngx_push_lmsg_release(static_cast<ngx_push_lmsg_t *>(data));
}


/* The pool (a request's) keeps msg until it is destroyed, i.e. until what
 * was sent from msg's bytes has left. */
ngx_int_t
ngx_push_lmsg_hold(ngx_pool_t *pool, ngx_push_lmsg_t *msg)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == nullptr) {
        return NGX_ERROR;
    }

    msg->refs++;
    cln->handler = ngx_push_lmsg_cleanup;
    cln->data = msg;

    return NGX_OK;
}


static ngx_push_local_t *
ngx_push_local_find(ngx_push_rec_t *rec)
{
    ngx_rbtree_key_t    key = reinterpret_cast<ngx_rbtree_key_t>(rec);
    ngx_rbtree_node_t  *node;

    if (ngx_push_locals.root == nullptr) {
        return nullptr;
    }

    node = ngx_push_locals.root;

    while (node != ngx_push_locals.sentinel) {

        if (key == node->key) {
            return reinterpret_cast<ngx_push_local_t *>(node);
        }

        node = (key < node->key) ? node->left : node->right;
    }

    return nullptr;
}


/* The local channel of a zone record: made on first use.  Its seq is
 * UINT64_MAX until the caller, holding the zone lock, sets it. */
ngx_push_local_t *
ngx_push_local_get(ngx_push_rec_t *rec, ngx_log_t *log)
{
    ngx_push_local_t  *local;

    if (ngx_push_locals.root == nullptr) {
        ngx_rbtree_init(&ngx_push_locals, &ngx_push_locals_sentinel,
                        ngx_rbtree_insert_value);
    }

    local = ngx_push_local_find(rec);
    if (local != nullptr) {
        return local;
    }

    local = static_cast<ngx_push_local_t *>(
                ngx_calloc(sizeof(ngx_push_local_t), log));
    if (local == nullptr) {
        return nullptr;
    }

    local->node.key = reinterpret_cast<ngx_rbtree_key_t>(rec);
    local->rec = rec;
    local->seq = UINT64_MAX;
    ngx_queue_init(&local->links);
    ngx_rbtree_insert(&ngx_push_locals, &local->node);

    return local;
}


void
ngx_push_local_link(ngx_push_link_t *link, ngx_push_local_t *local)
{
    link->local = local;
    ngx_queue_insert_tail(&local->links, &link->queue);
    local->nlinks++;
}


/* Takes a subscriber's link out; the local channel goes with its last
 * link unless a delivery round is walking it. */
void
ngx_push_local_unlink(ngx_push_link_t *link)
{
    ngx_push_local_t  *local = link->local;

    if (local == nullptr) {
        return;
    }

    ngx_queue_remove(&link->queue);
    link->local = nullptr;
    local->nlinks--;

    ngx_push_local_free_unused(local);
}


/* One channel of a round: its local record, pinned by the round from
 * before the first delivery to after the last, and the messages read for
 * it (the round holds one reference to each). */
struct ngx_push_round_t {
    ngx_push_local_t  *local;
    ngx_push_lmsg_t   *msgs;
};


/* Frees a local record nobody links to or pins any more. */
static void
ngx_push_local_free_unused(ngx_push_local_t *local)
{
    if (local->nlinks == 0 && local->busy == 0) {
        ngx_rbtree_delete(&ngx_push_locals, &local->node);
        ngx_free(local);
    }
}


/* Delivers one channel's news.  A callback may end the subscriber it was
 * given, and with it that subscriber's links in every channel (this one's
 * next link is another subscriber's: a subscription names a channel once);
 * the records stay, pinned by the round. */
static ngx_uint_t
ngx_push_local_fan_out(ngx_push_round_t *rd)
{
    ngx_uint_t         sent = 0;
    ngx_queue_t       *q, *next;
    ngx_push_sub_t    *sub;
    ngx_push_link_t   *link;
    ngx_push_lmsg_t   *msg, *nmsg;
    ngx_push_local_t  *local = rd->local;

    for (msg = rd->msgs; msg; msg = nmsg) {
        nmsg = msg->next;

        for (q = ngx_queue_head(&local->links);
             q != ngx_queue_sentinel(&local->links);
             q = next)
        {
            next = ngx_queue_next(q);
            link = ngx_queue_data(q, ngx_push_link_t, queue);
            sub = link->sub;

            /* a stream still replaying its backlog reads this message
             * from the zone in its turn */
            if (msg->seq > sub->cursor.seq[link->index]
                && !sub->catching_up)
            {
                sub->transport->deliver(sub, link->index, msg);
                sent++;
            }
        }

        ngx_push_lmsg_release(msg);
    }

    rd->msgs = nullptr;

    /* a deleted channel's last messages first, then its end */
    if (local->deleted) {
        for (q = ngx_queue_head(&local->links);
             q != ngx_queue_sentinel(&local->links);
             q = next)
        {
            next = ngx_queue_next(q);
            link = ngx_queue_data(q, ngx_push_link_t, queue);
            sub = link->sub;
            sub->transport->close(sub, ngx_push_close_e::deleted);
        }
    }

    return sent;
}


/* Runs when this worker is woken: takes its slot's dirty records, copies
 * what is new in each channel out of the zone under one lock, then hands
 * the copies to the local subscribers without the lock. */
void
ngx_push_local_drain(ngx_push_zone_t *zone, ngx_uint_t n)
{
    ngx_uint_t         i, nround = 0, more = 0, sent = 0;
    ngx_queue_t       *q;
    ngx_push_msg_t    *m;
    ngx_push_rec_t    *rec;
    ngx_push_slot_t   *slot;
    ngx_push_lmsg_t   *msg, **last;
    ngx_push_local_t  *local;
    ngx_push_round_t   round[NGX_PUSH_DRAIN_BATCH];

    {
        ngx_push_shm_lock  lock(zone->shpool);

        slot = &zone->sh->slots[n];

        if (slot->pid != ngx_pid) {
            return;
        }

        slot->signalled = 0;

        while (!ngx_queue_empty(&slot->dirty)) {

            if (nround == NGX_PUSH_DRAIN_BATCH) {
                more = 1;
                break;
            }

            q = ngx_queue_head(&slot->dirty);
            rec = ngx_queue_data(q, ngx_push_rec_t, in_dirty);
            ngx_queue_remove(q);
            rec->dirty = 0;

            local = ngx_push_local_find(rec);
            if (local == nullptr || local->seq == UINT64_MAX) {
                continue;
            }

            if (rec->channel->deleted) {
                local->deleted = 1;
            }

            round[nround].local = local;
            round[nround].msgs = nullptr;
            last = &round[nround].msgs;

            for (m = ngx_push_store_next_locked(zone, rec->channel,
                                                local->seq);
                 m != nullptr;
                 m = (ngx_queue_next(&m->queue)
                      == ngx_queue_sentinel(&rec->channel->messages))
                     ? nullptr
                     : ngx_queue_data(ngx_queue_next(&m->queue),
                                      ngx_push_msg_t, queue))
            {
                msg = ngx_push_lmsg_copy(m, ngx_cycle->log);
                if (msg == nullptr) {
                    break;
                }

                *last = msg;
                last = &msg->next;
                local->seq = m->seq;
            }

            if (round[nround].msgs != nullptr || local->deleted) {
                /* pinned now, before the first delivery: any delivery may
                 * end a subscriber that is the last of another channel in
                 * this round */
                local->busy++;
                nround++;
            }
        }
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "push: woken, %ui channels with news%s", nround,
                   more ? ", more to come" : "");

    ngx_push_out_cork();

    for (i = 0; i < nround; i++) {
        sent += ngx_push_local_fan_out(&round[i]);
    }

    for (i = 0; i < nround; i++) {
        round[i].local->busy--;
        ngx_push_local_free_unused(round[i].local);
    }

    ngx_push_out_uncork();

    if (sent) {
        ngx_push_stats_add(&zone->sh->stats.delivered, sent);
    }

    if (more) {
        ngx_push_ipc_rearm();
    }
}
