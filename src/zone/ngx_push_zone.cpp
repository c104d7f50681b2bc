/* Zone setup and reload, allocation that evicts under pressure, slots. */
#include "ngx_push_conf.h"
#include "ngx_push_zone.h"

#include <openssl/rand.h>
#include <signal.h>


static ngx_int_t ngx_push_zone_init(ngx_shm_zone_t *shm_zone, void *data);
static ngx_shm_zone_t *ngx_push_zone_add(ngx_conf_t *cf, ngx_str_t *name,
    size_t size);
static ngx_uint_t ngx_push_zone_evict_locked(ngx_push_zone_t *zone);


char *
ngx_push_zone_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto     *pmcf = static_cast<ngx_push_main_conf_t *>(conf);
    auto     *value = static_cast<ngx_str_t *>(cf->args->elts);
    ssize_t   size;

    if (pmcf->shm_zone != nullptr) {
        return const_cast<char *>("is duplicate");
    }

    size = ngx_parse_size(&value[2]);

    if (size == NGX_ERROR || value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid push_zone \"%V %V\"",
                           &value[1], &value[2]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (size < static_cast<ssize_t>(8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_zone \"%V\" is too small: %V, "
                           "at least %uzk", &value[1], &value[2],
                           8 * ngx_pagesize / 1024);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    pmcf->shm_zone = ngx_push_zone_add(cf, &value[1], size);

    if (pmcf->shm_zone == nullptr) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_push_zone_add_default(ngx_conf_t *cf)
{
    ngx_str_t  name = ngx_string(NGX_PUSH_DEFAULT_ZONE_NAME);
    auto      *pmcf = static_cast<ngx_push_main_conf_t *>(
                          ngx_http_conf_get_module_main_conf(cf,
                                                             ngx_push_module));

    if (pmcf->shm_zone != nullptr || !pmcf->used) {
        return NGX_OK;
    }

    pmcf->shm_zone = ngx_push_zone_add(cf, &name,
                                       NGX_PUSH_DEFAULT_ZONE_SIZE);

    return pmcf->shm_zone ? NGX_OK : NGX_ERROR;
}


static ngx_shm_zone_t *
ngx_push_zone_add(ngx_conf_t *cf, ngx_str_t *name, size_t size)
{
    ngx_shm_zone_t   *shm_zone;
    ngx_push_zone_t  *zone;

    zone = static_cast<ngx_push_zone_t *>(
               ngx_pcalloc(cf->pool, sizeof(ngx_push_zone_t)));
    if (zone == nullptr) {
        return nullptr;
    }

    shm_zone = ngx_shared_memory_add(cf, name, size, &ngx_push_module);
    if (shm_zone == nullptr) {
        return nullptr;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_zone \"%V\" is already defined", name);
        return nullptr;
    }

    zone->size = size;
    shm_zone->init = ngx_push_zone_init;
    shm_zone->data = zone;

    return shm_zone;
}


ngx_push_zone_t *
ngx_push_zone_current(ngx_cycle_t *cycle)
{
    auto  *pmcf = static_cast<ngx_push_main_conf_t *>(
                      ngx_http_cycle_get_module_main_conf(cycle,
                                                          ngx_push_module));

    if (pmcf == nullptr || pmcf->shm_zone == nullptr) {
        return nullptr;
    }

    return static_cast<ngx_push_zone_t *>(pmcf->shm_zone->data);
}


/* nginx silently replaces a zone whose size changed; we refuse, because
 * that would throw away every channel and message behind the operator's
 * back.  The running cycle is still the old one here. */
static ngx_int_t
ngx_push_zone_check_resize(ngx_shm_zone_t *shm_zone)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_shm_zone_t   *old;

    if (ngx_cycle == nullptr || ngx_cycle->shared_memory.part.elts == nullptr)
    {
        return NGX_OK;
    }

    part = const_cast<ngx_list_part_t *>(&ngx_cycle->shared_memory.part);
    old = static_cast<ngx_shm_zone_t *>(part->elts);

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == nullptr) {
                break;
            }
            part = part->next;
            old = static_cast<ngx_shm_zone_t *>(part->elts);
            i = 0;
        }

        if (old[i].tag != &ngx_push_module
            || old[i].shm.name.len != shm_zone->shm.name.len
            || ngx_strncmp(old[i].shm.name.data, shm_zone->shm.name.data,
                           shm_zone->shm.name.len) != 0)
        {
            continue;
        }

        if (old[i].shm.size != shm_zone->shm.size) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "push_zone \"%V\" cannot change size from %uz to "
                          "%uz on reload: its channels would be lost; "
                          "restart nginx to resize it",
                          &shm_zone->shm.name, old[i].shm.size,
                          shm_zone->shm.size);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_push_zone_init(ngx_shm_zone_t *shm_zone, void *data)
{
    auto              *ozone = static_cast<ngx_push_zone_t *>(data);
    auto              *zone = static_cast<ngx_push_zone_t *>(shm_zone->data);
    ngx_uint_t         i;
    ngx_push_shctx_t  *sh;
    ngx_slab_pool_t   *shpool;

    shpool = reinterpret_cast<ngx_slab_pool_t *>(shm_zone->shm.addr);

    if (ozone) {
        /* a reload: the old zone and everything in it carry on */
        if (ozone->sh->layout != NGX_PUSH_LAYOUT) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "push_zone \"%V\" was made by another build of "
                          "the module: restart nginx to load this one",
                          &shm_zone->shm.name);
            return NGX_ERROR;
        }

        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;
        return NGX_OK;
    }

    if (shm_zone->shm.exists) {
        zone->sh = static_cast<ngx_push_shctx_t *>(shpool->data);
        zone->shpool = shpool;
        return NGX_OK;
    }

    if (ngx_push_zone_check_resize(shm_zone) != NGX_OK) {
        return NGX_ERROR;
    }

    sh = static_cast<ngx_push_shctx_t *>(
             ngx_slab_calloc(shpool, sizeof(ngx_push_shctx_t)));
    if (sh == nullptr) {
        return NGX_ERROR;
    }

    sh->layout = NGX_PUSH_LAYOUT;

    /* Random, so that ids from a previous life of the zone never pass for
     * ids of this one. */
    do {
        if (RAND_bytes(reinterpret_cast<unsigned char *>(&sh->epoch),
                       sizeof(sh->epoch)) != 1)
        {
            sh->epoch = static_cast<uint32_t>(ngx_random()) ^ ngx_pid;
        }
    } while (sh->epoch == 0);

    /* What wake-up datagrams carry: only the processes that map this zone
     * know it, so no other local user can send one that is taken. */
    if (RAND_bytes(sh->ipc_secret, sizeof(sh->ipc_secret)) != 1) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "push_zone \"%V\": no random bytes for its secret",
                      &shm_zone->shm.name);
        return NGX_ERROR;
    }

    sh->redis_lease_slot = NGX_PUSH_MAX_SLOTS;

    ngx_rbtree_init(&sh->rbtree, &sh->sentinel, ngx_str_rbtree_insert_value);
    ngx_queue_init(&sh->channels);
    ngx_queue_init(&sh->messages);
    ngx_queue_init(&sh->idle);
    ngx_queue_init(&sh->redis_todo);
    ngx_queue_init(&sh->redis_drop);

    for (i = 0; i < NGX_PUSH_MAX_SLOTS; i++) {
        ngx_queue_init(&sh->slots[i].recs);
        ngx_queue_init(&sh->slots[i].dirty);
    }

    shpool->data = sh;
    zone->sh = sh;
    zone->shpool = shpool;

    size_t len = sizeof(" in push_zone \"\"") + shm_zone->shm.name.len;

    shpool->log_ctx = static_cast<u_char *>(ngx_slab_alloc(shpool, len));
    if (shpool->log_ctx == nullptr) {
        return NGX_ERROR;
    }

    ngx_sprintf(shpool->log_ctx, " in push_zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* running out is expected and handled by eviction, not worth a line */
    shpool->log_nomem = 0;

    return NGX_OK;
}


