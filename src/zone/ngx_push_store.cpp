/* Channels and their bounded message buffers in the zone. */
#include "ngx_push_zone.h"

#include <cstddef>


ngx_push_channel_t *
ngx_push_store_find_locked(ngx_push_zone_t *zone, const ngx_str_t *id)
{
    ngx_int_t            rc;
    uint32_t             hash;
    ngx_rbtree_node_t   *node, *sentinel;
    ngx_push_channel_t  *ch;

    hash = ngx_crc32_short(id->data, id->len);
    node = zone->sh->rbtree.root;
    sentinel = zone->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        ch = reinterpret_cast<ngx_push_channel_t *>(node);
        rc = ngx_memn2cmp(id->data, ch->id, id->len, ch->id_len);

        if (rc == 0) {
            return ch;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return nullptr;
}


static void
ngx_push_store_insert_value(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t   **p;
    ngx_push_channel_t   *a, *b;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            a = reinterpret_cast<ngx_push_channel_t *>(node);
            b = reinterpret_cast<ngx_push_channel_t *>(temp);
            p = (ngx_memn2cmp(a->id, b->id, a->id_len, b->id_len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* Where a channel made now starts.  Ids are never reused within an epoch:
 * a new channel starts above every seq a channel gone from the tree gave
 * out, and one more, so that its own starting position never names a
 * message of a gone channel.  A cursor below it is from an earlier life of
 * the id and gets the gap signal; the first channels of a zone start at 0,
 * so that ids count from 1. */
uint64_t
ngx_push_store_first_seq_locked(ngx_push_zone_t *zone)
{
    return zone->sh->seq_floor ? zone->sh->seq_floor + 1 : 0;
}


/* The channel leaves the tree for good: its seqs are never given again. */
static void
ngx_push_store_retire_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch)
{
    ngx_rbtree_delete(&zone->sh->rbtree, &ch->node);

    /* one that never had a message gave out no seq: its cursors are its
     * first_seq, where a channel made next starts at the earliest */
    /* with Redis, its per-channel meta is the floor (and a copy's seqs
     * are Redis's): none here */
    if (ch->last_seq > ch->first_seq && ch->last_seq > zone->sh->seq_floor
        && !zone->sh->redis_epoch_ok)
    {
        zone->sh->seq_floor = ch->last_seq;
    }
}


/* Keeps sh->idle to the channels that were never published to and have
 * no subscribers: they hold nothing, not even a seq a cursor could need
 * for an exact gap count.  Called after every change of either. */
static void
ngx_push_store_idle_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch)
{
    ngx_uint_t  idle = ch->last_seq == ch->first_seq && ch->subscribers == 0
                       && !ch->deleted;

    if (idle && !ch->in_idle) {
        ngx_queue_insert_tail(&zone->sh->idle, &ch->idle);
        ch->in_idle = 1;

    } else if (!idle && ch->in_idle) {
        ngx_queue_remove(&ch->idle);
        ch->in_idle = 0;
    }
}


/* What a channel a subscriber made holds in the zone, its record of the
 * subscriber's worker included. */
static size_t
ngx_push_store_sub_made_size(size_t id_len)
{
    return offsetof(ngx_push_channel_t, id) + id_len + sizeof(ngx_push_rec_t);
}


static void
ngx_push_store_sub_made_end_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch)
{
    if (ch->sub_made) {
        ch->sub_made = 0;
        zone->sh->sub_made_bytes -= ngx_push_store_sub_made_size(ch->id_len);
    }
}


ngx_push_channel_t *
ngx_push_store_create_locked(ngx_push_zone_t *zone, const ngx_str_t *id,
    ngx_uint_t max_messages, time_t ttl)
{
    ngx_push_channel_t  *ch;
    ngx_push_shctx_t    *sh = zone->sh;

    if (sh->rbtree.insert != ngx_push_store_insert_value) {
        /* set here, not at zone creation, so that the function's address
         * is this module's current one after a reload */
        sh->rbtree.insert = ngx_push_store_insert_value;
    }

    ch = static_cast<ngx_push_channel_t *>(ngx_push_zone_alloc_locked(
             zone, offsetof(ngx_push_channel_t, id) + id->len));
    if (ch == nullptr) {
        return nullptr;
    }

    ngx_memzero(ch, offsetof(ngx_push_channel_t, id));
    ch->node.key = ngx_crc32_short(id->data, id->len);
    ch->id_len = static_cast<uint16_t>(id->len);
    ngx_memcpy(ch->id, id->data, id->len);
    ngx_queue_init(&ch->messages);
    ngx_queue_init(&ch->recs);
    ch->max_messages = static_cast<uint32_t>(max_messages);
    ch->ttl = static_cast<uint32_t>(ttl);
    ch->active = ngx_time();
    ch->first_seq = ngx_push_store_first_seq_locked(zone);
    ch->last_seq = ch->first_seq;

    ngx_rbtree_insert(&sh->rbtree, &ch->node);
    ngx_queue_insert_tail(&sh->channels, &ch->lru);
    ngx_push_store_idle_locked(zone, ch);
    sh->nchannels++;

    return ch;
}


/* A channel a subscriber makes.  Until a publisher uses it, it holds only
 * waiting subscribers, and all such channels together may take a quarter
 * of the zone: clients that subscribe to made-up ids cannot push published
 * data out.  Those left idle go first to make room; past the share the
 * subscriber is refused (crowded). */
ngx_push_channel_t *
ngx_push_store_create_for_sub_locked(ngx_push_zone_t *zone,
    const ngx_str_t *id, ngx_uint_t max_messages, time_t ttl,
    ngx_push_store_rc *rc)
{
    size_t               size = ngx_push_store_sub_made_size(id->len);
    ngx_queue_t         *q, *next;
    ngx_push_channel_t  *ch;
    ngx_push_shctx_t    *sh = zone->sh;

    for (q = ngx_queue_head(&sh->idle);
         q != ngx_queue_sentinel(&sh->idle)
         && sh->sub_made_bytes + size > zone->size / 4;
         q = next)
    {
        next = ngx_queue_next(q);
        ch = ngx_queue_data(q, ngx_push_channel_t, idle);

        if (ch->sub_made && !ch->pinned) {
            ngx_push_store_free_channel_locked(zone, ch);
            sh->stats.channels_evicted++;
        }
    }

    if (sh->sub_made_bytes + size > zone->size / 4) {
        *rc = ngx_push_store_rc::crowded;
        return nullptr;
    }

    ch = ngx_push_store_create_locked(zone, id, max_messages, ttl);
    if (ch == nullptr) {
        *rc = ngx_push_store_rc::no_memory;
        return nullptr;
    }

    ch->sub_made = 1;
    sh->sub_made_bytes += size;
    *rc = ngx_push_store_rc::ok;

    return ch;
}


static void
ngx_push_store_touch_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch)
{
    ngx_queue_remove(&ch->lru);
    ngx_queue_insert_tail(&zone->sh->channels, &ch->lru);
    ch->active = ngx_time();
}


