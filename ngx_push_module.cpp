/* ngx_push_module: directives, configuration and the module definition. */
#include "ngx_push_conf.h"
#include "ngx_push_zone.h"
#include "ngx_push_ipc.h"
#include "ngx_push_publish.h"
#include "ngx_push_subscriber.h"
#include "ngx_push_stream_template.h"
#include "ngx_push_shutdown.h"
#include "ngx_push_stats.h"
#include "ngx_push_redis_link.h"
#include "ngx_push_redis_share.h"


static void *ngx_push_create_main_conf(ngx_conf_t *cf);
static char *ngx_push_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_push_create_loc_conf(ngx_conf_t *cf);
static char *ngx_push_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_push_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_push_init_process(ngx_cycle_t *cycle);
static void ngx_push_exit_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_push_ws_frames[] = {
    { ngx_string("auto"), NGX_PUSH_WS_AUTO },
    { ngx_string("text"), NGX_PUSH_WS_TEXT },
    { ngx_string("binary"), NGX_PUSH_WS_BINARY },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_push_first_words[] = {
    { ngx_string("newest"), static_cast<ngx_uint_t>(NGX_PUSH_FIRST_NEWEST) },
    { ngx_string("oldest"), static_cast<ngx_uint_t>(NGX_PUSH_FIRST_OLDEST) },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_push_commands[] = {

    { ngx_string("push_zone"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE2,
      ngx_push_zone_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      nullptr },

    { ngx_string("push_publisher"),
      NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS,
      ngx_push_publisher_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      nullptr },

    { ngx_string("push_stats"),
      NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS,
      ngx_push_stats_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      nullptr },

    { ngx_string("push_subscriber"),
      NGX_HTTP_LOC_CONF | NGX_CONF_ANY,
      ngx_push_subscriber_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      nullptr },

    { ngx_string("push_channel"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_1MORE,
      ngx_push_channel_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      nullptr },

    { ngx_string("push_message_buffer"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, message_buffer),
      nullptr },

    { ngx_string("push_message_ttl"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, message_ttl),
      nullptr },

    { ngx_string("push_channel_id_max_length"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, channel_id_max_length),
      nullptr },

    { ngx_string("push_longpoll_timeout"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, longpoll_timeout),
      nullptr },

    { ngx_string("push_first_message"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_push_word_or_num,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, first_message),
      &ngx_push_first_words },

    { ngx_string("push_sse_retry"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_push_msec_or_off,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, sse_retry),
      nullptr },

    { ngx_string("push_ping_interval"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_push_msec_or_off,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, ping_interval),
      nullptr },

    { ngx_string("push_subscriber_pending_max"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, pending_max),
      nullptr },

    { ngx_string("push_stream_content_type"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, stream_content_type),
      nullptr },

    { ngx_string("push_stream_separator"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, stream_separator),
      nullptr },

    { ngx_string("push_stream_header"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, stream_header),
      nullptr },

    { ngx_string("push_stream_footer"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, stream_footer),
      nullptr },

    { ngx_string("push_stream_ping"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, stream_ping),
      nullptr },

    { ngx_string("push_stream_template"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_push_stream_template_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      nullptr },

    { ngx_string("push_longpoll_multipart"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, longpoll_multipart),
      nullptr },

    { ngx_string("push_longpoll_multipart_max_messages"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, longpoll_multipart_max),
      nullptr },

    { ngx_string("push_longpoll_multipart_max_size"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, longpoll_multipart_size),
      nullptr },

    { ngx_string("push_allow_origin"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, allow_origin),
      nullptr },

    { ngx_string("push_websocket_publish"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, ws_publish),
      nullptr },

    { ngx_string("push_websocket_max_message_size"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, ws_max_message),
      nullptr },

    { ngx_string("push_websocket_frame"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, ws_frame),
      &ngx_push_ws_frames },

    { ngx_string("push_websocket_timeout"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, ws_timeout),
      nullptr },

    { ngx_string("push_websocket_subprotocols"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_1MORE,
      ngx_push_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, ws_subprotocols),
      nullptr },

    { ngx_string("push_websocket_allow_origin"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_1MORE,
      ngx_push_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, ws_origins),
      nullptr },

    /* a client's text message IN answered with OUT, never published:
     * browsers cannot send WebSocket pings (default none) */
    { ngx_string("push_websocket_client_heartbeat"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE2,
      ngx_push_str_list,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, ws_heartbeat),
      nullptr },

    { ngx_string("push_channel_split"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, channel_split),
      nullptr },

    { ngx_string("push_max_channels_per_subscriber"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, max_channels_per_sub),
      nullptr },

    { ngx_string("push_max_subscribers_per_channel"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_push_num_or_unlimited,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, max_subscribers),
      nullptr },

    { ngx_string("push_max_channels"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_push_num_or_unlimited,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, max_channels),
      nullptr },

    { ngx_string("push_subscribe_existing_only"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, subscribe_existing_only),
      nullptr },

    { ngx_string("push_subscriber_secret"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_push_complex_or_off,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, sub_secret),
      nullptr },

    { ngx_string("push_subscriber_token"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, sub_token),
      nullptr },

    { ngx_string("push_last_event_id"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
      | NGX_CONF_TAKE1,
      ngx_push_complex_or_off,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_push_loc_conf_t, last_event_id),
      nullptr },

    { ngx_string("push_redis_server"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
      ngx_push_redis_server,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      nullptr },

    { ngx_string("push_redis_experimental"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_FLAG,
      ngx_push_redis_experimental,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      nullptr },

    { ngx_string("push_redis_prefix"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
      ngx_push_redis_prefix,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      nullptr },

    { ngx_string("push_redis_connect_timeout"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_push_main_conf_t, redis.connect_timeout),
      nullptr },

    { ngx_string("push_redis_command_timeout"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_push_main_conf_t, redis.command_timeout),
      nullptr },

    { ngx_string("push_redis_reconnect"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE2,
      ngx_push_redis_reconnect,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      nullptr },

    { ngx_string("push_redis_ping_interval"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_push_main_conf_t, redis.ping_interval),
      nullptr },

    { ngx_string("push_redis_idempotency_ttl"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_push_main_conf_t, redis.idempotency_ttl),
      nullptr },

    { ngx_string("push_redis_max_reply"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_push_main_conf_t, redis.max_reply),
      nullptr },

      ngx_null_command
};


static ngx_http_module_t  ngx_push_module_ctx = {
    ngx_push_add_variables,                /* preconfiguration */
    ngx_push_postconfiguration,            /* postconfiguration */

    ngx_push_create_main_conf,             /* create main configuration */
    ngx_push_init_main_conf,               /* init main configuration */

    nullptr,                               /* create server configuration */
    nullptr,                               /* merge server configuration */

    ngx_push_create_loc_conf,              /* create location configuration */
    ngx_push_merge_loc_conf                /* merge location configuration */
};


extern "C" {

ngx_module_t  ngx_push_module = {
    NGX_MODULE_V1,
    &ngx_push_module_ctx,                  /* module context */
    ngx_push_commands,                     /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    nullptr,                               /* init master */
    nullptr,                               /* init module */
    ngx_push_init_process,                 /* init process */
    nullptr,                               /* init thread */
    nullptr,                               /* exit thread */
    ngx_push_exit_process,                 /* exit process */
    nullptr,                               /* exit master */
    NGX_MODULE_V1_PADDING
};

}


static void *
ngx_push_create_main_conf(ngx_conf_t *cf)
{
    auto  *pmcf = static_cast<ngx_push_main_conf_t *>(
                      ngx_pcalloc(cf->pool, sizeof(ngx_push_main_conf_t)));
    if (pmcf == nullptr) {
        return nullptr;
    }

    /* shm_zone = NULL, used = 0 */
    ngx_push_redis_conf_init(&pmcf->redis);

    return pmcf;
}


static char *
ngx_push_init_main_conf(ngx_conf_t *cf, void *conf)
{
    auto  *pmcf = static_cast<ngx_push_main_conf_t *>(conf);

    return ngx_push_redis_conf_merge(cf, &pmcf->redis);
}


static void *
ngx_push_create_loc_conf(ngx_conf_t *cf)
{
    auto  *conf = static_cast<ngx_push_loc_conf_t *>(
                      ngx_pcalloc(cf->pool, sizeof(ngx_push_loc_conf_t)));
    if (conf == nullptr) {
        return nullptr;
    }

    /* set by ngx_pcalloc(): the stream_* strings empty, content = NULL,
     * content_handler = NULL */

    conf->publisher = NGX_CONF_UNSET;
    conf->transports = NGX_CONF_UNSET_UINT;
    conf->channels = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    conf->message_buffer = NGX_CONF_UNSET_UINT;
    conf->message_ttl = NGX_CONF_UNSET;
    conf->channel_id_max_length = NGX_CONF_UNSET_SIZE;
    conf->longpoll_timeout = NGX_CONF_UNSET_MSEC;
    conf->stream_template = static_cast<ngx_push_stream_tpl_t *>(
                                NGX_CONF_UNSET_PTR);
    conf->longpoll_multipart = NGX_CONF_UNSET;
    conf->longpoll_multipart_max = NGX_CONF_UNSET_UINT;
    conf->longpoll_multipart_size = NGX_CONF_UNSET_SIZE;
    conf->first_message = NGX_CONF_UNSET;
    conf->sse_retry = NGX_CONF_UNSET_MSEC;
    conf->ping_interval = NGX_CONF_UNSET_MSEC;
    conf->pending_max = NGX_CONF_UNSET_SIZE;
    conf->allow_origin = static_cast<ngx_http_complex_value_t *>(
                             NGX_CONF_UNSET_PTR);
    conf->ws_publish = NGX_CONF_UNSET;
    conf->ws_max_message = NGX_CONF_UNSET_SIZE;
    conf->ws_frame = NGX_CONF_UNSET_UINT;
    conf->ws_timeout = NGX_CONF_UNSET_MSEC;
    conf->ws_subprotocols = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    conf->ws_origins = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    conf->ws_heartbeat = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    conf->max_channels_per_sub = NGX_CONF_UNSET_UINT;
    conf->max_subscribers = NGX_CONF_UNSET_UINT;
    conf->max_channels = NGX_CONF_UNSET_UINT;
    conf->subscribe_existing_only = NGX_CONF_UNSET;
    conf->sub_secret = static_cast<ngx_http_complex_value_t *>(
                           NGX_CONF_UNSET_PTR);
    conf->sub_token = static_cast<ngx_http_complex_value_t *>(
                          NGX_CONF_UNSET_PTR);
    conf->last_event_id = static_cast<ngx_http_complex_value_t *>(
                              NGX_CONF_UNSET_PTR);

    return conf;
}


static char *
ngx_push_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_str_t  *hb;
    auto       *prev = static_cast<ngx_push_loc_conf_t *>(parent);
    auto       *conf = static_cast<ngx_push_loc_conf_t *>(child);

    /* publisher and transports say what this very location is: not
     * inherited */
    if (conf->publisher == NGX_CONF_UNSET) {
        conf->publisher = 0;
    }

    if (conf->transports == NGX_CONF_UNSET_UINT) {
        conf->transports = 0;
    }

    if (ngx_push_merge_content(cf, prev, conf) != NGX_CONF_OK) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    ngx_conf_merge_ptr_value(conf->channels, prev->channels, nullptr);
    ngx_conf_merge_uint_value(conf->message_buffer, prev->message_buffer,
                              100);
    ngx_conf_merge_value(conf->message_ttl, prev->message_ttl, 3600);
    ngx_conf_merge_size_value(conf->channel_id_max_length,
                              prev->channel_id_max_length, 255);
    ngx_conf_merge_msec_value(conf->longpoll_timeout, prev->longpoll_timeout,
                              30000);
    ngx_conf_merge_ptr_value(conf->stream_template, prev->stream_template,
                             nullptr);
    ngx_conf_merge_value(conf->longpoll_multipart, prev->longpoll_multipart,
                         0);
    ngx_conf_merge_uint_value(conf->longpoll_multipart_max,
                              prev->longpoll_multipart_max, 100);
    ngx_conf_merge_size_value(conf->longpoll_multipart_size,
                              prev->longpoll_multipart_size, 1024 * 1024);
    ngx_conf_merge_value(conf->first_message, prev->first_message,
                         NGX_PUSH_FIRST_NEWEST);

    ngx_conf_merge_msec_value(conf->sse_retry, prev->sse_retry, 3000);
    ngx_conf_merge_msec_value(conf->ping_interval, prev->ping_interval,
                              25000);
    ngx_conf_merge_size_value(conf->pending_max, prev->pending_max,
                              1024 * 1024);
    ngx_conf_merge_str_value(conf->stream_content_type,
                             prev->stream_content_type, "text/plain");
    ngx_conf_merge_str_value(conf->stream_separator, prev->stream_separator,
                             "\n");
    ngx_conf_merge_str_value(conf->stream_header, prev->stream_header, "");
    ngx_conf_merge_str_value(conf->stream_footer, prev->stream_footer, "");
    ngx_conf_merge_str_value(conf->stream_ping, prev->stream_ping, "");
    ngx_conf_merge_ptr_value(conf->allow_origin, prev->allow_origin,
                             nullptr);

    ngx_conf_merge_value(conf->ws_publish, prev->ws_publish, 0);
    ngx_conf_merge_size_value(conf->ws_max_message, prev->ws_max_message,
                              1024 * 1024);
    ngx_conf_merge_uint_value(conf->ws_frame, prev->ws_frame,
                              NGX_PUSH_WS_AUTO);
    /* left unset through the levels when never set, so that its default
     * follows the push_ping_interval of the level that uses it */
    ngx_conf_merge_msec_value(conf->ws_timeout, prev->ws_timeout,
                              NGX_CONF_UNSET_MSEC);
    conf->ws_silence = conf->ws_timeout != NGX_CONF_UNSET_MSEC
                       ? conf->ws_timeout
                       : conf->ping_interval ? 2 * conf->ping_interval
                                             : 60000;
    ngx_conf_merge_ptr_value(conf->ws_subprotocols, prev->ws_subprotocols,
                             nullptr);
    ngx_conf_merge_ptr_value(conf->ws_origins, prev->ws_origins, nullptr);
    ngx_conf_merge_ptr_value(conf->ws_heartbeat, prev->ws_heartbeat, nullptr);
    ngx_conf_merge_str_value(conf->channel_split, prev->channel_split, "");
    ngx_conf_merge_uint_value(conf->max_channels_per_sub,
                              prev->max_channels_per_sub, push::max_channels);
    ngx_conf_merge_uint_value(conf->max_subscribers, prev->max_subscribers,
                              0);
    ngx_conf_merge_uint_value(conf->max_channels, prev->max_channels, 0);
    ngx_conf_merge_value(conf->subscribe_existing_only,
                         prev->subscribe_existing_only, 0);
    ngx_conf_merge_ptr_value(conf->sub_secret, prev->sub_secret, nullptr);
    ngx_conf_merge_ptr_value(conf->sub_token, prev->sub_token, nullptr);
    ngx_conf_merge_ptr_value(conf->last_event_id, prev->last_event_id,
                             nullptr);

    if (conf->sub_secret != nullptr && conf->sub_token == nullptr) {
        conf->sub_token = ngx_push_default_token(cf);
        if (conf->sub_token == nullptr) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    if (conf->max_channels_per_sub < 1
        || conf->max_channels_per_sub > push::max_channels)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_max_channels_per_subscriber must be 1 to "
                           "%uz, not %ui", push::max_channels,
                           conf->max_channels_per_sub);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->message_buffer < 1 || conf->message_buffer > 1000000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_message_buffer must be 1 to 1000000, "
                           "not %ui", conf->message_buffer);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->message_ttl < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_message_ttl must be at least 1s");
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->channel_id_max_length < 1
        || conf->channel_id_max_length > 4096)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_channel_id_max_length must be 1 to 4096, "
                           "not %uz", conf->channel_id_max_length);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->longpoll_timeout < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_longpoll_timeout must be more than 0");
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->longpoll_multipart_max < 1
        || conf->longpoll_multipart_max > 10000)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_longpoll_multipart_max_messages must be 1 "
                           "to 10000, not %ui", conf->longpoll_multipart_max);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->longpoll_multipart_size == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_longpoll_multipart_max_size must be more "
                           "than 0");
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->pending_max == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_subscriber_pending_max must be more than 0");
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->ws_timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_websocket_timeout must be more than 0");
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->ws_heartbeat != nullptr) {
        hb = static_cast<ngx_str_t *>(conf->ws_heartbeat->elts);

        if (hb[0].len == 0 || hb[0].len > 125 || hb[1].len > 125) {
            /* a heartbeat is small; its answer is framed like a pong */
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "push_websocket_client_heartbeat \"%V\" "
                               "\"%V\": the message must be 1 to 125 bytes "
                               "and the answer at most 125", &hb[0], &hb[1]);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    if (conf->publisher && conf->transports) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_publisher and push_subscriber cannot share "
                           "a location");
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if ((conf->publisher || conf->transports) && conf->channels == nullptr) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s needs push_channel",
                           conf->publisher ? "push_publisher"
                                           : "push_subscriber");
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (conf->publisher && conf->channels->nelts > 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "push_publisher takes one push_channel, not %ui",
                           conf->channels->nelts);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_push_postconfiguration(ngx_conf_t *cf)
{
    return ngx_push_zone_add_default(cf);
}


static ngx_int_t
ngx_push_init_process(ngx_cycle_t *cycle)
{
    ngx_push_zone_t       *zone = ngx_push_zone_current(cycle);
    ngx_push_main_conf_t  *pmcf;

    ngx_push_shutdown_init(cycle);

    if (zone != nullptr) {
        /* a worker that cannot wake or be woken still publishes; it
         * refuses waiting subscribers, so it must not fail the process */
        (void) ngx_push_ipc_init_worker(cycle, zone, ngx_push_share_woken,
                                        ngx_push_shutdown_all);
    }

    pmcf = static_cast<ngx_push_main_conf_t *>(
               ngx_http_cycle_get_module_main_conf(cycle, ngx_push_module));

    /* after the slot is taken: the link's figures go there.  Only memory
     * can fail it; the worker serves on without Redis then, and says so */
    if (pmcf != nullptr
        && ngx_push_redis_link_init(cycle, &pmcf->redis, zone) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "push: cannot set up the link to redis %V",
                      &pmcf->redis.url);

    } else if (pmcf != nullptr
               && ngx_push_share_init(cycle, &pmcf->redis, zone) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "push: cannot share channels through redis %V",
                      &pmcf->redis.url);
    }

    return NGX_OK;
}


static void
ngx_push_exit_process(ngx_cycle_t *cycle)
{
    ngx_push_share_exit(cycle);
    ngx_push_redis_link_exit(cycle);
    ngx_push_ipc_exit_worker(cycle);
}
