/* WebSocket subscribers (RFC 6455): the upgrade, frames out and in,
 * keepalive, and client messages published when allowed. */
#include "ngx_push_out.h"
#include "ngx_push_http.h"
#include "ngx_push_ipc.h"
#include "push_handshake.h"
#include "push_utf8.h"
#include "push_websocket.h"
#include "push_ws_envelope.h"


/* How long a close we started waits for the client's close frame. */
#define NGX_PUSH_WS_LINGER  1000


struct ngx_push_ws_t {
    push::ws_parser  parser;
    u_char          *msg;          /* a client message, when publishing */
    size_t           msg_len;
    size_t           msg_cap;
    ngx_msec_t       heard_at;     /* the client's last bytes */
    ngx_str_t        protocol;     /* the subprotocol agreed on */
    push::ws_envelope  envelope;   /* what it makes of each message */
    size_t           beat_seen;    /* bytes of the message so far that
                                    * match the client heartbeat */
    unsigned         beat_miss:1;  /* the message is not the heartbeat */
    unsigned         closing:1;    /* our close frame is out */
    unsigned         leftover:1;   /* bytes came with the handshake */
};


static void ngx_push_ws_close(ngx_push_sub_t *sub, ngx_push_close_e reason);


static ngx_str_t  ngx_push_ws_upgrade = ngx_string("websocket");


static ngx_int_t
ngx_push_ws_has_token(ngx_str_t *value, const char *token, size_t len)
{
    return ngx_strlcasestrn(value->data, value->data + value->len,
                            reinterpret_cast<u_char *>(
                                const_cast<char *>(token)),
                            len - 1) != nullptr;
}


/* The handshake, before anything is joined. */
static ngx_int_t
ngx_push_ws_check(ngx_push_sub_t *sub, const char **reason)
{
    ngx_str_t            *v, *o, ver = ngx_string("13");
    ngx_uint_t            i;
    ngx_http_request_t   *r = sub->request;
    ngx_push_loc_conf_t  *conf = sub->conf;

    if (r->method != NGX_HTTP_GET) {
        /* RFC 6455 4.1: the opening handshake is a GET */
        *reason = "WebSocket handshake must be a GET";
        return NGX_HTTP_BAD_REQUEST;
    }

    if (r->http_version != NGX_HTTP_VERSION_11) {
        *reason = "WebSocket needs HTTP/1.1";
        return NGX_HTTP_BAD_REQUEST;
    }

    v = ngx_push_find_header(r, "Connection", 10);

    if (v == nullptr || !ngx_push_ws_has_token(v, "upgrade", 7)) {
        *reason = "WebSocket handshake without Connection: Upgrade";
        return NGX_HTTP_BAD_REQUEST;
    }

    v = ngx_push_find_header(r, "Sec-WebSocket-Version", 21);

    if (v == nullptr || v->len != 2 || ngx_strncmp(v->data, "13", 2) != 0) {
        if (ngx_push_add_header(r, "Sec-WebSocket-Version", &ver)
            == nullptr)
        {
            return NGX_ERROR;
        }
        ngx_str_set(&r->headers_out.status_line, "426 Upgrade Required");
        *reason = "unsupported WebSocket version, 13 expected";
        return 426;
    }

    v = ngx_push_find_header(r, "Sec-WebSocket-Key", 17);

    if (v == nullptr || !push::ws_key_ok(ngx_push_sv(*v))) {
        *reason = "invalid Sec-WebSocket-Key";
        return NGX_HTTP_BAD_REQUEST;
    }

    if (conf->ws_origins != nullptr) {
        o = ngx_push_find_header(r, "Origin", 6);
        v = static_cast<ngx_str_t *>(conf->ws_origins->elts);

        for (i = 0; o != nullptr && i < conf->ws_origins->nelts; i++) {
            if (v[i].len == o->len
                && ngx_strncasecmp(v[i].data, o->data, o->len) == 0)
            {
                break;
            }
        }

        if (o == nullptr || i == conf->ws_origins->nelts) {
            *reason = "WebSocket origin not allowed";
            return NGX_HTTP_FORBIDDEN;
        }
    }

    return 0;
}


static ngx_str_t  ngx_push_ws_nchan_meta = ngx_string("ws+meta.nchan");
static ngx_str_t  ngx_push_ws_json_v1 = ngx_string("push.v1.json");


/* The first subprotocol the client offers that we accept: one of the
 * envelopes, or a name of push_websocket_subprotocols (bare frames).  An
 * offer of none we know gets no Sec-WebSocket-Protocol back (RFC 6455
 * 4.2.2: the server "MUST NOT" send one it does not agree to); the
 * client then decides whether to go on without one. */
