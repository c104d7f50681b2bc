/* Waking the worker processes that hold subscribers of a channel.
 *
 * Each worker with a slot binds an abstract unix datagram socket named by
 * random bytes its slot holds in the zone, fresh for every taker: nobody
 * can guess a name before it is bound, so nobody can squat it.  A
 * publisher sends the zone's secret to each slot whose "signalled" flag it
 * raised; a worker takes only datagrams that carry the secret, from a
 * process of its own user, so no other local user can make it take the
 * zone lock.  Wake-ups coalesce: a worker gets at most one datagram however
 * many messages wait, and whatever it finds marked dirty in its slot is
 * what it reads.  A wake-up that could not be sent is not left marked as
 * sent.  A worker without a slot (more workers than slots, or a socket that
 * could not be bound) sends from an unbound socket all the same, and tries
 * again to take a slot every second.  Any worker can reach any other,
 * across reloads, without sockets inherited from the master. */
#include "ngx_push_ipc.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <cstddef>


/* Taking a slot again after none was free or the bind failed. */
#define NGX_PUSH_IPC_RETRY  1000    /* ms */

/* Names tried at once before waiting for the retry timer. */
#define NGX_PUSH_IPC_BINDS  4

/* Datagrams read in one go. */
#define NGX_PUSH_IPC_READS  256


struct ngx_push_ipc_t {
    ngx_push_zone_t          *zone;
    ngx_int_t                 slot;      /* -1: none (yet) */
    ngx_connection_t         *conn;      /* bound to the slot's name */
    ngx_socket_t              send_fd;   /* unbound, sends wake-ups; -1 */
    ngx_event_t               local;     /* a wake-up of this very worker */
    ngx_event_t               retry;     /* taking a slot again */
    ngx_push_ipc_handler_pt   handler;
    ngx_push_ipc_exiting_pt   exiting;
    time_t                    refused_logged;
    unsigned                  warned:1;  /* why it has no slot was
                                          * logged at warn */
};


/* Plain data: one per worker process. */
static ngx_push_ipc_t  ngx_push_ipc = { nullptr, -1, nullptr,
                                        static_cast<ngx_socket_t>(-1), {}, {},
                                        nullptr, nullptr, 0, 0 };


static socklen_t
ngx_push_ipc_address(const u_char *name, struct sockaddr_un *sun)
{
    u_char  *p;

    ngx_memzero(sun, sizeof(struct sockaddr_un));
    sun->sun_family = AF_UNIX;

    /* sun_path[0] stays NUL: the abstract namespace, nothing on disk */
    p = ngx_cpymem(reinterpret_cast<u_char *>(sun->sun_path) + 1,
                   "ngx_push/", sizeof("ngx_push/") - 1);
    p = ngx_hex_dump(p, const_cast<u_char *>(name), NGX_PUSH_IPC_NAME_LEN);

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


/* A datagram is a wake-up when it carries the zone's secret and comes from
 * a process of this worker's user (or root). */
static ngx_uint_t
ngx_push_ipc_trusted(struct msghdr *msg, const u_char *buf, ssize_t n,
    struct ucred *from)
{
    struct cmsghdr  *cm;

    from->pid = 0;
    from->uid = static_cast<uid_t>(-1);

    for (cm = CMSG_FIRSTHDR(msg); cm != nullptr; cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS
            && cm->cmsg_len >= CMSG_LEN(sizeof(struct ucred)))
        {
            ngx_memcpy(from, CMSG_DATA(cm), sizeof(struct ucred));
        }
    }

    if (from->uid != geteuid() && from->uid != 0) {
        return 0;
    }

    /* the secret is written once, when the zone is made: no lock */
    return n == NGX_PUSH_IPC_SECRET_LEN
           && ngx_memcmp(buf, ngx_push_ipc.zone->sh->ipc_secret,
                         NGX_PUSH_IPC_SECRET_LEN) == 0;
}


