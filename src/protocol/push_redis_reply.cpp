/* Replies of the Redis scripts and their announcements, read; the gap a
 * cursor has. */

#include "push_redis_reply.h"


namespace push {

namespace {

/* Decimal digits, no sign, no leading zero but "0" itself, fits uint64_t. */
bool
parse_u64(std::string_view s, uint64_t &v) noexcept
{
    if (s.empty() || s.size() > 20 || (s[0] == '0' && s.size() > 1)) {
        return false;
    }

    uint64_t  acc = 0;

    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }

        uint64_t  d = uint64_t(c - '0');

        if (acc > (UINT64_MAX - d) / 10) {
            return false;
        }

        acc = acc * 10 + d;
    }

    v = acc;
    return true;
}


bool
is_text(const resp_node *n) noexcept
{
    return n != nullptr
           && (n->type == resp_type::bulk || n->type == resp_type::simple);
}


bool
get_count(const resp_node *n, uint64_t &v) noexcept
{
    if (n == nullptr || n->type != resp_type::integer || n->integer < 0) {
        return false;
    }

    v = uint64_t(n->integer);
    return true;
}


/* The next space-ended token of s from pos. */
std::string_view
token(std::string_view s, size_t &pos, char end) noexcept
{
    size_t  at = s.find(end, pos);

    if (at == std::string_view::npos) {
        at = s.size();
    }

    std::string_view  t = s.substr(pos, at - pos);

    pos = at;
    return t;
}

} /* namespace */


status
redis_channel_reply_parse(const resp_node *root, redis_channel_reply &out)
    noexcept
{
    redis_channel_reply  r{};

    if (root == nullptr
        || (root->type != resp_type::array && root->type != resp_type::set)
        || root->count == 0)
    {
        return status::invalid;
    }

    const resp_node  *tag = resp_child(root, 0);

    if (!is_text(tag)) {
        return status::invalid;
    }

    if (tag->str == "none" && root->count == 1) {
        r.outcome = redis_outcome::none;
        out = r;
        return status::ok;
    }

    if (tag->str == "reused" && root->count == 1) {
        r.outcome = redis_outcome::reused;
        out = r;
        return status::ok;
    }

    if (tag->str == "stale" && root->count == 2) {
        const resp_node  *e = resp_next(tag);

        if (!is_text(e)) {
            return status::invalid;
        }

        r.outcome = redis_outcome::stale;
        r.epoch = e->str;
        out = r;
        return status::ok;
    }

    if (tag->str == "epoch" && root->count == 2) {
        const resp_node  *e = resp_next(tag);

        if (!is_text(e) || e->str.empty()) {
            return status::invalid;
        }

        r.outcome = redis_outcome::epoch;
        r.epoch = e->str;
        out = r;
        return status::ok;
    }

    if (tag->str != "ok" || root->count < 8 || root->count > 9) {
        return status::invalid;
    }

    const resp_node  *n = resp_next(tag);

    if (!is_text(n) || n->str.empty()) {
        return status::invalid;
    }

    r.epoch = n->str;

    if (!get_count(n = resp_next(n), r.base)
        || !get_count(n = resp_next(n), r.last)
        || !get_count(n = resp_next(n), r.first)
        || !get_count(n = resp_next(n), r.count)
        || !get_count(n = resp_next(n), r.cap)
        || !get_count(n = resp_next(n), r.ttl_ms))
    {
        return status::invalid;
    }

    /* what the scripts keep: base <= last, live seqs first..last with none
     * missing (first = last + 1: none), all of this life (after base) */
    if (r.base > r.last || r.first > r.last + 1 || r.first <= r.base
        || r.count != r.last + 1 - r.first)
    {
        return status::invalid;
    }

    r.outcome = redis_outcome::ok;
    r.extra = root->count == 9 ? resp_next(n) : nullptr;
    out = r;

    return status::ok;
}


status
redis_publish_extra_parse(const redis_channel_reply &r,
    redis_publish_extra &out) noexcept
{
    redis_publish_extra  x{};
    uint64_t             status_code, repeat;
    const resp_node     *n = r.extra;

    if (r.outcome != redis_outcome::ok || n == nullptr
        || n->type != resp_type::array || n->count != 4)
    {
        return status::invalid;
    }

    if (!get_count(n = n + 1, x.receivers)
        || !get_count(n = resp_next(n), x.seq)
        || !get_count(n = resp_next(n), status_code)
        || !get_count(n = resp_next(n), repeat))
    {
        return status::invalid;
    }

    if (x.seq == 0 || x.seq > r.last
        || (status_code != 201 && status_code != 202) || repeat > 1
        || (!repeat && x.seq != r.last))
    {
        return status::invalid;
    }

    x.status = uint16_t(status_code);
    x.repeat = repeat == 1;
    out = x;

    return status::ok;
}


