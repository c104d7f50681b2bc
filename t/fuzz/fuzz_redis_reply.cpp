/* Fuzz target: the Redis scripts' replies, entries and announcements, read
 * from whatever the RESP reader makes of the input, and the gap of a
 * cursor.  Checks that views stay in the input and nodes in the reply, that
 * what a parser accepts is what the scripts' format allows, that it reads
 * back the same once written again in that format, and the gap's bounds. */

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "push_redis_reply.h"
#include "push_resp.h"


namespace {

struct input {
    const char  *data;
    size_t       size;
};


void
check_view(std::string_view v, input in)
{
    if (!v.empty() && (v.data() < in.data
                       || v.data() + v.size() > in.data + in.size))
    {
        abort();
    }
}


std::string
bulk(std::string_view s)
{
    return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}


std::string
integer(uint64_t v)
{
    return ":" + std::to_string(v) + "\r\n";
}


/*
 * Reads one whole reply from wire and returns it as nodes of its own,
 * exactly as many as it has, so that a parser reading past the reply is
 * caught by ASan.  Empty when wire is not exactly one reply.
 */
std::vector<push::resp_node>
read_one(const std::string &wire)
{
    std::vector<push::resp_node>  nodes(64);
    push::resp_reader             r;
    push::resp_reply              reply;

    push::resp_reader_init(r, nodes.data(), 64, 8, wire.size());

    if (push::resp_read(r, wire.data(), wire.size(), reply)
        != push::status::ok || reply.consumed != wire.size())
    {
        return {};
    }

    return std::vector<push::resp_node>(reply.root,
                                        reply.root + reply.root->span);
}


/* The invariants of a cursor's gap (push_redis_reply.h). */
void
check_gap(uint64_t seq, const push::redis_channel_reply &r)
{
    push::redis_gap  g = push::redis_gap_of(seq, r);

    if (seq < r.base || seq > r.last) {
        if (g.kind != push::redis_gap_kind::unknown || g.n != 0) {
            abort();
        }
        return;
    }

    switch (g.kind) {

    case push::redis_gap_kind::missed:
        /* gone: seq + 1 .. first - 1, never more than were given out */
        if (g.n == 0 || g.n > r.last - seq || g.n > r.last - r.base
            || seq + g.n + 1 != r.first)
        {
            abort();
        }
        break;

    case push::redis_gap_kind::none:
        if (g.n != 0 || r.first > seq + 1) {
            abort();
        }
        break;

    default:
        abort();
    }
}


void
check_entry(const push::resp_node *n, input in, std::vector<uint64_t> &seqs)
{
    push::redis_entry  e;

    if (push::redis_entry_parse(n, e) != push::status::ok) {
        return;
    }

    check_view(e.content_type, in);
    check_view(e.event, in);
    check_view(e.data, in);

    if (e.seq == 0 || n->count != 2 || n->span != 11) {
        abort();
    }

    seqs.push_back(e.seq);

    /* as XRANGE sends it: the same entry */
    std::string  wire = "*2\r\n" + bulk(std::to_string(e.seq) + "-0")
                        + "*8\r\n" + bulk("t") + bulk(std::to_string(e.time_ms))
                        + bulk("c") + bulk(e.content_type)
                        + bulk("e") + bulk(e.event)
                        + bulk("d") + bulk(e.data);

    std::vector<push::resp_node>  again = read_one(wire);
    push::redis_entry             e2;

    if (again.empty()
        || push::redis_entry_parse(again.data(), e2) != push::status::ok
        || e2.seq != e.seq || e2.time_ms != e.time_ms
        || e2.content_type != e.content_type || e2.event != e.event
        || e2.data != e.data)
    {
        abort();
    }
}


std::string
announce_write(const push::redis_announce &a)
{
    static const char  kinds[] = { 'm', 'n', 'd' };
    std::string        s(1, kinds[int(a.kind)]);

    s += " " + std::string(a.epoch) + " " + std::to_string(a.seq);

    if (a.kind != push::redis_announce_kind::del) {
        s += " " + std::to_string(a.cap) + " " + std::to_string(a.ttl_ms);
    }

    if (a.kind == push::redis_announce_kind::message) {
        s += " " + std::to_string(a.content_type.size()) + " "
             + std::to_string(a.event.size()) + "\n"
             + std::string(a.content_type) + std::string(a.event)
             + std::string(a.data);
    }

    return s;
}


void
check_announce(std::string_view payload, std::vector<uint64_t> &seqs)
{
    push::redis_announce  a;

    if (push::redis_announce_parse(payload, a) != push::status::ok) {
        return;
    }

    input  in = { payload.data(), payload.size() };

    check_view(a.epoch, in);
    check_view(a.content_type, in);
    check_view(a.event, in);
    check_view(a.data, in);

    if (a.epoch.empty() || a.epoch.find_first_of(" \n") != std::string::npos
        || (a.kind != push::redis_announce_kind::message
            && (!a.content_type.empty() || !a.event.empty()
                || !a.data.empty())))
    {
        abort();
    }

    seqs.push_back(a.seq);

    /* the format has one spelling of each announcement: writing the parts
     * gives the payload back, byte for byte */
    if (announce_write(a) != payload) {
        abort();
    }
}


/* A channel reply's fields written back as a script would answer. */
std::string
reply_write(const push::redis_channel_reply &r)
{
    switch (r.outcome) {
    case push::redis_outcome::none:
        return "*1\r\n" + bulk("none");
    case push::redis_outcome::epoch:
        return "*2\r\n" + bulk("epoch") + bulk(r.epoch);
    case push::redis_outcome::stale:
        return "*2\r\n" + bulk("stale") + bulk(r.epoch);
    case push::redis_outcome::reused:
        return "*1\r\n" + bulk("reused");
    default:
        break;
    }

    /* extra's own content is not the reply parser's business */
    return (r.extra ? "*9\r\n" : "*8\r\n") + bulk("ok") + bulk(r.epoch)
           + integer(r.base) + integer(r.last) + integer(r.first)
           + integer(r.count) + integer(r.cap) + integer(r.ttl_ms)
           + (r.extra ? integer(0) : "");
}


void
check_reply(const push::resp_node *root, input in,
    const std::vector<uint64_t> &seqs)
{
    push::redis_channel_reply  r;

    if (push::redis_channel_reply_parse(root, r) != push::status::ok) {
        return;
    }

    check_view(r.epoch, in);

    switch (r.outcome) {

    case push::redis_outcome::none:
        if (root->count != 1) {
            abort();
        }
        break;

    case push::redis_outcome::epoch:
        if (root->count != 2 || r.epoch.empty()) {
            abort();
        }
        break;

    case push::redis_outcome::stale:
        /* the epoch key's value, or "" when it is gone */
        if (root->count != 2) {
            abort();
        }
        break;

    case push::redis_outcome::reused:
        if (root->count != 1 || !r.epoch.empty()) {
            abort();
        }
        break;

    case push::redis_outcome::ok:
        if ((root->count != 8 && root->count != 9) || r.epoch.empty()
            || r.base > r.last || r.first == 0 || r.first - 1 > r.last
            || r.count != r.last - (r.first - 1)
            || (r.extra != nullptr) != (root->count == 9)
            || (r.extra != nullptr
                && (r.extra != push::resp_child(root, 8)
                    || r.extra + r.extra->span != root + root->span)))
        {
            abort();
        }
        break;

    default:
        abort();
    }

    std::string                   wire = reply_write(r);
    std::vector<push::resp_node>  again = read_one(wire);
    push::redis_channel_reply     r2;

    if (again.empty()
        || push::redis_channel_reply_parse(again.data(), r2)
           != push::status::ok
        || r2.outcome != r.outcome || r2.epoch != r.epoch
        || r2.base != r.base || r2.last != r.last || r2.first != r.first
        || r2.count != r.count || r2.cap != r.cap || r2.ttl_ms != r.ttl_ms
        || (r2.extra != nullptr) != (r.extra != nullptr))
    {
        abort();
    }

    if (r.outcome != push::redis_outcome::ok) {
        return;
    }

    /* publish's extra: what is accepted keeps the scripts' promises */
    push::redis_publish_extra  x;

    if (push::redis_publish_extra_parse(r, x) == push::status::ok
        && (x.seq == 0 || x.seq > r.last
            || (x.status != 201 && x.status != 202)
            || (!x.repeat && x.seq != r.last)))
    {
        abort();
    }

    /* the edges of the reply's range, and every seq the input names */
    const uint64_t  edges[] = { 0, 1, r.base - 1, r.base, r.base + 1,
                                r.first - 2, r.first - 1, r.first,
                                r.first + 1, r.last - 1, r.last, r.last + 1,
                                UINT64_MAX };

    for (uint64_t seq : edges) {
        check_gap(seq, r);
    }

    for (uint64_t seq : seqs) {
        check_gap(seq, r);
        check_gap(seq - 1, r);
    }
}


/* Every node of a reply may be an entry, every string an announcement,
 * every aggregate a channel reply (pub/sub and history nest them). */
void
check_tree(const std::vector<push::resp_node> &nodes, input in)
{
    std::vector<uint64_t>  seqs;

    for (const push::resp_node &n : nodes) {
        check_entry(&n, in, seqs);

        if (!n.str.empty()) {
            check_announce(n.str, seqs);
        }

        if (n.type == push::resp_type::integer && n.integer >= 0) {
            seqs.push_back(uint64_t(n.integer));
        }
    }

    for (const push::resp_node &n : nodes) {
        check_reply(&n, in, seqs);
    }
}

} /* namespace */


extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char             *s = reinterpret_cast<const char *>(data);
    std::vector<uint64_t>   seqs;

    /* a payload as SUBSCRIBE hands it over */
    check_announce(std::string_view(s, size), seqs);

    /* then the input as replies, back to back */
    std::vector<push::resp_node>  nodes(64);
    push::resp_reader             r;
    size_t                        at = 0;

    push::resp_reader_init(r, nodes.data(), 64, 6, 1 << 16);

    while (at < size) {
        push::resp_reply  reply;

        if (push::resp_read(r, s + at, size - at, reply)
            != push::status::ok)
        {
            break;
        }

        if (reply.consumed == 0 || reply.consumed > size - at) {
            abort();
        }

        /* nodes of the reply's own, exactly as many */
        std::vector<push::resp_node>  tree(reply.root,
                                           reply.root + reply.root->span);

        check_tree(tree, { s + at, reply.consumed });
        at += reply.consumed;
    }

    return 0;
}
