/* The Redis side of the several-servers mode: Lua scripts, their calls and
 * their replies. */

#include "push_redis_scripts.h"

#include <array>
#include <cstring>

#include "push_redis_key.h"


namespace push {

namespace {

/* A script's text: its shebang line, the prelude, its body, joined at
 * compile time, with one NUL at the end (not part of the text). */
template <size_t A, size_t B, size_t C>
constexpr std::array<char, A + B + C - 2>
join(const char (&a)[A], const char (&b)[B], const char (&c)[C]) noexcept
{
    std::array<char, A + B + C - 2>  out{};
    size_t                           n = 0;

    for (size_t i = 0; i + 1 < A; i++) {
        out[n++] = a[i];
    }
    for (size_t i = 0; i + 1 < B; i++) {
        out[n++] = b[i];
    }
    for (size_t i = 0; i + 1 < C; i++) {
        out[n++] = c[i];
    }

    return out;
}


/*
 * Shared by the channel scripts (each is sent alone, so each carries it).
 * Lua numbers are doubles: a seq goes back to text with %d, never with
 * tostring(), which would write 1e+15.
 */
constexpr char  prelude[] = R"lua(
local function id(n)
    return string.format('%d-0', n)
end

local function seq_of(entry_id)
    return tonumber(string.match(entry_id, '^(%d+)'))
end

-- fields t <ms> c <type> e <event> d <data>, in this order
local function time_of(entry)
    return tonumber(entry[2][2])
end

local function now_ms()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The first live seq and the head's seq; nil, head when all expired; nil,
-- nil when empty.  Times do not decrease along the stream, so expired
-- entries are a prefix: below lo all are expired, from hi on all live.
local function first_live(stream, cutoff)
    local head = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
    if head == nil then
        return nil, nil
    end
    local lo = seq_of(head[1])
    if time_of(head) >= cutoff then
        return lo, lo
    end
    local tail = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
    if time_of(tail) < cutoff then
        return nil, lo
    end
    local hi = seq_of(tail[1])
    local from = lo
    while hi - lo > 1 do
        local mid = math.floor((lo + hi) / 2)
        local e = redis.call('XRANGE', stream, id(mid), '+', 'COUNT', 1)[1]
        if time_of(e) >= cutoff then
            hi = mid
        else
            lo = seq_of(e)
        end
    end
    local e = redis.call('XRANGE', stream, id(hi), '+', 'COUNT', 1)[1]
    return seq_of(e[1]), from
end

-- The channel's cap and TTL as its last publish set them (m, t of the
-- meta), 0 when a meta older than these fields has none.
local function cap_of(m)
    return tonumber(m[4]) or 0, tonumber(m[5]) or 0
end

-- The deployment's epoch key against the caller's epoch: none (FLUSHALL,
-- a restart without data) or another one means the caller's view is gone.
local function stale(key, epoch)
    local cur = redis.call('GET', key)
    if cur ~= epoch then
        return {'stale', cur or ''}
    end
    return nil
end
)lua";


/*
 * KEYS meta stream pubsub idem
 * ARGV epoch replace buffer ttl_ms inline_max sharded need idem_ttl_ms c e d
 *      epoch_key
 *
 * XADD comes before every other write: if it fails (a stream that is ahead
 * of its meta, which the scripts never leave), nothing has changed.  The
 * idempotency record is read before anything is written and set in the
 * same run as the message: a key is either unknown and the message stored
 * with its record, or known and nothing stored.
 */
constexpr char  publish_body[] = R"lua(
local epoch = ARGV[1]
local late = stale(ARGV[12], epoch)
if late then
    return late
end

local m = redis.call('HMGET', KEYS[1], 'e', 's', 'b', 'm', 't')
local fresh = not m[1]

if m[1] and m[1] ~= epoch then
    if ARGV[2] == '' or m[1] ~= ARGV[2] then
        return {'epoch', m[1]}
    end
    fresh = true
end

