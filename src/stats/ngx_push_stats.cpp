/* The stats location: zone-wide figures as JSON or Prometheus text. */
#include "ngx_push_stats.h"
#include "ngx_push_http.h"
#include "ngx_push_redis_conn.h"
#include "push_id.h"


/* What one look at the zone finds, taken under its lock. */
struct ngx_push_figures_t {
    size_t            zone_size;
    size_t            zone_free;
    uint64_t          channels;
    uint64_t          messages;
    uint64_t          message_bytes;
    uint64_t          subscribers;
    uint64_t          workers;
    uint64_t          by_transport[NGX_PUSH_TRANSPORTS];
    ngx_pid_t         pid[NGX_PUSH_MAX_SLOTS];
    uint32_t          slot_subscribers[NGX_PUSH_MAX_SLOTS][NGX_PUSH_TRANSPORTS];
    ngx_push_redis_gauges_t  redis[NGX_PUSH_MAX_SLOTS];
    ngx_push_stats_t  stats;
};


/* One figure: its name (after "nginx_push_"), Prometheus type, help. */
struct ngx_push_figure_t {
    const char  *name;
    const char  *type;
    const char  *help;
    uint64_t     value;
};


/* The transports in the order of their bits (NGX_PUSH_POLL ...). */
static const char  *ngx_push_transport_names[NGX_PUSH_TRANSPORTS] = {
    "poll", "longpoll", "stream", "sse", "websocket"
};


/* Messages past their TTL a look at the figures drops first, at most. */
#define NGX_PUSH_STATS_EXPIRE_VISIT  20000


static void
ngx_push_stats_collect(ngx_push_zone_t *zone, ngx_push_figures_t *f)
{
    ngx_uint_t        i, t;
    ngx_push_slot_t  *slot;

    ngx_memzero(f, sizeof(ngx_push_figures_t));

    ngx_push_shm_lock  lock(zone->shpool);

    ngx_push_store_expire_zone_locked(zone, NGX_PUSH_STATS_EXPIRE_VISIT);

    f->zone_size = zone->size;
    f->zone_free = zone->shpool->pfree * ngx_pagesize;
    f->channels = zone->sh->nchannels;
    f->messages = zone->sh->nmessages;
    f->message_bytes = zone->sh->message_bytes;
    f->stats = zone->sh->stats;

    for (i = 0; i < NGX_PUSH_MAX_SLOTS; i++) {
        slot = &zone->sh->slots[i];
        if (slot->pid == 0) {
            continue;
        }

        f->pid[f->workers] = slot->pid;
        f->redis[f->workers].state =
            __atomic_load_n(&slot->redis.state, __ATOMIC_RELAXED);
        f->redis[f->workers].in_flight =
            __atomic_load_n(&slot->redis.in_flight, __ATOMIC_RELAXED);
        f->redis[f->workers].latency_us =
            __atomic_load_n(&slot->redis.latency_us, __ATOMIC_RELAXED);

        for (t = 0; t < NGX_PUSH_TRANSPORTS; t++) {
            f->slot_subscribers[f->workers][t] = slot->subscribers[t];
            f->by_transport[t] += slot->subscribers[t];
            f->subscribers += slot->subscribers[t];
        }

        f->workers++;
    }
}


