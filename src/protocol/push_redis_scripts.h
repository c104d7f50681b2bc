/* The Redis side of the several-servers mode: Lua scripts, their calls and
 * their replies. */

#ifndef PUSH_REDIS_SCRIPTS_H
#define PUSH_REDIS_SCRIPTS_H


#include <cstddef>
#include <cstdint>
#include <string_view>

#include "push_resp.h"


namespace push {

/*
 * Keys (push_redis_key.h), <p> the prefix, <id> the channel id, escaped:
 *
 *   {<p>}:epoch            string: the deployment epoch, 8 hex digits; no TTL
 *   {<p>:<id>}:meta        hash, no TTL: e epoch, s last seq given out,
 *                          b base (the seq before the current life's first
 *                          message; the zone's first_seq), m the cap and
 *                          t the TTL in ms its last publish set (the
 *                          publisher's push_message_buffer and
 *                          push_message_ttl): every server's copy takes
 *                          them, and history, info and delete expire by t
 *   {<p>:<id>}:stream      stream, the history: entry <seq>-0, fields
 *                          t (Redis TIME, ms), c content type, e event, d data
 *   {<p>:<id>}:pubsub      the channel announcing messages and deletes
 *   {<p>:<id>}:idem:<key>  string "<seq> <status> <sha1>", PX
 *                          push_redis_idempotency_ttl: a publish's
 *                          Idempotency-Key and what it was given
 *   {<p>}:probe:<server>   a server's probe channel (no script, see below)
 *
 * Each script names in KEYS every key of its channel it touches, all of
 * one hash tag (one slot), so Cluster routes it and refuses keys of two
 * channels (CROSSSLOT); the pub/sub channel is passed as a key too
 * (SPUBLISH routes by it).  One key is read and not declared: the epoch
 * key, in the prefix's slot, passed by name as the last ARGV.  Redis
 * allows that on one node, and in a cluster (flag allow-cross-slot-keys)
 * only when the node also serves the prefix's slot: for a Cluster of
 * several nodes (not supported yet) the epoch check needs a copy of the
 * epoch in each node's slots.
 *
 * The epoch key in every script.  A channel script is sent with the epoch
 * its server believes in; when Redis's epoch key is missing (FLUSHALL, a
 * restart without data) or holds another epoch, the script does nothing
 * and answers {"stale", <the key's value or "">}.  The server then runs its
 * epoch procedure (SET NX GET below: adopt the epoch there or make a new
 * one, ending its local copies of the old one) and sends the script again
 * under the new epoch.  So no publish is acknowledged, and no history read,
 * under an epoch Redis no longer holds: without this check, a server that
 * held no copy of a channel would have a publish after a FLUSHALL made
 * under the old epoch, acknowledged, and dropped at the next epoch check.
 *
 * Idempotency.  publish gets the key of a record, {<p>:<id>}:idem:<key>
 * (the publisher's Idempotency-Key, or one the server made), and the
 * status rule: 201 when the announcement reached at least need receivers,
 * else 202.  If the record exists, nothing is stored: the answer carries
 * the seq and status it records, and repeat = 1, or {"reused"} when the
 * record was made for another message (content type, event and data,
 * compared by SHA-1).  Else the message is stored and the record set, in
 * the same run (a script is atomic): a publish that Redis ran late (after
 * its server answered 503) is found by the retry that sends its key.
 *
 * The epoch.  SET {<p>}:epoch <fresh> NX GET (one command, atomic by itself,
 * no script): nil means our fresh random value is now the epoch, a string is
 * the epoch already there.  The caller runs it on every connect and with
 * each liveness probe.  A channel script gets the epoch its caller believes
 * in as ARGV[1] and compares it with the meta's e:
 *   - equal: go on;
 *   - different: refused, {"epoch", e}; the caller reads the epoch key: if
 *     it holds e, the caller was behind, it adopts e and retries;
 *   - if the key holds the caller's epoch, the meta is an orphan: a server
 *     that had not yet noticed a data loss (FLUSHALL, a restart without
 *     persistence) made it under the old epoch.  The caller publishes again
 *     with replace = e: the script, only if the meta still says e, drops
 *     the stream and starts the channel over under the caller's epoch;
 *   - no meta: the channel is new in this epoch and is made under the
 *     caller's epoch (an orphan only in the window above; any stream left
 *     without its meta is dropped first, its seqs mean nothing).
 * An epoch change makes every older cursor get the gap signal "unknown", so
 * seqs may start at 1 again in a new epoch.
 *
 * Seqs and the floor.  s comes from the meta and only grows within an
 * epoch.  DELETE drops the stream but keeps the meta (the per-channel floor
 * the zone keeps zone-wide as seq_floor): when the life had messages (s > b)
 * it sets b = s = old s + 1, so the next message is old s + 2 and a cursor
 * of the old life is below b: gap "unknown", as in the zone.  A deployment-
 * wide floor would live in another slot; a per-channel one costs one small
 * hash per channel id ever published to, kept until the epoch changes.  So
 * Redis must not evict it: maxmemory-policy noeviction or a volatile-*
 * policy (the meta has no TTL; streams do).
 *
 * Lua numbers are doubles: seqs are exact below 2^53 (285 years at a
 * million messages a second on one channel), and written with %d.
 *
 * Trimming.  XADD ... MAXLEN <buffer> (exact, not "~"): the stream keeps
 * exactly push_message_buffer messages, as the zone does, so the first kept
 * seq, the count in channel info and the gap counts agree with the
 * single-server module; "~" would keep up to a node more, never fewer, which
 * would be safe for resume but not equal.  The Redis docs give XADD's
 * trimming as O(N) in the entries evicted: one per publish once full.
 *
 * TTL.  Ids are seqs, so each entry holds its time t (Redis TIME, one clock
 * for every server).  A life's entries are contiguous seqs (XADD appends
 * s + 1, trimming only takes from the head), so the first live entry is
 * found by a binary search on seq (O(log^2 n), nothing when the oldest is
 * live).  publish trims what expired (XTRIM MINID, amortised O(1)) and sets
 * PEXPIRE ttl on the stream, so an idle channel's history goes as a whole;
 * history and info skip expired entries without writing.  The meta stays:
 * s > last kept seq means "expired or trimmed" (gap N), no meta means
 * "never existed in this epoch".  If the clock steps back, some entries may
 * live a little longer or shorter; never out of order.
 *
 * Replication.  Redis 7 replicates scripts by their effects (the only mode
 * since 7.0; redis.replicate_commands() is a no-op), so the XADD carrying
 * TIME's value and the XTRIM MINID it decided reach replicas as written.
 * Script flags (a "#!lua" shebang): every script allow-cross-slot-keys
 * (it reads the epoch key, see above); besides, publish has none (refused
 * under OOM before it writes anything), delete allow-oom (it frees
 * memory), history and info no-writes (EVALSHA_RO, replicas).  No KEYS, no
 * SCAN.
 *
 * Replies and announcements are read by push_redis_reply.h.
 *
 * Announcement, on {<p>:<id>}:pubsub (PUBLISH, or SPUBLISH when sharded =
 * 1, for Cluster's sharded pub/sub: the channel's hash tag puts it on the
 * channel's shard):
 *
 *   m <epoch> <seq> <cap> <ttl> <clen> <elen>\n<content type><event><data>
 *                          the message, when clen + elen + dlen <= inline_max
 *   n <epoch> <seq> <cap> <ttl>
 *                          a message too large to carry: read the stream
 *   (cap and ttl, in ms: the channel's, as this publish set them in the
 *   meta; a copy of the channel takes them as it is)
 *   d <epoch> <seq>        DELETE; seq is the last of the ended life
 *
 * Liveness probe: no script.  Each server subscribes its pub/sub connection
 * to {<p>}:probe:<server> as well, and an idle connection gets a PUBLISH
 * there from the command connection (redis_probe_write); if the payload
 * does not come back in time, the subscription connection is replaced.  A
 * PING would only prove the socket, not that the server that takes our
 * publishes still delivers to it (after a failover).
 */

enum class redis_script : uint8_t {
    publish,
    history,
    info,
    del
};

constexpr size_t redis_scripts = 4;

/* The script's text, as sent with EVAL or SCRIPT LOAD; its SHA-1 (40 hex
 * digits, lower case) names it for EVALSHA. */
std::string_view redis_script_text(redis_script which) noexcept;


/* How a call names its script: sha1 set: EVALSHA; empty: EVAL with the
 * text (after a NOSCRIPT error). */
struct redis_script_ref {
    redis_script      which;
    std::string_view  sha1;
};


/* A channel's keys, as push_redis_key writes them. */
struct redis_channel_keys {
    std::string_view  meta;
    std::string_view  stream;
    std::string_view  pubsub;
    std::string_view  epoch;         /* {<p>}:epoch, set by the caller;
                                      * passed as an ARGV, not a key */
};

/* Bytes for the three channel keys; redis_channel_keys_write() writes them
 * to out and returns views into it (epoch left empty). */
size_t redis_channel_keys_size(std::string_view prefix, std::string_view id)
    noexcept;
redis_channel_keys redis_channel_keys_write(char *out,
    std::string_view prefix, std::string_view id) noexcept;


struct redis_publish_args {
    std::string_view  epoch;
    std::string_view  replace;       /* an orphan epoch to replace, or "" */
    uint64_t          buffer;        /* push_message_buffer, >= 1 */
    uint64_t          ttl_ms;        /* push_message_ttl, >= 1 */
    uint64_t          inline_max;    /* bytes of c + e + d carried inline */
    bool              sharded;       /* SPUBLISH instead of PUBLISH */
    uint64_t          need;          /* receivers for 201 (0: always) */
    std::string_view  idem_key;      /* {<p>:<id>}:idem:<key> */
    uint64_t          idem_ttl_ms;   /* its record's TTL, >= 1 */
    std::string_view  content_type;
    std::string_view  event;
    std::string_view  data;
};

struct redis_history_args {
    std::string_view  epoch;
    uint64_t          after;         /* the cursor's seq */
    uint64_t          limit;         /* messages at most, >= 1 */
    uint64_t          ttl_ms;
};

struct redis_info_args {
    std::string_view  epoch;
    uint64_t          ttl_ms;
};

struct redis_delete_args {
    std::string_view  epoch;
    uint64_t          ttl_ms;
    bool              sharded;
};


/*
 * Each call is a RESP command; *_size() gives its exact length, *_write()
 * writes exactly that many bytes and returns the count (as
 * resp_command_write).
 *
 *   publish  KEYS meta stream pubsub idem
 *            ARGV epoch replace buffer ttl_ms inline_max sharded need
 *                 idem_ttl_ms c e d epoch_key
 *   history  KEYS meta stream         ARGV epoch after limit ttl_ms epoch_key
 *   info     KEYS meta stream         ARGV epoch ttl_ms epoch_key
 *   delete   KEYS meta stream pubsub  ARGV epoch ttl_ms sharded epoch_key
 */
size_t redis_publish_size(const redis_script_ref &s,
    const redis_channel_keys &k, const redis_publish_args &a) noexcept;
size_t redis_publish_write(char *out, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_publish_args &a) noexcept;

size_t redis_history_size(const redis_script_ref &s,
    const redis_channel_keys &k, const redis_history_args &a) noexcept;
size_t redis_history_write(char *out, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_history_args &a) noexcept;

size_t redis_info_size(const redis_script_ref &s,
    const redis_channel_keys &k, const redis_info_args &a) noexcept;
size_t redis_info_write(char *out, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_info_args &a) noexcept;

size_t redis_delete_size(const redis_script_ref &s,
    const redis_channel_keys &k, const redis_delete_args &a) noexcept;
size_t redis_delete_write(char *out, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_delete_args &a) noexcept;

/*
 * The same calls as argument vectors, for a client that encodes commands
 * itself (the link's ngx_push_redis_command): v has room for
 * redis_args_max; returns the count.  The views point into k and a.
 */
constexpr size_t redis_args_max = 19;

size_t redis_publish_argv(resp_arg *v, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_publish_args &a) noexcept;
size_t redis_history_argv(resp_arg *v, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_history_args &a) noexcept;
size_t redis_info_argv(resp_arg *v, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_info_args &a) noexcept;
size_t redis_delete_argv(resp_arg *v, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_delete_args &a) noexcept;

/* SET <epoch_key> <fresh> NX GET */
size_t redis_epoch_size(std::string_view epoch_key, std::string_view fresh)
    noexcept;
size_t redis_epoch_write(char *out, std::string_view epoch_key,
    std::string_view fresh) noexcept;

/* PUBLISH <probe channel> <token> */
size_t redis_probe_size(std::string_view channel, std::string_view token)
    noexcept;
size_t redis_probe_write(char *out, std::string_view channel,
    std::string_view token) noexcept;


} /* namespace push */


#endif /* PUSH_REDIS_SCRIPTS_H */
