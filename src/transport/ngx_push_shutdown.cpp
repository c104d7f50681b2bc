/* Ending a worker's waiting subscribers when it shuts down.
 *
 * nginx tells a module nothing when a worker begins a graceful shutdown
 * (reload, quit) but closes its idle connections.  The wake-up socket's
 * connection is marked idle for that (src/ipc) and calls
 * ngx_push_shutdown_all, which ends every subscriber of the worker the way
 * its transport ends, whatever carries it: an HTTP/1 connection, an HTTP/2
 * stream or a subrequest.  The subscribers' own connections are never
 * marked idle: nginx would close them as such, cutting off an answer still
 * being written. */
#include "ngx_push_shutdown.h"


/* Plain data, one per worker process.  The list holds every subscriber
 * that waits (from the end of its start until it leaves); the event ends
 * those that began to wait after the shutdown did. */
static ngx_queue_t  ngx_push_shutdown_subs;
static ngx_event_t  ngx_push_shutdown_event;


static void
ngx_push_shutdown_handler(ngx_event_t *ev)
{
    ngx_push_shutdown_all();
}


void
ngx_push_shutdown_init(ngx_cycle_t *cycle)
{
    ngx_queue_init(&ngx_push_shutdown_subs);

    ngx_memzero(&ngx_push_shutdown_event, sizeof(ngx_event_t));
    ngx_push_shutdown_event.handler = ngx_push_shutdown_handler;
    ngx_push_shutdown_event.data = &ngx_push_shutdown_subs;
    ngx_push_shutdown_event.log = cycle->log;
}


/* A subscriber that waits from now on; one that starts waiting in a
 * worker already shutting down is ended as soon as its handler returns. */
void
ngx_push_shutdown_watch(ngx_push_sub_t *sub)
{
    if (sub->watched) {
        return;
    }

    sub->watched = 1;
    ngx_queue_insert_tail(&ngx_push_shutdown_subs, &sub->watch);

    if (ngx_exiting && !ngx_push_shutdown_event.posted) {
        ngx_post_event(&ngx_push_shutdown_event, &ngx_posted_events);
    }
}


/* The subscriber ends, or is gone: safe to call twice. */
void
ngx_push_shutdown_forget(ngx_push_sub_t *sub)
{
    if (sub->watched) {
        sub->watched = 0;
        ngx_queue_remove(&sub->watch);
    }
}


/* Ending one subscriber may free others (an HTTP/2 connection that fails
 * ends all its streams): each leaves the list in its cleanup, so the walk
 * takes the head again every time. */
void
ngx_push_shutdown_all(void)
{
    ngx_queue_t     *q;
    ngx_push_sub_t  *sub;

    if (ngx_push_shutdown_subs.next == nullptr) {
        return;
    }

    while (!ngx_queue_empty(&ngx_push_shutdown_subs)) {
        q = ngx_queue_head(&ngx_push_shutdown_subs);
        sub = ngx_queue_data(q, ngx_push_sub_t, watch);

        ngx_push_shutdown_forget(sub);
        sub->transport->close(sub, ngx_push_close_e::shutdown);
    }
}
