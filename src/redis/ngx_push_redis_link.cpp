/* The worker's link to Redis.
 *
 * Objects, per worker process (nothing of it is shared):
 *   link   one per worker, for the http{} with push_redis_server; owns the
 *          nodes, the slot router, the probe and the figures it publishes
 *          in its zone slot;
 *   node   one per Redis master (one today: push_redis_server); owns a
 *          command connection and a subscription connection, and the set
 *          of channels subscribed there, which every new subscription
 *          connection takes again;
 *   router hash-slot ranges -> node.  Today one range, 0..16383, maps to
 *          the one node; Redis Cluster fills it from the cluster's own
 *          map (CLUSTER SHARDS), and nothing else changes: callers route
 *          a key or a channel by its slot (push_redis_key.h) and talk to
 *          the node they get.
 *
 * Liveness: each connection PINGs when nothing was read for
 * push_redis_ping_interval and drops itself when a reply is late by
 * push_redis_command_timeout (a Redis that stops answering).  Beyond that
 * the link subscribes, on every node, a probe channel of its own and
 * publishes to it every push_redis_ping_interval: a publish that reaches
 * nobody means the subscription connection lost its subscriptions while
 * it still answers PINGs (centrifugo #1189): it is dropped and made
 * again, with every channel.
 *
 * Logs: one warn when the link goes down (with the first reason), one
 * notice when it is up again; attempts in between say nothing. */
#include "ngx_push_redis_link.h"
#include "ngx_push_ipc.h"
#include "push_redis_key.h"
#include "push_resp_pubsub.h"


struct ngx_push_redis_sub_t {
    ngx_str_node_t   sn;          /* key: crc32 of the channel */
    ngx_uint_t       confirmed;   /* Redis said subscribed, on this very
                                   * connection */
    ngx_queue_t      unsent;      /* in node->unsent while in_unsent */
    ngx_uint_t       in_unsent;
    u_char           name[1];
};


/* Owner: the link, for the worker's life. */
struct ngx_push_redis_node_t {
    ngx_push_redis_link_t  *link;
    ngx_push_redis_conn_t  *cmd;
    ngx_push_redis_conn_t  *sub;
    ngx_rbtree_t            channels;    /* ngx_push_redis_sub_t */
    ngx_rbtree_node_t       sentinel;
    ngx_uint_t              nchannels;
    ngx_uint_t              awaiting;    /* replies of a resubscription */
    ngx_queue_t             unsent;      /* ngx_push_redis_sub_t of the
                                          * resubscription not sent yet:
                                          * sent as replies make room in
                                          * the connection's queue */
    ngx_uint_t              sub_failed;  /* the subscription connection
                                          * failed since it was last up */
    ngx_uint_t              probing;     /* a probe publish is out */
    ngx_uint_t              probe_gen;   /* sub->gen it was sent for */
};


struct ngx_push_redis_range_t {
    uint16_t                first;
    uint16_t                last;
    uint32_t                node;
};


/* Owner: the worker (ngx_push_redis_link_init / _exit), cycle pool. */
struct ngx_push_redis_link_t {
    const ngx_push_redis_conf_t  *conf;
    ngx_push_zone_t              *zone;
    ngx_push_stats_t             *stats;      /* the zone's, or local */
    ngx_push_stats_t              local;
    ngx_log_t                    *log;
    ngx_push_redis_node_t        *nodes;
    ngx_uint_t                    nnodes;
    ngx_push_redis_range_t       *ranges;
    ngx_uint_t                    nranges;
    ngx_push_redis_owner_t        owner;
    ngx_str_t                     probe;      /* the probe channel */
    ngx_event_t                   probe_timer;
    uint32_t                      state;      /* as last logged */
    ngx_msec_t                    down_since;
    uint64_t                      latency_us;
};



/* Plain data: this worker's link. */
static ngx_push_redis_link_t  *ngx_push_redis_worker_link;


ngx_push_redis_link_t *
ngx_push_redis_link(void)
{
    return ngx_push_redis_worker_link;
}


void
ngx_push_redis_link_set_owner(ngx_push_redis_link_t *link,
    const ngx_push_redis_owner_t *owner)
{
    link->owner = *owner;
}


ngx_push_redis_node_t *
ngx_push_redis_route(ngx_push_redis_link_t *link, uint16_t slot)
{
    ngx_uint_t  i;

    for (i = 0; i < link->nranges; i++) {
        if (slot >= link->ranges[i].first && slot <= link->ranges[i].last) {
            return &link->nodes[link->ranges[i].node];
        }
    }

    return nullptr;
}