static void
ngx_push_ws_pick_protocol(ngx_push_sub_t *sub, ngx_push_ws_t *ws)
{
    ngx_str_t          *offer, *ours;
    ngx_uint_t          i, n;
    std::string_view    rest, token;
    push::ws_envelope   env;

    offer = ngx_push_find_header(sub->request, "Sec-WebSocket-Protocol", 22);

    if (offer == nullptr) {
        return;
    }

    ours = nullptr;
    n = 0;

    if (sub->conf->ws_subprotocols != nullptr) {
        ours = static_cast<ngx_str_t *>(sub->conf->ws_subprotocols->elts);
        n = sub->conf->ws_subprotocols->nelts;
    }

    rest = ngx_push_sv(*offer);

    while (push::ws_offer_next(rest, token)) {
        env = push::ws_envelope_of(token);

        if (env != push::ws_envelope::none) {
            ws->envelope = env;
            ws->protocol = env == push::ws_envelope::nchan_meta
                           ? ngx_push_ws_nchan_meta : ngx_push_ws_json_v1;
            return;
        }

        for (i = 0; i < n; i++) {
            if (ngx_push_sv(ours[i]) == token) {
                ws->protocol = ours[i];
                return;
            }
        }
    }
}


/* A control frame (at most 125 bytes of payload) of our own, written in
 * out's own bytes; returns its size. */
static size_t
ngx_push_ws_control_frame(ngx_push_out_t *out, push::ws_opcode op,
    const u_char *payload, size_t len)
{
    size_t  n;

    len = len > 125 ? 125 : len;
    n = push::ws_header(out->own, op, true, len);
    ngx_memcpy(out->own + n, payload, len);

    return n + len;
}


static ngx_int_t
ngx_push_ws_control(ngx_push_sub_t *sub, push::ws_opcode op,
    const u_char *payload, size_t len)
{
    ngx_push_out_t  *out;

    out = ngx_push_out_get(sub);
    if (out == nullptr) {
        return NGX_ERROR;
    }

    ngx_push_out_add(out, out->own,
                     ngx_push_ws_control_frame(out, op, payload, len));

    return ngx_push_out_send(sub, out, nullptr);
}


/* RFC 6455 5.5.3: a pong may answer only the most recent ping.  A pong
 * still waiting whole behind other writes is rewritten for the newest
 * ping, so that a client pinging without reading holds one pong here, not
 * one per ping.  NGX_DECLINED: over push_subscriber_pending_max. */
static ngx_int_t
ngx_push_ws_pong(ngx_push_sub_t *sub, const u_char *payload, size_t len)
{
    size_t           was;
    ngx_push_out_t  *out = sub->pong;

    if (out != nullptr && out->buf[0].pos == out->buf[0].start) {
        /* nothing of it has left: its bytes and its end may change (nginx
         * measures a buffer anew at every write) */
        was = out->left;
        out->left = ngx_push_ws_control_frame(out, push::ws_opcode::pong,
                                              payload, len);
        out->buf[0].last = out->buf[0].pos + out->left;
        out->buf[0].end = out->buf[0].last;
        sub->unsent = sub->unsent - was + out->left;

        return ngx_push_out_over(sub) ? NGX_DECLINED : NGX_OK;
    }

    out = ngx_push_out_get(sub);
    if (out == nullptr) {
        return NGX_ERROR;
    }

    ngx_push_out_add(out, out->own,
                     ngx_push_ws_control_frame(out, push::ws_opcode::pong,
                                               payload, len));

    /* before the send: a pong that leaves at once is reaped in it */
    sub->pong = out;

    return ngx_push_out_send(sub, out, nullptr);
}


/* The answer to a client heartbeat (push_websocket_client_heartbeat): a
 * text frame, not a channel message.  As with pongs, a client that sends
 * heartbeats without reading holds one answer here, not one per
 * heartbeat: an answer still waiting whole answers the newer ones too.
 * NGX_DECLINED: over push_subscriber_pending_max. */
static ngx_int_t
ngx_push_ws_beat(ngx_push_sub_t *sub)
{
    size_t           n;
    ngx_str_t       *hb;
    ngx_push_out_t  *out = sub->beat;

    if (out != nullptr && out->buf[0].pos == out->buf[0].start) {
        return NGX_OK;
    }

    out = ngx_push_out_get(sub);
    if (out == nullptr) {
        return NGX_ERROR;
    }

    /* both are at most 125 bytes (checked with the configuration) */
    hb = static_cast<ngx_str_t *>(sub->conf->ws_heartbeat->elts);
    n = push::ws_header(out->own, push::ws_opcode::text, true, hb[1].len);
    ngx_memcpy(out->own + n, hb[1].data, hb[1].len);
    ngx_push_out_add(out, out->own, n + hb[1].len);

    /* before the send: an answer that leaves at once is reaped in it */
    sub->beat = out;

    return ngx_push_out_send(sub, out, nullptr);
}