/* Evicts one thing: the channel idle longest among those never published
 * to and without subscribers (they carry nothing anyone waits for, so
 * channels subscribers made and left never push published data out), else
 * the zone's oldest message, else a channel that has neither messages nor
 * subscribers.  Returns 0 when nothing can go. */
static ngx_uint_t
ngx_push_zone_evict_locked(ngx_push_zone_t *zone)
{
    ngx_queue_t         *q;
    ngx_push_msg_t      *m;
    ngx_push_channel_t  *ch;
    ngx_push_shctx_t    *sh = zone->sh;

    /* the pinned ones are the few a request is working on */
    for (q = ngx_queue_head(&sh->idle);
         q != ngx_queue_sentinel(&sh->idle);
         q = ngx_queue_next(q))
    {
        ch = ngx_queue_data(q, ngx_push_channel_t, idle);

        if (!ch->pinned) {
            ngx_push_store_free_channel_locked(zone, ch);
            sh->stats.channels_evicted++;
            return 1;
        }
    }

    if (!ngx_queue_empty(&sh->messages)) {
        q = ngx_queue_head(&sh->messages);
        m = ngx_queue_data(q, ngx_push_msg_t, age);
        ngx_push_store_drop_message_locked(zone, m);
        sh->stats.evicted++;
        return 1;
    }

    /* those that had messages go last: a cursor of theirs still gets an
     * exact gap count while they are here */
    for (q = ngx_queue_head(&sh->channels);
         q != ngx_queue_sentinel(&sh->channels);
         q = ngx_queue_next(q))
    {
        ch = ngx_queue_data(q, ngx_push_channel_t, lru);

        if (ch->subscribers == 0 && ch->nmessages == 0 && !ch->pinned) {
            ngx_push_store_free_channel_locked(zone, ch);
            sh->stats.channels_evicted++;
            return 1;
        }
    }

    return 0;
}


