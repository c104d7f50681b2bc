/* Configuration structures shared by the module's parts. */
#ifndef NGX_PUSH_CONF_H_INCLUDED
#define NGX_PUSH_CONF_H_INCLUDED

#include "ngx_push.h"
#include "ngx_push_redis_conf.h"


/* Transports a subscriber location may speak (push_subscriber). */
enum ngx_push_transport_e : ngx_uint_t {
    NGX_PUSH_POLL = 0x01,
    NGX_PUSH_LONGPOLL = 0x02,
    NGX_PUSH_STREAM = 0x04,
    NGX_PUSH_SSE = 0x08,
    NGX_PUSH_WEBSOCKET = 0x10,
};


/* push_websocket_frame */
enum ngx_push_ws_frame_e : ngx_uint_t {
    NGX_PUSH_WS_AUTO = 0,
    NGX_PUSH_WS_TEXT,
    NGX_PUSH_WS_BINARY,
};

/* push_first_message without a number.  A keyword's value must differ
 * from NGX_CONF_UNSET (-1), or it could neither override an inherited
 * value nor be caught twice: ngx_push_word_or_num stores them. */
static constexpr ngx_int_t  NGX_PUSH_FIRST_NEWEST = -2;
static constexpr ngx_int_t  NGX_PUSH_FIRST_OLDEST = -3;

static_assert(NGX_PUSH_FIRST_NEWEST != NGX_CONF_UNSET
              && NGX_PUSH_FIRST_OLDEST != NGX_CONF_UNSET,
              "a keyword's value must not read as unset");


struct ngx_push_stream_tpl_t;


struct ngx_push_main_conf_t {
    ngx_shm_zone_t  *shm_zone;        /* push_zone, or the default one */
    ngx_uint_t       used;            /* a location publishes or serves */
    ngx_push_redis_conf_t  redis;     /* push_redis_*: the link to Redis */
};


struct ngx_push_loc_conf_t {
    ngx_flag_t       publisher;              /* push_publisher */
    ngx_uint_t       transports;             /* push_subscriber: bitmask */
    ngx_array_t     *channels;               /* push_channel: complex values */
    ngx_uint_t       message_buffer;         /* messages kept, default 100 */
    time_t           message_ttl;            /* seconds, default 1h */
    size_t           channel_id_max_length;  /* bytes, default 255 */
    ngx_msec_t       longpoll_timeout;       /* ms, default 30s */
    ngx_int_t        first_message;          /* newest, oldest or N */
    ngx_msec_t       sse_retry;              /* ms, default 3s; 0: off */
    ngx_msec_t       ping_interval;          /* ms, default 25s; 0: off */
    size_t           pending_max;            /* bytes unsent, default 1m */
    ngx_str_t        stream_content_type;    /* default text/plain */
    ngx_str_t        stream_separator;       /* default "\n" */
    ngx_str_t        stream_header;          /* default none */
    ngx_str_t        stream_footer;          /* default none */
    ngx_str_t        stream_ping;            /* default none: no ping */
    ngx_http_complex_value_t  *allow_origin; /* CORS, default off */
    ngx_flag_t       ws_publish;             /* default off */
    size_t           ws_max_message;         /* bytes, default 1m */
    ngx_uint_t       ws_frame;               /* auto, text or binary */
    ngx_msec_t       ws_timeout;             /* ms, as set: unset = 2 pings */
    ngx_msec_t       ws_silence;             /* ms, in force (merged) */
    ngx_array_t     *ws_subprotocols;        /* ngx_str_t, default none */
    ngx_array_t     *ws_origins;             /* ngx_str_t, default all */
    ngx_array_t     *ws_heartbeat;           /* ngx_str_t: IN and OUT,
                                              * default none */
    ngx_str_t        channel_split;          /* default none */
    ngx_uint_t       max_channels_per_sub;   /* default 16 */
    ngx_uint_t       max_subscribers;        /* per channel; 0: unlimited */
    ngx_uint_t       max_channels;           /* in the zone; 0: unlimited */
    ngx_flag_t       subscribe_existing_only;  /* default off */
    ngx_http_complex_value_t  *sub_secret;   /* signed URLs; default off */
    ngx_http_complex_value_t  *sub_token;    /* default $arg_token */
    ngx_http_complex_value_t  *last_event_id;  /* cursor; default none */

    /* push_stream_template: compiled when the configuration is read;
     * default none (a stream sends bare payloads) */
    ngx_push_stream_tpl_t     *stream_template;
    ngx_flag_t       longpoll_multipart;       /* default off */
    ngx_uint_t       longpoll_multipart_max;   /* messages, default 100 */
    size_t           longpoll_multipart_size;  /* bytes, default 1m */

    /* the push_* directive that made this location's content handler
     * (push_publisher, push_subscriber, push_stats), and that handler:
     * conflicts are refused by name, if and limit_except inherit it */
    const char                *content;
    ngx_http_handler_pt        content_handler;
};

/* ngx_push_conf.cpp: setters shared by the directive table. */
char *ngx_push_msec_or_off(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_push_num_or_unlimited(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_push_str_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_push_word_or_num(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_push_complex_or_off(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_http_complex_value_t *ngx_push_default_token(ngx_conf_t *cf);
char *ngx_push_set_content(ngx_conf_t *cf, ngx_push_loc_conf_t *plcf,
    const char *name, ngx_http_handler_pt handler);
char *ngx_push_merge_content(ngx_conf_t *cf, ngx_push_loc_conf_t *prev,
    ngx_push_loc_conf_t *conf);

#endif /* NGX_PUSH_CONF_H_INCLUDED */