/* Follows a client message slice by slice: does it stay the heartbeat? */
static void
ngx_push_ws_beat_feed(ngx_push_sub_t *sub, ngx_push_ws_t *ws,
    std::string_view slice)
{
    ngx_str_t  *hb;

    if (sub->conf->ws_heartbeat == nullptr || ws->beat_miss) {
        return;
    }

    hb = static_cast<ngx_str_t *>(sub->conf->ws_heartbeat->elts);

    if (ws->beat_seen + slice.size() > hb[0].len
        || ngx_memcmp(hb[0].data + ws->beat_seen, slice.data(),
                      slice.size()) != 0)
    {
        ws->beat_miss = 1;
        return;
    }

    ws->beat_seen += slice.size();
}


/* At a message's end: was it the heartbeat?  Starts the next one afresh. */
static ngx_uint_t
ngx_push_ws_beat_done(ngx_push_sub_t *sub, ngx_push_ws_t *ws)
{
    ngx_uint_t  beat;

    beat = sub->conf->ws_heartbeat != nullptr && !ws->beat_miss
           && ws->beat_seen
              == static_cast<ngx_str_t *>(sub->conf->ws_heartbeat->elts)
                     [0].len;

    ws->beat_seen = 0;
    ws->beat_miss = 0;

    return beat;
}


static void
ngx_push_ws_finish(ngx_push_sub_t *sub)
{
    ngx_push_out_end(sub, nullptr, ngx_push_close_e::shutdown);
}


/* The client is gone, or must go without ceremony. */
static void
ngx_push_ws_drop(ngx_push_sub_t *sub, ngx_int_t rc)
{
    ngx_http_request_t  *r = sub->request;
    ngx_connection_t    *c = r->connection;

    sub->done = 1;
    ngx_push_sub_leave(sub);
    ngx_push_out_release(sub, 0);
    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


static void
ngx_push_ws_linger_handler(ngx_event_t *ev)
{
    ngx_push_ws_finish(static_cast<ngx_push_sub_t *>(ev->data));
}


/* Sends our close frame; then either ends at once or waits briefly for
 * the client's answer, as RFC 6455 asks of the side that starts. */
static void
ngx_push_ws_close_with(ngx_push_sub_t *sub, uint16_t code, const char *why,
    ngx_uint_t wait)
{
    u_char          payload[125];
    size_t          n;
    auto           *ws = static_cast<ngx_push_ws_t *>(sub->ws);

    if (sub->done || ws->closing) {
        return;
    }

    ws->closing = 1;
    ngx_push_sub_leave(sub);

    n = push::ws_close_payload(payload, code,
                               std::string_view(why, ngx_strlen(why)));

    if (ngx_push_ws_control(sub, push::ws_opcode::close, payload, n)
        == NGX_ERROR || !wait)
    {
        ngx_push_ws_finish(sub);
        return;
    }

    ngx_push_out_timer(sub, ngx_push_ws_linger_handler, NGX_PUSH_WS_LINGER);
}


/* A client's message, published to each of its channels.  Returns the
 * close code that refuses it, or 0. */
static uint16_t
ngx_push_ws_publish(ngx_push_sub_t *sub, ngx_uint_t text)
{
    ngx_uint_t               i;
    ngx_log_t               *log = sub->request->connection->log;
    ngx_push_wake_t          wake;
    ngx_push_publish_t       in;
    ngx_push_store_rc        rc;
    ngx_push_channel_info_t  info;
    auto                    *ws = static_cast<ngx_push_ws_t *>(sub->ws);

    ngx_memzero(&in, sizeof(ngx_push_publish_t));

    if (text) {
        ngx_str_set(&in.ctype, "text/plain; charset=utf-8");
    } else {
        ngx_str_set(&in.ctype, "application/octet-stream");
    }

    in.data.data = ws->msg;
    in.data.len = ws->msg_len;
    in.max_messages = sub->conf->message_buffer;
    in.ttl = sub->conf->message_ttl;

    for (i = 0; i < sub->nchannels; i++) {
        in.channel = sub->channels[i];
        rc = ngx_push_store_publish(sub->zone, &in, &info, &wake, log);

        switch (rc) {

        case ngx_push_store_rc::ok:
            ngx_push_ipc_wake(wake, log);
            continue;

        case ngx_push_store_rc::too_large:
            /* the client's doing: no room is made for what never fits */
            ngx_log_error(NGX_LOG_INFO, log, 0,
                          "push: client sent a WebSocket message of %uz "
                          "bytes to \"%V\", too large for the push zone",
                          in.data.len, &in.channel);
            return push::ws_close_too_big;

        case ngx_push_store_rc::limited:
            ngx_log_error(NGX_LOG_INFO, log, 0,
                          "push: a WebSocket message to \"%V\" refused: "
                          "push_max_channels", &in.channel);
            return push::ws_close_policy;

        default:
            /* a client's message: never an alert */
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "push: zone full, a WebSocket message of %uz "
                          "bytes to \"%V\" refused", in.data.len,
                          &in.channel);
            return push::ws_close_try_again;
        }
    }

    return 0;
}


