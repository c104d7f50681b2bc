/* Replies of the Redis scripts and their announcements, read; the gap a
 * cursor has.  The scripts and the design: push_redis_scripts.h. */

#ifndef PUSH_REDIS_REPLY_H
#define PUSH_REDIS_REPLY_H


#include <cstdint>
#include <string_view>

#include "push_resp.h"
#include "push_status.h"


namespace push {

/*
 * Every channel script answers one of
 *
 *   {"ok", epoch, base, last, first, count, cap, ttl [, extra]}
 *   {"none"}            no meta: the channel never existed in this epoch
 *   {"epoch", current}  the meta belongs to another epoch: nothing done
 *   {"stale", current}  the deployment's epoch key is missing ("") or is
 *                       not the caller's epoch: nothing done
 *   {"reused"}          publish: the Idempotency-Key's record is of
 *                       another message: nothing done
 *
 * base  the seq before the current life's first message;
 * last  the last seq given out (== base: no message in this life);
 * first the first live seq kept (last + 1 when none);
 * count live messages kept;
 * cap   the channel's message cap (m of the meta: the publisher's
 *       push_message_buffer), ttl its TTL in ms (t); 0 when the meta has
 *       none (written before these fields were).
 * extra publish: {receivers, seq, status, repeat}: receivers of the
 *       announcement (this node's; 0 for a repeat), the message's seq (the
 *       recorded one for a repeat; else last), 201 or 202, and 1 when the
 *       key was known and nothing was stored (redis_publish_extra_parse);
 *       history: the entries, an array of [<seq>-0, [t, ms, c, .., e, ..,
 *       d, ..]];
 *       delete: the new base.  Delete answers the state before it, and
 *       "none" when there was no meta (it still announces).
 */
enum class redis_outcome : uint8_t {
    ok,
    none,
    epoch,
    stale,
    reused
};

struct redis_channel_reply {
    redis_outcome      outcome;
    std::string_view   epoch;        /* ok: the channel's; epoch, stale:
                                      * Redis's ("" for stale: none) */
    uint64_t           base;
    uint64_t           last;
    uint64_t           first;
    uint64_t           count;
    uint64_t           cap;          /* 0: unknown */
    uint64_t           ttl_ms;       /* 0: unknown */
    const resp_node   *extra;        /* or nullptr */
};

/* invalid for any other shape, or an error reply (a script error). */
status redis_channel_reply_parse(const resp_node *root,
    redis_channel_reply &out) noexcept;


/* publish's extra. */
struct redis_publish_extra {
    uint64_t  receivers;
    uint64_t  seq;
    uint16_t  status;                /* 201 or 202 */
    bool      repeat;
};

/* invalid unless {receivers, seq, status, repeat} as above, with seq in
 * 1..last of r (a repeat's seq may be of an older life: <= last). */
status redis_publish_extra_parse(const redis_channel_reply &r,
    redis_publish_extra &out) noexcept;


struct redis_entry {
    uint64_t          seq;
    uint64_t          time_ms;
    std::string_view  content_type;
    std::string_view  event;
    std::string_view  data;
};

/* One element of history's entries. */
status redis_entry_parse(const resp_node *entry, redis_entry &out) noexcept;


enum class redis_announce_kind : uint8_t {
    message,         /* m: carries the message */
    notice,          /* n: read the stream */
    del              /* d */
};

struct redis_announce {
    redis_announce_kind  kind;
    std::string_view     epoch;
    uint64_t             seq;
    uint64_t             cap;        /* m, n: the channel's cap and TTL */
    uint64_t             ttl_ms;     /* (ms) as the publish set them */
    std::string_view     content_type;
    std::string_view     event;
    std::string_view     data;
};

/* An announcement's payload, as the format above; invalid otherwise. */
status redis_announce_parse(std::string_view payload, redis_announce &out)
    noexcept;


/*
 * The gap a cursor at seq has on a channel in the state of a reply (the
 * cursor's epoch being the channel's): as the zone decides it.
 *   unknown  seq < base or seq > last: another life of the channel;
 *   missed   n messages after seq are gone (expired or trimmed);
 *   none     the next message kept is seq + 1, or nothing is missing.
 */
enum class redis_gap_kind : uint8_t {
    none,
    missed,
    unknown
};

struct redis_gap {
    redis_gap_kind  kind;
    uint64_t        n;
};

redis_gap redis_gap_of(uint64_t seq, const redis_channel_reply &r) noexcept;

} /* namespace push */


#endif /* PUSH_REDIS_REPLY_H */