/* Payload bytes a segment holds: the rest of its page. */
static size_t
ngx_push_store_seg_room()
{
    return ngx_pagesize - offsetof(ngx_push_seg_t, data);
}


static size_t
ngx_push_store_head_size(size_t ctype_len, size_t event_len, size_t inl)
{
    return offsetof(ngx_push_msg_t, data) + ctype_len + event_len + inl;
}


/* Gives back a message's memory: its segments, then its head. */
static void
ngx_push_store_free_message_locked(ngx_push_zone_t *zone, ngx_push_msg_t *m)
{
    ngx_push_seg_t  *seg, *next;

    for (seg = m->more; seg != nullptr; seg = next) {
        next = seg->next;
        ngx_push_zone_free_locked(zone, seg);
    }

    ngx_push_zone_free_locked(zone, m);
}


void
ngx_push_store_drop_message_locked(ngx_push_zone_t *zone, ngx_push_msg_t *m)
{
    ngx_push_shctx_t  *sh = zone->sh;
    size_t             room = ngx_push_store_seg_room();

    ngx_queue_remove(&m->queue);
    ngx_queue_remove(&m->age);
    m->channel->nmessages--;
    sh->nmessages--;
    sh->message_bytes -= m->len;
    sh->message_pages -= (m->len - m->inline_len + room - 1) / room;
    sh->message_heads -= ngx_push_store_head_size(m->ctype_len, m->event_len,
                                                  m->inline_len);
    ngx_push_store_idle_locked(zone, m->channel);
    ngx_push_store_free_message_locked(zone, m);
}