static ngx_int_t
ngx_push_ws_append(ngx_push_ws_t *ws, std::string_view slice, ngx_log_t *log)
{
    size_t   cap;
    u_char  *p;

    if (ws->msg_len + slice.size() > ws->msg_cap) {
        /* the parser keeps messages within push_websocket_max_message_size */
        cap = ngx_max(ws->msg_cap * 2, ws->msg_len + slice.size());
        cap = ngx_max(cap, 256);

        p = static_cast<u_char *>(ngx_alloc(cap, log));
        if (p == nullptr) {
            return NGX_ERROR;
        }

        if (ws->msg != nullptr) {
            ngx_memcpy(p, ws->msg, ws->msg_len);
            ngx_free(ws->msg);
        }

        ws->msg = p;
        ws->msg_cap = cap;
    }

    ngx_memcpy(ws->msg + ws->msg_len, slice.data(), slice.size());
    ws->msg_len += slice.size();

    return NGX_OK;
}


/* Bytes from the client.  NGX_DONE: the subscriber is over (and its
 * memory may be gone). */
static ngx_int_t
ngx_push_ws_feed(ngx_push_sub_t *sub, u_char *buf, size_t n)
{
    size_t              at = 0;
    u_char              payload[125];
    uint16_t            code;
    ngx_int_t           rc;
    push::ws_result     res;
    auto               *ws = static_cast<ngx_push_ws_t *>(sub->ws);
    ngx_log_t          *log = sub->request->connection->log;

    for ( ;; ) {
        res = push::ws_parse(ws->parser, buf + at, n - at);
        at += res.consumed;

        switch (res.event) {

        case push::ws_event::need_more:
            return NGX_OK;

        case push::ws_event::data:
            ngx_push_ws_beat_feed(sub, ws, res.payload);

            if (sub->conf->ws_publish && !ws->closing
                && ngx_push_ws_append(ws, res.payload, log) != NGX_OK)
            {
                ngx_push_ws_close_with(sub, 1011, "out of memory", 0);
                return NGX_DONE;
            }
            break;

        case push::ws_event::message:
            if (ngx_push_ws_beat_done(sub, ws)) {
                /* answered, never published */
                ws->msg_len = 0;

                if (ws->closing) {
                    break;
                }

                rc = ngx_push_ws_beat(sub);
                if (rc != NGX_OK) {
                    ngx_push_ws_close(sub, ngx_push_out_why(rc));
                    return NGX_DONE;
                }
                break;
            }

            if (sub->conf->ws_publish && !ws->closing) {
                code = ngx_push_ws_publish(sub, res.text);

                if (code != 0) {
                    ngx_push_ws_close_with(sub, code,
                        code == push::ws_close_too_big
                        ? "message too large for the push zone"
                        : code == push::ws_close_policy
                        ? "too many channels" : "push zone is full", 1);
                    return NGX_OK;
                }
            }
            ws->msg_len = 0;
            break;

        case push::ws_event::ping:
            if (ws->closing) {
                break;
            }

            rc = ngx_push_ws_pong(sub,
                     reinterpret_cast<const u_char *>(res.payload.data()),
                     res.payload.size());

            if (rc != NGX_OK) {
                ngx_push_ws_close(sub, ngx_push_out_why(rc));
                return NGX_DONE;
            }
            break;

        case push::ws_event::pong:
            break;

        case push::ws_event::close:
            if (!ws->closing) {
                /* echo the client's code, then close the connection */
                ws->closing = 1;
                ngx_push_sub_leave(sub);
                n = res.code == push::ws_close_no_status
                    ? 0 : push::ws_close_payload(payload, res.code, {});
                (void) ngx_push_ws_control(sub, push::ws_opcode::close,
                                           payload, n);
            }
            ngx_push_ws_finish(sub);
            return NGX_DONE;

        case push::ws_event::error:
            ngx_log_error(NGX_LOG_INFO, log, 0,
                          "push: client sent a bad WebSocket frame, "
                          "closing with %ui", (ngx_uint_t) res.code);
            ngx_push_ws_close_with(sub, res.code, "bad frame", 0);
            return NGX_DONE;
        }
    }
}


static void
ngx_push_ws_read(ngx_push_sub_t *sub)
{
    u_char               buf[4096];
    ssize_t              n;
    ngx_buf_t           *b;
    ngx_http_request_t  *r = sub->request;
    ngx_connection_t    *c = r->connection;
    auto                *ws = static_cast<ngx_push_ws_t *>(sub->ws);

    for ( ;; ) {
        b = r->header_in;

        if (ws->leftover && b != nullptr && b->pos < b->last) {
            /* a client that wrote its first frame with the handshake */
            n = ngx_min(b->last - b->pos, static_cast<ssize_t>(sizeof(buf)));
            ngx_memcpy(buf, b->pos, n);
            b->pos += n;

        } else {
            ws->leftover = 0;
            n = c->recv(c, buf, sizeof(buf));
        }

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
                ngx_push_ws_drop(sub, NGX_ERROR);
            }
            return;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_log_error(NGX_LOG_INFO, c->log, 0,
                          "push: WebSocket client closed the connection");
            ngx_push_ws_drop(sub, NGX_HTTP_CLIENT_CLOSED_REQUEST);
            return;
        }

        ws->heard_at = ngx_current_msec;

        if (ngx_push_ws_feed(sub, buf, n) == NGX_DONE) {
            return;
        }
    }
}


