/* The push_redis_* directives: parsing, defaults and the checks nginx -t
 * makes. */
#include "ngx_push_conf.h"
#include "push_redis_url.h"


/* Longest push_redis_prefix: it is part of every key of every channel. */
#define NGX_PUSH_REDIS_PREFIX_MAX  64

/* push_redis_max_reply bounds */
#define NGX_PUSH_REDIS_REPLY_MIN   (4 * 1024)
#define NGX_PUSH_REDIS_REPLY_MAX   (512 * 1024 * 1024)


static ngx_push_redis_conf_t *
ngx_push_redis_conf_of(void *conf)
{
    return &static_cast<ngx_push_main_conf_t *>(conf)->redis;
}


void
ngx_push_redis_conf_init(ngx_push_redis_conf_t *rcf)
{
    /* url, addr, user, password, auth, db, prefix, line: zero */
    rcf->connect_timeout = NGX_CONF_UNSET_MSEC;
    rcf->command_timeout = NGX_CONF_UNSET_MSEC;
    rcf->reconnect_min = NGX_CONF_UNSET_MSEC;
    rcf->reconnect_max = NGX_CONF_UNSET_MSEC;
    rcf->ping_interval = NGX_CONF_UNSET_MSEC;
    rcf->idempotency_ttl = NGX_CONF_UNSET_MSEC;
    rcf->max_reply = NGX_CONF_UNSET_SIZE;
}


/* A decoded copy of a percent-encoded part of the URL. */
static ngx_int_t
ngx_push_redis_unescape(ngx_conf_t *cf, std::string_view in, ngx_str_t *out)
{
    size_t  n;

    out->data = static_cast<u_char *>(ngx_pnalloc(cf->pool, in.size() + 1));
    if (out->data == nullptr) {
        return NGX_ERROR;
    }

    n = push::redis_url_unescape(in, reinterpret_cast<char *>(out->data));
    if (n == SIZE_MAX) {
        return NGX_DECLINED;
    }

    out->len = n;

    return NGX_OK;
}


/* push_redis_server redis://[user:password@]host[:port][/db]: split by the
 * pure parser, the host resolved here by nginx (at configuration time:
 * never at run time, so no worker waits for DNS). */
char *
ngx_push_redis_server(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto             *rcf = ngx_push_redis_conf_of(conf);
    auto             *value = static_cast<ngx_str_t *>(cf->args->elts);
    ngx_int_t         rc;
    ngx_url_t         u;
    push::redis_url   url;

    if (rcf->url.len != 0) {
        /* several masters and Cluster come later; one server today */
        return const_cast<char *>("is duplicate");
    }

    if (push::redis_url_parse(ngx_push_sv(value[1]), url)
        != push::status::ok)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid push_redis_server \"%V\": %s",
                           &value[1], url.reason);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url.data = reinterpret_cast<u_char *>(
                     const_cast<char *>(url.host_port.data()));
    u.url.len = url.host_port.size();
    u.default_port = 6379;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid push_redis_server \"%V\": %s",
                           &value[1], u.err ? u.err : "bad host or port");
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (u.naddrs == 0 || u.addrs == nullptr) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_redis_server \"%V\": host not found",
                           &value[1]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (u.naddrs > 1) {
        /* one node per server today: the first address is the node */
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "push_redis_server \"%V\" has %ui addresses, "
                           "using %V", &value[1], u.naddrs,
                           &u.addrs[0].name);
    }

    if (url.auth) {
        rc = ngx_push_redis_unescape(cf, url.user, &rcf->user);
        if (rc == NGX_OK) {
            rc = ngx_push_redis_unescape(cf, url.password, &rcf->password);
        }
        if (rc == NGX_ERROR) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
        if (rc == NGX_DECLINED) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid push_redis_server \"%V\": a bad "
                               "%%-escape in the credentials", &value[1]);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    rcf->url = value[1];
    rcf->addr = &u.addrs[0];
    rcf->auth = url.auth;
    rcf->db = url.db;
    rcf->line = cf->conf_file->line;

    return NGX_CONF_OK;
}


/* push_redis_experimental gated the Redis mode while it had known gaps;
 * push_redis_server alone turns it on now.  A configuration that still
 * says it keeps working, and is told it may drop the line. */