/* The content type, event name and payload, one after the other. */
void
ngx_push_store_copy_payload(const ngx_push_msg_t *m, u_char *dst)
{
    size_t                left, n;
    const ngx_push_seg_t  *seg;

    dst = ngx_cpymem(dst, m->data, m->ctype_len + m->event_len
                                   + m->inline_len);
    left = m->len - m->inline_len;

    for (seg = m->more; left > 0 && seg != nullptr; seg = seg->next) {
        n = ngx_min(left, ngx_push_store_seg_room());
        dst = ngx_cpymem(dst, seg->data, n);
        left -= n;
    }
}


/* Age is enforced lazily, whenever a channel is looked at: no timer walks
 * the zone. */
void
ngx_push_store_expire_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch)
{
    time_t           now = ngx_time();
    ngx_push_msg_t  *m;

    while (!ngx_queue_empty(&ch->messages)) {
        m = ngx_queue_data(ngx_queue_head(&ch->messages), ngx_push_msg_t,
                           queue);

        if (m->time + static_cast<time_t>(ch->ttl) > now) {
            break;
        }

        ngx_push_store_drop_message_locked(zone, m);
        zone->sh->stats.expired++;
    }
}


/* Drops the messages past their channel's TTL zone-wide, for figures that
 * count messages without looking at each channel.  The age queue is in
 * publish order but TTLs differ by channel, so it is walked past messages
 * still young, at most "limit" of them, so that the lock is held briefly. */
void
ngx_push_store_expire_zone_locked(ngx_push_zone_t *zone, ngx_uint_t limit)
{
    time_t           now = ngx_time();
    ngx_queue_t     *q, *next;
    ngx_push_msg_t  *m;

    for (q = ngx_queue_head(&zone->sh->messages);
         q != ngx_queue_sentinel(&zone->sh->messages) && limit > 0;
         q = next, limit--)
    {
        next = ngx_queue_next(q);
        m = ngx_queue_data(q, ngx_push_msg_t, age);

        if (m->time + static_cast<time_t>(m->channel->ttl) <= now) {
            ngx_push_store_drop_message_locked(zone, m);
            zone->sh->stats.expired++;
        }
    }
}


void
ngx_push_store_free_channel_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch)
{
    while (!ngx_queue_empty(&ch->messages)) {
        ngx_push_store_drop_message_locked(zone,
            ngx_queue_data(ngx_queue_head(&ch->messages), ngx_push_msg_t,
                           queue));
    }

    if (!ch->deleted) {
        ngx_push_store_retire_locked(zone, ch);
    }

    if (ch->in_idle) {
        ngx_queue_remove(&ch->idle);
    }

    if (ch->redis_in != NGX_PUSH_REDIS_IN_NONE) {
        ngx_queue_remove(&ch->redis_q);
    }

    ngx_push_store_sub_made_end_locked(zone, ch);
    ngx_queue_remove(&ch->lru);
    zone->sh->nchannels--;
    ngx_push_zone_free_locked(zone, ch);
}