/* The connection is the subscriber's now: its read events come here,
 * before nginx's HTTP handler could end it without a close frame. */
static void
ngx_push_ws_read_event(ngx_event_t *rev)
{
    auto                *c = static_cast<ngx_connection_t *>(rev->data);
    auto                *r = static_cast<ngx_http_request_t *>(c->data);
    ngx_push_sub_t      *sub;

    sub = static_cast<ngx_push_sub_t *>(
              ngx_http_get_module_ctx(r, ngx_push_module));

    if (sub == nullptr || sub->done) {
        return;
    }

    if (c->close) {
        /* the worker is shutting down: browsers reconnect on 1001 */
        c->close = 0;
        ngx_push_ws_close_with(sub, push::ws_close_going_away,
                               "server going away", 0);

    } else {
        ngx_push_ws_read(sub);
    }

    ngx_http_run_posted_requests(c);
}


/* Whether msg's data is UTF-8: looked at once per worker and message. */
static ngx_uint_t
ngx_push_ws_utf8(ngx_push_lmsg_t *msg)
{
    if (msg->utf8 < 0) {
        msg->utf8 = push::utf8_valid(msg->data.data, msg->data.len);
    }

    return msg->utf8;
}


/* A frame header written just before own + ws_header_max, where the
 * payload begins; returns where the frame begins. */
static u_char *
ngx_push_ws_header_before(ngx_push_out_t *out, push::ws_opcode op,
    size_t len)
{
    u_char  head[push::ws_header_max];
    size_t  n;

    n = push::ws_header(head, op, true, len);
    ngx_memcpy(out->own + push::ws_header_max - n, head, n);

    return out->own + push::ws_header_max - n;
}


/* The subscriber's cursor as text: "EPOCH:SEQ" on one channel. */
static size_t
ngx_push_ws_cursor(ngx_push_sub_t *sub, u_char *buf)
{
    return push::format_cursor(sub->cursor, reinterpret_cast<char *>(buf),
                               push::cursor_max_len);
}


/* msg's ws+meta.nchan head, made once per worker and shared by every
 * subscriber of its channel: "id: EPOCH:SEQ" then the content-type line
 * and the blank line. */
static ngx_int_t
ngx_push_ws_meta_head(ngx_push_sub_t *sub, ngx_push_lmsg_t *msg)
{
    char     id[push::cursor_max_len];
    size_t   id_len, len;
    u_char  *p;

    if (msg->ws_meta.data != nullptr) {
        return NGX_OK;
    }

    id_len = push::format_id(sub->cursor.epoch, msg->seq, id, sizeof(id));
    len = push::ws_meta_head_size({id, id_len}, ngx_push_sv(msg->ctype));

    p = static_cast<u_char *>(ngx_alloc(len, ngx_cycle->log));
    if (p == nullptr) {
        return NGX_ERROR;
    }

    msg->ws_meta.len = push::ws_meta_head_write(reinterpret_cast<char *>(p),
                                                {id, id_len},
                                                ngx_push_sv(msg->ctype));
    msg->ws_meta.data = p;
    msg->ws_meta_id_end = sizeof("id: ") - 1 + id_len;

    return NGX_OK;
}


/* msg's push.v1.json object, made once per worker and shared likewise. */
static ngx_int_t
ngx_push_ws_json_body(ngx_push_sub_t *sub, ngx_uint_t index,
    ngx_push_lmsg_t *msg)
{
    char                   id[push::cursor_max_len];
    size_t                 len;
    u_char                *p;
    push::ws_json_layout   layout;
    push::ws_json_message  m;

    if (msg->ws_json.data != nullptr) {
        return NGX_OK;
    }

    m.id = std::string_view(id, push::format_id(sub->cursor.epoch, msg->seq,
                                                id, sizeof(id)));
    m.channel = ngx_push_sv(sub->channels[index]);
    m.event = ngx_push_sv(msg->event);
    m.type = ngx_push_sv(msg->ctype);
    m.data = ngx_push_sv(msg->data);
    m.base64 = push::ws_json_base64(m.type, ngx_push_ws_utf8(msg));

    len = push::ws_json_size(m);

    p = static_cast<u_char *>(ngx_alloc(len, ngx_cycle->log));
    if (p == nullptr) {
        return NGX_ERROR;
    }

    msg->ws_json.len = push::ws_json_write(reinterpret_cast<char *>(p), m,
                                           &layout);
    msg->ws_json.data = p;
    msg->ws_json_rest = layout.rest_at;

    return NGX_OK;
}


