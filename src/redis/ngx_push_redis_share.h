/* Channels shared by several servers through Redis: publishes, channel
 * info and deletes run there; announcements, catch-ups and the history a
 * subscriber's cursor needs come back into the zone. */
#ifndef NGX_PUSH_REDIS_SHARE_H_INCLUDED
#define NGX_PUSH_REDIS_SHARE_H_INCLUDED

#include "ngx_push.h"
#include "ngx_push_redis_conf.h"
#include "ngx_push_zone.h"


struct ngx_push_sub_t;


/* How a publisher request is answered once Redis has: status 200, 201 or
 * 202 with info, or an error status with a one-line reason (503: Redis
 * cannot be reached; the answer carries Retry-After).  Called once. */
typedef void (*ngx_push_share_done_pt)(ngx_http_request_t *r,
    ngx_uint_t status, const ngx_push_channel_info_t *info,
    const char *reason);

/* A subscriber parked while its channels' history is read: called once,
 * with the zone then holding what Redis keeps after its cursor. */
typedef void (*ngx_push_share_resume_pt)(ngx_push_sub_t *sub,
    ngx_int_t have_cursor);


ngx_int_t ngx_push_share_init(ngx_cycle_t *cycle,
    const ngx_push_redis_conf_t *conf, ngx_push_zone_t *zone);
void ngx_push_share_exit(ngx_cycle_t *cycle);

/* Whether this worker shares its channels through Redis. */
ngx_uint_t ngx_push_share_on(void);

/* What a woken worker runs: its wake-up round, then, if it holds the
 * subscription lease, the subscriptions its server's channels need. */
void ngx_push_share_woken(ngx_push_zone_t *zone, ngx_uint_t slot);

/* The publisher's three requests.  NGX_DONE: under way (the request is
 * counted once more, done answers it); else an HTTP status to answer now
 * (503 with its reason and Retry-After already set).  idem: the
 * publisher's Idempotency-Key, checked (push_idempotency.h), or nullptr:
 * one is made, and given back in a 503 that says the publish may have been
 * done. */
ngx_int_t ngx_push_share_publish(ngx_http_request_t *r,
    const ngx_push_publish_t *in, const ngx_str_t *idem,
    ngx_push_share_done_pt done);
ngx_int_t ngx_push_share_info(ngx_http_request_t *r, const ngx_str_t *id,
    time_t ttl, ngx_push_share_done_pt done);
ngx_int_t ngx_push_share_delete(ngx_http_request_t *r, const ngx_str_t *id,
    time_t ttl, ngx_push_share_done_pt done);

/* Before a subscriber is resolved: NGX_DONE when it is parked until the
 * history its cursor needs is in the zone (resume is then called, the
 * request counted once more meanwhile); NGX_DECLINED when the zone can
 * answer now (in sync, or Redis unreachable: the local copy serves). */
ngx_int_t ngx_push_share_park(ngx_push_sub_t *sub, ngx_int_t have_cursor,
    ngx_push_share_resume_pt resume);

/* After a subscriber joined its channels: the lease holder subscribes
 * those its server did not subscribe yet. */
void ngx_push_share_joined(ngx_push_sub_t *sub);

#endif /* NGX_PUSH_REDIS_SHARE_H_INCLUDED */
