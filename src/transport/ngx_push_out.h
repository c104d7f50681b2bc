/* Output of long-lived responses: shared frames, unsent bytes, pings. */
#ifndef NGX_PUSH_OUT_H_INCLUDED
#define NGX_PUSH_OUT_H_INCLUDED

#include "ngx_push_subscriber.h"


/* One write: up to three pieces of memory, the message they point into
 * held until they have left.  Reused through the subscriber's free list. */
struct ngx_push_out_t {
    ngx_push_out_t   *next;
    ngx_push_lmsg_t  *msg;
    ngx_uint_t        n;
    size_t            left;       /* bytes not gone at the last look */
    ngx_uint_t        index;      /* msg's channel in the subscription */
    ngx_chain_t       cl[3];
    ngx_buf_t         buf[3];
    /* per-subscriber text: a frame header, an id, a notice's words */
    u_char            own[push::cursor_max_len + 128];
};


ngx_int_t ngx_push_out_begin(ngx_push_sub_t *sub, ngx_str_t *ctype);
ngx_push_out_t *ngx_push_out_get(ngx_push_sub_t *sub);
void ngx_push_out_add(ngx_push_out_t *out, u_char *p, size_t len);
size_t ngx_push_out_reap(ngx_push_sub_t *sub);
ngx_uint_t ngx_push_out_over(const ngx_push_sub_t *sub);
ngx_push_close_e ngx_push_out_why(ngx_int_t rc);
ngx_int_t ngx_push_out_send(ngx_push_sub_t *sub, ngx_push_out_t *out,
    ngx_push_lmsg_t *msg);
ngx_int_t ngx_push_out_text(ngx_push_sub_t *sub, ngx_str_t *text);
void ngx_push_out_end(ngx_push_sub_t *sub, ngx_str_t *last,
    ngx_push_close_e reason);
ngx_int_t ngx_push_out_backlog(ngx_push_sub_t *sub,
    ngx_int_t (*send)(ngx_push_sub_t *sub, ngx_uint_t index,
                      ngx_push_lmsg_t *msg));
ngx_int_t ngx_push_out_catch_up(ngx_push_sub_t *sub);
ngx_int_t ngx_push_out_keepalive(ngx_push_sub_t *sub, ngx_str_t *text);
ngx_int_t ngx_push_out_wait(ngx_push_sub_t *sub);
void ngx_push_out_timer(ngx_push_sub_t *sub, ngx_event_handler_pt handler,
    ngx_msec_t msec);
void ngx_push_out_cork(void);
void ngx_push_out_uncork(void);
ngx_int_t ngx_push_out_release(ngx_push_sub_t *sub, ngx_uint_t send);

#endif /* NGX_PUSH_OUT_H_INCLUDED */