static u_char *
ngx_push_stats_by_worker(u_char *p, u_char *end, ngx_push_figures_t *f,
    ngx_uint_t prom)
{
    ngx_uint_t  w, t;

    if (prom) {
        p = ngx_slprintf(p, end,
                         "# HELP nginx_push_worker_subscribers Subscribers "
                         "waiting, by worker process and transport.\n"
                         "# TYPE nginx_push_worker_subscribers gauge\n");
        for (w = 0; w < f->workers; w++) {
            for (t = 0; t < NGX_PUSH_TRANSPORTS; t++) {
                p = ngx_slprintf(p, end,
                                 "nginx_push_worker_subscribers{pid=\"%P\","
                                 "transport=\"%s\"} %uD\n",
                                 f->pid[w], ngx_push_transport_names[t],
                                 f->slot_subscribers[w][t]);
            }
        }
        return p;
    }

    p = ngx_slprintf(p, end, ",\"subscribers_by_transport\":{");
    for (t = 0; t < NGX_PUSH_TRANSPORTS; t++) {
        p = ngx_slprintf(p, end, "%s\"%s\":%uL", t ? "," : "",
                         ngx_push_transport_names[t], f->by_transport[t]);
    }

    p = ngx_slprintf(p, end, "},\"worker_subscribers\":[");
    for (w = 0; w < f->workers; w++) {
        p = ngx_slprintf(p, end, "%s{\"pid\":%P", w ? "," : "", f->pid[w]);
        for (t = 0; t < NGX_PUSH_TRANSPORTS; t++) {
            p = ngx_slprintf(p, end, ",\"%s\":%uD",
                             ngx_push_transport_names[t],
                             f->slot_subscribers[w][t]);
        }
        p = ngx_slprintf(p, end, "}");
    }

    return ngx_slprintf(p, end, "]");
}


/* The link to Redis, when push_redis_server is set: workers by state,
 * the zone's counters, and each worker's state, in-flight commands and
 * last round trip.  A worker without a zone slot is not seen. */
static const char  *ngx_push_redis_state_names[] = {
    "none", "up", "connecting", "down"
};


static const char *
ngx_push_stats_redis_state(uint32_t state)
{
    return state <= NGX_PUSH_REDIS_DOWN ? ngx_push_redis_state_names[state]
                                        : "none";
}


