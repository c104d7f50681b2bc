/* The worker's link to Redis: nodes, the slot router, subscriptions, the
 * liveness probe, and the figures push_stats shows. */
#ifndef NGX_PUSH_REDIS_LINK_H_INCLUDED
#define NGX_PUSH_REDIS_LINK_H_INCLUDED

#include "ngx_push.h"
#include "ngx_push_redis_conf.h"
#include "ngx_push_redis_conn.h"
#include "ngx_push_zone.h"


struct ngx_push_redis_link_t;
struct ngx_push_redis_node_t;


/* Who uses the link (channel sharing, ngx_push_redis_share.cpp): told of
 * every delivery on a channel it subscribed, of each subscription Redis
 * confirmed (from then on nothing published there is missed), when a
 * node's subscription connection was lost (announcements may be missed
 * until every channel is confirmed again), when a node's subscription
 * connection is back with every channel subscribed again, and when a
 * node's command connection is ready.  The strings are valid during the
 * call only.  Any may be nullptr. */
struct ngx_push_redis_owner_t {
    void  *data;
    void (*message)(void *data, ngx_push_redis_node_t *node,
        const ngx_str_t *channel, const ngx_str_t *payload);
    void (*resubscribed)(void *data, ngx_push_redis_node_t *node);
    void (*subscribed)(void *data, ngx_push_redis_node_t *node,
        const ngx_str_t *channel);
    void (*lost)(void *data, ngx_push_redis_node_t *node);
    void (*command_ready)(void *data, ngx_push_redis_node_t *node);
};


ngx_int_t ngx_push_redis_link_init(ngx_cycle_t *cycle,
    const ngx_push_redis_conf_t *conf, ngx_push_zone_t *zone);
void ngx_push_redis_link_exit(ngx_cycle_t *cycle);

/* This worker's link, or nullptr (no push_redis_server, not a worker). */
ngx_push_redis_link_t *ngx_push_redis_link(void);

void ngx_push_redis_link_set_owner(ngx_push_redis_link_t *link,
    const ngx_push_redis_owner_t *owner);

/* The node that holds a hash slot (0..16383), or a key's. */
ngx_push_redis_node_t *ngx_push_redis_route(ngx_push_redis_link_t *link,
    uint16_t slot);
ngx_push_redis_node_t *ngx_push_redis_route_key(ngx_push_redis_link_t *link,
    std::string_view key);

/* A command on the node's command connection: see
 * ngx_push_redis_conn_send() (0: not sent, the handler is not called). */
uint64_t ngx_push_redis_command(ngx_push_redis_node_t *node,
    const push::resp_arg *args, size_t n, ngx_push_redis_reply_pt handler,
    void *data);
void ngx_push_redis_cancel(ngx_push_redis_node_t *node, uint64_t id);

/* Subscriptions on the node that holds the channel's slot; kept across
 * reconnects (every one is taken again on the new connection).  NGX_AGAIN:
 * the subscription connection is up but its queue is full, nothing was
 * done (neither subscribed nor unsubscribed): ask again later. */
ngx_int_t ngx_push_redis_subscribe(ngx_push_redis_link_t *link,
    const ngx_str_t *channel);
ngx_int_t ngx_push_redis_unsubscribe(ngx_push_redis_link_t *link,
    const ngx_str_t *channel);
/* Whether Redis confirmed the channel's subscription on the connection
 * there is now. */
ngx_uint_t ngx_push_redis_is_subscribed(ngx_push_redis_link_t *link,
    const ngx_str_t *channel);

#endif /* NGX_PUSH_REDIS_LINK_H_INCLUDED */
