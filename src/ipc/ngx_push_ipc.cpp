/* Waking the worker processes that hold subscribers of a channel.
 *
 * Each worker binds an abstract unix datagram socket named after the zone's
 * epoch and its slot.  A publisher sends one byte to each slot whose
 * "signalled" flag it raised in the zone, so wake-ups coalesce: a worker
 * gets at most one datagram however many messages wait, and whatever it
 * finds marked dirty in its slot is what it reads.  Any worker can reach
 * any other, across reloads, without sockets inherited from the master. */
#include "ngx_push_ipc.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <cstddef>


struct ngx_push_ipc_t {
    ngx_push_zone_t          *zone;
    ngx_int_t                 slot;
    ngx_connection_t         *conn;
    ngx_event_t               local;     /* a wake-up of this very worker */
    ngx_push_ipc_handler_pt   handler;
    ngx_push_ipc_exiting_pt   exiting;
};


/* Plain data: one per worker process. */
static ngx_push_ipc_t  ngx_push_ipc = { nullptr, -1, nullptr, {},
                                        nullptr, nullptr };


static socklen_t
ngx_push_ipc_address(ngx_push_zone_t *zone, ngx_uint_t slot,
    struct sockaddr_un *sun)
{
    u_char  *p;

    ngx_memzero(sun, sizeof(struct sockaddr_un));
    sun->sun_family = AF_UNIX;

    /* sun_path[0] stays NUL: the abstract namespace, nothing on disk */
    p = ngx_snprintf(reinterpret_cast<u_char *>(sun->sun_path) + 1,
                     sizeof(sun->sun_path) - 1, "ngx_push/%08xD/%ui",
                     zone->sh->epoch, slot);

    return static_cast<socklen_t>(
        p - reinterpret_cast<u_char *>(sun->sun_path)
        + offsetof(struct sockaddr_un, sun_path));
}


static void
ngx_push_ipc_run(void)
{
    if (ngx_push_ipc.slot >= 0) {
        ngx_push_ipc.handler(ngx_push_ipc.zone,
                             static_cast<ngx_uint_t>(ngx_push_ipc.slot));
    }
}


static void
ngx_push_ipc_read_handler(ngx_event_t *rev)
{
    u_char             buf[64];
    ssize_t            n;
    ngx_connection_t  *c = static_cast<ngx_connection_t *>(rev->data);

    if (c->close) {
        /* the worker shuts down: see ngx_push_ipc_init_worker */
        c->close = 0;
        ngx_push_ipc.exiting();
        return;
    }

    for ( ;; ) {
        n = recv(c->fd, buf, sizeof(buf), 0);

        if (n >= 0) {
            continue;
        }

        if (ngx_socket_errno != NGX_EINTR) {
            break;
        }
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                      "push: cannot rearm the wake-up socket");
    }

    ngx_push_ipc_run();
}


static void
ngx_push_ipc_local_handler(ngx_event_t *ev)
{
    ngx_push_ipc_run();
}


ngx_int_t
ngx_push_ipc_init_worker(ngx_cycle_t *cycle, ngx_push_zone_t *zone,
    ngx_push_ipc_handler_pt handler, ngx_push_ipc_exiting_pt exiting)
{
    ngx_int_t           slot;
    ngx_socket_t        s;
    socklen_t           len;
    ngx_connection_t   *c;
    struct sockaddr_un  sun;

    slot = ngx_push_slot_acquire(zone, cycle->log);
    if (slot < 0) {
        return NGX_OK;
    }

    s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_socket_errno,
                      "push: socket() for wake-ups failed");
        ngx_push_slot_release(zone, slot);
        return NGX_ERROR;
    }

    len = ngx_push_ipc_address(zone, slot, &sun);

    if (bind(s, reinterpret_cast<struct sockaddr *>(&sun), len) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_socket_errno,
                      "push: bind() of the wake-up socket failed");
        ngx_close_socket(s);
        ngx_push_slot_release(zone, slot);
        return NGX_ERROR;
    }

    c = ngx_get_connection(s, cycle->log);
    if (c == nullptr) {
        ngx_close_socket(s);
        ngx_push_slot_release(zone, slot);
        return NGX_ERROR;
    }

    c->read->handler = ngx_push_ipc_read_handler;
    c->read->log = cycle->log;
    c->write->log = cycle->log;

    /* nginx calls the read handler of idle connections with c->close set
     * when the worker begins a graceful shutdown, and tells a module of it
     * no other way: the subscribers, which only a worker with this socket
     * has, are ended then.  The connection itself stays open for the
     * wake-ups of what the worker still does. */
    c->idle = 1;

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_close_connection(c);
        ngx_push_slot_release(zone, slot);
        return NGX_ERROR;
    }

    ngx_push_ipc.zone = zone;
    ngx_push_ipc.slot = slot;
    ngx_push_ipc.conn = c;
    ngx_push_ipc.handler = handler;
    ngx_push_ipc.exiting = exiting;
    ngx_push_ipc.local.handler = ngx_push_ipc_local_handler;
    ngx_push_ipc.local.log = cycle->log;
    ngx_push_ipc.local.data = c;

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, cycle->log, 0,
                   "push: worker %P has slot %i", ngx_pid, slot);

    return NGX_OK;
}


