/* HTTP stream message templates: the directive and per-worker frames. */
#include "ngx_push_stream_template.h"


/* push_stream_template TEXT | off: compiled here, so that a bad template
 * stops nginx -t with the reason rather than reaching a client. */
char *
ngx_push_stream_template_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    auto                   *plcf = static_cast<ngx_push_loc_conf_t *>(conf);
    size_t                  at;
    ngx_str_t              *value;
    push::template_status   rc;
    ngx_push_stream_tpl_t  *t;

    if (plcf->stream_template != NGX_CONF_UNSET_PTR) {
        return const_cast<char *>("is duplicate");
    }

    value = static_cast<ngx_str_t *>(cf->args->elts);

    if (ngx_strcmp(value[1].data, "off") == 0) {
        plcf->stream_template = nullptr;
        return NGX_CONF_OK;
    }

    t = static_cast<ngx_push_stream_tpl_t *>(
            ngx_pcalloc(cf->pool, sizeof(ngx_push_stream_tpl_t)));
    if (t == nullptr) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    t->src = value[1];

    rc = push::template_compile(ngx_push_sv(t->src), &t->tpl, &at);
    if (rc != push::template_status::ok) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": template \"%V\" %s (at byte %uz)",
                           &cmd->name, &value[1],
                           push::template_status_text(rc), at);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    plcf->stream_template = t;

    return NGX_CONF_OK;
}


static push::template_values
ngx_push_stream_values(ngx_push_sub_t *sub, ngx_uint_t index)
{
    push::template_values  v;

    v.time = static_cast<uint64_t>(ngx_time());
    if (index < sub->nchannels) {
        v.channel = ngx_push_sv(sub->channels[index]);
    }

    return v;
}


/* msg laid out by the subscriber's template, then the separator: made
 * once per worker for each template and shared by every subscriber that
 * uses it (its id is the message's; a subscriber of several channels puts
 * its cursor at id_at instead).  nullptr: out of memory. */
ngx_push_frame_t *
ngx_push_stream_frame(ngx_push_sub_t *sub, ngx_uint_t index,
    ngx_push_lmsg_t *msg)
{
    char                    id[push::cursor_max_len];
    size_t                  size;
    u_char                 *p;
    ngx_push_frame_t       *f;
    ngx_push_loc_conf_t    *conf = sub->conf;
    ngx_push_stream_tpl_t  *t = conf->stream_template;
    push::template_values   v = ngx_push_stream_values(sub, index);

    /* one frame per template and separator: locations that inherit both
     * share it */
    for (f = msg->frames; f != nullptr; f = f->next) {
        if (f->key == t && f->sep == conf->stream_separator.data) {
            return f;
        }
    }

    v.id = std::string_view(id, push::format_id(sub->cursor.epoch, msg->seq,
                                                id, sizeof(id)));
    v.event = ngx_push_sv(msg->event);
    v.type = ngx_push_sv(msg->ctype);
    v.text = ngx_push_sv(msg->data);
    v.time = static_cast<uint64_t>(msg->time);

    size = push::template_size(t->tpl, ngx_push_sv(t->src), v);

    f = static_cast<ngx_push_frame_t *>(
            ngx_alloc(sizeof(ngx_push_frame_t) + size
                      + conf->stream_separator.len, ngx_cycle->log));
    if (f == nullptr) {
        return nullptr;
    }

    p = reinterpret_cast<u_char *>(f + 1);
    size = push::template_write(reinterpret_cast<char *>(p), t->tpl,
                                ngx_push_sv(t->src), v, &f->id_at);
    f->id_len = t->tpl.ids ? v.id.size() : 0;
    ngx_memcpy(p + size, conf->stream_separator.data,
               conf->stream_separator.len);

    f->key = t;
    f->sep = conf->stream_separator.data;
    f->bytes.data = p;
    f->bytes.len = size + conf->stream_separator.len;
    f->next = msg->frames;
    msg->frames = f;

    return f;
}


/* A notice (event "gap" or "deleted") laid out by the same template, with
 * the subscriber's cursor as its id: written into the request's pool, as
 * notices are rare.  index: the channel, or nchannels when it is not one
 * channel's. */
ngx_int_t
ngx_push_stream_notice(ngx_push_sub_t *sub, ngx_uint_t index,
    const char *event, ngx_str_t *text, ngx_str_t *out)
{
    char                    id[push::cursor_max_len];
    size_t                  size;
    u_char                 *p;
    ngx_push_loc_conf_t    *conf = sub->conf;
    ngx_push_stream_tpl_t  *t = conf->stream_template;
    push::template_values   v = ngx_push_stream_values(sub, index);

    v.id = std::string_view(id, push::format_cursor(sub->cursor, id,
                                                    sizeof(id)));
    v.event = event;
    v.text = ngx_push_sv(*text);

    size = push::template_size(t->tpl, ngx_push_sv(t->src), v);

    p = static_cast<u_char *>(
            ngx_pnalloc(sub->request->pool,
                        size + conf->stream_separator.len));
    if (p == nullptr) {
        return NGX_ERROR;
    }

    out->data = p;
    size = push::template_write(reinterpret_cast<char *>(p), t->tpl,
                                ngx_push_sv(t->src), v, nullptr);
    ngx_memcpy(p + size, conf->stream_separator.data,
               conf->stream_separator.len);
    out->len = size + conf->stream_separator.len;

    return NGX_OK;
}
