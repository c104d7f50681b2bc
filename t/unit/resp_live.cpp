/* A live check of the RESP codec against a real redis-server: commands
 * written by the encoder over plain sockets, replies read by the reader,
 * every answer asserted.  Run by redis_live.sh, which starts the server.
 *
 *   resp_live PORT
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "push_redis_key.h"
#include "push_resp.h"
#include "push_resp_pubsub.h"


using namespace push;


static int  checks;


static void
check(bool ok, const std::string &what)
{
    if (!ok) {
        fprintf(stderr, "resp_live: FAILED: %s\n", what.c_str());
        exit(1);
    }
    checks++;
}


/*
 * One connection, read the way the nginx glue will: a buffer that is
 * compacted after each reply and moved to a larger one when a reply does
 * not fit, the reader keeping only offsets across reads.
 */
struct conn {
    int                     fd = -1;
    std::vector<char>       buf = std::vector<char>(16384);
    size_t                  len = 0;
    size_t                  drop = 0;     /* bytes of the reply handed out */
    std::vector<resp_node>  nodes = std::vector<resp_node>(1024);
    resp_reader             reader;

    size_t                  reads = 0;
    size_t                  grown = 0;
    size_t                  split = 0;    /* replies that took > 1 read */
    size_t                  most = 0;     /* replies taken from one read */
};