/* The gap notice in the subscriber's envelope, into out: what was missed
 * on any of its channels, announced before msg.  Its id is the cursor
 * just before msg: resuming from it loses nothing more. */
static void
ngx_push_ws_gap_frame(ngx_push_sub_t *sub, ngx_push_ws_t *ws,
    ngx_uint_t index, ngx_push_lmsg_t *msg, ngx_push_out_t *out)
{
    u_char  *p, *start, id[push::cursor_max_len];
    size_t   n, id_len;

    switch (ws->envelope) {

    case push::ws_envelope::nchan_meta:
        sub->cursor.seq[index] = msg->seq - 1;
        id_len = ngx_push_ws_cursor(sub, id);
        p = out->own + push::ws_header_max;
        n = push::ws_meta_gap_write(reinterpret_cast<char *>(p),
                                    {reinterpret_cast<char *>(id), id_len},
                                    sub->missed, sub->gap_unknown);
        start = ngx_push_ws_header_before(out, push::ws_opcode::text, n);
        ngx_push_out_add(out, start, p + n - start);
        break;

    case push::ws_envelope::json_v1:
        sub->cursor.seq[index] = msg->seq - 1;
        id_len = ngx_push_ws_cursor(sub, id);
        p = out->own + push::ws_header_max;
        n = push::ws_json_head_write(reinterpret_cast<char *>(p),
                                     {reinterpret_cast<char *>(id), id_len});
        n += push::ws_json_gap_tail_write(reinterpret_cast<char *>(p + n),
                                          sub->missed, sub->gap_unknown);
        start = ngx_push_ws_header_before(out, push::ws_opcode::text, n);
        ngx_push_out_add(out, start, p + n - start);
        break;

    default:
        /* a plain text frame: a message with these bytes looks the same
         * (README, "WebSocket": envelopes tell them apart) */
        p = sub->gap_unknown
            ? ngx_sprintf(out->own + 2, "{\"push_gap\":\"unknown\"}")
            : ngx_sprintf(out->own + 2, "{\"push_gap\":%uL}", sub->missed);
        n = p - (out->own + 2);
        push::ws_header(out->own, push::ws_opcode::text, true, n);
        ngx_push_out_add(out, out->own, n + 2);
        break;
    }
}


/* The frame type of a bare message (push_websocket_frame). */
static push::ws_opcode
ngx_push_ws_bare_opcode(ngx_push_sub_t *sub, ngx_push_lmsg_t *msg)
{
    switch (sub->conf->ws_frame) {

    case NGX_PUSH_WS_TEXT:
        return push::ws_opcode::text;

    case NGX_PUSH_WS_BINARY:
        return push::ws_opcode::binary;

    default:
        /* text for text and JSON that is valid UTF-8, decided once per
         * worker and message */
        if (msg->ws_text < 0) {
            msg->ws_text =
                (msg->ctype.len == 0
                 || ngx_strncasecmp(msg->ctype.data,
                                    reinterpret_cast<u_char *>(
                                        const_cast<char *>("text/")), 5)
                    == 0
                 || ngx_strlcasestrn(msg->ctype.data,
                                     msg->ctype.data + msg->ctype.len,
                                     reinterpret_cast<u_char *>(
                                         const_cast<char *>("json")), 3)
                    != nullptr)
                && ngx_push_ws_utf8(msg);
        }
        return msg->ws_text ? push::ws_opcode::text
                            : push::ws_opcode::binary;
    }
}


/* One enveloped message: the frame header, the envelope made once per
 * worker (env), then tail (the payload when the envelope does not hold
 * it).  A subscriber of several channels writes its own cursor in front
 * instead of the id the envelope holds: open, the cursor, close (when not
 * 0), then env from id_end. */
static void
ngx_push_ws_enveloped(ngx_push_sub_t *sub, ngx_push_out_t *out,
    push::ws_opcode op, const ngx_str_t *env, size_t id_end, ngx_str_t open,
    u_char close, const ngx_str_t *tail)
{
    u_char  *p, *start;
    size_t   head = env->len;

    p = out->own + push::ws_header_max;

    if (sub->nchannels != 1) {
        /* a multiplexed id is this subscriber's own */
        p = ngx_cpymem(p, open.data, open.len);
        p += ngx_push_ws_cursor(sub, p);
        if (close) {
            *p++ = close;
        }
        head = env->len - id_end;
    }

    start = ngx_push_ws_header_before(out, op,
                                      (p - (out->own + push::ws_header_max))
                                      + head + tail->len);
    ngx_push_out_add(out, start, p - start);
    ngx_push_out_add(out, env->data + env->len - head, head);
    ngx_push_out_add(out, tail->data, tail->len);
}