ngx_push_redis_node_t *
ngx_push_redis_route_key(ngx_push_redis_link_t *link, std::string_view key)
{
    return ngx_push_redis_route(link, push::redis_key_slot(key));
}


uint64_t
ngx_push_redis_command(ngx_push_redis_node_t *node,
    const push::resp_arg *args, size_t n, ngx_push_redis_reply_pt handler,
    void *data)
{
    return ngx_push_redis_conn_send(node->cmd, args, n, handler, data);
}


void
ngx_push_redis_cancel(ngx_push_redis_node_t *node, uint64_t id)
{
    ngx_push_redis_conn_cancel(node->cmd, id);
}


/* The worst state of any connection: down, connecting, up. */
static uint32_t
ngx_push_redis_link_state(ngx_push_redis_link_t *link)
{
    uint32_t                state = NGX_PUSH_REDIS_UP;
    ngx_uint_t              i;
    ngx_push_redis_node_t  *node;

    for (i = 0; i < link->nnodes; i++) {
        node = &link->nodes[i];
        state = ngx_max(state, static_cast<uint32_t>(node->cmd->state));
        state = ngx_max(state, static_cast<uint32_t>(node->sub->state));
    }

    return state;
}


/* This worker's figures into its zone slot (push_stats reads them). */
static void
ngx_push_redis_publish_gauges(ngx_push_redis_link_t *link)
{
    uint32_t                  in_flight = 0;
    ngx_int_t                 slot = ngx_push_ipc_slot();
    ngx_uint_t                i;
    ngx_push_redis_gauges_t  *g;

    if (slot < 0 || link->zone == nullptr) {
        return;
    }

    for (i = 0; i < link->nnodes; i++) {
        in_flight += link->nodes[i].cmd->fifo_len
                     + link->nodes[i].sub->fifo_len;
    }

    g = &link->zone->sh->slots[slot].redis;
    __atomic_store_n(&g->state, ngx_push_redis_link_state(link),
                     __ATOMIC_RELAXED);
    __atomic_store_n(&g->in_flight, in_flight, __ATOMIC_RELAXED);
    __atomic_store_n(&g->latency_us, link->latency_us, __ATOMIC_RELAXED);
}


/* Logs a change of the link's state, once. */
static void
ngx_push_redis_link_changed(ngx_push_redis_link_t *link,
    ngx_push_redis_conn_t *rc, const char *reason)
{
    uint32_t  state = ngx_push_redis_link_state(link);

    if (state == link->state) {
        ngx_push_redis_publish_gauges(link);
        return;
    }

    if (state == NGX_PUSH_REDIS_DOWN) {
        link->down_since = ngx_current_msec;
        ngx_log_error(NGX_LOG_WARN, link->log, 0,
                      "push: redis %V is down: %s connection: %s; "
                      "reconnecting with a backoff of %M to %M ms",
                      &link->conf->addr->name, rc->role, reason,
                      link->conf->reconnect_min, link->conf->reconnect_max);

    } else if (state == NGX_PUSH_REDIS_UP) {
        if (link->state == NGX_PUSH_REDIS_DOWN) {
            ngx_log_error(NGX_LOG_NOTICE, link->log, 0,
                          "push: redis %V is up again after %M ms (RESP%d)",
                          &link->conf->addr->name,
                          ngx_current_msec - link->down_since,
                          rc->resp3 ? 3 : 2);
        } else {
            ngx_log_error(NGX_LOG_INFO, link->log, 0,
                          "push: redis %V is up (RESP%d)",
                          &link->conf->addr->name, rc->resp3 ? 3 : 2);
        }
    }

    link->state = state;
    ngx_push_redis_publish_gauges(link);
}


static ngx_push_redis_sub_t *
ngx_push_redis_find(ngx_push_redis_node_t *node, const ngx_str_t *channel)
{
    ngx_str_t  name = *channel;

    return reinterpret_cast<ngx_push_redis_sub_t *>(
               ngx_str_rbtree_lookup(&node->channels, &name,
                                     ngx_crc32_short(name.data, name.len)));
}