local c, e, d = ARGV[9], ARGV[10], ARGV[11]
local fp = redis.sha1hex(#c .. ' ' .. #e .. ' ' .. c .. e .. d)
local done = redis.call('GET', KEYS[4])
local s, b = 0, 0
local now = now_ms()

-- a record without its channel's meta (an orphan started over) is not
-- this life's: the message is stored anew
if done and not fresh then
    local seq, status, was = string.match(done, '^(%d+) (%d+) (%x+)$')
    if was ~= fp then
        return {'reused'}
    end
    s, b = tonumber(m[2]), tonumber(m[3])
    local first = first_live(KEYS[2], now - tonumber(ARGV[4])) or s + 1
    local cap, ttl = cap_of(m)
    return {'ok', epoch, b, s, first, s - first + 1, cap, ttl,
            {0, tonumber(seq), tonumber(status), 1}}
end

if fresh then
    redis.call('DEL', KEYS[2])
else
    s, b = tonumber(m[2]), tonumber(m[3])
    local first, head = first_live(KEYS[2], now - tonumber(ARGV[4]))
    if first == nil then
        if head ~= nil then
            redis.call('DEL', KEYS[2])
        end
    elseif first > head then
        redis.call('XTRIM', KEYS[2], 'MINID', id(first))
    end
end

local seq = s + 1

redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], id(seq),
           't', string.format('%d', now), 'c', c, 'e', e, 'd', d)
redis.call('HSET', KEYS[1], 'e', epoch, 's', string.format('%d', seq),
           'b', string.format('%d', b), 'm', ARGV[3], 't', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])

local count = redis.call('XLEN', KEYS[2])
local note = epoch .. ' ' .. string.format('%d', seq) .. ' ' .. ARGV[3]
             .. ' ' .. ARGV[4]

if #c + #e + #d <= tonumber(ARGV[5]) then
    note = 'm ' .. note .. ' ' .. #c .. ' ' .. #e .. '\n' .. c .. e .. d
else
    note = 'n ' .. note
end

local receivers = redis.call(ARGV[6] == '1' and 'SPUBLISH' or 'PUBLISH',
                             KEYS[3], note)
local status = receivers >= tonumber(ARGV[7]) and 201 or 202

redis.call('SET', KEYS[4], string.format('%d %d %s', seq, status, fp),
           'PX', ARGV[8])

return {'ok', epoch, b, seq, seq - count + 1, count, tonumber(ARGV[3]),
        tonumber(ARGV[4]), {receivers, seq, status, 0}}
)lua";


/*
 * KEYS meta stream
 * ARGV epoch after limit ttl_ms epoch_key
 *
 * Entries from the first live one are all live, so starting at
 * max(after + 1, first) returns no expired entry.
 */
constexpr char  history_body[] = R"lua(
local late = stale(ARGV[5], ARGV[1])
if late then
    return late
end

local m = redis.call('HMGET', KEYS[1], 'e', 's', 'b', 'm', 't')

if not m[1] then
    return {'none'}
end
if m[1] ~= ARGV[1] then
    return {'epoch', m[1]}
end

local s, b = tonumber(m[2]), tonumber(m[3])
local cap, ttl = cap_of(m)
local live = ttl > 0 and ttl or tonumber(ARGV[4])
local first = first_live(KEYS[2], now_ms() - live) or s + 1
local after = tonumber(ARGV[2])
local entries = {}

if after < s then
    local start = '(' .. ARGV[2] .. '-0'
    if after + 1 < first then
        start = id(first)
    end
    entries = redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', ARGV[3])
end

return {'ok', m[1], b, s, first, s - first + 1, cap, ttl, entries}
)lua";


/*
 * KEYS meta stream
 * ARGV epoch ttl_ms epoch_key
 */
constexpr char  info_body[] = R"lua(
local late = stale(ARGV[3], ARGV[1])
if late then
    return late
end

local m = redis.call('HMGET', KEYS[1], 'e', 's', 'b', 'm', 't')

if not m[1] then
    return {'none'}
end
if m[1] ~= ARGV[1] then
    return {'epoch', m[1]}
end

local s, b = tonumber(m[2]), tonumber(m[3])
local cap, ttl = cap_of(m)
local live = ttl > 0 and ttl or tonumber(ARGV[2])
local first = first_live(KEYS[2], now_ms() - live) or s + 1

return {'ok', m[1], b, s, first, s - first + 1, cap, ttl}
)lua";


/*
 * KEYS meta stream pubsub
 * ARGV epoch ttl_ms sharded epoch_key
 *
 * The meta stays, its base raised above every seq the ended life gave out:
 * the floor.  The delete is announced even with no meta, for subscribers
 * other servers hold on a channel never published to.
 */
constexpr char  delete_body[] = R"lua(
local epoch = ARGV[1]
local late = stale(ARGV[4], epoch)
if late then
    return late
end

local m = redis.call('HMGET', KEYS[1], 'e', 's', 'b', 'm', 't')

if m[1] and m[1] ~= epoch then
    return {'epoch', m[1]}
end

local s, b, first = 0, 0, 1
local cap, ttl = cap_of(m)

if m[1] then
    s, b = tonumber(m[2]), tonumber(m[3])
    local live = ttl > 0 and ttl or tonumber(ARGV[2])
    first = first_live(KEYS[2], now_ms() - live) or s + 1