void
ngx_push_store_channel_info_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch, ngx_push_channel_info_t *info)
{
    info->epoch = zone->sh->epoch;
    info->messages = ch->nmessages;
    info->subscribers = ch->subscribers;
    info->last_seq = ch->last_seq;
    info->active = ch->active;
    info->oldest_seq = ngx_queue_empty(&ch->messages)
        ? 0
        : (ngx_queue_data(ngx_queue_head(&ch->messages), ngx_push_msg_t,
                          queue))->seq;
}


/* Marks every slot holding subscribers of ch as having news there; returns
 * the slots that need a wake-up (the others have one on its way). */
static ngx_push_wake_t
ngx_push_store_mark_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch)
{
    ngx_queue_t      *q;
    ngx_push_rec_t   *rec;
    ngx_push_slot_t  *slot;
    ngx_push_wake_t   wake = 0;

    for (q = ngx_queue_head(&ch->recs);
         q != ngx_queue_sentinel(&ch->recs);
         q = ngx_queue_next(q))
    {
        rec = ngx_queue_data(q, ngx_push_rec_t, in_channel);
        slot = &zone->sh->slots[rec->slot];

        if (!rec->dirty) {
            rec->dirty = 1;
            ngx_queue_insert_tail(&slot->dirty, &rec->in_dirty);
        }

        if (!slot->signalled) {
            slot->signalled = 1;
            wake |= static_cast<ngx_push_wake_t>(1) << rec->slot;
        }
    }

    return wake;
}


/* Whether evicting every message could make room for npages pages: the
 * pages free now, those message segments hold, and (hoping they empty
 * whole pages) those message heads hold.  When not, a message is refused
 * before anything is evicted: a refusal loses nothing stored. */
static ngx_uint_t
ngx_push_store_may_fit_locked(ngx_push_zone_t *zone, size_t npages)
{
    ngx_push_shctx_t  *sh = zone->sh;

    return zone->shpool->pfree + sh->message_pages
           + sh->message_heads / ngx_pagesize
           >= npages;
}


/* A message's head and segments, evicting older things as needed; null
 * (and nothing kept) when the zone cannot take it all. */
static ngx_push_msg_t *
ngx_push_store_alloc_message_locked(ngx_push_zone_t *zone, size_t head,
    size_t nsegs)
{
    ngx_push_msg_t   *m;
    ngx_push_seg_t   *seg, **last;

    m = static_cast<ngx_push_msg_t *>(ngx_push_zone_alloc_locked(zone, head));
    if (m == nullptr) {
        return nullptr;
    }

    m->more = nullptr;
    last = &m->more;

    while (nsegs--) {
        seg = static_cast<ngx_push_seg_t *>(
                  ngx_push_zone_alloc_locked(zone, ngx_pagesize));
        if (seg == nullptr) {
            ngx_push_store_free_message_locked(zone, m);
            return nullptr;
        }

        seg->next = nullptr;
        *last = seg;
        last = &seg->next;
    }

    return m;
}


/* Sizes a message: its head (with the inline part) and its segments;
 * too_large past half the zone, no_memory when evicting every message
 * could not make room. */
static ngx_push_store_rc
ngx_push_store_size_locked(ngx_push_zone_t *zone,
    const ngx_push_publish_t *in, size_t *head, size_t *inl, size_t *nsegs)
{
    size_t  size, page, room;

    size = offsetof(ngx_push_msg_t, data) + in->ctype.len + in->event.len
           + in->data.len;

    /* one message may not take more than half the zone: making room for
     * it would throw away everything else */
    if (size > zone->size / 2) {
        return ngx_push_store_rc::too_large;
    }

    /* up to a page, a message is one allocation, which any free page can
     * take; past that the head is one page and the rest goes in pages of
     * its own, so that it never needs pages side by side */
    *head = ngx_push_store_head_size(in->ctype.len, in->event.len, 0);
    page = ngx_pagesize;
    room = ngx_push_store_seg_room();
    *inl = size <= page ? in->data.len
                        : *head < page ? ngx_min(page - *head, in->data.len)
                                       : 0;
    *head += *inl;
    *nsegs = (in->data.len - *inl + room - 1) / room;

    /* the head may need a page, a new channel another */
    if (*nsegs && !ngx_push_store_may_fit_locked(zone, *nsegs + 2)) {
        return ngx_push_store_rc::no_memory;
    }

    return ngx_push_store_rc::ok;
}