void
ngx_push_ipc_exit_worker(ngx_cycle_t *cycle)
{
    if (ngx_push_ipc.slot < 0) {
        return;
    }

    if (ngx_push_ipc.local.posted) {
        ngx_delete_posted_event(&ngx_push_ipc.local);
    }

    ngx_close_connection(ngx_push_ipc.conn);
    ngx_push_slot_release(ngx_push_ipc.zone, ngx_push_ipc.slot);
    ngx_push_ipc.slot = -1;
    ngx_push_ipc.conn = nullptr;
}


ngx_int_t
ngx_push_ipc_slot(void)
{
    return ngx_push_ipc.slot;
}


/* This worker's own wake-up, or the handler stopped early (it works in
 * batches): run it again in the next turn of the event loop, not among the
 * events already posted.  Pipelined publishes are posted one after the
 * other; they are all stored first, then delivered in one round. */
void
ngx_push_ipc_rearm(void)
{
    if (ngx_push_ipc.slot >= 0 && !ngx_push_ipc.local.posted) {
        ngx_post_event(&ngx_push_ipc.local, &ngx_posted_next_events);
    }
}


static void
ngx_push_ipc_lost(ngx_push_zone_t *zone, ngx_uint_t slot, ngx_log_t *log)
{
    ngx_pid_t          pid;
    ngx_push_shm_lock  lock(zone->shpool);

    pid = zone->sh->slots[slot].pid;

    if (pid == 0) {
        return;
    }

    if (kill(pid, 0) == -1 && ngx_errno == NGX_ESRCH) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "push: dropping the subscribers of gone worker %P",
                      pid);
        ngx_push_slot_reap_locked(zone, slot);
        return;
    }

    /* alive but not listening: it is on its way out; let a later publish
     * try again rather than leave the flag raised for ever */
    zone->sh->slots[slot].signalled = 0;
}


void
ngx_push_ipc_wake(ngx_push_wake_t wake, ngx_log_t *log)
{
    ngx_uint_t          slot;
    ngx_err_t           err;
    socklen_t           len;
    struct sockaddr_un  sun;
    ngx_push_zone_t    *zone = ngx_push_ipc.zone;

    if (zone == nullptr || ngx_push_ipc.conn == nullptr) {
        return;
    }

    for (slot = 0; wake != 0; slot++, wake >>= 1) {

        if (!(wake & 1)) {
            continue;
        }

        if (static_cast<ngx_int_t>(slot) == ngx_push_ipc.slot) {
            ngx_push_ipc_rearm();
            continue;
        }

        len = ngx_push_ipc_address(zone, slot, &sun);

        if (sendto(ngx_push_ipc.conn->fd, "w", 1, 0,
                   reinterpret_cast<struct sockaddr *>(&sun), len) == 1)
        {
            continue;
        }

        err = ngx_socket_errno;

        if (err == NGX_EAGAIN) {
            /* its queue is full of wake-ups already */
            continue;
        }

        ngx_log_error(NGX_LOG_INFO, log, err,
                      "push: cannot wake the worker in slot %ui", slot);
        ngx_push_ipc_lost(zone, slot, log);
    }
}