static u_char *
ngx_push_stats_redis(u_char *p, u_char *end, ngx_push_figures_t *f,
    ngx_uint_t prom)
{
    uint32_t           worst = NGX_PUSH_REDIS_NONE, st;
    uint64_t           in_flight = 0, last_us = 0, n[4] = { 0, 0, 0, 0 };
    ngx_uint_t         w;
    ngx_push_stats_t  *s = &f->stats;

    for (w = 0; w < f->workers; w++) {
        st = f->redis[w].state;
        if (st > NGX_PUSH_REDIS_DOWN) {
            st = NGX_PUSH_REDIS_NONE;
        }
        n[st]++;
        worst = ngx_max(worst, st);
        in_flight += f->redis[w].in_flight;
        last_us = ngx_max(last_us, f->redis[w].latency_us);
    }

    if (prom) {
        p = ngx_slprintf(p, end,
                         "# HELP nginx_push_redis_workers Worker processes "
                         "by the state of their link to Redis.\n"
                         "# TYPE nginx_push_redis_workers gauge\n"
                         "nginx_push_redis_workers{state=\"up\"} %uL\n"
                         "nginx_push_redis_workers{state=\"connecting\"} "
                         "%uL\n"
                         "nginx_push_redis_workers{state=\"down\"} %uL\n",
                         n[NGX_PUSH_REDIS_UP], n[NGX_PUSH_REDIS_CONNECTING],
                         n[NGX_PUSH_REDIS_DOWN]);

        const ngx_push_figure_t  figs[] = {
            { "redis_reconnects_total", "counter",
              "Connection attempts to Redis made after a failure.",
              s->redis_reconnects },
            { "redis_commands_total", "counter",
              "Commands sent to Redis, the link's own included.",
              s->redis_commands },
            { "redis_errors_total", "counter",
              "Redis connections lost and connection attempts failed.",
              s->redis_errors },
            { "redis_in_flight", "gauge",
              "Commands sent to Redis and not answered yet.", in_flight },
            { "redis_latency_last_microseconds", "gauge",
              "The longest of the workers' last Redis round trips.",
              last_us },
            { "redis_latency_microseconds_total", "counter",
              "Redis round trips: their sum.", s->redis_latency_us },
            { "redis_latency_samples_total", "counter",
              "Redis round trips: their number.", s->redis_latency_n },
            { "redis_catchups_total", "counter",
              "Channel copies caught up from Redis after a missed "
              "announcement or a new subscription.", s->redis_catchups },
            { "redis_history_reads_total", "counter",
              "Histories read from Redis for a subscriber's cursor.",
              s->redis_fetches },
            { "redis_publishes_refused_total", "counter",
              "Publishes answered 503: Redis could not be used.",
              s->redis_refused },
        };

        for (const auto &fig : figs) {
            p = ngx_slprintf(p, end,
                             "# HELP nginx_push_%s %s\n"
                             "# TYPE nginx_push_%s %s\n"
                             "nginx_push_%s %uL\n",
                             fig.name, fig.help, fig.name, fig.type,
                             fig.name, fig.value);
        }

        p = ngx_slprintf(p, end,
                         "# HELP nginx_push_redis_worker_up Whether a "
                         "worker's link to Redis is up.\n"
                         "# TYPE nginx_push_redis_worker_up gauge\n");
        for (w = 0; w < f->workers; w++) {
            p = ngx_slprintf(p, end,
                             "nginx_push_redis_worker_up{pid=\"%P\"} %d\n",
                             f->pid[w],
                             f->redis[w].state == NGX_PUSH_REDIS_UP);
        }

        return p;
    }

    p = ngx_slprintf(p, end,
                     ",\"redis\":{\"state\":\"%s\",\"workers_up\":%uL,"
                     "\"workers_connecting\":%uL,\"workers_down\":%uL,"
                     "\"reconnects_total\":%uL,\"commands_total\":%uL,"
                     "\"in_flight\":%uL,\"errors_total\":%uL,"
                     "\"latency_last_ms\":%uL.%03uL,"
                     "\"latency_sum_ms\":%uL.%03uL,\"latency_count\":%uL,"
                     "\"workers\":[",
                     ngx_push_stats_redis_state(worst),
                     n[NGX_PUSH_REDIS_UP], n[NGX_PUSH_REDIS_CONNECTING],
                     n[NGX_PUSH_REDIS_DOWN], s->redis_reconnects,
                     s->redis_commands, in_flight, s->redis_errors,
                     last_us / 1000, last_us % 1000,
                     s->redis_latency_us / 1000, s->redis_latency_us % 1000,
                     s->redis_latency_n);

    for (w = 0; w < f->workers; w++) {
        p = ngx_slprintf(p, end,
                         "%s{\"pid\":%P,\"state\":\"%s\",\"in_flight\":%uD,"
                         "\"latency_last_ms\":%uL.%03uL}",
                         w ? "," : "", f->pid[w],
                         ngx_push_stats_redis_state(f->redis[w].state),
                         f->redis[w].in_flight,
                         f->redis[w].latency_us / 1000,
                         f->redis[w].latency_us % 1000);
    }

    return ngx_slprintf(p, end, "],\"catchups_total\":%uL,"
                        "\"history_reads_total\":%uL,"
                        "\"publishes_refused_total\":%uL}",
                        s->redis_catchups, s->redis_fetches,
                        s->redis_refused);
}


static ngx_uint_t
ngx_push_stats_wants_prometheus(ngx_http_request_t *r)
{
    ngx_str_t   value, *accept;

    if (ngx_http_arg(r, reinterpret_cast<u_char *>(
                            const_cast<char *>("format")), 6, &value)
        == NGX_OK)
    {
        return value.len == 10
               && ngx_strncmp(value.data, "prometheus", 10) == 0;
    }

    accept = ngx_push_find_header(r, "Accept", 6);

    return accept != nullptr
           && ngx_strlcasestrn(accept->data, accept->data + accept->len,
                               reinterpret_cast<u_char *>(
                                   const_cast<char *>("text/plain")), 9)
              != nullptr;
}


/* Channels an operator looks for: ?channels=PREFIX* (or an exact id, or
 * "*"), ?limit=N (default 100, at most 1000), ?after=ID to go on from
 * where a page ended.  Walks the channel tree in its own order (hash, then
 * id), never more than NGX_PUSH_LIST_VISIT channels per request, so that
 * the lock is held briefly however large the zone. */