/* A message of ch, allocated (evicting as needed) and filled, not yet
 * linked anywhere. */
static ngx_push_msg_t *
ngx_push_store_make_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch,
    const ngx_push_publish_t *in, size_t head, size_t inl, size_t nsegs)
{
    size_t           left, n, room = ngx_push_store_seg_room();
    u_char          *p;
    ngx_push_msg_t  *m;
    ngx_push_seg_t  *seg;

    ch->pinned = 1;
    m = ngx_push_store_alloc_message_locked(zone, head, nsegs);
    ch->pinned = 0;

    if (m == nullptr) {
        return nullptr;
    }

    m->channel = ch;
    m->order = zone->sh->stats.published;
    m->time = ngx_time();
    m->len = static_cast<uint32_t>(in->data.len);
    m->inline_len = static_cast<uint32_t>(inl);
    m->ctype_len = static_cast<uint16_t>(in->ctype.len);
    m->event_len = static_cast<uint8_t>(in->event.len);
    p = ngx_cpymem(m->data, in->ctype.data, in->ctype.len);
    p = ngx_cpymem(p, in->event.data, in->event.len);
    ngx_memcpy(p, in->data.data, inl);

    left = in->data.len - inl;
    p = in->data.data + inl;

    for (seg = m->more; seg != nullptr; seg = seg->next) {
        n = ngx_min(left, room);
        ngx_memcpy(seg->data, p, n);
        p += n;
        left -= n;
    }

    return m;
}


/* Counts a message linked into its channel, and trims the channel to its
 * buffer. */
static void
ngx_push_store_added_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch,
    ngx_push_msg_t *m, size_t head, size_t nsegs)
{
    ngx_push_shctx_t  *sh = zone->sh;

    ngx_queue_insert_tail(&sh->messages, &m->age);
    ch->nmessages++;
    sh->nmessages++;
    sh->message_bytes += m->len;
    sh->message_pages += nsegs;
    sh->message_heads += head;
    sh->stats.published++;
    ngx_push_store_idle_locked(zone, ch);

    while (ch->nmessages > ch->max_messages) {
        ngx_push_store_drop_message_locked(zone,
            ngx_queue_data(ngx_queue_head(&ch->messages), ngx_push_msg_t,
                           queue));
    }

    ngx_push_store_touch_locked(zone, ch);
}


ngx_push_store_rc
ngx_push_store_publish(ngx_push_zone_t *zone, const ngx_push_publish_t *in,
    ngx_push_channel_info_t *info, ngx_push_wake_t *wake, ngx_log_t *log)
{
    size_t               head, inl, nsegs;
    ngx_push_msg_t      *m;
    ngx_push_shctx_t    *sh = zone->sh;
    ngx_push_store_rc    rc;
    ngx_push_channel_t  *ch;
    ngx_push_shm_lock    lock(zone->shpool);

    *wake = 0;

    rc = ngx_push_store_size_locked(zone, in, &head, &inl, &nsegs);
    if (rc != ngx_push_store_rc::ok) {
        sh->stats.refused++;
        return rc;
    }

    ch = ngx_push_store_find_locked(zone, &in->channel);

    if (ch == nullptr) {
        if (in->max_channels && sh->nchannels >= in->max_channels) {
            return ngx_push_store_rc::limited;
        }

        ch = ngx_push_store_create_locked(zone, &in->channel,
                                          in->max_messages, in->ttl);
        if (ch == nullptr) {
            sh->stats.refused++;
            return ngx_push_store_rc::no_memory;
        }
    }

    ch->max_messages = static_cast<uint32_t>(in->max_messages);
    ch->ttl = static_cast<uint32_t>(in->ttl);
    ngx_push_store_sub_made_end_locked(zone, ch);
    ngx_push_store_expire_locked(zone, ch);

    m = ngx_push_store_make_locked(zone, ch, in, head, inl, nsegs);
    if (m == nullptr) {
        sh->stats.refused++;
        ngx_push_store_channel_info_locked(zone, ch, info);
        return ngx_push_store_rc::no_memory;
    }

    m->seq = ++ch->last_seq;
    ngx_queue_insert_tail(&ch->messages, &m->queue);
    ngx_push_store_added_locked(zone, ch, m, head, nsegs);

    *wake = ngx_push_store_mark_locked(zone, ch);
    ngx_push_store_channel_info_locked(zone, ch, info);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                   "push: stored %uL in \"%V\", %uD subscribers",
                   m->seq, &in->channel, ch->subscribers);

    return ngx_push_store_rc::ok;
}


