/* The internal publish endpoint: publish, channel info, delete. */
#ifndef NGX_PUSH_PUBLISH_H_INCLUDED
#define NGX_PUSH_PUBLISH_H_INCLUDED

#include "ngx_push_conf.h"


char *ngx_push_publisher_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

#endif /* NGX_PUSH_PUBLISH_H_INCLUDED */
