/* Batched long-polls: every waiting message in one multipart/mixed answer. */
#include "ngx_push_multipart.h"
#include "ngx_push_http.h"


/* Random boundary characters (RFC 2046 bchars, letters and digits). */
static const char  ngx_push_multipart_bchars[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#define NGX_PUSH_BOUNDARY_LEN  32


/* A boundary found in no part (RFC 2046 5.1.1: it must not occur in the
 * encapsulated data); random, so it is found at the first try. */
static void
ngx_push_multipart_boundary(u_char *b, ngx_push_replay_t *batch,
    ngx_uint_t n)
{
    ngx_uint_t  i, tries, clash;

    for (tries = 0; tries < 8; tries++) {
        for (i = 0; i < NGX_PUSH_BOUNDARY_LEN; i++) {
            b[i] = ngx_push_multipart_bchars[ngx_random() % 62];
        }

        clash = 0;
        for (i = 0; i < n && !clash; i++) {
            clash = ngx_strlcasestrn(batch[i].msg->data.data,
                                     batch[i].msg->data.data
                                     + batch[i].msg->data.len,
                                     b, NGX_PUSH_BOUNDARY_LEN - 1)
                    != nullptr;
        }

        if (!clash) {
            return;
        }
    }
}


/* The headers of one part, after its boundary line: its cursor (what to
 * resume from after it), its event, and its content type last, as
 * Nchan's client reads one header line only, the one before the blank
 * line. */
static u_char *
ngx_push_multipart_part(u_char *p, ngx_push_sub_t *sub, ngx_push_lmsg_t *msg,
    ngx_uint_t first, u_char *boundary)
{
    if (!first) {
        *p++ = '\r';
        *p++ = '\n';
    }

    p = ngx_sprintf(p, "--%*s\r\nEtag: \"", (size_t) NGX_PUSH_BOUNDARY_LEN,
                    boundary);
    p += push::format_cursor(sub->cursor, reinterpret_cast<char *>(p),
                             push::cursor_max_len);
    p = ngx_cpymem(p, "\"\r\n", 3);

    if (msg->event.len) {
        p = ngx_sprintf(p, "Push-Event: %V\r\n", &msg->event);
    }

    if (msg->ctype.len) {
        p = ngx_sprintf(p, "Content-Type: %V\r\n", &msg->ctype);
    }

    *p++ = '\r';
    *p++ = '\n';

    return p;
}


/* A long-poll that starts behind: up to push_longpoll_multipart_max
 * messages and push_longpoll_multipart_max_size bytes (one at least), in
 * publish order, as Nchan's multipart/mixed answer lays them out:
 *
 *     --B CRLF headers CRLF CRLF data
 *     CRLF --B CRLF headers CRLF CRLF data ...
 *     CRLF --B-- CRLF
 *
 * The Etag and Last-Modified are the last message's, as is a single poll
 * answer's.  NGX_DECLINED: one message only, answered as usual by the
 * caller. */
ngx_int_t
ngx_push_multipart_reply(ngx_push_sub_t *sub)
{
    size_t               len, hlen;
    u_char              *p, *ctype, boundary[NGX_PUSH_BOUNDARY_LEN];
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_str_t            cache = ngx_string("no-store");
    ngx_uint_t           i, n, done;
    ngx_chain_t         *cl, *head, **last;
    ngx_push_replay_t   *batch;
    ngx_http_request_t  *r = sub->request;

    batch = static_cast<ngx_push_replay_t *>(
                ngx_palloc(r->pool, sub->conf->longpoll_multipart_max
                                    * sizeof(ngx_push_replay_t)));
    if (batch == nullptr) {
        return NGX_ERROR;
    }

    n = ngx_push_sub_replay_next(sub, batch, sub->conf->longpoll_multipart_max,
                                 sub->conf->longpoll_multipart_size, &done);

    if (n < 2) {
        for (i = 0; i < n; i++) {
            ngx_push_lmsg_release(batch[i].msg);
        }
        return NGX_DECLINED;
    }

    /* the part headers, all in one piece of the pool */
    hlen = sizeof("\r\n--" "\r\n--" "--\r\n") + NGX_PUSH_BOUNDARY_LEN;
    for (i = 0; i < n; i++) {
        hlen += sizeof("\r\n--\r\nEtag: \"\"\r\n\r\n") + NGX_PUSH_BOUNDARY_LEN
                + push::cursor_max_len
                + sizeof("Push-Event: \r\n") + batch[i].msg->event.len
                + sizeof("Content-Type: \r\n") + batch[i].msg->ctype.len;
    }

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, hlen));
    ctype = static_cast<u_char *>(
                ngx_pnalloc(r->pool, sizeof("multipart/mixed; boundary=")
                                     + NGX_PUSH_BOUNDARY_LEN));
    if (p == nullptr || ctype == nullptr) {
        goto failed;
    }

    ngx_push_multipart_boundary(boundary, batch, n);

    head = nullptr;
    last = &head;
    len = 0;

    for (i = 0; i < n; i++) {
        ngx_push_lmsg_t  *msg = batch[i].msg;

        sub->cursor.seq[batch[i].index] = msg->seq;

        /* the part's headers, then its data from the worker's one copy of
         * the message, which the pool holds until the answer is gone */
        for (ngx_uint_t k = 0; k < 2; k++) {
            if (k == 1 && msg->data.len == 0) {
                break;
            }

            b = static_cast<ngx_buf_t *>(ngx_calloc_buf(r->pool));
            cl = ngx_alloc_chain_link(r->pool);
            if (b == nullptr || cl == nullptr) {
                goto failed;
            }

            if (k == 0) {
                b->pos = p;
                p = ngx_push_multipart_part(p, sub, msg, i == 0, boundary);
                b->last = p;

            } else {
                if (ngx_push_lmsg_hold(r->pool, msg) != NGX_OK) {
                    goto failed;
                }
                b->pos = msg->data.data;
                b->last = msg->data.data + msg->data.len;
            }

            b->memory = 1;
            len += b->last - b->pos;
            cl->buf = b;
            cl->next = nullptr;
            *last = cl;
            last = &cl->next;
        }
    }

    b = static_cast<ngx_buf_t *>(ngx_calloc_buf(r->pool));
    cl = ngx_alloc_chain_link(r->pool);
    if (b == nullptr || cl == nullptr) {
        goto failed;
    }

    b->pos = p;
    p = ngx_sprintf(p, "\r\n--%*s--\r\n", (size_t) NGX_PUSH_BOUNDARY_LEN,
                    boundary);
    b->last = p;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    len += b->last - b->pos;
    cl->buf = b;
    cl->next = nullptr;
    *last = cl;

    /* the pool holds what it needs now */
    r->headers_out.last_modified_time = batch[n - 1].msg->time;

    for (i = 0; i < n; i++) {
        ngx_push_lmsg_release(batch[i].msg);
    }

    ngx_push_stats_add(&sub->zone->sh->stats.delivered, n);

    r->disable_not_modified = 1;

    if (ngx_push_sub_set_cursor_headers(sub) != NGX_OK
        || ngx_push_add_header(r, "Cache-Control", &cache) == nullptr)
    {
        return NGX_ERROR;
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = len;
    r->headers_out.content_type.data = ctype;
    r->headers_out.content_type.len =
        ngx_sprintf(ctype, "multipart/mixed; boundary=%*s",
                    (size_t) NGX_PUSH_BOUNDARY_LEN, boundary) - ctype;
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, head);

failed:

    for (i = 0; i < n; i++) {
        ngx_push_lmsg_release(batch[i].msg);
    }

    return NGX_ERROR;
}
