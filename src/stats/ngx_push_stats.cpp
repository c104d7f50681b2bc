/* The stats location: zone-wide figures as JSON or Prometheus text. */
#include "ngx_push_stats.h"
#include "ngx_push_http.h"


/* What one look at the zone finds, taken under its lock. */
struct ngx_push_figures_t {
    size_t            zone_size;
    size_t            zone_free;
    uint64_t          channels;
    uint64_t          messages;
    uint64_t          message_bytes;
    uint64_t          subscribers;
    uint64_t          workers;
    ngx_push_stats_t  stats;
};


/* One figure: its name (after "nginx_push_"), Prometheus type, help. */
struct ngx_push_figure_t {
    const char  *name;
    const char  *type;
    const char  *help;
    uint64_t     value;
};


static void
ngx_push_stats_collect(ngx_push_zone_t *zone, ngx_push_figures_t *f)
{
    ngx_uint_t        i;
    ngx_queue_t      *q;
    ngx_push_rec_t   *rec;
    ngx_push_slot_t  *slot;

    ngx_push_shm_lock  lock(zone->shpool);

    f->zone_size = zone->size;
    f->zone_free = zone->shpool->pfree * ngx_pagesize;
    f->channels = zone->sh->nchannels;
    f->messages = zone->sh->nmessages;
    f->message_bytes = zone->sh->message_bytes;
    f->stats = zone->sh->stats;
    f->subscribers = 0;
    f->workers = 0;

    for (i = 0; i < NGX_PUSH_MAX_SLOTS; i++) {
        slot = &zone->sh->slots[i];
        if (slot->pid == 0) {
            continue;
        }

        f->workers++;

        for (q = ngx_queue_head(&slot->recs);
             q != ngx_queue_sentinel(&slot->recs);
             q = ngx_queue_next(q))
        {
            rec = ngx_queue_data(q, ngx_push_rec_t, in_slot);
            f->subscribers += rec->count;
        }
    }
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


static ngx_int_t
ngx_push_stats_handler(ngx_http_request_t *r)
{
    u_char              *p, *end;
    size_t               len;
    ngx_int_t            rc;
    ngx_str_t            text;
    ngx_uint_t           i, prom;
    ngx_push_figures_t   f;

    if (!(r->method & (NGX_HTTP_GET | NGX_HTTP_HEAD))) {
        ngx_str_t  allow = ngx_string("GET, HEAD");

        if (ngx_push_add_header(r, "Allow", &allow) == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_push_reject(r, NGX_HTTP_NOT_ALLOWED,
                               "the stats location takes GET and HEAD");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
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
    ngx_http_core_loc_conf_t  *clcf;
    ngx_push_main_conf_t      *pmcf;

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));

    if (clcf->handler == ngx_push_stats_handler) {
        return const_cast<char *>("is duplicate");
    }

    clcf->handler = ngx_push_stats_handler;

    pmcf = static_cast<ngx_push_main_conf_t *>(
               ngx_http_conf_get_module_main_conf(cf, ngx_push_module));
    pmcf->used = 1;

    return NGX_CONF_OK;
}