void *
ngx_push_zone_alloc_locked(ngx_push_zone_t *zone, size_t size)
{
    void  *p;

    for ( ;; ) {
        p = ngx_slab_alloc_locked(zone->shpool, size);

        if (p != nullptr || !ngx_push_zone_evict_locked(zone)) {
            return p;
        }
    }
}


void
ngx_push_zone_free_locked(ngx_push_zone_t *zone, void *p)
{
    ngx_slab_free_locked(zone->shpool, p);
}


/* A process's start time, in clock ticks since boot (field 22 of
 * /proc/PID/stat), and its state (field 3); 0 when it cannot be read.  A
 * pid and its start time name one process: a pid alone may be reused. */
uint64_t
ngx_push_process_start(ngx_pid_t pid, u_char *state)
{
    u_char      buf[1024], *p, *last;
    ssize_t     n;
    uint64_t    start;
    ngx_fd_t    fd;
    ngx_uint_t  field;
    char        path[64];

    *state = '?';

    ngx_sprintf(reinterpret_cast<u_char *>(path), "/proc/%P/stat%Z", pid);

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        return 0;
    }

    n = ngx_read_fd(fd, buf, sizeof(buf));
    ngx_close_file(fd);

    if (n <= 0) {
        return 0;
    }

    /* the command name, in parentheses, may hold spaces and ')' */
    last = buf + n;
    for (p = last - 1; p > buf && *p != ')'; p--) { /* void */ }

    if (p == buf || p + 2 >= last) {
        return 0;
    }

    p += 2;
    *state = *p;

    for (field = 3; field < 22 && p < last; p++) {
        if (*p == ' ') {
            field++;
        }
    }

    for (start = 0; p < last && *p >= '0' && *p <= '9'; p++) {
        start = start * 10 + (*p - '0');
    }

    return field == 22 ? start : 0;
}