char *
ngx_push_redis_experimental(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto  *value = static_cast<ngx_str_t *>(cf->args->elts);

    if (ngx_strcmp(value[1].data, "on") != 0
        && ngx_strcmp(value[1].data, "off") != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\", "
                           "it must be \"on\" or \"off\"",
                           &value[1], &cmd->name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                       "push_redis_experimental is no longer needed and "
                       "does nothing: push_redis_server alone shares the "
                       "channels through Redis; remove the line");

    return NGX_CONF_OK;
}


/* A key prefix: printable ASCII without spaces and braces (a brace would
 * break the hash tag; see push_redis_key.h), at most 64 bytes. */
char *
ngx_push_redis_prefix(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto        *rcf = ngx_push_redis_conf_of(conf);
    auto        *value = static_cast<ngx_str_t *>(cf->args->elts);
    ngx_uint_t   i;

    if (rcf->prefix.data != nullptr) {
        return const_cast<char *>("is duplicate");
    }

    if (value[1].len == 0 || value[1].len > NGX_PUSH_REDIS_PREFIX_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid push_redis_prefix \"%V\": 1 to %d bytes",
                           &value[1], NGX_PUSH_REDIS_PREFIX_MAX);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    for (i = 0; i < value[1].len; i++) {
        u_char  c = value[1].data[i];

        if (c <= 0x20 || c >= 0x7f || c == '{' || c == '}') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid push_redis_prefix \"%V\": printable "
                               "ASCII without spaces or braces", &value[1]);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    rcf->prefix = value[1];

    return NGX_CONF_OK;
}


/* push_redis_reconnect MIN MAX */
char *
ngx_push_redis_reconnect(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto        *rcf = ngx_push_redis_conf_of(conf);
    auto        *value = static_cast<ngx_str_t *>(cf->args->elts);
    ngx_msec_t   min, max;

    if (rcf->reconnect_min != NGX_CONF_UNSET_MSEC) {
        return const_cast<char *>("is duplicate");
    }

    min = ngx_parse_time(&value[1], 0);
    max = ngx_parse_time(&value[2], 0);

    if (min == static_cast<ngx_msec_t>(NGX_ERROR) || min == 0
        || max == static_cast<ngx_msec_t>(NGX_ERROR) || max < min)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid push_redis_reconnect \"%V %V\", expected "
                           "two times, more than 0, the first not above the "
                           "second", &value[1], &value[2]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    rcf->reconnect_min = min;
    rcf->reconnect_max = max;

    return NGX_CONF_OK;
}


static char *
ngx_push_redis_positive(ngx_conf_t *cf, const char *name, ngx_msec_t v)
{
    if (v == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s must be more than 0",
                           name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}


/* At init main conf: defaults, then what only the whole http{} tells. */
char *
ngx_push_redis_conf_merge(ngx_conf_t *cf, ngx_push_redis_conf_t *rcf)
{
    ngx_conf_init_msec_value(rcf->connect_timeout, 1000);
    ngx_conf_init_msec_value(rcf->command_timeout, 2000);
    ngx_conf_init_msec_value(rcf->reconnect_min, 100);
    ngx_conf_init_msec_value(rcf->reconnect_max, 5000);
    ngx_conf_init_msec_value(rcf->ping_interval, 5000);
    ngx_conf_init_msec_value(rcf->idempotency_ttl, 300000);
    ngx_conf_init_size_value(rcf->max_reply, 8 * 1024 * 1024);

    if (rcf->prefix.data == nullptr) {
        ngx_str_set(&rcf->prefix, "push");
    }

    if (ngx_push_redis_positive(cf, "push_redis_connect_timeout",
                                rcf->connect_timeout) != NGX_CONF_OK
        || ngx_push_redis_positive(cf, "push_redis_command_timeout",
                                   rcf->command_timeout) != NGX_CONF_OK
        || ngx_push_redis_positive(cf, "push_redis_ping_interval",
                                   rcf->ping_interval) != NGX_CONF_OK
        || ngx_push_redis_positive(cf, "push_redis_idempotency_ttl",
                                   rcf->idempotency_ttl) != NGX_CONF_OK)
    {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (rcf->max_reply < NGX_PUSH_REDIS_REPLY_MIN
        || rcf->max_reply > NGX_PUSH_REDIS_REPLY_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_redis_max_reply must be 4k to 512m, "
                           "not %uz", rcf->max_reply);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}
