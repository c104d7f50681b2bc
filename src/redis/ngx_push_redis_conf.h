/* The push_redis_* directives: what the link to Redis is told. */
#ifndef NGX_PUSH_REDIS_CONF_H_INCLUDED
#define NGX_PUSH_REDIS_CONF_H_INCLUDED

#include "ngx_push.h"


/* Part of the http main configuration (ngx_push_main_conf_t.redis).
 * Owner: cf->pool, for the cycle's life; every worker reads it. */
struct ngx_push_redis_conf_t {
    ngx_str_t        url;              /* push_redis_server as written;
                                        * empty: no Redis */
    ngx_addr_t      *addr;             /* resolved at configuration time */
    ngx_str_t        user;             /* decoded; empty: default user */
    ngx_str_t        password;         /* decoded */
    ngx_uint_t       auth;             /* credentials were given */
    ngx_uint_t       db;               /* SELECT, default 0 */
    ngx_str_t        prefix;           /* push_redis_prefix, default push */
    ngx_msec_t       connect_timeout;  /* ms, default 1s */
    ngx_msec_t       command_timeout;  /* ms, default 2s */
    ngx_msec_t       reconnect_min;    /* ms, default 100ms */
    ngx_msec_t       reconnect_max;    /* ms, default 5s */
    ngx_msec_t       ping_interval;    /* ms, default 5s */
    ngx_msec_t       idempotency_ttl;  /* ms an Idempotency-Key is kept in
                                        * Redis, default 5m */
    size_t           max_reply;        /* bytes, default 8m */
    ngx_uint_t       line;             /* of push_redis_server, for errors */
};


void ngx_push_redis_conf_init(ngx_push_redis_conf_t *rcf);
char *ngx_push_redis_conf_merge(ngx_conf_t *cf, ngx_push_redis_conf_t *rcf);
char *ngx_push_redis_server(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_push_redis_prefix(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_push_redis_experimental(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_push_redis_reconnect(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

#endif /* NGX_PUSH_REDIS_CONF_H_INCLUDED */
