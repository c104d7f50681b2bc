/* Ending a worker's waiting subscribers when it shuts down. */
#ifndef NGX_PUSH_SHUTDOWN_H_INCLUDED
#define NGX_PUSH_SHUTDOWN_H_INCLUDED

#include "ngx_push_subscriber.h"


void ngx_push_shutdown_init(ngx_cycle_t *cycle);
void ngx_push_shutdown_watch(ngx_push_sub_t *sub);
void ngx_push_shutdown_forget(ngx_push_sub_t *sub);
void ngx_push_shutdown_all(void);

#endif /* NGX_PUSH_SHUTDOWN_H_INCLUDED */
