/* Small HTTP helpers shared by the publisher and the subscribers. */
#ifndef NGX_PUSH_HTTP_H_INCLUDED
#define NGX_PUSH_HTTP_H_INCLUDED

#include "ngx_push_conf.h"
#include "ngx_push_zone.h"


ngx_int_t ngx_push_respond_text(ngx_http_request_t *r, ngx_uint_t status,
    const char *ctype, ngx_str_t *text);
ngx_int_t ngx_push_reject(ngx_http_request_t *r, ngx_uint_t status,
    const char *reason);
ngx_int_t ngx_push_not_allowed(ngx_http_request_t *r, const char *allow,
    const char *reason);
ngx_int_t ngx_push_eval_channels(ngx_http_request_t *r,
    ngx_push_loc_conf_t *plcf, ngx_str_t **ids, ngx_uint_t *n,
    const char **reason);
ngx_table_elt_t *ngx_push_add_header(ngx_http_request_t *r, const char *key,
    ngx_str_t *value);
ngx_str_t *ngx_push_find_header(ngx_http_request_t *r, const char *key,
    size_t len);
ngx_push_zone_t *ngx_push_zone_of(ngx_http_request_t *r);

/* nginx names no constant for it */
#define NGX_PUSH_HTTP_GONE  410


#endif /* NGX_PUSH_HTTP_H_INCLUDED */