/* The message's frame into out, in the subscriber's envelope; the
 * cursor already counts msg. */
static void
ngx_push_ws_message_frame(ngx_push_sub_t *sub, ngx_push_ws_t *ws,
    ngx_push_lmsg_t *msg, ngx_push_out_t *out)
{
    size_t            n;
    ngx_str_t         none = ngx_null_string;
    ngx_str_t         meta_id = ngx_string("id: ");
    ngx_str_t         json_id = ngx_string("{\"id\":\"");
    push::ws_opcode   op;

    switch (ws->envelope) {

    case push::ws_envelope::nchan_meta:
        op = push::ws_meta_binary(ngx_push_sv(msg->ctype),
                                  ngx_push_ws_utf8(msg))
             ? push::ws_opcode::binary : push::ws_opcode::text;
        ngx_push_ws_enveloped(sub, out, op, &msg->ws_meta,
                              msg->ws_meta_id_end, meta_id, 0,
                              &msg->data);
        break;

    case push::ws_envelope::json_v1:
        ngx_push_ws_enveloped(sub, out, push::ws_opcode::text, &msg->ws_json,
                              msg->ws_json_rest,
                              json_id, '"', &none);
        break;

    default:
        n = push::ws_header(out->own, ngx_push_ws_bare_opcode(sub, msg), true,
                            msg->data.len);
        ngx_push_out_add(out, out->own, n);
        ngx_push_out_add(out, msg->data.data, msg->data.len);
        break;
    }
}


static ngx_int_t
ngx_push_ws_send(ngx_push_sub_t *sub, ngx_uint_t index, ngx_push_lmsg_t *msg)
{
    ngx_int_t        rc;
    ngx_push_out_t  *gap, *out;
    auto            *ws = static_cast<ngx_push_ws_t *>(sub->ws);

    if (msg->seq > sub->cursor.seq[index] + 1) {
        sub->gap = 1;
        sub->missed += msg->seq - sub->cursor.seq[index] - 1;
    }

    if ((ws->envelope == push::ws_envelope::nchan_meta
         && ngx_push_ws_meta_head(sub, msg) != NGX_OK)
        || (ws->envelope == push::ws_envelope::json_v1
            && ngx_push_ws_json_body(sub, index, msg) != NGX_OK))
    {
        return NGX_ERROR;
    }

    /* both writes are had before either is sent: a gap notice is never
     * left without the message it announces */
    out = ngx_push_out_get(sub);
    if (out == nullptr) {
        return NGX_ERROR;
    }

    if (sub->gap) {
        gap = ngx_push_out_get(sub);
        if (gap == nullptr) {
            return NGX_ERROR;
        }

        ngx_push_ws_gap_frame(sub, ws, index, msg, gap);

        sub->gap = 0;
        sub->gap_unknown = 0;
        sub->missed = 0;
        ngx_push_stats_add(&sub->zone->sh->stats.gaps, 1);

        rc = ngx_push_out_send(sub, gap, nullptr);
        if (rc != NGX_OK) {
            (void) ngx_push_out_send(sub, out, nullptr);  /* back, empty */
            return rc;
        }
    }

    sub->cursor.seq[index] = msg->seq;

    ngx_push_ws_message_frame(sub, ws, msg, out);

    out->index = index;

    return ngx_push_out_send(sub, out, msg);
}


static void
ngx_push_ws_close(ngx_push_sub_t *sub, ngx_push_close_e reason)
{
    switch (reason) {

    case ngx_push_close_e::deleted:
        ngx_push_ws_close_with(sub, push::ws_close_normal, "channel deleted",
                               1);
        break;

    case ngx_push_close_e::slow:
    case ngx_push_close_e::send_timeout:
    case ngx_push_close_e::write_error:
        /* no close frame: the client is not taking bytes */
        ngx_push_out_end(sub, nullptr, reason);
        break;

    default:
        ngx_push_ws_close_with(sub, push::ws_close_going_away,
                               "server going away", 0);
        break;
    }
}


static void
ngx_push_ws_deliver(ngx_push_sub_t *sub, ngx_uint_t index,
    ngx_push_lmsg_t *msg)
{
    ngx_int_t   rc;
    auto       *ws = static_cast<ngx_push_ws_t *>(sub->ws);

    if (sub->done || ws->closing) {
        return;
    }

    rc = ngx_push_ws_send(sub, index, msg);
    if (rc != NGX_OK) {
        ngx_push_ws_close(sub, ngx_push_out_why(rc));
    }
}


