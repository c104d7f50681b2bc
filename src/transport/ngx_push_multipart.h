/* Batched long-polls: every waiting message in one multipart/mixed answer. */
#ifndef NGX_PUSH_MULTIPART_H_INCLUDED
#define NGX_PUSH_MULTIPART_H_INCLUDED

#include "ngx_push_subscriber.h"


ngx_int_t ngx_push_multipart_reply(ngx_push_sub_t *sub);

#endif /* NGX_PUSH_MULTIPART_H_INCLUDED */