#define NGX_PUSH_LIST_DEFAULT  100
#define NGX_PUSH_LIST_MAX      1000
#define NGX_PUSH_LIST_VISIT    20000


static ngx_int_t
ngx_push_stats_arg(ngx_http_request_t *r, const char *name, ngx_str_t *out)
{
    u_char     *dst, *src;
    ngx_str_t   raw;

    if (ngx_http_arg(r, reinterpret_cast<u_char *>(const_cast<char *>(name)),
                     ngx_strlen(name), &raw)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    out->data = static_cast<u_char *>(ngx_pnalloc(r->pool, raw.len + 1));
    if (out->data == nullptr) {
        return NGX_ERROR;
    }

    dst = out->data;
    src = raw.data;
    ngx_unescape_uri(&dst, &src, raw.len, 0);
    out->len = dst - out->data;

    return NGX_OK;
}


/* (key, id) order of the channel tree. */
static ngx_int_t
ngx_push_stats_cmp(uint32_t key, ngx_str_t *id, ngx_push_channel_t *ch)
{
    if (key != ch->node.key) {
        return key < ch->node.key ? -1 : 1;
    }

    return ngx_memn2cmp(id->data, ch->id, id->len, ch->id_len);
}


/* The first channel after (the hash of) id in tree order. */
static ngx_rbtree_node_t *
ngx_push_stats_after(ngx_rbtree_t *tree, ngx_str_t *id)
{
    uint32_t            key = ngx_crc32_short(id->data, id->len);
    ngx_rbtree_node_t  *node = tree->root, *best = nullptr;

    while (node != tree->sentinel) {
        if (ngx_push_stats_cmp(key, id,
                               reinterpret_cast<ngx_push_channel_t *>(node))
            < 0)
        {
            best = node;
            node = node->left;

        } else {
            node = node->right;
        }
    }

    return best;
}


/* One channel of a listing, "," first unless it is the first. */
static u_char *
ngx_push_stats_entry(u_char *p, u_char *end, ngx_push_channel_t *ch,
    ngx_push_channel_info_t *info, ngx_uint_t comma)
{
    ngx_int_t  n;
    char       id[push::cursor_max_len];

    p = ngx_slprintf(p, end, "%s{\"channel\":\"", comma ? "," : "");
    p = reinterpret_cast<u_char *>(ngx_escape_json(p, ch->id, ch->id_len));
    n = push::format_id(info->epoch, info->last_seq, id, sizeof(id));

    return ngx_slprintf(p, end,
                        "\",\"messages\":%uD,\"subscribers\":%uD,"
                        "\"last_message_id\":\"%*s\"}",
                        info->messages, info->subscribers, n, id);
}


static ngx_int_t
ngx_push_stats_list(ngx_http_request_t *r, ngx_push_zone_t *zone,
    ngx_str_t *pattern)
{
    u_char                   *p, *end;
    size_t                    len;
    ngx_int_t                 n;
    ngx_str_t                 after, limit_arg, text, prefix;
    ngx_uint_t                limit, found = 0, visited = 0, exact, more = 0;
    ngx_rbtree_t             *tree;
    ngx_rbtree_node_t        *node;
    ngx_push_channel_t       *ch, *last = nullptr;
    ngx_push_channel_info_t   info;

    limit = NGX_PUSH_LIST_DEFAULT;

    if (ngx_push_stats_arg(r, "limit", &limit_arg) == NGX_OK) {
        n = ngx_atoi(limit_arg.data, limit_arg.len);
        if (n < 1 || n > NGX_PUSH_LIST_MAX) {
            return ngx_push_reject(r, NGX_HTTP_BAD_REQUEST,
                                   "limit must be 1 to 1000");
        }
        limit = static_cast<ngx_uint_t>(n);
    }

    exact = pattern->len == 0 || pattern->data[pattern->len - 1] != '*';
    prefix = *pattern;
    if (!exact) {
        prefix.len--;
    }

    /* room for the page; an entry that would not fit ends it early */
    len = 256 * 1024;

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, len));
    if (p == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    text.data = p;
    end = p + len;
    p = ngx_slprintf(p, end, "{\"channels\":[");

    {
        ngx_push_shm_lock  lock(zone->shpool);

        tree = &zone->sh->rbtree;

        if (exact) {
            /* one id: the tree finds it by its hash, however large; the
             * answer is whole, so it has no next */
            ch = ngx_push_store_find_locked(zone, &prefix);
            node = nullptr;

            if (ch != nullptr) {
                ngx_push_store_expire_locked(zone, ch);
                ngx_push_store_channel_info_locked(zone, ch, &info);
                p = ngx_push_stats_entry(p, end, ch, &info, 0);
            }

        } else if (ngx_push_stats_arg(r, "after", &after) == NGX_OK) {
            node = ngx_push_stats_after(tree, &after);

        } else {
            node = tree->root == tree->sentinel
                   ? nullptr : ngx_rbtree_min(tree->root, tree->sentinel);
        }

        for ( /* void */ ; node != nullptr;
             node = ngx_rbtree_next(tree, node))
        {
            ch = reinterpret_cast<ngx_push_channel_t *>(node);

            /* an entry, every byte of its id escaped, and the next */
            if (found == limit || visited == NGX_PUSH_LIST_VISIT
                || static_cast<size_t>(end - p)
                   < 12 * static_cast<size_t>(ch->id_len) + 256)
            {
                more = 1;
                break;
            }

            visited++;
            last = ch;

            if (ch->id_len < prefix.len
                || ngx_memcmp(ch->id, prefix.data, prefix.len) != 0)
            {
                continue;
            }

            ngx_push_store_expire_locked(zone, ch);
            ngx_push_store_channel_info_locked(zone, ch, &info);
            p = ngx_push_stats_entry(p, end, ch, &info, found);
            found++;
        }

        p = ngx_slprintf(p, end, "]");

        if (more && last != nullptr) {
            /* the cursor is the last channel looked at, matching or not */
            p = ngx_slprintf(p, end, ",\"next\":\"");
            p = reinterpret_cast<u_char *>(ngx_escape_json(p, last->id,
                                                           last->id_len));
            p = ngx_slprintf(p, end, "\"");
        }
    }

    p = ngx_slprintf(p, end, "}\n");
    text.len = p - text.data;

    return ngx_push_respond_text(r, NGX_HTTP_OK, "application/json", &text);
}