/* A subscribe confirmation (or an error) for a channel. */
static void
ngx_push_redis_confirmed(ngx_push_redis_node_t *node,
    const push::resp_node *reply)
{
    ngx_str_t              name;
    push::resp_pubsub      ev = push::resp_pubsub_classify(reply);
    ngx_push_redis_sub_t  *s;

    if (ev.kind == push::resp_pubsub_kind::subscribe
        || ev.kind == push::resp_pubsub_kind::ssubscribe)
    {
        name.data = reinterpret_cast<u_char *>(
                        const_cast<char *>(ev.channel.data()));
        name.len = ev.channel.size();

        s = ngx_push_redis_find(node, &name);
        if (s != nullptr && !s->confirmed) {
            s->confirmed = 1;

            if (node->link->owner.subscribed != nullptr
                && (s->sn.str.len != node->link->probe.len
                    || ngx_memcmp(s->sn.str.data, node->link->probe.data,
                                  s->sn.str.len) != 0))
            {
                node->link->owner.subscribed(node->link->owner.data, node,
                                             &s->sn.str);
            }
        }
        return;
    }

    if (reply->type == push::resp_type::error
        || reply->type == push::resp_type::blob_error)
    {
        ngx_log_error(NGX_LOG_WARN, node->link->log, 0,
                      "push: redis %V refused a subscription: %*s",
                      &node->link->conf->addr->name,
                      ngx_min(reply->str.size(), static_cast<size_t>(160)),
                      reply->str.data());
    }
}


static void ngx_push_redis_pump(ngx_push_redis_node_t *node);


static void
ngx_push_redis_subscribed(void *data, const push::resp_node *reply,
    const char *error)
{
    auto  *node = static_cast<ngx_push_redis_node_t *>(data);

    if (reply != nullptr) {
        ngx_push_redis_confirmed(node, reply);
        /* room for the rest of a resubscription */
        ngx_push_redis_pump(node);
    }
}


/* Every channel is subscribed again: the owner may catch up. */
static void
ngx_push_redis_resubscribed(ngx_push_redis_node_t *node)
{
    ngx_push_redis_link_t  *link = node->link;

    if (!node->sub_failed) {
        return;
    }

    node->sub_failed = 0;

    ngx_log_error(NGX_LOG_INFO, link->log, 0,
                  "push: redis %V: %ui channels subscribed again",
                  &link->conf->addr->name, node->nchannels);

    if (link->owner.resubscribed != nullptr) {
        link->owner.resubscribed(link->owner.data, node);
    }
}


static void
ngx_push_redis_round_reply(void *data, const push::resp_node *reply,
    const char *error)
{
    auto  *node = static_cast<ngx_push_redis_node_t *>(data);

    if (reply == nullptr) {
        /* the connection failed again: its next ready starts over */
        node->awaiting = 0;
        return;
    }

    ngx_push_redis_confirmed(node, reply);

    if (node->awaiting) {
        node->awaiting--;
        ngx_push_redis_pump(node);
    }
}


static uint64_t
ngx_push_redis_send_subscribe(ngx_push_redis_node_t *node,
    const ngx_str_t *channel, const char *verb, ngx_push_redis_reply_pt h)
{
    push::resp_arg  args[2] = {
        push::resp_bytes(verb),
        push::resp_bytes(ngx_push_sv(*channel))
    };

    return ngx_push_redis_conn_send(node->sub, args, 2, h, node);
}


/* A new subscription connection: every channel again, pipelined, as
 * many at a time as its queue holds (NGX_PUSH_REDIS_PENDING_MAX): each
 * reply makes room for the next (ngx_push_redis_pump). */
static void
ngx_push_redis_resubscribe(ngx_push_redis_node_t *node)
{
    ngx_rbtree_node_t     *n;
    ngx_push_redis_sub_t  *s;

    node->awaiting = 0;
    ngx_queue_init(&node->unsent);

    if (node->channels.root != node->channels.sentinel) {
        for (n = ngx_rbtree_min(node->channels.root, node->channels.sentinel);
             n != nullptr;
             n = ngx_rbtree_next(&node->channels, n))
        {
            s = reinterpret_cast<ngx_push_redis_sub_t *>(n);
            s->confirmed = 0;
            ngx_queue_insert_tail(&node->unsent, &s->unsent);
            s->in_unsent = 1;
        }
    }

    ngx_push_redis_pump(node);
}


/* Sends what the resubscription has left while the queue takes it; when
 * all are sent and answered, the owner is told. */