static void
ngx_push_ipc_read_handler(ngx_event_t *rev)
{
    u_char             buf[64];
    ssize_t            n;
    ngx_uint_t         i, wake = 0, refused = 0;
    struct iovec       iov;
    struct msghdr      msg;
    struct ucred       from, bad = {};
    ngx_connection_t  *c = static_cast<ngx_connection_t *>(rev->data);
    union {
        struct cmsghdr  cm;
        u_char          space[CMSG_SPACE(sizeof(struct ucred))];
    } ctl;

    if (c->close) {
        /* the worker shuts down: see ngx_push_ipc_take_slot */
        c->close = 0;
        ngx_push_ipc.exiting();
        return;
    }

    /* bounded: one who sends without pause must not hold the worker */
    for (i = 0; i < NGX_PUSH_IPC_READS; i++) {
        iov.iov_base = buf;
        iov.iov_len = sizeof(buf);
        ngx_memzero(&msg, sizeof(struct msghdr));
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = &ctl;
        msg.msg_controllen = sizeof(ctl);

        n = recvmsg(c->fd, &msg, 0);

        if (n == -1) {
            if (ngx_socket_errno == NGX_EINTR) {
                continue;
            }
            break;
        }

        if (ngx_push_ipc_trusted(&msg, buf, n, &from)) {
            wake = 1;

        } else {
            refused++;
            bad = from;
        }
    }

    /* a local user may send many: one line a second at most */
    if (refused && ngx_push_ipc.refused_logged != ngx_time()) {
        ngx_push_ipc.refused_logged = ngx_time();
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "push: refused a wake-up datagram from pid %P uid %d "
                      "(%ui refused just now)", bad.pid,
                      static_cast<int>(bad.uid), refused);
    }

    if (i == NGX_PUSH_IPC_READS) {
        /* more may wait: read on in the next turn of the event loop */
        if (!rev->posted) {
            ngx_post_event(rev, &ngx_posted_next_events);
        }

    } else if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, c->log, 0,
                      "push: cannot rearm the wake-up socket");
    }

    if (wake) {
        ngx_push_ipc_run();
    }
}


static void
ngx_push_ipc_local_handler(ngx_event_t *ev)
{
    ngx_push_ipc_run();
}


/* A socket bound to the slot's name; the name is drawn again when it is
 * taken (by chance, or by a process that watched it being freed). */
static ngx_socket_t
ngx_push_ipc_bind(ngx_uint_t slot, ngx_log_t *log)
{
    int                 on = 1;
    ngx_uint_t          level;
    ngx_err_t           err;
    ngx_uint_t          i;
    ngx_socket_t        s;
    socklen_t           len;
    struct sockaddr_un  sun;
    ngx_push_zone_t    *zone = ngx_push_ipc.zone;

    /* retried every second: said once at warn, then at info */
    level = ngx_push_ipc.warned ? NGX_LOG_INFO : NGX_LOG_WARN;

    for (i = 0; i < NGX_PUSH_IPC_BINDS; i++) {
        s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s == -1) {
            ngx_log_error(level, log, ngx_socket_errno,
                          "push: socket() for wake-ups failed");
            return -1;
        }

        if (setsockopt(s, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1) {
            ngx_log_error(level, log, ngx_socket_errno,
                          "push: setsockopt(SO_PASSCRED) failed");
            ngx_close_socket(s);
            return -1;
        }

        {
            ngx_push_shm_lock  lock(zone->shpool);

            if (i > 0) {
                ngx_push_slot_rename_locked(zone, slot);
            }

            len = ngx_push_ipc_address(zone->sh->slots[slot].name, &sun);
        }

        if (bind(s, reinterpret_cast<struct sockaddr *>(&sun), len) == 0) {
            return s;
        }

        err = ngx_socket_errno;
        ngx_close_socket(s);

        ngx_log_error(level, log, err,
                      "push: bind() of the wake-up socket failed");

        if (err != NGX_EADDRINUSE) {
            return -1;
        }
    }

    return -1;
}


static void
ngx_push_ipc_arm_retry(void)
{
    if (!ngx_exiting && !ngx_quit && !ngx_terminate
        && !ngx_push_ipc.retry.timer_set)
    {
        ngx_add_timer(&ngx_push_ipc.retry, NGX_PUSH_IPC_RETRY);
    }
}


