/* Fuzz target: the RESP reader, encoder, pub/sub recognition and key names.
 * Checks that replies stay in the input's bounds, that any cutting of the
 * input (its pending bytes moved between reads) gives the same replies as
 * the whole, and that encoded commands read back as they went. */

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "push_redis_key.h"
#include "push_resp.h"
#include "push_resp_pubsub.h"


/* One reply as text; checks views, spans and counts on the way. */
static std::string
dump(const push::resp_node *n, const push::resp_node *end, const char *in,
     size_t len)
{
    if (n >= end || n->span == 0 || n + n->span > end) {
        abort();
    }

    if (!n->str.empty() && (n->str.data() < in
                            || n->str.data() + n->str.size() > in + len))
    {
        abort();
    }

    std::string  s(1, char('A' + int(n->type)));

    switch (n->type) {
    case push::resp_type::integer:
    case push::resp_type::boolean:
        return s + std::to_string(n->integer);
    case push::resp_type::array:
    case push::resp_type::map:
    case push::resp_type::set:
    case push::resp_type::push: {
        const push::resp_node  *c = n + 1;

        s += std::to_string(n->count) + "[";
        for (uint32_t i = 0; i < n->count; i++) {
            s += dump(c, n + n->span, in, len) + ",";
            c = push::resp_next(c);
        }
        if (c != n + n->span) {
            abort();
        }
        return s + "]";
    }
    case push::resp_type::verbatim:
        s.append(n->format, 3);
        /* fall through */
    default:
        return s + std::to_string(n->str.size()) + ":" + std::string(n->str);
    }
}


struct limits {
    uint32_t  capacity;
    uint32_t  depth;
    size_t    max_bulk;
};


/*
 * Feeds in, cut after each of the chunk sizes in turn (0: all at once),
 * each read getting the pending bytes in a fresh copy.
 */
static std::string
run(const uint8_t *data, size_t size, const std::vector<size_t> &chunks,
    limits lim)
{
    std::vector<push::resp_node>  nodes(lim.capacity);
    push::resp_reader             r;
    std::string                   out;
    std::vector<char>             pending;
    size_t                        at = 0, k = 0;

    push::resp_reader_init(r, nodes.data(), lim.capacity, lim.depth,
                           lim.max_bulk);

    while (at < size) {
        size_t  n = size - at;

        if (!chunks.empty()) {
            size_t  c = chunks[k++ % chunks.size()];
            n = c < n ? c : n;
        }

        pending.insert(pending.end(), data + at, data + at + n);
        at += n;

        for ( ;; ) {
            std::vector<char>  copy(pending);
            push::resp_reply   reply;
            push::status       st = push::resp_read(r, copy.data(),
                                                    copy.size(), reply);

            if (st == push::status::need_more) {
                if (reply.consumed != 0) {
                    abort();
                }
                break;
            }

            if (st != push::status::ok) {
                return out + "E" + std::to_string(int(st)) + r.reason + "@"
                       + std::to_string(r.error_at);
            }

            if (reply.consumed == 0 || reply.consumed > copy.size()) {
                abort();
            }

            const push::resp_node  *root = reply.root;

            out += dump(root, root + root->span, copy.data(), reply.consumed);

            push::resp_pubsub  ev = push::resp_pubsub_classify(root);
            out += "/" + std::to_string(int(ev.kind)) + "\n";

            pending.erase(pending.begin(), pending.begin() + reply.consumed);
        }
    }

    return out + "more" + std::to_string(pending.size());
}


/* Splits data at 0xff bytes into arguments, encodes them with a number,
 * reads the command back, and builds keys from them. */
static void
round_trip(const uint8_t *data, size_t size)
{
    std::vector<push::resp_arg>  args;
    const char                  *s = reinterpret_cast<const char *>(data);
    size_t                       from = 0;

    for (size_t i = 0; i <= size && args.size() < 30; i++) {
        if (i == size || data[i] == 0xff) {
            args.push_back(push::resp_bytes(std::string_view(s + from,
                                                             i - from)));
            from = i + 1;
        }
    }

    int64_t  num = 0;
    std::memcpy(&num, data, size < 8 ? size : 8);
    args.push_back(push::resp_int(num));
    args.push_back(push::resp_uint(uint64_t(num)));

    size_t             need = push::resp_command_size(args.data(),
                                                      args.size());
    std::vector<char>  wire(need + 1, '#');

    if (push::resp_command_write(wire.data(), args.data(), args.size())
        != need || wire[need] != '#')
    {
        abort();
    }

    push::resp_node    nodes[40];
    push::resp_reader  r;
    push::resp_reply   reply;

    push::resp_reader_init(r, nodes, 40, 2, size + 32);

    if (push::resp_read(r, wire.data(), need, reply) != push::status::ok
        || reply.consumed != need
        || reply.root->type != push::resp_type::array
        || reply.root->count != args.size())
    {
        abort();
    }

    const push::resp_node  *c = reply.root + 1;

    for (size_t i = 0; i + 2 < args.size(); i++, c = push::resp_next(c)) {
        if (c->type != push::resp_type::bulk || c->str != args[i].str) {
            abort();
        }
    }

    if (c->str != std::to_string(num)
        || push::resp_next(c)->str != std::to_string(uint64_t(num)))
    {
        abort();
    }

    /* a channel's keys: one slot, and the tag is the whole escaped id */
    std::string_view  prefix = args[0].str;
    std::string_view  id = args.size() > 3 ? args[1].str : args[0].str;
    std::string       keys[3];

    for (int w = 0; w < 3; w++) {
        push::redis_key  which = push::redis_key(w);
        size_t           n = push::redis_key_size(prefix, id, which);

        keys[w].assign(n + 1, '#');
        if (push::redis_key_write(&keys[w][0], prefix, id, which) != n
            || keys[w][n] != '#')
        {
            abort();
        }
        keys[w].resize(n);

        std::string_view  tag = push::redis_hash_tag(keys[w]);

        if (tag.find('{') != std::string_view::npos
            || tag.find('}') != std::string_view::npos
            || tag.size() + 2 + (w == 0 ? 5 : 7) != n)
        {
            abort();
        }

        if (push::redis_key_slot(keys[w]) != push::redis_key_slot(keys[0])) {
            abort();
        }
    }
}


extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }

    /* data[0]: the limits; data[1]: how the input is cut */
    static const uint32_t  capacities[] = { 1, 3, 16, 200 };
    limits                 lim = { capacities[data[0] & 3],
                                   1u + ((data[0] >> 2) & 7),
                                   size_t(1) << ((data[0] >> 5) * 2) };
    std::vector<size_t>    chunks;
    uint32_t               x = data[1] * 2654435761u + 1;

    for (int i = 0; i < 16; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        chunks.push_back(1 + x % (1 + (data[1] & 31)));
    }

    std::string  whole = run(data + 2, size - 2, {}, lim);

    if (run(data + 2, size - 2, chunks, lim) != whole) {
        abort();
    }

    /* a byte at a time costs a copy per byte: short inputs only */
    if (size <= 258 && run(data + 2, size - 2, { 1 }, lim) != whole) {
        abort();
    }

    round_trip(data + 2, size - 2);

    return 0;
}