end

redis.call('DEL', KEYS[2])

local nb = b

if s > b then
    nb = s + 1
    redis.call('HSET', KEYS[1], 'b', string.format('%d', nb),
               's', string.format('%d', nb))
end

redis.call(ARGV[3] == '1' and 'SPUBLISH' or 'PUBLISH', KEYS[3],
           'd ' .. epoch .. ' ' .. string.format('%d', s))

if not m[1] then
    return {'none'}
end

return {'ok', m[1], b, s, first, s - first + 1, cap, ttl, nb}
)lua";

/* Flags (Redis docs, "Script flags"): see the header. */
constexpr auto  publish_text = join("#!lua flags=allow-cross-slot-keys",
                                    prelude, publish_body);
constexpr auto  history_text = join(
                    "#!lua flags=no-writes,allow-cross-slot-keys", prelude,
                    history_body);
constexpr auto  info_text = join(
                    "#!lua flags=no-writes,allow-cross-slot-keys", prelude,
                    info_body);
constexpr auto  delete_text = join(
                    "#!lua flags=allow-oom,allow-cross-slot-keys", prelude,
                    delete_body);


/* Most arguments of a call: EVALSHA sha numkeys, 4 keys, 12 ARGV. */
constexpr size_t  args_max = 3 + 4 + 12;


/* EVALSHA sha numkeys, then the keys: meta, stream, [pubsub,] [idem].  The
 * epoch key is not among them: it is the last ARGV (see the header). */
size_t
head(resp_arg *v, const redis_script_ref &s, const redis_channel_keys &k,
    bool pubsub, std::string_view idem) noexcept
{
    bool    by_sha = !s.sha1.empty();
    size_t  n = 3;

    v[0] = resp_bytes(by_sha ? "EVALSHA" : "EVAL");
    v[1] = resp_bytes(by_sha ? s.sha1 : redis_script_text(s.which));
    v[n++] = resp_bytes(k.meta);
    v[n++] = resp_bytes(k.stream);

    if (pubsub) {
        v[n++] = resp_bytes(k.pubsub);
    }

    if (!idem.empty()) {
        v[n++] = resp_bytes(idem);
    }

    v[2] = resp_uint(n - 3);

    return n;
}


size_t
publish_args(resp_arg *v, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_publish_args &a) noexcept
{
    size_t  n = head(v, s, k, true, a.idem_key);

    v[n++] = resp_bytes(a.epoch);
    v[n++] = resp_bytes(a.replace);
    v[n++] = resp_uint(a.buffer);
    v[n++] = resp_uint(a.ttl_ms);
    v[n++] = resp_uint(a.inline_max);
    v[n++] = resp_uint(a.sharded);
    v[n++] = resp_uint(a.need);
    v[n++] = resp_uint(a.idem_ttl_ms);
    v[n++] = resp_bytes(a.content_type);
    v[n++] = resp_bytes(a.event);
    v[n++] = resp_bytes(a.data);
    v[n++] = resp_bytes(k.epoch);

    return n;
}


size_t
history_args(resp_arg *v, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_history_args &a) noexcept
{
    size_t  n = head(v, s, k, false, {});

    v[n++] = resp_bytes(a.epoch);
    v[n++] = resp_uint(a.after);
    v[n++] = resp_uint(a.limit);
    v[n++] = resp_uint(a.ttl_ms);
    v[n++] = resp_bytes(k.epoch);

    return n;
}


size_t
info_args(resp_arg *v, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_info_args &a) noexcept
{
    size_t  n = head(v, s, k, false, {});

    v[n++] = resp_bytes(a.epoch);
    v[n++] = resp_uint(a.ttl_ms);
    v[n++] = resp_bytes(k.epoch);

    return n;
}


size_t
delete_args(resp_arg *v, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_delete_args &a) noexcept
{
    size_t  n = head(v, s, k, true, {});

    v[n++] = resp_bytes(a.epoch);
    v[n++] = resp_uint(a.ttl_ms);
    v[n++] = resp_uint(a.sharded);
    v[n++] = resp_bytes(k.epoch);

    return n;
}


template <typename Args>
using fill_fn = size_t (*)(resp_arg *, const redis_script_ref &,
    const redis_channel_keys &, const Args &) noexcept;


template <typename Args>
size_t
call_size(fill_fn<Args> fill, const redis_script_ref &s,
    const redis_channel_keys &k, const Args &a) noexcept
{
    resp_arg  v[args_max];

    return resp_command_size(v, fill(v, s, k, a));
}