static ngx_int_t
ngx_push_ws_ping(ngx_push_sub_t *sub)
{
    ngx_int_t   rc;
    auto       *ws = static_cast<ngx_push_ws_t *>(sub->ws);

    if (ws->closing) {
        return NGX_OK;
    }

    if (ngx_current_msec - ws->heard_at > sub->conf->ws_silence) {
        ngx_log_error(NGX_LOG_INFO, sub->request->connection->log, 0,
                      "push: WebSocket client did not answer pings");
        ngx_push_ws_drop(sub, NGX_ERROR);
        return NGX_DONE;
    }

    rc = ngx_push_ws_control(sub, push::ws_opcode::ping, nullptr, 0);
    if (rc != NGX_OK) {
        ngx_push_ws_close(sub, ngx_push_out_why(rc));
        return NGX_DONE;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_push_ws_start(ngx_push_sub_t *sub)
{
    char                 accept[push::ws_accept_len];
    ngx_int_t            rc;
    ngx_str_t            value, *key;
    ngx_push_ws_t       *ws;
    ngx_http_request_t  *r = sub->request;
    ngx_connection_t    *c = r->connection;

    ws = static_cast<ngx_push_ws_t *>(
             ngx_pcalloc(r->pool, sizeof(ngx_push_ws_t)));
    if (ws == nullptr) {
        return NGX_ERROR;
    }

    push::ws_parser_init(ws->parser, sub->conf->ws_max_message);
    ws->heard_at = ngx_current_msec;
    sub->ws = ws;

    key = ngx_push_find_header(r, "Sec-WebSocket-Key", 17);
    push::ws_accept(ngx_push_sv(*key), accept);

    value.data = static_cast<u_char *>(ngx_pnalloc(r->pool,
                                                   push::ws_accept_len));
    if (value.data == nullptr) {
        return NGX_ERROR;
    }

    ngx_memcpy(value.data, accept, push::ws_accept_len);
    value.len = push::ws_accept_len;

    ngx_push_ws_pick_protocol(sub, ws);

    if (ngx_push_add_header(r, "Upgrade", &ngx_push_ws_upgrade) == nullptr
        || ngx_push_add_header(r, "Sec-WebSocket-Accept", &value) == nullptr
        || (ws->protocol.len
            && ngx_push_add_header(r, "Sec-WebSocket-Protocol",
                                   &ws->protocol) == nullptr))
    {
        return NGX_ERROR;
    }

    r->headers_out.status = NGX_HTTP_SWITCHING_PROTOCOLS;
    ngx_str_set(&r->headers_out.status_line, "101 Switching Protocols");
    r->headers_out.content_length_n = -1;
    r->keepalive = 0;
    sub->out_last = &sub->out;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    if (ngx_push_out_backlog(sub, ngx_push_ws_send) == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (ngx_http_send_special(r, NGX_HTTP_FLUSH) == NGX_ERROR) {
        return NGX_ERROR;
    }

    rc = ngx_push_out_wait(sub);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    c->read->handler = ngx_push_ws_read_event;

    /* frames that came with the handshake, and any that are waiting, are
     * read once the content phase is over */
    ws->leftover = 1;
    ngx_post_event(c->read, &ngx_posted_events);

    return rc;
}


static void
ngx_push_ws_cleanup(void *data)
{
    auto  *ws = static_cast<ngx_push_ws_t *>(data);

    if (ws->msg != nullptr) {
        ngx_free(ws->msg);
        ws->msg = nullptr;
    }
}


/* Registered before the upgrade so that a message buffer never leaks. */
static ngx_int_t
ngx_push_ws_check_and_prepare(ngx_push_sub_t *sub, const char **reason)
{
    ngx_int_t            rc;
    ngx_pool_cleanup_t  *cln;

    rc = ngx_push_ws_check(sub, reason);
    if (rc != 0) {
        return rc;
    }

    cln = ngx_pool_cleanup_add(sub->request->pool, 0);
    if (cln == nullptr) {
        return NGX_ERROR;
    }

    /* the state is made in start; the cleanup finds it through sub */
    cln->handler = [](void *data) {
        auto  *s = static_cast<ngx_push_sub_t *>(data);
        if (s->ws != nullptr) {
            ngx_push_ws_cleanup(s->ws);
        }
    };
    cln->data = sub;

    return 0;
}


const ngx_push_transport_t  ngx_push_websocket_transport = {
    ngx_string("websocket"),
    NGX_PUSH_WEBSOCKET,
    1,
    1,
    ngx_push_ws_check_and_prepare,
    ngx_push_ws_start,
    ngx_push_ws_deliver,
    ngx_push_ws_ping,
    ngx_push_ws_close,
};


/* A notice's or a multiplexed head's words fit in a write's own bytes. */
static_assert(sizeof(ngx_push_out_t::own)
              >= push::ws_header_max + push::cursor_max_len
                 + push::ws_meta_gap_max, "own: meta gap notice");
static_assert(sizeof(ngx_push_out_t::own)
              >= push::ws_header_max + push::ws_json_head_max
                 + push::cursor_max_len + push::ws_json_gap_tail_max,
              "own: JSON gap notice");