/* Takes a slot and binds its socket, or arms the retry timer. */
static void
ngx_push_ipc_take_slot(ngx_log_t *log)
{
    ngx_int_t          slot;
    ngx_socket_t       s;
    ngx_connection_t  *c;
    ngx_push_zone_t   *zone = ngx_push_ipc.zone;

    slot = ngx_push_slot_acquire(zone, log);

    if (slot < 0) {
        if (!ngx_push_ipc.warned) {
            ngx_push_ipc.warned = 1;
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "push: all %d worker slots are taken: this worker "
                          "serves no subscribers until one is free",
                          NGX_PUSH_MAX_SLOTS);
        }
        ngx_push_ipc_arm_retry();
        return;
    }

    s = ngx_push_ipc_bind(static_cast<ngx_uint_t>(slot), log);
    if (s == -1) {
        ngx_push_ipc.warned = 1;
        ngx_push_slot_release(zone, slot);
        ngx_push_ipc_arm_retry();
        return;
    }

    c = ngx_get_connection(s, log);
    if (c == nullptr) {
        ngx_close_socket(s);
        ngx_push_slot_release(zone, slot);
        ngx_push_ipc_arm_retry();
        return;
    }

    c->read->handler = ngx_push_ipc_read_handler;
    c->read->log = log;
    c->write->log = log;

    /* nginx calls the read handler of idle connections with c->close set
     * when the worker begins a graceful shutdown, and tells a module of it
     * no other way: the subscribers, which only a worker with this socket
     * has, are ended then.  The connection itself stays open for the
     * wake-ups of what the worker still does. */
    c->idle = 1;

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_close_connection(c);
        ngx_push_slot_release(zone, slot);
        ngx_push_ipc_arm_retry();
        return;
    }

    ngx_push_ipc.slot = slot;
    ngx_push_ipc.conn = c;

    if (ngx_push_ipc.warned) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "push: worker %P took slot %i: it serves subscribers",
                      ngx_pid, slot);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, log, 0,
                   "push: worker %P has slot %i", ngx_pid, slot);
}


static void
ngx_push_ipc_retry_handler(ngx_event_t *ev)
{
    if (ngx_push_ipc.slot < 0 && !ngx_exiting && !ngx_quit
        && !ngx_terminate)
    {
        ngx_push_ipc_take_slot(ev->log);
    }
}


/* Worker processes only: helpers (cache manager, cache loader) neither
 * serve subscribers nor publish, and take no slot. */
ngx_int_t
ngx_push_ipc_init_worker(ngx_cycle_t *cycle, ngx_push_zone_t *zone,
    ngx_push_ipc_handler_pt handler, ngx_push_ipc_exiting_pt exiting)
{
    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    ngx_push_ipc.zone = zone;
    ngx_push_ipc.handler = handler;
    ngx_push_ipc.exiting = exiting;

    ngx_push_ipc.local.handler = ngx_push_ipc_local_handler;
    ngx_push_ipc.local.log = cycle->log;
    ngx_push_ipc.local.data = &ngx_push_ipc;

    ngx_push_ipc.retry.handler = ngx_push_ipc_retry_handler;
    ngx_push_ipc.retry.log = cycle->log;
    ngx_push_ipc.retry.data = &ngx_push_ipc;
    ngx_push_ipc.retry.cancelable = 1;

    ngx_push_ipc.send_fd = socket(AF_UNIX,
                                  SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                  0);
    if (ngx_push_ipc.send_fd == -1) {
        /* its publishes mark no worker as woken: see ngx_push_ipc_wake */
        ngx_log_error(NGX_LOG_WARN, cycle->log, ngx_socket_errno,
                      "push: socket() for sending wake-ups failed");
    }

    ngx_push_ipc_take_slot(cycle->log);

    return NGX_OK;
}