template <typename Args>
size_t
call_write(char *out, fill_fn<Args> fill, const redis_script_ref &s,
    const redis_channel_keys &k, const Args &a) noexcept
{
    resp_arg  v[args_max];

    return resp_command_write(out, v, fill(v, s, k, a));
}


} /* namespace */


std::string_view
redis_script_text(redis_script which) noexcept
{
    switch (which) {
    case redis_script::publish:
        return { publish_text.data(), publish_text.size() - 1 };
    case redis_script::history:
        return { history_text.data(), history_text.size() - 1 };
    case redis_script::info:
        return { info_text.data(), info_text.size() - 1 };
    default:
        return { delete_text.data(), delete_text.size() - 1 };
    }
}


size_t
redis_channel_keys_size(std::string_view prefix, std::string_view id)
    noexcept
{
    return redis_key_size(prefix, id, redis_key::meta)
           + redis_key_size(prefix, id, redis_key::stream)
           + redis_key_size(prefix, id, redis_key::pubsub);
}


redis_channel_keys
redis_channel_keys_write(char *out, std::string_view prefix,
    std::string_view id) noexcept
{
    redis_channel_keys  k;
    size_t              n;

    n = redis_key_write(out, prefix, id, redis_key::meta);
    k.meta = { out, n };
    out += n;

    n = redis_key_write(out, prefix, id, redis_key::stream);
    k.stream = { out, n };
    out += n;

    n = redis_key_write(out, prefix, id, redis_key::pubsub);
    k.pubsub = { out, n };

    return k;
}


size_t
redis_publish_size(const redis_script_ref &s, const redis_channel_keys &k,
    const redis_publish_args &a) noexcept
{
    return call_size(publish_args, s, k, a);
}


size_t
redis_publish_write(char *out, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_publish_args &a) noexcept
{
    return call_write(out, publish_args, s, k, a);
}


size_t
redis_history_size(const redis_script_ref &s, const redis_channel_keys &k,
    const redis_history_args &a) noexcept
{
    return call_size(history_args, s, k, a);
}


size_t
redis_history_write(char *out, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_history_args &a) noexcept
{
    return call_write(out, history_args, s, k, a);
}


size_t
redis_info_size(const redis_script_ref &s, const redis_channel_keys &k,
    const redis_info_args &a) noexcept
{
    return call_size(info_args, s, k, a);
}


size_t
redis_info_write(char *out, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_info_args &a) noexcept
{
    return call_write(out, info_args, s, k, a);
}


size_t
redis_delete_size(const redis_script_ref &s, const redis_channel_keys &k,
    const redis_delete_args &a) noexcept
{
    return call_size(delete_args, s, k, a);
}


size_t
redis_delete_write(char *out, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_delete_args &a) noexcept
{
    return call_write(out, delete_args, s, k, a);
}


static_assert(redis_args_max == args_max, "one count of arguments");


size_t
redis_publish_argv(resp_arg *v, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_publish_args &a) noexcept
{
    return publish_args(v, s, k, a);
}


size_t
redis_history_argv(resp_arg *v, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_history_args &a) noexcept
{
    return history_args(v, s, k, a);
}


size_t
redis_info_argv(resp_arg *v, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_info_args &a) noexcept
{
    return info_args(v, s, k, a);
}


size_t
redis_delete_argv(resp_arg *v, const redis_script_ref &s,
    const redis_channel_keys &k, const redis_delete_args &a) noexcept
{
    return delete_args(v, s, k, a);
}


size_t
redis_epoch_size(std::string_view epoch_key, std::string_view fresh)
    noexcept
{
    resp_arg  v[] = { resp_bytes("SET"), resp_bytes(epoch_key),
                      resp_bytes(fresh), resp_bytes("NX"), resp_bytes("GET") };

    return resp_command_size(v, 5);
}


size_t
redis_epoch_write(char *out, std::string_view epoch_key,
    std::string_view fresh) noexcept
{
    resp_arg  v[] = { resp_bytes("SET"), resp_bytes(epoch_key),
                      resp_bytes(fresh), resp_bytes("NX"), resp_bytes("GET") };

    return resp_command_write(out, v, 5);
}


size_t
redis_probe_size(std::string_view channel, std::string_view token) noexcept
{
    resp_arg  v[] = { resp_bytes("PUBLISH"), resp_bytes(channel),
                      resp_bytes(token) };

    return resp_command_size(v, 3);
}


size_t
redis_probe_write(char *out, std::string_view channel,
    std::string_view token) noexcept
{
    resp_arg  v[] = { resp_bytes("PUBLISH"), resp_bytes(channel),
                      resp_bytes(token) };

    return resp_command_write(out, v, 3);
}


} /* namespace push */