status
redis_entry_parse(const resp_node *entry, redis_entry &out) noexcept
{
    static const char  names[4] = { 't', 'c', 'e', 'd' };
    std::string_view   values[4];
    redis_entry        e{};

    if (entry == nullptr || entry->type != resp_type::array
        || entry->count != 2)
    {
        return status::invalid;
    }

    const resp_node  *id = resp_child(entry, 0);
    const resp_node  *fields = resp_next(id);

    if (!is_text(id) || id->str.size() < 3
        || id->str.substr(id->str.size() - 2) != "-0"
        || !parse_u64(id->str.substr(0, id->str.size() - 2), e.seq)
        || e.seq == 0)
    {
        return status::invalid;
    }

    if ((fields->type != resp_type::array && fields->type != resp_type::map)
        || fields->count != 8)
    {
        return status::invalid;
    }

    const resp_node  *f = resp_child(fields, 0);

    for (int i = 0; i < 4; i++) {
        const resp_node  *v = resp_next(f);

        if (!is_text(f) || f->str.size() != 1 || f->str[0] != names[i]
            || !is_text(v))
        {
            return status::invalid;
        }

        values[i] = v->str;
        f = resp_next(v);
    }

    if (!parse_u64(values[0], e.time_ms)) {
        return status::invalid;
    }

    e.content_type = values[1];
    e.event = values[2];
    e.data = values[3];
    out = e;

    return status::ok;
}


status
redis_announce_parse(std::string_view payload, redis_announce &out) noexcept
{
    redis_announce  a{};
    size_t          pos = 2;

    if (payload.size() < 2 || payload[1] != ' ') {
        return status::invalid;
    }

    switch (payload[0]) {
    case 'm':
        a.kind = redis_announce_kind::message;
        break;
    case 'n':
        a.kind = redis_announce_kind::notice;
        break;
    case 'd':
        a.kind = redis_announce_kind::del;
        break;
    default:
        return status::invalid;
    }

    bool  full = a.kind == redis_announce_kind::message;

    a.epoch = token(payload, pos, ' ');

    if (a.epoch.empty() || a.epoch.find('\n') != std::string_view::npos
        || pos == payload.size())
    {
        return status::invalid;
    }

    pos++;

    bool  notice = a.kind == redis_announce_kind::notice;

    if (!parse_u64(token(payload, pos, full || notice ? ' ' : '\n'), a.seq))
    {
        return status::invalid;
    }

    if (full || notice) {
        /* the channel's cap and TTL */
        if (pos == payload.size()
            || !parse_u64(token(payload, ++pos, ' '), a.cap)
            || pos == payload.size()
            || !parse_u64(token(payload, ++pos, full ? ' ' : '\n'),
                          a.ttl_ms))
        {
            return status::invalid;
        }
    }

    if (!full) {
        if (pos != payload.size()) {
            return status::invalid;
        }
        out = a;
        return status::ok;
    }

    uint64_t  clen, elen;

    if (pos == payload.size()
        || !parse_u64(token(payload, ++pos, ' '), clen)
        || pos == payload.size()
        || !parse_u64(token(payload, ++pos, '\n'), elen)
        || pos == payload.size())
    {
        return status::invalid;
    }

    std::string_view  body = payload.substr(pos + 1);

    if (clen > body.size() || elen > body.size() - clen) {
        return status::invalid;
    }

    a.content_type = body.substr(0, clen);
    a.event = body.substr(clen, elen);
    a.data = body.substr(clen + elen);
    out = a;

    return status::ok;
}


redis_gap
redis_gap_of(uint64_t seq, const redis_channel_reply &r) noexcept
{
    if (seq < r.base || seq > r.last) {
        return { redis_gap_kind::unknown, 0 };
    }

    if (r.first > seq + 1) {
        return { redis_gap_kind::missed, r.first - seq - 1 };
    }

    return { redis_gap_kind::none, 0 };
}

} /* namespace push */