void
ngx_push_ipc_exit_worker(ngx_cycle_t *cycle)
{
    if (ngx_push_ipc.zone == nullptr) {
        return;
    }

    if (ngx_push_ipc.local.posted) {
        ngx_delete_posted_event(&ngx_push_ipc.local);
    }

    if (ngx_push_ipc.retry.timer_set) {
        ngx_del_timer(&ngx_push_ipc.retry);
    }

    if (ngx_push_ipc.send_fd != -1) {
        ngx_close_socket(ngx_push_ipc.send_fd);
        ngx_push_ipc.send_fd = -1;
    }

    if (ngx_push_ipc.slot >= 0) {
        ngx_close_connection(ngx_push_ipc.conn);
        ngx_push_slot_release(ngx_push_ipc.zone, ngx_push_ipc.slot);
        ngx_push_ipc.slot = -1;
        ngx_push_ipc.conn = nullptr;
    }
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


/* Wake-ups that were not sent: the slots are not left marked as woken, so
 * a later publish tries again; a slot whose process is gone is reaped. */
static void
ngx_push_ipc_not_sent(ngx_push_wake_t lost, ngx_push_wake_t gone,
    const ngx_pid_t *pids, ngx_log_t *log)
{
    ngx_uint_t         i;
    ngx_push_slot_t   *slot;
    ngx_push_zone_t   *zone = ngx_push_ipc.zone;
    ngx_push_shm_lock  lock(zone->shpool);

    for (i = 0; i < NGX_PUSH_MAX_SLOTS; i++) {
        if (!(lost & (static_cast<ngx_push_wake_t>(1) << i))) {
            continue;
        }

        slot = &zone->sh->slots[i];

        if (slot->pid != pids[i]) {
            /* taken by another process since: not ours to judge */
            continue;
        }

        if ((gone & (static_cast<ngx_push_wake_t>(1) << i))
            && !ngx_push_slot_alive(slot))
        {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "push: dropping the subscribers of gone worker %P",
                          slot->pid);
            ngx_push_slot_reap_locked(zone, i);
            continue;
        }

        slot->signalled = 0;
    }
}


void
ngx_push_ipc_wake(ngx_push_wake_t wake, ngx_log_t *log)
{
    ngx_err_t           err;
    ngx_uint_t          i;
    socklen_t           len[NGX_PUSH_MAX_SLOTS];
    ngx_pid_t           pids[NGX_PUSH_MAX_SLOTS];
    ngx_push_wake_t     lost = 0, gone = 0, bit;
    struct sockaddr_un  sun[NGX_PUSH_MAX_SLOTS];
    ngx_push_zone_t    *zone = ngx_push_ipc.zone;

    if (zone == nullptr || wake == 0) {
        return;
    }

    if (ngx_push_ipc.slot >= 0) {
        bit = static_cast<ngx_push_wake_t>(1) << ngx_push_ipc.slot;

        if (wake & bit) {
            wake &= ~bit;
            ngx_push_ipc_rearm();
        }
    }

    if (wake == 0) {
        return;
    }

    {
        ngx_push_shm_lock  lock(zone->shpool);

        for (i = 0; i < NGX_PUSH_MAX_SLOTS; i++) {
            if (wake & (static_cast<ngx_push_wake_t>(1) << i)) {
                pids[i] = zone->sh->slots[i].pid;
                len[i] = ngx_push_ipc_address(zone->sh->slots[i].name,
                                              &sun[i]);
            }
        }
    }

    for (i = 0; i < NGX_PUSH_MAX_SLOTS; i++) {
        bit = static_cast<ngx_push_wake_t>(1) << i;

        if (!(wake & bit)) {
            continue;
        }

        if (ngx_push_ipc.send_fd == -1) {
            lost |= bit;
            continue;
        }

        if (sendto(ngx_push_ipc.send_fd, zone->sh->ipc_secret,
                   NGX_PUSH_IPC_SECRET_LEN, 0,
                   reinterpret_cast<struct sockaddr *>(&sun[i]), len[i])
            == NGX_PUSH_IPC_SECRET_LEN)
        {
            continue;
        }

        err = ngx_socket_errno;

        if (err == NGX_EAGAIN) {
            /* its queue is full of wake-ups already */
            continue;
        }

        ngx_log_error(NGX_LOG_INFO, log, err,
                      "push: cannot wake the worker in slot %ui", i);

        lost |= bit;

        if (err == NGX_ECONNREFUSED || err == NGX_ENOENT) {
            /* nobody listens there: perhaps nobody is left */
            gone |= bit;
        }
    }

    if (lost) {
        ngx_push_ipc_not_sent(lost, gone, pids, log);
    }
}