static void
connect_to(conn &c, int port)
{
    sockaddr_in  sa;

    std::memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(uint16_t(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    check(c.fd >= 0, "socket");
    check(connect(c.fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) == 0,
          "connect to 127.0.0.1:" + std::to_string(port) + ": "
          + strerror(errno));

    resp_reader_init(c.reader, c.nodes.data(), uint32_t(c.nodes.size()), 8,
                     1 << 20);
}


static std::string
encode(std::initializer_list<resp_arg> args)
{
    std::string  out(resp_command_size(args.begin(), args.size()), '\0');
    size_t       n = resp_command_write(&out[0], args.begin(), args.size());

    check(n == out.size(), "encoded size");
    return out;
}


/* One send() call: a loopback socket takes it whole. */
static void
send_all(conn &c, const std::string &wire)
{
    ssize_t  n = send(c.fd, wire.data(), wire.size(), 0);

    check(n == ssize_t(wire.size()),
          "one send of " + std::to_string(wire.size()) + " bytes sent "
          + std::to_string(n));
}


static void
cmd(conn &c, std::initializer_list<resp_arg> args)
{
    send_all(c, encode(args));
}


/* The next reply; its nodes and views live until the next call. */
static const resp_node *
reply(conn &c)
{
    bool  had_bytes;

    std::memmove(c.buf.data(), c.buf.data() + c.drop, c.len - c.drop);
    c.len -= c.drop;
    c.drop = 0;
    had_bytes = c.len > 0;

    for (size_t reads = 0; ; reads++) {
        resp_reply  r;
        status      st = resp_read(c.reader, c.buf.data(), c.len, r);

        if (st == status::ok) {
            c.drop = r.consumed;
            if (reads > 1 || (reads == 1 && had_bytes)) {
                c.split++;
            }
            return r.root;
        }

        if (st != status::need_more) {
            check(false, std::string("reader: ") + c.reader.reason);
        }

        if (c.len == c.buf.size()) {
            /* a reply larger than the buffer: move it to a bigger one */
            std::vector<char>  bigger(c.buf.size() * 2);
            std::memcpy(bigger.data(), c.buf.data(), c.len);
            c.buf.swap(bigger);
            c.grown++;
        }

        pollfd  p = { c.fd, POLLIN, 0 };

        check(poll(&p, 1, 5000) == 1, "a reply within 5 s");

        /* at most 16 KB a read, as hiredis and a small nginx buffer do */
        size_t   room = c.buf.size() - c.len;
        ssize_t  n = recv(c.fd, c.buf.data() + c.len,
                          room < 16384 ? room : 16384, 0);

        check(n > 0, "the server closed the connection");
        c.len += size_t(n);
        c.reads++;
    }
}


static std::string
str(const resp_node *n)
{
    return std::string(n->str);
}


static void
expect_simple(conn &c, std::string_view want)
{
    const resp_node  *n = reply(c);
    check(n->type == resp_type::simple && n->str == want,
          "simple string " + std::string(want) + ", got " + str(n));
}


static void
expect_bulk(conn &c, std::string_view want)
{
    const resp_node  *n = reply(c);
    check(n->type == resp_type::bulk && n->str == want,
          "bulk " + std::string(want) + ", got type "
          + std::to_string(int(n->type)) + " " + str(n));
}


static void
expect_int(conn &c, int64_t want)
{
    const resp_node  *n = reply(c);
    check(n->type == resp_type::integer && n->integer == want,
          "integer " + std::to_string(want) + ", got type "
          + std::to_string(int(n->type)) + " " + str(n)
          + std::to_string(n->integer));
}


static void
expect_error(conn &c, std::string_view prefix)
{
    const resp_node  *n = reply(c);
    check(n->type == resp_type::error
          && n->str.substr(0, prefix.size()) == prefix,
          "error " + std::string(prefix) + "..., got " + str(n));
}


/* A map's value for a key, or nullptr. */
static const resp_node *
lookup(const resp_node *map, std::string_view key)
{
    for (uint32_t i = 0; i + 1 < map->count; i += 2) {
        const resp_node  *k = resp_child(map, i);
        if (k->str == key) {
            return resp_next(k);
        }
    }
    return nullptr;
}


static resp_pubsub
expect_event(conn &c, resp_pubsub_kind kind, bool push,
             std::string_view channel)
{
    const resp_node  *n = reply(c);
    resp_pubsub       e = resp_pubsub_classify(n);

    check(e.kind == kind && e.push == push && e.channel == channel,
          "pub/sub event " + std::to_string(int(kind)) + " on "
          + std::string(channel) + ", got " + std::to_string(int(e.kind))
          + " push " + std::to_string(e.push) + " on "
          + std::string(e.channel));
    return e;
}


static std::string
key(std::string_view id, redis_key which)
{
    std::string  k(redis_key_size("live", id, which), '\0');
    redis_key_write(&k[0], "live", id, which);
    return k;
}


static void
basics(conn &a)
{
    cmd(a, { resp_bytes("PING") });
    expect_simple(a, "PONG");

    std::string  bin("two\r\nlines\0and a NUL", 20);

    cmd(a, { resp_bytes("SET"), resp_bytes("live:k"), resp_bytes(bin) });
    expect_simple(a, "OK");
    cmd(a, { resp_bytes("GET"), resp_bytes("live:k") });
    expect_bulk(a, bin);

    cmd(a, { resp_bytes("GET"), resp_bytes("live:missing") });
    check(reply(a)->type == resp_type::null, "GET of a missing key: null");

    cmd(a, { resp_bytes("INCR"), resp_bytes("live:n") });
    expect_int(a, 1);
    cmd(a, { resp_bytes("INCRBY"), resp_bytes("live:n"), resp_int(-43) });
    expect_int(a, -42);

    cmd(a, { resp_bytes("NOSUCHCOMMAND"), resp_bytes("x") });
    expect_error(a, "ERR unknown command");
    cmd(a, { resp_bytes("INCR"), resp_bytes("live:k") });
    expect_error(a, "ERR value is not an integer");

    printf("ok: PING, SET/GET of binary bytes, a missing key (null), "
           "INCR/INCRBY, errors\n");
}


/* History as DESIGN.md keeps it: a stream with explicit ids <seq>-0. */
static void
stream(conn &a)
{
    std::string  s = key("room}1", redis_key::stream);

    cmd(a, { resp_bytes("XADD"), resp_bytes(s), resp_bytes("MAXLEN"),
             resp_bytes("~"), resp_uint(100), resp_bytes("5-0"),
             resp_bytes("d"), resp_bytes("first") });
    expect_bulk(a, "5-0");
    cmd(a, { resp_bytes("XADD"), resp_bytes(s), resp_bytes("6-0"),
             resp_bytes("d"), resp_bytes("second"), resp_bytes("t"),
             resp_uint(7) });
    expect_bulk(a, "6-0");
    cmd(a, { resp_bytes("XADD"), resp_bytes(s), resp_bytes("6-0"),
             resp_bytes("d"), resp_bytes("again") });
    expect_error(a, "ERR The ID specified in XADD is equal or smaller");

    cmd(a, { resp_bytes("XRANGE"), resp_bytes(s), resp_bytes("-"),
             resp_bytes("+") });

    const resp_node  *r = reply(a);

    check(r->type == resp_type::array && r->count == 2, "XRANGE: 2 entries");

    const resp_node  *e0 = resp_child(r, 0), *e1 = resp_child(r, 1);

    check(e0->type == resp_type::array && e0->count == 2
          && resp_child(e0, 0)->str == "5-0"
          && resp_child(e0, 1)->type == resp_type::array
          && resp_child(e0, 1)->count == 2
          && resp_child(resp_child(e0, 1), 0)->str == "d"
          && resp_child(resp_child(e0, 1), 1)->str == "first",
          "XRANGE entry 5-0: [5-0, [d, first]]");
    check(resp_child(e1, 0)->str == "6-0"
          && resp_child(e1, 1)->count == 4
          && resp_child(resp_child(e1, 1), 3)->str == "7",
          "XRANGE entry 6-0: [6-0, [d, second, t, 7]]");

    /* catch-up after a cursor: exclusive start */
    cmd(a, { resp_bytes("XRANGE"), resp_bytes(s), resp_bytes("(5-0"),
             resp_bytes("+"), resp_bytes("COUNT"), resp_uint(10) });
    r = reply(a);
    check(r->count == 1 && resp_child(resp_child(r, 0), 0)->str == "6-0",
          "XRANGE (5-0 + COUNT 10: only 6-0");

    printf("ok: XADD with explicit ids (and the refusal of an old one), "
           "XRANGE nested arrays, exclusive start\n");
}


/* Our slot function against the server's own, in cluster mode. */
static void
slots(conn &a)
{
    std::vector<std::string>  keys = { "123456789", "somekey",
        "{user1000}.following", "{user1000}.followers", "foo{}{bar}",
        "foo{{bar}}zap", "foo{bar}{zap}", "", "{", "}", "{}",
        key("a}b", redis_key::meta), key("{x}", redis_key::pubsub),
        key("caf\xc3\xa9", redis_key::stream) };
    uint32_t                  x = 12345;

    for (int i = 0; i < 300; i++) {
        std::string  k;
        int          n = i % 24;

        for (int j = 0; j < n; j++) {
            x = x * 1103515245 + 12345;
            k += "ab{}:\xff\x01z9"[(x >> 16) % 10];
        }
        keys.push_back(k);
    }

    std::string  wire;

    for (const std::string &k : keys) {
        wire += encode({ resp_bytes("CLUSTER"), resp_bytes("KEYSLOT"),
                         resp_bytes(k) });
    }
    send_all(a, wire);

    for (const std::string &k : keys) {
        expect_int(a, redis_key_slot(k));
    }

    printf("ok: CLUSTER KEYSLOT agrees with redis_key_slot() on %zu keys\n",
           keys.size());
}


/* RESP3, after HELLO 3: maps, doubles, verbatim strings, nulls. */
static void
resp3(conn &a)
{
    cmd(a, { resp_bytes("HELLO"), resp_uint(3) });

    const resp_node  *h = reply(a);

    check(h->type == resp_type::map, "HELLO 3 answers a map");
    check(lookup(h, "proto") && lookup(h, "proto")->integer == 3,
          "HELLO 3: proto 3");
    check(lookup(h, "server") && lookup(h, "server")->str == "redis",
          "HELLO 3: server redis");
    check(lookup(h, "modules") && lookup(h, "modules")->type
          == resp_type::array, "HELLO 3: modules is an array");

    std::string  meta = key("room}1", redis_key::meta);

    cmd(a, { resp_bytes("HSET"), resp_bytes(meta), resp_bytes("epoch"),
             resp_uint(1700000000), resp_bytes("seq"), resp_uint(6) });
    expect_int(a, 2);
    cmd(a, { resp_bytes("HGETALL"), resp_bytes(meta) });

    const resp_node  *m = reply(a);

    check(m->type == resp_type::map && m->count == 4,
          "HGETALL answers a map of 2 pairs");
    check(lookup(m, "epoch") && lookup(m, "epoch")->str == "1700000000"
          && lookup(m, "seq") && lookup(m, "seq")->str == "6",
          "HGETALL: epoch and seq");

    cmd(a, { resp_bytes("ZADD"), resp_bytes("live:z"), resp_bytes("1.5"),
             resp_bytes("m") });
    expect_int(a, 1);
    cmd(a, { resp_bytes("ZSCORE"), resp_bytes("live:z"), resp_bytes("m") });

    const resp_node  *d = reply(a);

    check(d->type == resp_type::real && d->number == 1.5,
          "ZSCORE answers the double 1.5, got " + str(d));

    cmd(a, { resp_bytes("GET"), resp_bytes("live:missing") });
    check(reply(a)->type == resp_type::null, "RESP3 null");

    cmd(a, { resp_bytes("CLUSTER"), resp_bytes("INFO") });

    const resp_node  *v = reply(a);

    check(v->type == resp_type::verbatim
          && std::string(v->format, 3) == "txt"
          && v->str.find("cluster_state:ok") != std::string_view::npos,
          "CLUSTER INFO answers a verbatim txt string");

    cmd(a, { resp_bytes("SISMEMBER"), resp_bytes("live:set"),
             resp_bytes("x") });
    expect_int(a, 0);

    printf("ok: HELLO 3 map, HGETALL map, ZSCORE double, null, verbatim\n");
}


static void
pubsub(int port, conn &publisher)
{
    conn  s3, s2;

    connect_to(s3, port);
    connect_to(s2, port);

    /* RESP3: confirmations and messages are push frames */
    cmd(s3, { resp_bytes("HELLO"), resp_uint(3) });
    check(reply(s3)->type == resp_type::map, "HELLO 3 on the subscriber");
    cmd(s3, { resp_bytes("SUBSCRIBE"), resp_bytes("live:ch") });
    check(expect_event(s3, resp_pubsub_kind::subscribe, true, "live:ch")
              .count == 1, "subscribe count 1");

    /* RESP2: arrays; a pattern too */
    cmd(s2, { resp_bytes("SUBSCRIBE"), resp_bytes("live:ch") });
    expect_event(s2, resp_pubsub_kind::subscribe, false, "live:ch");
    cmd(s2, { resp_bytes("PSUBSCRIBE"), resp_bytes("live:*") });
    check(expect_event(s2, resp_pubsub_kind::psubscribe, false, "live:*")
              .count == 2, "psubscribe count 2");

    cmd(publisher, { resp_bytes("PUBLISH"), resp_bytes("live:ch"),
                     resp_bytes("hello\r\nworld") });
    expect_int(publisher, 3);

    resp_pubsub  e = expect_event(s3, resp_pubsub_kind::message, true,
                                  "live:ch");
    check(e.payload == "hello\r\nworld", "RESP3 message payload");

    e = expect_event(s2, resp_pubsub_kind::message, false, "live:ch");
    check(e.payload == "hello\r\nworld", "RESP2 message payload");
    e = expect_event(s2, resp_pubsub_kind::pmessage, false, "live:ch");
    check(e.pattern == "live:*" && e.payload == "hello\r\nworld",
          "pmessage pattern and payload");

    /* sharded pub/sub on a channel named like our keys */
    std::string  ch = key("room}1", redis_key::pubsub);

    cmd(s3, { resp_bytes("SSUBSCRIBE"), resp_bytes(ch) });
    expect_event(s3, resp_pubsub_kind::ssubscribe, true, ch);
    cmd(publisher, { resp_bytes("SPUBLISH"), resp_bytes(ch),
                     resp_bytes("6") });
    expect_int(publisher, 1);
    e = expect_event(s3, resp_pubsub_kind::smessage, true, ch);
    check(e.payload == "6", "smessage payload");

    /* probes: RESP2 subscribed mode answers an array, RESP3 a string */
    cmd(s2, { resp_bytes("PING"), resp_bytes("probe") });
    e = expect_event(s2, resp_pubsub_kind::pong, false, "");
    check(e.payload == "probe", "RESP2 pong payload");
    cmd(s3, { resp_bytes("PING") });
    expect_event(s3, resp_pubsub_kind::pong, false, "");

    cmd(s3, { resp_bytes("SUNSUBSCRIBE"), resp_bytes(ch) });
    expect_event(s3, resp_pubsub_kind::sunsubscribe, true, ch);
    cmd(s3, { resp_bytes("UNSUBSCRIBE") });
    check(expect_event(s3, resp_pubsub_kind::unsubscribe, true, "live:ch")
              .count == 0, "unsubscribe count 0");
    cmd(s2, { resp_bytes("PUNSUBSCRIBE"), resp_bytes("live:*") });
    expect_event(s2, resp_pubsub_kind::punsubscribe, false, "live:*");

    close(s3.fd);
    close(s2.fd);

    printf("ok: SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE, PUBLISH/SPUBLISH from a "
           "second connection as RESP3 push frames and RESP2 arrays, pongs, "
           "unsubscribes\n");
}


/* 1,000 commands in one write, replies read in whatever the kernel gives. */
static void
pipeline(conn &p)
{
    std::string  wire;
    const int    total = 1000;

    cmd(p, { resp_bytes("DEL"), resp_bytes("live:p") });
    reply(p);

    for (int i = 0; i < total; i++) {
        if (i % 2 == 0) {
            wire += encode({ resp_bytes("INCR"), resp_bytes("live:p") });
        } else {
            size_t  n = i == 501 ? 200000 : size_t(i) * 37 % 1500;
            wire += encode({ resp_bytes("ECHO"),
                             resp_bytes(std::string(n, char('a' + i % 26)))
                           });
        }
    }

    size_t  reads = p.reads, split = p.split;

    send_all(p, wire);

    for (int i = 0; i < total; i++) {
        if (i % 2 == 0) {
            expect_int(p, i / 2 + 1);
        } else {
            size_t  n = i == 501 ? 200000 : size_t(i) * 37 % 1500;
            const resp_node  *r = reply(p);
            check(r->type == resp_type::bulk && r->str.size() == n
                  && r->str.find_first_not_of(char('a' + i % 26))
                     == std::string_view::npos,
                  "ECHO " + std::to_string(i));
        }
    }

    printf("ok: pipeline of %d commands (%zu bytes) in one write: %zu reads,"
           " %zu replies cut across reads, buffer grown %zu times\n",
           total, wire.size(), p.reads - reads, p.split - split, p.grown);
}


int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: resp_live PORT\n");
        return 2;
    }

    int   port = atoi(argv[1]);
    conn  a, p;

    connect_to(a, port);
    connect_to(p, port);

    /* a one-node cluster serving every slot, so CLUSTER KEYSLOT and the
     * sharded commands are there; it serves plain commands as well */
    cmd(a, { resp_bytes("CLUSTER"), resp_bytes("ADDSLOTSRANGE"), resp_uint(0),
             resp_uint(redis_slots - 1) });
    expect_simple(a, "OK");

    for (int i = 0; ; i++) {
        cmd(a, { resp_bytes("CLUSTER"), resp_bytes("INFO") });
        if (str(reply(a)).find("cluster_state:ok") != std::string::npos) {
            break;
        }
        check(i < 100, "cluster_state:ok within 10 s");
        usleep(100000);
    }

    basics(a);
    stream(a);
    slots(a);
    pipeline(p);
    resp3(a);
    pubsub(port, p);

    close(a.fd);
    close(p.fd);

    printf("resp_live: %d checks passed\n", checks);
    return 0;
}