static void
ngx_push_redis_pump(ngx_push_redis_node_t *node)
{
    ngx_queue_t           *q;
    ngx_push_redis_sub_t  *s;

    if (!node->sub->ready) {
        return;
    }

    while (!ngx_queue_empty(&node->unsent)) {
        q = ngx_queue_head(&node->unsent);
        s = ngx_queue_data(q, ngx_push_redis_sub_t, unsent);

        if (ngx_push_redis_send_subscribe(node, &s->sn.str, "SUBSCRIBE",
                                          ngx_push_redis_round_reply)
            == 0)
        {
            return;
        }

        ngx_queue_remove(q);
        s->in_unsent = 0;
        node->awaiting++;
    }

    if (node->awaiting == 0) {
        ngx_push_redis_resubscribed(node);
    }
}


static ngx_int_t
ngx_push_redis_node_subscribe(ngx_push_redis_node_t *node,
    const ngx_str_t *channel)
{
    ngx_push_redis_sub_t  *s;

    if (ngx_push_redis_find(node, channel) != nullptr) {
        return NGX_OK;
    }

    s = static_cast<ngx_push_redis_sub_t *>(
            ngx_alloc(sizeof(ngx_push_redis_sub_t) + channel->len,
                      node->link->log));
    if (s == nullptr) {
        return NGX_ERROR;
    }

    ngx_memzero(s, sizeof(ngx_push_redis_sub_t));
    ngx_memcpy(s->name, channel->data, channel->len);
    s->sn.str.data = s->name;
    s->sn.str.len = channel->len;
    s->sn.node.key = ngx_crc32_short(s->name, channel->len);

    if (ngx_push_redis_send_subscribe(node, channel, "SUBSCRIBE",
                                      ngx_push_redis_subscribed)
        == 0 && node->sub->ready)
    {
        /* the connection's queue is full: the caller asks again later
         * (kept, it would not be sent before a reconnect) */
        ngx_free(s);
        return NGX_AGAIN;
    }

    /* not ready: the next ready subscribes it with the rest */
    ngx_rbtree_insert(&node->channels, &s->sn.node);
    node->nchannels++;

    return NGX_OK;
}


ngx_int_t
ngx_push_redis_subscribe(ngx_push_redis_link_t *link,
    const ngx_str_t *channel)
{
    ngx_push_redis_node_t  *node;

    node = ngx_push_redis_route_key(link, ngx_push_sv(*channel));
    if (node == nullptr) {
        return NGX_DECLINED;
    }

    return ngx_push_redis_node_subscribe(node, channel);
}


static void
ngx_push_redis_ignore(void *data, const push::resp_node *reply,
    const char *error)
{
}


ngx_uint_t
ngx_push_redis_is_subscribed(ngx_push_redis_link_t *link,
    const ngx_str_t *channel)
{
    ngx_push_redis_node_t  *node;
    ngx_push_redis_sub_t   *s;

    node = ngx_push_redis_route_key(link, ngx_push_sv(*channel));
    if (node == nullptr) {
        return 0;
    }

    s = ngx_push_redis_find(node, channel);

    return s != nullptr && s->confirmed && node->sub->ready;
}


ngx_int_t
ngx_push_redis_unsubscribe(ngx_push_redis_link_t *link,
    const ngx_str_t *channel)
{
    ngx_push_redis_node_t  *node;
    ngx_push_redis_sub_t   *s;

    node = ngx_push_redis_route_key(link, ngx_push_sv(*channel));
    if (node == nullptr) {
        return NGX_OK;
    }

    s = ngx_push_redis_find(node, channel);
    if (s == nullptr) {
        return NGX_OK;
    }

    if (s->in_unsent) {
        /* not subscribed on this connection yet: never will be */
        ngx_queue_remove(&s->unsent);
        s->in_unsent = 0;

    } else if (ngx_push_redis_send_subscribe(node, channel, "UNSUBSCRIBE",
                                             ngx_push_redis_ignore)
               == 0 && node->sub->ready)
    {
        /* the connection's queue is full: still subscribed */
        return NGX_AGAIN;
    }

    /* not ready: the next ready does not subscribe it again */

    ngx_rbtree_delete(&node->channels, &s->sn.node);
    node->nchannels--;
    ngx_free(s);

    return NGX_OK;
}


/* The connections' events. */

static void
ngx_push_redis_on_ready(ngx_push_redis_conn_t *rc)
{
    auto  *node = static_cast<ngx_push_redis_node_t *>(rc->owner);

    if (rc == node->sub) {
        ngx_push_redis_resubscribe(node);

    } else if (node->link->owner.command_ready != nullptr) {
        node->link->owner.command_ready(node->link->owner.data, node);
    }

    ngx_push_redis_link_changed(node->link, rc, "");
}


