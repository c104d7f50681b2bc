/* Redis key names of a channel, and the Cluster hash slot of a key. */

#ifndef PUSH_REDIS_KEY_H
#define PUSH_REDIS_KEY_H


#include <cstddef>
#include <cstdint>
#include <string_view>


namespace push {

/*
 * Redis Cluster (Redis docs, "Redis cluster specification", "Key
 * distribution model"): a key belongs to slot CRC16(key) mod 16384, CRC16
 * being the XMODEM variant (polynomial 0x1021, initial value 0, no
 * reflection; CRC16("123456789") = 0x31C3).
 *
 * Hash tags: when the key holds a '{', and a '}' follows it with at least
 * one byte between, only the bytes between the first '{' and the first '}'
 * after it are hashed; otherwise the whole key is.
 */
constexpr uint16_t redis_slots = 16384;

uint16_t redis_crc16(std::string_view data) noexcept;

/* The part of key that is hashed: the hash tag, or key itself. */
std::string_view redis_hash_tag(std::string_view key) noexcept;

uint16_t redis_key_slot(std::string_view key) noexcept;


/*
 * A channel's keys (DESIGN.md, "Several servers"), all in one hash slot:
 *
 *     {<prefix>:<id>}:meta      hash: the epoch and the last seq
 *     {<prefix>:<id>}:stream    stream: the history
 *     {<prefix>:<id>}:pubsub    the pub/sub channel announcing messages
 *
 * A channel id may hold '{' and '}' (push_channel_id.h refuses only control
 * bytes and bad UTF-8), and a '}' in it would end the hash tag early: ids
 * "a}x" and "a}y" would share the slot of "a" and no longer match their
 * keys' tag.  So in both prefix and id three bytes are percent-escaped as
 * in a URI, and only these:
 *
 *     '%' -> "%25"    '{' -> "%7B"    '}' -> "%7D"
 *
 * The tag then holds no brace: it is exactly "<prefix>:<id>" escaped, and
 * since '%' is escaped too, two ids give two different keys.  The prefix is
 * one per deployment, so a ':' in it is harmless.
 */
enum class redis_key : uint8_t {
    meta,
    stream,
    pubsub
};

size_t redis_key_size(std::string_view prefix, std::string_view id,
    redis_key which) noexcept;

/* Writes exactly redis_key_size() bytes to out and returns that count. */
size_t redis_key_write(char *out, std::string_view prefix,
    std::string_view id, redis_key which) noexcept;


/*
 * An Idempotency-Key's record (push_redis_scripts.h), in its channel's slot
 * (the key escaped as the id is):
 *
 *     {<prefix>:<id>}:idem:<key>  string "<seq> <status> <sha1>", with a TTL
 */
size_t redis_idem_key_size(std::string_view prefix, std::string_view id,
    std::string_view key) noexcept;
size_t redis_idem_key_write(char *out, std::string_view prefix,
    std::string_view id, std::string_view key) noexcept;


/*
 * The deployment's own names, escaped the same way, in the slot of the
 * prefix alone (none of them is ever used with a channel's keys):
 *
 *     {<prefix>}:epoch                 the deployment epoch
 *     {<prefix>}:probe:<server>        a server's liveness probe channel
 */
size_t redis_epoch_key_size(std::string_view prefix) noexcept;
size_t redis_epoch_key_write(char *out, std::string_view prefix) noexcept;

size_t redis_probe_channel_size(std::string_view prefix,
    std::string_view server) noexcept;
size_t redis_probe_channel_write(char *out, std::string_view prefix,
    std::string_view server) noexcept;

} /* namespace push */


#endif /* PUSH_REDIS_KEY_H */