/* Redis mode.  Messages come in seq order nearly always (a publish's own
 * answer, an announcement, a catch-up, all after last_seq); a history read
 * for an old cursor may bring older ones, put in their place.  A message
 * below the channel's first_seq is of another life and not kept. */
ngx_push_store_rc
ngx_push_store_put_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch,
    const ngx_push_publish_t *in, uint64_t seq, time_t time,
    ngx_push_wake_t *wake)
{
    size_t             head, inl, nsegs;
    ngx_queue_t       *q;
    ngx_push_msg_t    *m, *nm, *prev = nullptr;
    ngx_push_store_rc  rc;

    if (seq <= ch->first_seq) {
        return ngx_push_store_rc::ok;
    }

    for (q = ngx_queue_last(&ch->messages);
         q != ngx_queue_sentinel(&ch->messages);
         q = ngx_queue_prev(q))
    {
        m = ngx_queue_data(q, ngx_push_msg_t, queue);

        if (m->seq == seq) {
            return ngx_push_store_rc::ok;
        }

        if (m->seq < seq) {
            prev = m;
            break;
        }
    }

    if (seq <= ch->last_seq && ch->nmessages >= ch->max_messages
        && prev == nullptr)
    {
        /* older than every message a full buffer keeps */
        return ngx_push_store_rc::ok;
    }

    rc = ngx_push_store_size_locked(zone, in, &head, &inl, &nsegs);
    if (rc != ngx_push_store_rc::ok) {
        zone->sh->stats.refused++;
        return rc;
    }

    ngx_push_store_sub_made_end_locked(zone, ch);

    nm = ngx_push_store_make_locked(zone, ch, in, head, inl, nsegs);
    if (nm == nullptr) {
        zone->sh->stats.refused++;
        return ngx_push_store_rc::no_memory;
    }

    /* eviction may have taken prev: find the place again */
    prev = nullptr;
    for (q = ngx_queue_last(&ch->messages);
         q != ngx_queue_sentinel(&ch->messages);
         q = ngx_queue_prev(q))
    {
        m = ngx_queue_data(q, ngx_push_msg_t, queue);

        if (m->seq < seq) {
            prev = m;
            break;
        }
    }

    nm->seq = seq;
    nm->time = time;

    if (prev == nullptr) {
        ngx_queue_insert_head(&ch->messages, &nm->queue);

    } else {
        ngx_queue_insert_after(&prev->queue, &nm->queue);
    }

    if (seq > ch->last_seq) {
        ch->last_seq = seq;
    }

    ngx_push_store_added_locked(zone, ch, nm, head, nsegs);
    *wake |= ngx_push_store_mark_locked(zone, ch);

    return ngx_push_store_rc::ok;
}