static void
ngx_push_redis_on_down(ngx_push_redis_conn_t *rc, const char *reason)
{
    auto  *node = static_cast<ngx_push_redis_node_t *>(rc->owner);

    if (rc == node->sub) {
        node->sub_failed = 1;
        node->awaiting = 0;

        if (node->link->owner.lost != nullptr) {
            node->link->owner.lost(node->link->owner.data, node);
        }
    }

    ngx_push_redis_link_changed(node->link, rc, reason);
}


static void
ngx_push_redis_on_push(ngx_push_redis_conn_t *rc, const push::resp_node *root)
{
    auto               *node = static_cast<ngx_push_redis_node_t *>(
                                   rc->owner);
    ngx_str_t           channel, payload;
    push::resp_pubsub   ev = push::resp_pubsub_classify(root);
    ngx_push_redis_link_t  *link = node->link;

    if (ev.kind != push::resp_pubsub_kind::message
        && ev.kind != push::resp_pubsub_kind::smessage
        && ev.kind != push::resp_pubsub_kind::pmessage)
    {
        /* a RESP3 push nobody asked for (client tracking and the like) */
        return;
    }

    channel.data = reinterpret_cast<u_char *>(
                       const_cast<char *>(ev.channel.data()));
    channel.len = ev.channel.size();

    if (channel.len == link->probe.len
        && ngx_memcmp(channel.data, link->probe.data, channel.len) == 0)
    {
        /* the probe came round: reading it was the point */
        return;
    }

    payload.data = reinterpret_cast<u_char *>(
                       const_cast<char *>(ev.payload.data()));
    payload.len = ev.payload.size();

    if (link->owner.message != nullptr) {
        link->owner.message(link->owner.data, node, &channel, &payload);
    }
}


static void
ngx_push_redis_on_changed(ngx_push_redis_conn_t *rc)
{
    auto  *node = static_cast<ngx_push_redis_node_t *>(rc->owner);

    node->link->latency_us = rc->latency_us;
    ngx_push_redis_publish_gauges(node->link);
}


static const ngx_push_redis_conn_ops_t  ngx_push_redis_link_ops = {
    ngx_push_redis_on_ready,
    ngx_push_redis_on_down,
    ngx_push_redis_on_push,
    ngx_push_redis_on_changed
};


/* The probe: a publish to the link's own channel must reach its own
 * subscription connection. */

static void
ngx_push_redis_probe_reply(void *data, const push::resp_node *reply,
    const char *error)
{
    auto  *node = static_cast<ngx_push_redis_node_t *>(data);

    node->probing = 0;

    if (reply == nullptr || reply->type != push::resp_type::integer
        || reply->integer != 0)
    {
        return;
    }

    if (node->sub->ready && node->sub->gen == node->probe_gen) {
        ngx_push_redis_conn_fail(node->sub, "a probe publish reached no "
                                            "subscriber: the subscriptions "
                                            "were lost");
    }
}


static void
ngx_push_redis_probe_handler(ngx_event_t *ev)
{
    auto                   *link = static_cast<ngx_push_redis_link_t *>(
                                       ev->data);
    ngx_uint_t              i;
    ngx_push_redis_sub_t   *s;
    ngx_push_redis_node_t  *node;
    push::resp_arg          args[3] = {
        push::resp_bytes("PUBLISH"),
        push::resp_bytes(ngx_push_sv(link->probe)),
        push::resp_bytes("probe")
    };

    for (i = 0; i < link->nnodes; i++) {
        node = &link->nodes[i];

        if (node->probing || !node->cmd->ready || !node->sub->ready) {
            continue;
        }

        s = ngx_push_redis_find(node, &link->probe);
        if (s == nullptr || !s->confirmed) {
            continue;
        }

        node->probe_gen = node->sub->gen;

        if (ngx_push_redis_conn_send(node->cmd, args, 3,
                                     ngx_push_redis_probe_reply, node)
            != 0)
        {
            node->probing = 1;
        }
    }

    if (!ngx_exiting && !ngx_quit && !ngx_terminate) {
        ngx_add_timer(&link->probe_timer, link->conf->ping_interval);
    }
}


