/* Directive setters of general use: times or off, numbers or unlimited,
 * word lists, and a complex value's default. */
#include "ngx_push_conf.h"


/* A time, or "off" for 0. */
char *
ngx_push_msec_or_off(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto  *value = static_cast<ngx_str_t *>(cf->args->elts);
    auto  *field = reinterpret_cast<ngx_msec_t *>(
                       static_cast<char *>(conf) + cmd->offset);

    if (*field != NGX_CONF_UNSET_MSEC) {
        return const_cast<char *>("is duplicate");
    }

    if (ngx_strcmp(value[1].data, "off") == 0) {
        *field = 0;
        return NGX_CONF_OK;
    }

    *field = ngx_parse_time(&value[1], 0);

    if (*field == static_cast<ngx_msec_t>(NGX_ERROR) || *field == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid %V \"%V\", expected a time or off",
                           &cmd->name, &value[1]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}


/* A number, or "unlimited" for 0. */
char *
ngx_push_num_or_unlimited(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto       *value = static_cast<ngx_str_t *>(cf->args->elts);
    auto       *field = reinterpret_cast<ngx_uint_t *>(
                            static_cast<char *>(conf) + cmd->offset);
    ngx_int_t   n;

    if (*field != NGX_CONF_UNSET_UINT) {
        return const_cast<char *>("is duplicate");
    }

    if (ngx_strcmp(value[1].data, "unlimited") == 0) {
        *field = 0;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);
    if (n <= 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid %V \"%V\", expected a number above 0 "
                           "or unlimited", &cmd->name, &value[1]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    *field = static_cast<ngx_uint_t>(n);

    return NGX_CONF_OK;
}


/* push_subscriber_token's default: the "token" query argument. */
ngx_http_complex_value_t *
ngx_push_default_token(ngx_conf_t *cf)
{
    ngx_str_t                          value = ngx_string("$arg_token");
    ngx_http_complex_value_t          *cv;
    ngx_http_compile_complex_value_t   ccv;

    cv = static_cast<ngx_http_complex_value_t *>(
             ngx_pcalloc(cf->pool, sizeof(ngx_http_complex_value_t)));
    if (cv == nullptr) {
        return nullptr;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value;
    ccv.complex_value = cv;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return nullptr;
    }

    return cv;
}


/* One or more words, kept as a list. */
char *
ngx_push_str_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto        *value = static_cast<ngx_str_t *>(cf->args->elts);
    auto        *field = reinterpret_cast<ngx_array_t **>(
                             static_cast<char *>(conf) + cmd->offset);
    ngx_str_t   *s;
    ngx_uint_t   i;

    if (*field != NGX_CONF_UNSET_PTR) {
        return const_cast<char *>("is duplicate");
    }

    *field = ngx_array_create(cf->pool, cf->args->nelts - 1,
                              sizeof(ngx_str_t));
    if (*field == nullptr) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    for (i = 1; i < cf->args->nelts; i++) {
        s = static_cast<ngx_str_t *>(ngx_array_push(*field));
        if (s == nullptr) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
        *s = value[i];
    }

    return NGX_CONF_OK;
}