static ngx_int_t
ngx_push_stats_handler(ngx_http_request_t *r)
{
    u_char              *p, *end;
    size_t               len;
    ngx_int_t            rc;
    ngx_str_t            text, pattern;
    ngx_uint_t           i, prom;
    ngx_push_figures_t   f;
    ngx_push_main_conf_t  *pmcf;

    if (!(r->method & (NGX_HTTP_GET | NGX_HTTP_HEAD))) {
        return ngx_push_not_allowed(r, "GET, HEAD",
                                    "the stats location takes GET and HEAD");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_push_stats_arg(r, "channels", &pattern);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (rc == NGX_OK) {
        return ngx_push_stats_list(r, ngx_push_zone_of(r), &pattern);
    }

    ngx_push_stats_collect(ngx_push_zone_of(r), &f);

    const ngx_push_figure_t  figures[] = {
        { "zone_size_bytes", "gauge", "Size of the shared memory zone.",
          f.zone_size },
        { "zone_used_bytes", "gauge",
          "Bytes of the zone in use (whole pages).",
          f.zone_size - f.zone_free },
        { "zone_free_bytes", "gauge", "Bytes of the zone in free pages.",
          f.zone_free },
        { "channels", "gauge", "Channels in the zone.", f.channels },
        { "subscribers", "gauge",
          "Subscribers waiting for messages, in all workers.",
          f.subscribers },
        { "workers", "gauge", "Worker processes attached to the zone.",
          f.workers },
        { "messages", "gauge", "Messages stored.", f.messages },
        { "message_bytes", "gauge", "Payload bytes of the stored messages.",
          f.message_bytes },
        { "published_total", "counter", "Messages published.",
          f.stats.published },
        { "delivered_total", "counter",
          "Messages sent to subscribers (one per subscriber).",
          f.stats.delivered },
        { "slow_closed_total", "counter",
          "Subscribers closed for being slow (push_subscriber_pending_max).",
          f.stats.slow_closed },
        { "send_timeout_closed_total", "counter",
          "Subscribers closed when nothing was sent for send_timeout.",
          f.stats.send_timeout_closed },
        { "write_error_closed_total", "counter",
          "Subscribers closed because writing to them failed.",
          f.stats.write_error_closed },
        { "gaps_total", "counter",
          "Gap notices sent to subscribers that missed messages.",
          f.stats.gaps },
        { "evicted_total", "counter",
          "Messages dropped early to make room in the zone.",
          f.stats.evicted },
        { "expired_total", "counter",
          "Messages dropped at push_message_ttl.", f.stats.expired },
        { "refused_total", "counter",
          "Publishes refused with 507: the zone could not take them.",
          f.stats.refused },
        { "channels_evicted_total", "counter",
          "Idle channels dropped to make room in the zone.",
          f.stats.channels_evicted },
    };

    prom = ngx_push_stats_wants_prometheus(r);

    len = 2;
    for (const auto &fig : figures) {
        len += prom ? 3 * ngx_strlen(fig.name) + ngx_strlen(fig.help)
                      + sizeof("# HELP nginx_push_  \n# TYPE nginx_push_  "
                               "counter\nnginx_push_  \n")
                      + NGX_INT64_LEN
                    : ngx_strlen(fig.name) + NGX_INT64_LEN + 8;
    }

    /* subscribers by transport and worker */
    len += 400 + f.workers * NGX_PUSH_TRANSPORTS * (80 + 2 * NGX_INT64_LEN);

    pmcf = static_cast<ngx_push_main_conf_t *>(
               ngx_http_get_module_main_conf(r, ngx_push_module));

    /* the link's figures: 14 lines of text, and one per worker */
    if (pmcf->redis.url.len) {
        len += 3072 + f.workers * (100 + 3 * NGX_INT64_LEN);
    }

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, len));
    if (p == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    text.data = p;
    end = p + len;

    if (!prom) {
        *p++ = '{';
    }

    i = 0;
    for (const auto &fig : figures) {
        if (prom) {
            p = ngx_slprintf(p, end,
                             "# HELP nginx_push_%s %s\n"
                             "# TYPE nginx_push_%s %s\n"
                             "nginx_push_%s %uL\n",
                             fig.name, fig.help, fig.name, fig.type,
                             fig.name, fig.value);
        } else {
            p = ngx_slprintf(p, end, "%s\"%s\":%uL", i ? "," : "",
                             fig.name, fig.value);
        }
        i++;
    }

    p = ngx_push_stats_by_worker(p, end, &f, prom);

    if (pmcf->redis.url.len) {
        p = ngx_push_stats_redis(p, end, &f, prom);
    }

    if (!prom) {
        *p++ = '}';
        *p++ = '\n';
    }

    text.len = p - text.data;

    return ngx_push_respond_text(r, NGX_HTTP_OK,
                                 prom ? "text/plain; version=0.0.4"
                                      : "application/json",
                                 &text);
}


char *
ngx_push_stats_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                  *rv;
    ngx_push_main_conf_t  *pmcf;

    rv = ngx_push_set_content(cf, static_cast<ngx_push_loc_conf_t *>(conf),
                              "push_stats", ngx_push_stats_handler);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    pmcf = static_cast<ngx_push_main_conf_t *>(
               ngx_http_conf_get_module_main_conf(cf, ngx_push_module));
    pmcf->used = 1;

    return NGX_CONF_OK;
}
