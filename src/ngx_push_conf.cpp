/* Directive setters of general use: times or off, numbers or unlimited,
 * keywords or numbers, values or off, word lists, a complex value's
 * default, and which push_* directive owns a location's content. */
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


/* A keyword of the ngx_conf_enum_t list in cmd->post, or a number (0 or
 * more), into an ngx_int_t.  The keywords' values must not be
 * NGX_CONF_UNSET (see NGX_PUSH_FIRST_NEWEST): one that is would be taken
 * for "not set", overridden by an inherited value and allowed twice. */
char *
ngx_push_word_or_num(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto        *value = static_cast<ngx_str_t *>(cf->args->elts);
    auto        *field = reinterpret_cast<ngx_int_t *>(
                             static_cast<char *>(conf) + cmd->offset);
    auto        *words = static_cast<ngx_conf_enum_t *>(cmd->post);
    u_char      *p, *last;
    u_char       expected[128];
    ngx_int_t    n;
    ngx_uint_t   i;

    if (*field != NGX_CONF_UNSET) {
        return const_cast<char *>("is duplicate");
    }

    for (i = 0; words[i].name.len != 0; i++) {
        if (words[i].name.len == value[1].len
            && ngx_strcmp(words[i].name.data, value[1].data) == 0)
        {
            *field = static_cast<ngx_int_t>(words[i].value);
            return NGX_CONF_OK;
        }
    }

    n = ngx_atoi(value[1].data, value[1].len);
    if (n != NGX_ERROR) {
        *field = n;
        return NGX_CONF_OK;
    }

    /* "newest, oldest or a number" */
    p = expected;
    last = expected + sizeof(expected);
    for (i = 0; words[i].name.len != 0; i++) {
        p = ngx_slprintf(p, last, "%V, ", &words[i].name);
    }
    if (p - expected >= 2) {
        p -= 2;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid %V \"%V\", expected %*s or a number",
                       &cmd->name, &value[1], p - expected, expected);
    return static_cast<char *>(NGX_CONF_ERROR);
}


/* A value with variables, or "off" for none: off turns off what an outer
 * level set (nullptr, not NGX_CONF_UNSET_PTR, so nothing is inherited). */
char *
ngx_push_complex_or_off(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto  *value = static_cast<ngx_str_t *>(cf->args->elts);
    auto  *field = reinterpret_cast<ngx_http_complex_value_t **>(
                       static_cast<char *>(conf) + cmd->offset);

    if (*field != NGX_CONF_UNSET_PTR) {
        return const_cast<char *>("is duplicate");
    }

    if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        *field = nullptr;
        return NGX_CONF_OK;
    }

    return ngx_http_set_complex_value_slot(cf, cmd, conf);
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


/* Makes handler the location's content handler on behalf of directive
 * name.  A location has one content handler: a second push_* one, or one
 * another module set first (proxy_pass and the like), is refused here;
 * one set after ours is caught by ngx_push_merge_content. */
char *
ngx_push_set_content(ngx_conf_t *cf, ngx_push_loc_conf_t *plcf,
    const char *name, ngx_http_handler_pt handler)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (plcf->content != nullptr) {
        if (ngx_strcmp(plcf->content, name) == 0) {
            return const_cast<char *>("is duplicate");
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s and %s cannot share a location",
                           plcf->content, name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));

    if (clcf->handler != nullptr) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s cannot share a location with another content "
                           "handler (proxy_pass, fastcgi_pass and the like)",
                           name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    plcf->content = name;
    plcf->content_handler = handler;
    clcf->handler = handler;

    return NGX_CONF_OK;
}


/* At merge time, in the location being merged.  nginx switches a request
 * to the configuration of an "if" or "limit_except" block inside the
 * location; a limit_except block's own content handler is the one that
 * runs, and both are read for our settings.  So such a block, which can
 * hold no push_* directive of its own, gets the location's push role and
 * handler, as nginx's proxy module does for proxy_pass. */
char *
ngx_push_merge_content(ngx_conf_t *cf, ngx_push_loc_conf_t *prev,
    ngx_push_loc_conf_t *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
               ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));

    if (clcf->noname && conf->content == nullptr && prev->content != nullptr
        && (clcf->handler == nullptr
            || clcf->handler == prev->content_handler))
    {
        conf->publisher = prev->publisher;
        conf->transports = prev->transports;
        conf->content = prev->content;
        conf->content_handler = prev->content_handler;
        clcf->handler = prev->content_handler;
    }

    if (conf->content != nullptr && clcf->handler != conf->content_handler) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s cannot share a location with another content "
                           "handler (proxy_pass, fastcgi_pass and the like)",
                           conf->content);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}