/* Whether the process that took the slot still runs: the pid exists, is
 * not a zombie, and started when the slot's taker did. */
ngx_uint_t
ngx_push_slot_alive(const ngx_push_slot_t *slot)
{
    u_char    state;
    uint64_t  start;

    if (slot->pid == 0) {
        return 0;
    }

    if (kill(slot->pid, 0) == -1 && ngx_errno == NGX_ESRCH) {
        return 0;
    }

    start = ngx_push_process_start(slot->pid, &state);

    if (start == 0) {
        /* no /proc to ask: the pid is all there is to go by */
        return 1;
    }

    return state != 'Z' && state != 'X'
           && (slot->start == 0 || slot->start == start);
}


/* A fresh random name for the slot's wake-up socket. */
void
ngx_push_slot_rename_locked(ngx_push_zone_t *zone, ngx_uint_t n)
{
    ngx_push_slot_t  *slot = &zone->sh->slots[n];

    if (RAND_bytes(slot->name, sizeof(slot->name)) != 1) {
        /* not secret, only unpredictable enough not to be squatted */
        for (size_t i = 0; i < sizeof(slot->name); i++) {
            slot->name[i] = static_cast<u_char>(ngx_random());
        }
    }
}


/* Gives the calling worker a slot, first reaping the slots of workers that
 * died without giving theirs back. */
ngx_int_t
ngx_push_slot_acquire(ngx_push_zone_t *zone, ngx_log_t *log)
{
    u_char             state;
    uint64_t           start;
    ngx_int_t          found = NGX_ERROR;
    ngx_uint_t         i;
    ngx_push_slot_t   *slot;

    /* its own start time: with the pid, what names this process */
    start = ngx_push_process_start(ngx_pid, &state);

    ngx_push_shm_lock  lock(zone->shpool);

    for (i = 0; i < NGX_PUSH_MAX_SLOTS; i++) {
        slot = &zone->sh->slots[i];

        if (slot->pid != 0 && slot->pid != ngx_pid
            && ngx_push_slot_alive(slot))
        {
            continue;
        }

        if (slot->pid != 0) {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "push: dropping the subscribers of gone worker %P",
                          slot->pid);
            ngx_push_slot_reap_locked(zone, i);
        }

        if (found == NGX_ERROR) {
            found = i;
            slot->pid = ngx_pid;
            slot->start = start;
            slot->signalled = 0;
            ngx_push_slot_rename_locked(zone, i);
        }
    }

    return found;
}


void
ngx_push_slot_release(ngx_push_zone_t *zone, ngx_uint_t slot)
{
    ngx_push_shm_lock  lock(zone->shpool);

    if (zone->sh->slots[slot].pid == ngx_pid) {
        ngx_push_slot_reap_locked(zone, slot);
    }
}


/* Drops what a slot's process held: its subscriber counts on every
 * channel.  Used for a dead process, and by a worker that exits. */
void
ngx_push_slot_reap_locked(ngx_push_zone_t *zone, ngx_uint_t n)
{
    ngx_queue_t      *q;
    ngx_push_rec_t   *rec;
    ngx_push_slot_t  *slot = &zone->sh->slots[n];

    while (!ngx_queue_empty(&slot->recs)) {
        q = ngx_queue_head(&slot->recs);
        rec = ngx_queue_data(q, ngx_push_rec_t, in_slot);
        ngx_push_store_unsubscribe_locked(zone, rec, rec->count);
    }

    ngx_queue_init(&slot->dirty);
    slot->pid = 0;
    slot->start = 0;
    slot->signalled = 0;
    ngx_memzero(slot->name, sizeof(slot->name));
    ngx_memzero(slot->subscribers, sizeof(slot->subscribers));
    ngx_memzero(&slot->redis, sizeof(slot->redis));
}
