/* HTTP stream message templates: the directive and per-worker frames. */
#ifndef NGX_PUSH_STREAM_TEMPLATE_H_INCLUDED
#define NGX_PUSH_STREAM_TEMPLATE_H_INCLUDED

#include "ngx_push_subscriber.h"
#include "push_template.h"


/* push_stream_template: lives in the configuration pool. */
struct ngx_push_stream_tpl_t {
    push::template_t  tpl;
    ngx_str_t         src;
};


char *ngx_push_stream_template_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_push_frame_t *ngx_push_stream_frame(ngx_push_sub_t *sub,
    ngx_uint_t index, ngx_push_lmsg_t *msg);
ngx_int_t ngx_push_stream_notice(ngx_push_sub_t *sub, ngx_uint_t index,
    const char *event, ngx_str_t *text, ngx_str_t *out);

#endif /* NGX_PUSH_STREAM_TEMPLATE_H_INCLUDED */