static ngx_int_t
ngx_push_redis_node_init(ngx_cycle_t *cycle, ngx_push_redis_link_t *link,
    ngx_push_redis_node_t *node)
{
    node->link = link;
    ngx_rbtree_init(&node->channels, &node->sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_queue_init(&node->unsent);

    node->cmd = ngx_push_redis_conn_create(cycle, link->conf, "command", 0,
                                           &ngx_push_redis_link_ops, node,
                                           link->stats);
    node->sub = ngx_push_redis_conn_create(cycle, link->conf,
                                           "subscription", 1,
                                           &ngx_push_redis_link_ops, node,
                                           link->stats);
    if (node->cmd == nullptr || node->sub == nullptr) {
        return NGX_ERROR;
    }

    return ngx_push_redis_node_subscribe(node, &link->probe);
}


ngx_int_t
ngx_push_redis_link_init(ngx_cycle_t *cycle,
    const ngx_push_redis_conf_t *conf, ngx_push_zone_t *zone)
{
    u_char                 *p;
    size_t                  len;
    ngx_uint_t              i;
    ngx_push_redis_link_t  *link;

    if (conf->url.len == 0
        || (ngx_process != NGX_PROCESS_WORKER
            && ngx_process != NGX_PROCESS_SINGLE))
    {
        return NGX_OK;
    }

    link = static_cast<ngx_push_redis_link_t *>(
               ngx_pcalloc(cycle->pool, sizeof(ngx_push_redis_link_t)));
    if (link == nullptr) {
        return NGX_ERROR;
    }

    link->conf = conf;
    link->zone = zone;
    link->stats = zone != nullptr ? &zone->sh->stats : &link->local;
    link->log = cycle->log;
    link->state = NGX_PUSH_REDIS_CONNECTING;

    /* "<prefix>:probe:<host>:<pid>": this worker's, on this server */
    len = conf->prefix.len + cycle->hostname.len + NGX_INT64_LEN + 16;
    p = static_cast<u_char *>(ngx_pnalloc(cycle->pool, len));
    if (p == nullptr) {
        return NGX_ERROR;
    }
    link->probe.data = p;
    link->probe.len = ngx_snprintf(p, len, "%V:probe:%V:%P", &conf->prefix,
                                   &cycle->hostname, ngx_pid) - p;

    /* one node, holding every slot; Cluster adds nodes and ranges */
    link->nnodes = 1;
    link->nodes = static_cast<ngx_push_redis_node_t *>(
                      ngx_pcalloc(cycle->pool, sizeof(ngx_push_redis_node_t)));
    link->nranges = 1;
    link->ranges = static_cast<ngx_push_redis_range_t *>(
                       ngx_pcalloc(cycle->pool,
                                   sizeof(ngx_push_redis_range_t)));
    if (link->nodes == nullptr || link->ranges == nullptr) {
        return NGX_ERROR;
    }
    link->ranges[0].first = 0;
    link->ranges[0].last = push::redis_slots - 1;
    link->ranges[0].node = 0;

    for (i = 0; i < link->nnodes; i++) {
        if (ngx_push_redis_node_init(cycle, link, &link->nodes[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    link->probe_timer.handler = ngx_push_redis_probe_handler;
    link->probe_timer.data = link;
    link->probe_timer.log = cycle->log;
    link->probe_timer.cancelable = 1;
    ngx_add_timer(&link->probe_timer, conf->ping_interval);

    ngx_push_redis_worker_link = link;

    for (i = 0; i < link->nnodes; i++) {
        ngx_push_redis_conn_start(link->nodes[i].cmd);
        ngx_push_redis_conn_start(link->nodes[i].sub);
    }

    ngx_push_redis_publish_gauges(link);

    return NGX_OK;
}


void
ngx_push_redis_link_exit(ngx_cycle_t *cycle)
{
    ngx_uint_t              i;
    ngx_rbtree_node_t      *n;
    ngx_push_redis_node_t  *node;
    ngx_push_redis_link_t  *link = ngx_push_redis_worker_link;

    if (link == nullptr) {
        return;
    }

    ngx_push_redis_worker_link = nullptr;

    if (link->probe_timer.timer_set) {
        ngx_del_timer(&link->probe_timer);
    }

    for (i = 0; i < link->nnodes; i++) {
        node = &link->nodes[i];

        ngx_push_redis_conn_destroy(node->cmd);
        ngx_push_redis_conn_destroy(node->sub);

        while (node->channels.root != node->channels.sentinel) {
            n = ngx_rbtree_min(node->channels.root, node->channels.sentinel);
            ngx_rbtree_delete(&node->channels, n);
            ngx_free(n);
        }
    }
}