ngx_push_store_rc
ngx_push_store_info(ngx_push_zone_t *zone, const ngx_str_t *id,
    ngx_push_channel_info_t *info)
{
    ngx_push_channel_t  *ch;
    ngx_push_shm_lock    lock(zone->shpool);

    ch = ngx_push_store_find_locked(zone, id);
    if (ch == nullptr) {
        return ngx_push_store_rc::not_found;
    }

    ngx_push_store_expire_locked(zone, ch);
    ngx_push_store_channel_info_locked(zone, ch, info);

    return ngx_push_store_rc::ok;
}


/* The channel leaves the tree at once, so a new one of the same id can
 * start; its subscribers are told through their slots and the memory goes
 * when the last of them has left. */
ngx_push_store_rc
ngx_push_store_delete(ngx_push_zone_t *zone, const ngx_str_t *id,
    ngx_push_channel_info_t *info, ngx_push_wake_t *wake)
{
    ngx_push_channel_t  *ch;
    ngx_push_shm_lock    lock(zone->shpool);

    *wake = 0;

    ch = ngx_push_store_find_locked(zone, id);
    if (ch == nullptr) {
        return ngx_push_store_rc::not_found;
    }

    ngx_push_store_expire_locked(zone, ch);
    ngx_push_store_channel_info_locked(zone, ch, info);

    if (ch->subscribers == 0) {
        ngx_push_store_free_channel_locked(zone, ch);
        return ngx_push_store_rc::ok;
    }

    /* out of reach of new publishers and subscribers; its messages stay
     * until its last subscriber is gone, so that a worker that has not read
     * them yet still delivers them before it ends its subscribers */
    ngx_push_store_retire_locked(zone, ch);
    ch->deleted = 1;
    ngx_push_store_idle_locked(zone, ch);
    ngx_push_store_redis_note_locked(zone, ch);

    *wake = ngx_push_store_mark_locked(zone, ch);

    return ngx_push_store_rc::ok;
}


ngx_push_wake_t
ngx_push_store_delete_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch)
{
    if (ch->subscribers == 0) {
        ngx_push_store_free_channel_locked(zone, ch);
        return 0;
    }

    ngx_push_store_retire_locked(zone, ch);
    ch->deleted = 1;
    ngx_push_store_idle_locked(zone, ch);
    ngx_push_store_redis_note_locked(zone, ch);

    return ngx_push_store_mark_locked(zone, ch);
}


ngx_push_wake_t
ngx_push_store_new_life_locked(ngx_push_zone_t *zone, uint32_t epoch)
{
    ngx_queue_t         *q, *next;
    ngx_push_wake_t      wake = 0;
    ngx_push_channel_t  *ch;

    zone->sh->epoch = epoch;

    for (q = ngx_queue_head(&zone->sh->channels);
         q != ngx_queue_sentinel(&zone->sh->channels);
         q = next)
    {
        next = ngx_queue_next(q);
        ch = ngx_queue_data(q, ngx_push_channel_t, lru);

        if (!ch->deleted && !ch->pinned) {
            wake |= ngx_push_store_delete_locked(zone, ch);
        }
    }

    /* the floor counted seqs of the old epoch */
    zone->sh->seq_floor = 0;

    return wake;
}


/* Redis mode: the channel's subscription may have to change (its
 * subscribers went 0 -> 1 or 1 -> 0, or it was deleted): it joins
 * sh->redis_todo, which the lease holder drains
 * (ngx_push_redis_lease.cpp), so that it looks at the channels that
 * changed, never at all of them.  Costs nothing without Redis: the
 * queue is in the channels. */
void
ngx_push_store_redis_note_locked(ngx_push_zone_t *zone,
    ngx_push_channel_t *ch)
{
    if (ch->redis_in == NGX_PUSH_REDIS_IN_TODO) {
        return;
    }

    if (ch->redis_in == NGX_PUSH_REDIS_IN_DROP) {
        ngx_queue_remove(&ch->redis_q);
    }

    ngx_queue_insert_tail(&zone->sh->redis_todo, &ch->redis_q);
    ch->redis_in = NGX_PUSH_REDIS_IN_TODO;
    zone->sh->redis_scan = 1;
}


