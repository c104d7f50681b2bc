/* A worker's view of the channels its subscribers listen to. */
#ifndef NGX_PUSH_LOCAL_H_INCLUDED
#define NGX_PUSH_LOCAL_H_INCLUDED

#include "ngx_push.h"
#include "ngx_push_zone.h"


/* A frame made from a message for one layout (a stream template and its
 * separator), kept with the message: made once per worker, freed with
 * it.  id_at and id_len: where its "~id~" is, for a subscriber of several
 * channels to put its own cursor there. */
struct ngx_push_frame_t {
    ngx_push_frame_t  *next;
    const void        *key;        /* the template */
    const u_char      *sep;        /* the separator's bytes */
    size_t             id_at;
    size_t             id_len;
    ngx_str_t          bytes;
};


/* A message copied out of the zone once per worker and shared, read-only,
 * by every local subscriber that sends it; freed with its last reference. */
struct ngx_push_lmsg_t {
    ngx_uint_t        refs;
    ngx_push_lmsg_t  *next;        /* within one delivery round only */
    uint64_t          seq;
    uint64_t          order;       /* publish order across the zone */
    time_t            time;
    ngx_str_t         ctype;
    ngx_str_t         event;
    ngx_str_t         data;
    ngx_str_t         sse;         /* its SSE event, built on first use */
    size_t            sse_id_len;  /* of the "id: ...\n" line in sse */
    int               ws_text;     /* as a WebSocket text frame: -1 unknown */
    int               utf8;        /* data is UTF-8: -1 unknown */
    ngx_str_t         ws_meta;     /* its ws+meta.nchan head, first use */
    size_t            ws_meta_id_end;  /* where the id ends in ws_meta */
    ngx_str_t         ws_json;     /* its push.v1.json object, first use */
    size_t            ws_json_rest;    /* where ,"channel": starts */
    ngx_push_frame_t *frames;      /* stream template frames, on first use */
    ngx_rbtree_node_t cache;       /* in the replay cache, when cached:
                                    * key, the zone message's address */
    unsigned          cached:1;
    u_char            bytes[1];
};


struct ngx_push_sub_t;


/* One channel in this worker: its subscribers and the newest message this
 * worker has read from it.  Lives while its zone record does.
 *
 * Lifetimes across a wake-up round (ngx_push_local_drain):
 * - who creates it: the first subscriber of the channel in this worker
 *   (ngx_push_local_get, under the zone lock);
 * - who frees it: whoever drops the last pin, i.e. the last link goes
 *   (ngx_push_local_unlink) while no round holds it (busy == 0), or the
 *   round ends and finds no link left;
 * - what a round pins: every record it will visit, before the first
 *   delivery, until after the last.  Any callback (deliver, close) may end
 *   the subscriber it was given: ending one unlinks it from all of its
 *   channels, possibly the last link of a record later in the same round;
 *   a pinned record outlives that and is walked empty.  A callback never
 *   ends another subscriber than its own.
 * - a subscriber is freed with its request (the pool cleanup calls
 *   ngx_push_sub_leave, which unlinks it); a round touches neither the
 *   subscriber nor its link after the callback that ended it. */
struct ngx_push_local_t {
    ngx_rbtree_node_t  node;       /* key: the zone record's address */
    ngx_push_rec_t    *rec;
    uint64_t           seq;
    ngx_queue_t        links;      /* ngx_push_link_t */
    ngx_uint_t         nlinks;
    ngx_uint_t         busy;       /* rounds pinning it: not to be freed */
    unsigned           deleted:1;
};


/* A subscriber's place in one local channel. */
struct ngx_push_link_t {
    ngx_queue_t        queue;
    ngx_push_local_t  *local;
    ngx_push_sub_t    *sub;
    ngx_uint_t         index;      /* of the channel in the subscription */
};


ngx_push_lmsg_t *ngx_push_lmsg_copy(const ngx_push_msg_t *m,
    ngx_log_t *log);
void ngx_push_lmsg_release(ngx_push_lmsg_t *msg);
ngx_push_lmsg_t *ngx_push_lmsg_shared(const ngx_push_msg_t *m,
    ngx_log_t *log);
void ngx_push_lmsg_forget(ngx_push_lmsg_t *msg);
ngx_int_t ngx_push_lmsg_hold(ngx_pool_t *pool, ngx_push_lmsg_t *msg);

ngx_push_local_t *ngx_push_local_get(ngx_push_rec_t *rec, ngx_log_t *log);
void ngx_push_local_link(ngx_push_link_t *link, ngx_push_local_t *local);
void ngx_push_local_unlink(ngx_push_link_t *link);
void ngx_push_local_release(ngx_push_zone_t *zone, ngx_push_local_t *local);
void ngx_push_local_drain(ngx_push_zone_t *zone, ngx_uint_t slot);

#endif /* NGX_PUSH_LOCAL_H_INCLUDED */
