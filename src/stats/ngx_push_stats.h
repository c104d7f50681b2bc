/* The stats location: zone-wide figures for operators and monitoring. */
#ifndef NGX_PUSH_STATS_H_INCLUDED
#define NGX_PUSH_STATS_H_INCLUDED

#include "ngx_push_conf.h"


ngx_int_t ngx_push_add_variables(ngx_conf_t *cf);
char *ngx_push_stats_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

#endif /* NGX_PUSH_STATS_H_INCLUDED */