/* Counts one more subscriber of ch in a worker slot. */
ngx_push_rec_t *
ngx_push_store_join_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch,
    ngx_uint_t slot)
{
    ngx_queue_t     *q;
    ngx_push_rec_t  *rec;
    uint8_t          pinned;

    for (q = ngx_queue_head(&ch->recs);
         q != ngx_queue_sentinel(&ch->recs);
         q = ngx_queue_next(q))
    {
        rec = ngx_queue_data(q, ngx_push_rec_t, in_channel);

        if (rec->slot == slot) {
            goto found;
        }
    }

    pinned = ch->pinned;
    ch->pinned = 1;
    rec = static_cast<ngx_push_rec_t *>(
              ngx_push_zone_alloc_locked(zone, sizeof(ngx_push_rec_t)));
    ch->pinned = pinned;

    if (rec == nullptr) {
        return nullptr;
    }

    ngx_memzero(rec, sizeof(ngx_push_rec_t));
    rec->channel = ch;
    rec->slot = static_cast<uint32_t>(slot);
    ngx_queue_insert_tail(&ch->recs, &rec->in_channel);
    ngx_queue_insert_tail(&zone->sh->slots[slot].recs, &rec->in_slot);

found:

    rec->count++;
    ch->subscribers++;
    ngx_push_store_idle_locked(zone, ch);
    ngx_push_store_touch_locked(zone, ch);

    if (ch->subscribers == 1 && !ch->redis_sub) {
        /* Redis mode: the first subscriber on this server, the lease
         * holder subscribes (one subscribed already waits in redis_drop,
         * where it is kept when it has subscribers again) */
        ngx_push_store_redis_note_locked(zone, ch);
    }

    return rec;
}


void
ngx_push_store_unsubscribe(ngx_push_zone_t *zone, ngx_push_rec_t *rec)
{
    ngx_push_shm_lock  lock(zone->shpool);

    ngx_push_store_unsubscribe_locked(zone, rec, 1);
}


void
ngx_push_store_unsubscribe_locked(ngx_push_zone_t *zone, ngx_push_rec_t *rec,
    uint32_t n)
{
    ngx_push_channel_t  *ch = rec->channel;

    rec->count -= n;
    ch->subscribers -= n;
    ngx_push_store_idle_locked(zone, ch);

    if (ch->subscribers == 0 && ch->redis_sub) {
        /* Redis mode: the lease holder drops the subscription later */
        ngx_push_store_redis_note_locked(zone, ch);
    }

    if (rec->count > 0) {
        return;
    }

    ngx_queue_remove(&rec->in_channel);
    ngx_queue_remove(&rec->in_slot);

    if (rec->dirty) {
        ngx_queue_remove(&rec->in_dirty);
    }

    ngx_push_zone_free_locked(zone, rec);

    if (ch->deleted && ch->subscribers == 0) {
        ngx_push_store_free_channel_locked(zone, ch);
    }
}


ngx_push_msg_t *
ngx_push_store_next_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch,
    uint64_t after)
{
    ngx_queue_t     *q;
    ngx_push_msg_t  *m, *next = nullptr;

    ngx_push_store_expire_locked(zone, ch);

    /* from the newest back: a subscriber is nearly always near the end */
    for (q = ngx_queue_last(&ch->messages);
         q != ngx_queue_sentinel(&ch->messages);
         q = ngx_queue_prev(q))
    {
        m = ngx_queue_data(q, ngx_push_msg_t, queue);

        if (m->seq <= after) {
            break;
        }

        next = m;
    }

    return next;
}


ngx_push_msg_t *
ngx_push_store_last_locked(ngx_push_zone_t *zone, ngx_push_channel_t *ch)
{
    ngx_push_store_expire_locked(zone, ch);

    if (ngx_queue_empty(&ch->messages)) {
        return nullptr;
    }

    return ngx_queue_data(ngx_queue_last(&ch->messages), ngx_push_msg_t,
                          queue);
}
