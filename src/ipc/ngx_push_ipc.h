/* Waking the worker processes that hold subscribers of a channel. */
#ifndef NGX_PUSH_IPC_H_INCLUDED
#define NGX_PUSH_IPC_H_INCLUDED

#include "ngx_push.h"
#include "ngx_push_zone.h"


/* Called in a woken worker: it reads its slot's news from the zone. */
typedef void (*ngx_push_ipc_handler_pt)(ngx_push_zone_t *zone,
    ngx_uint_t slot);

/* Called once when the worker begins a graceful shutdown (reload, quit). */
typedef void (*ngx_push_ipc_exiting_pt)(void);


ngx_int_t ngx_push_ipc_init_worker(ngx_cycle_t *cycle, ngx_push_zone_t *zone,
    ngx_push_ipc_handler_pt handler, ngx_push_ipc_exiting_pt exiting);
void ngx_push_ipc_exit_worker(ngx_cycle_t *cycle);
ngx_int_t ngx_push_ipc_slot(void);
void ngx_push_ipc_wake(ngx_push_wake_t wake, ngx_log_t *log);
void ngx_push_ipc_rearm(void);

#endif /* NGX_PUSH_IPC_H_INCLUDED */
