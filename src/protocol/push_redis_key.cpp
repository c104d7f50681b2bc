/* Redis key names of a channel, and the Cluster hash slot of a key. */

#include "push_redis_key.h"

#include <cstring>


namespace push {

namespace {

struct crc_table {
    uint16_t  v[256];
};


/* XMODEM: polynomial 0x1021, most significant bit first. */
constexpr crc_table
make_crc_table() noexcept
{
    crc_table  t{};

    for (unsigned i = 0; i < 256; i++) {
        uint16_t  c = uint16_t(i << 8);

        for (int bit = 0; bit < 8; bit++) {
            c = (c & 0x8000) ? uint16_t((c << 1) ^ 0x1021) : uint16_t(c << 1);
        }

        t.v[i] = c;
    }

    return t;
}


constexpr crc_table  crc16_table = make_crc_table();


std::string_view
suffix(redis_key which) noexcept
{
    switch (which) {
    case redis_key::meta:
        return ":meta";
    case redis_key::stream:
        return ":stream";
    default:
        return ":pubsub";
    }
}


bool
escaped(char c) noexcept
{
    return c == '%' || c == '{' || c == '}';
}


size_t
escaped_len(std::string_view s) noexcept
{
    size_t  n = s.size();

    for (char c : s) {
        if (escaped(c)) {
            n += 2;
        }
    }

    return n;
}


char *
put_escaped(char *p, std::string_view s) noexcept
{
    for (char c : s) {
        if (!escaped(c)) {
            *p++ = c;
            continue;
        }

        *p++ = '%';
        *p++ = c == '%' ? '2' : '7';
        *p++ = c == '%' ? '5' : c == '{' ? 'B' : 'D';
    }

    return p;
}

} /* namespace */


uint16_t
redis_crc16(std::string_view data) noexcept
{
    uint16_t  crc = 0;

    for (char ch : data) {
        uint8_t  b = static_cast<uint8_t>(ch);
        crc = uint16_t((crc << 8) ^ crc16_table.v[((crc >> 8) ^ b) & 0xff]);
    }

    return crc;
}


std::string_view
redis_hash_tag(std::string_view key) noexcept
{
    size_t  open = key.find('{');

    if (open == std::string_view::npos) {
        return key;
    }

    size_t  close = key.find('}', open + 1);

    if (close == std::string_view::npos || close == open + 1) {
        return key;
    }

    return key.substr(open + 1, close - open - 1);
}


uint16_t
redis_key_slot(std::string_view key) noexcept
{
    /* 16384 is a power of two */
    return redis_crc16(redis_hash_tag(key)) & (redis_slots - 1);
}


size_t
redis_key_size(std::string_view prefix, std::string_view id,
    redis_key which) noexcept
{
    return 1 + escaped_len(prefix) + 1 + escaped_len(id) + 1
           + suffix(which).size();
}


size_t
redis_key_write(char *out, std::string_view prefix, std::string_view id,
    redis_key which) noexcept
{
    std::string_view  s = suffix(which);
    char             *p = out;

    *p++ = '{';
    p = put_escaped(p, prefix);
    *p++ = ':';
    p = put_escaped(p, id);
    *p++ = '}';
    std::memcpy(p, s.data(), s.size());
    p += s.size();

    return size_t(p - out);
}


size_t
redis_idem_key_size(std::string_view prefix, std::string_view id,
    std::string_view key) noexcept
{
    return 1 + escaped_len(prefix) + 1 + escaped_len(id) + 1
           + sizeof(":idem:") - 1 + escaped_len(key);
}


size_t
redis_idem_key_write(char *out, std::string_view prefix, std::string_view id,
    std::string_view key) noexcept
{
    static constexpr std::string_view  tail = ":idem:";
    char                              *p = out;

    *p++ = '{';
    p = put_escaped(p, prefix);
    *p++ = ':';
    p = put_escaped(p, id);
    *p++ = '}';
    std::memcpy(p, tail.data(), tail.size());
    p += tail.size();
    p = put_escaped(p, key);

    return size_t(p - out);
}


size_t
redis_epoch_key_size(std::string_view prefix) noexcept
{
    return 1 + escaped_len(prefix) + 1 + sizeof(":epoch") - 1;
}


size_t
redis_epoch_key_write(char *out, std::string_view prefix) noexcept
{
    char  *p = out;

    *p++ = '{';
    p = put_escaped(p, prefix);
    *p++ = '}';
    std::memcpy(p, ":epoch", sizeof(":epoch") - 1);
    p += sizeof(":epoch") - 1;

    return size_t(p - out);
}


size_t
redis_probe_channel_size(std::string_view prefix, std::string_view server)
    noexcept
{
    return 1 + escaped_len(prefix) + 1 + sizeof(":probe:") - 1
           + escaped_len(server);
}


size_t
redis_probe_channel_write(char *out, std::string_view prefix,
    std::string_view server) noexcept
{
    char  *p = out;

    *p++ = '{';
    p = put_escaped(p, prefix);
    *p++ = '}';
    std::memcpy(p, ":probe:", sizeof(":probe:") - 1);
    p += sizeof(":probe:") - 1;
    p = put_escaped(p, server);

    return size_t(p - out);
}

} /* namespace push */
