/* The internal publish endpoint: publish, channel info, delete. */
#ifndef NGX_PUSH_PUBLISH_H_INCLUDED
#define NGX_PUSH_PUBLISH_H_INCLUDED

#include "ngx_push_conf.h"


/* What a publish request did, for the $push_* variables. */
struct ngx_push_pub_ctx_t {
    ngx_str_t   channel;
    uint32_t    epoch;
    uint64_t    seq;           /* of the message published; 0: none */
    uint32_t    subscribers;   /* that were sent it */
};


char *ngx_push_publisher_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

#endif /* NGX_PUSH_PUBLISH_H_INCLUDED */
