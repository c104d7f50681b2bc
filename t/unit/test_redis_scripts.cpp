/* Unit tests of the Redis scripts' calls, replies and announcements
 * (src/protocol/push_redis_scripts, push_redis_reply, and the deployment
 * names of push_redis_key). */

#include <cstring>
#include <string>
#include <vector>

#include "unit.h"
#include "push_redis_key.h"
#include "push_redis_reply.h"
#include "push_redis_scripts.h"
#include "push_resp.h"


using namespace push;


/* A command read back with the RESP reader: its arguments. */
static std::vector<std::string>
args_of(const std::string &wire)
{
    resp_node                 nodes[32];
    resp_reader               r;
    resp_reply                out;
    std::vector<std::string>  v;

    resp_reader_init(r, nodes, 32, 2, 1 << 20);
    assert_int_equal(resp_read(r, wire.data(), wire.size(), out), status::ok);
    assert_int_equal(out.consumed, wire.size());
    assert_int_equal(out.root->type, resp_type::array);

    for (uint32_t i = 0; i < out.root->count; i++) {
        const resp_node  *n = resp_child(out.root, i);
        assert_int_equal(n->type, resp_type::bulk);
        v.emplace_back(n->str);
    }

    return v;
}


static void
expect_args(const std::vector<std::string> &got,
    const std::vector<std::string> &want)
{
    assert_int_equal(got.size(), want.size());
    for (size_t i = 0; i < want.size(); i++) {
        assert_string_equal(got[i].c_str(), want[i].c_str());
    }
}


struct keys_buf {
    std::string         bytes;
    redis_channel_keys  k;
};


static keys_buf
keys(std::string_view prefix, std::string_view id)
{
    keys_buf  b;

    b.bytes.assign(redis_channel_keys_size(prefix, id), '\0');
    b.k = redis_channel_keys_write(&b.bytes[0], prefix, id);
    assert_int_equal(b.k.meta.size() + b.k.stream.size()
                     + b.k.pubsub.size(), b.bytes.size());
    assert_true(b.k.epoch.empty());
    b.k.epoch = "{push}:epoch";
    return b;
}


static void
test_names(void **state)
{
    (void) state;

    keys_buf  b = keys("push", "room}1");

    assert_true(b.k.meta == "{push:room%7D1}:meta");
    assert_true(b.k.stream == "{push:room%7D1}:stream");
    assert_true(b.k.pubsub == "{push:room%7D1}:pubsub");
    assert_int_equal(redis_key_slot(b.k.meta), redis_key_slot(b.k.stream));
    assert_int_equal(redis_key_slot(b.k.meta), redis_key_slot(b.k.pubsub));

    std::string  e(redis_epoch_key_size("p{x}"), '\0');

    assert_int_equal(redis_epoch_key_write(&e[0], "p{x}"), e.size());
    assert_string_equal(e.c_str(), "{p%7Bx%7D}:epoch");

    std::string  p(redis_probe_channel_size("push", "srv%1"), '\0');

    assert_int_equal(redis_probe_channel_write(&p[0], "push", "srv%1"),
                     p.size());
    assert_string_equal(p.c_str(), "{push}:probe:srv%251");

    /* an Idempotency-Key's record: in its channel's slot, escaped */
    std::string  ik(redis_idem_key_size("push", "room}1", "k%{1}"), '\0');

    assert_int_equal(redis_idem_key_write(&ik[0], "push", "room}1",
                                          "k%{1}"), ik.size());
    assert_string_equal(ik.c_str(), "{push:room%7D1}:idem:k%25%7B1%7D");
    assert_int_equal(redis_key_slot(ik), redis_key_slot(b.k.meta));

    /* the epoch key's slot is the prefix's alone */
    assert_int_equal(redis_key_slot("{push}:epoch"), redis_key_slot("push"));
}


static void
test_texts(void **state)
{
    (void) state;

    struct {
        redis_script  which;
        const char   *first_line;
    } cases[] = {
        /* the epoch key is in the prefix's slot (see the header) */
        { redis_script::publish, "#!lua flags=allow-cross-slot-keys\n" },
        { redis_script::history,
          "#!lua flags=no-writes,allow-cross-slot-keys\n" },
        { redis_script::info,
          "#!lua flags=no-writes,allow-cross-slot-keys\n" },
        { redis_script::del,
          "#!lua flags=allow-oom,allow-cross-slot-keys\n" },
    };

    for (auto &c : cases) {
        std::string_view  t = redis_script_text(c.which);
        std::string_view  want(c.first_line);

        assert_true(t.substr(0, want.size()) == want);
        /* the prelude follows, and no NUL of the joining is left */
        assert_true(t.find("local function first_live") != t.npos);
        /* every script checks the deployment's epoch first */
        assert_true(t.find("local late = stale(ARGV[") != t.npos);
        assert_true(t.find('\0') == t.npos);
        assert_true(t.back() == '\n');
        /* no command that walks the keyspace */
        assert_true(t.find("'KEYS'") == t.npos && t.find("SCAN") == t.npos);
    }

    assert_true(redis_script_text(redis_script::publish)
                != redis_script_text(redis_script::history));
}


static void
test_publish_call(void **state)
{
    (void) state;

    keys_buf            b = keys("push", "a");
    std::string         data("bin\0\r\nary", 9);
    redis_publish_args  a = { "0badcafe", "", 100, 3600000, 1024, true, 2,
                              "{push:a}:idem:k1", 300000, "text/plain",
                              "tick", data };
    redis_script_ref    by_sha = { redis_script::publish,
                                   "0123456789abcdef0123456789abcdef01234567" };
    std::string         w(redis_publish_size(by_sha, b.k, a), '\0');

    assert_int_equal(redis_publish_write(&w[0], by_sha, b.k, a), w.size());
    expect_args(args_of(w), { "EVALSHA",
        "0123456789abcdef0123456789abcdef01234567", "4", "{push:a}:meta",
        "{push:a}:stream", "{push:a}:pubsub", "{push:a}:idem:k1",
        "0badcafe", "", "100", "3600000", "1024", "1", "2", "300000",
        "text/plain", "tick", data, "{push}:epoch" });

    /* after NOSCRIPT: EVAL with the text */
    redis_script_ref  by_text = { redis_script::publish, {} };

    a.replace = "12345678";
    a.sharded = false;
    w.assign(redis_publish_size(by_text, b.k, a), '\0');
    assert_int_equal(redis_publish_write(&w[0], by_text, b.k, a), w.size());

    std::vector<std::string>  v = args_of(w);

    assert_string_equal(v[0].c_str(), "EVAL");
    assert_true(v[1] == redis_script_text(redis_script::publish));
    assert_string_equal(v[8].c_str(), "12345678");
    assert_string_equal(v[12].c_str(), "0");
}


static void
test_other_calls(void **state)
{
    (void) state;

    keys_buf          b = keys("p", "x");
    redis_script_ref  h = { redis_script::history, "h" };
    redis_script_ref  i = { redis_script::info, "i" };
    redis_script_ref  d = { redis_script::del, "d" };
    std::string       w;

    redis_history_args  ha = { "e", UINT64_MAX, 50, 1000 };

    w.assign(redis_history_size(h, b.k, ha), '\0');
    assert_int_equal(redis_history_write(&w[0], h, b.k, ha), w.size());
    expect_args(args_of(w), { "EVALSHA", "h", "2", "{p:x}:meta",
        "{p:x}:stream", "e", "18446744073709551615", "50", "1000",
        "{push}:epoch" });

    redis_info_args  ia = { "e", 7 };

    w.assign(redis_info_size(i, b.k, ia), '\0');
    assert_int_equal(redis_info_write(&w[0], i, b.k, ia), w.size());
    expect_args(args_of(w), { "EVALSHA", "i", "2", "{p:x}:meta",
        "{p:x}:stream", "e", "7", "{push}:epoch" });

    redis_delete_args  da = { "e", 7, false };

    w.assign(redis_delete_size(d, b.k, da), '\0');
    assert_int_equal(redis_delete_write(&w[0], d, b.k, da), w.size());
    expect_args(args_of(w), { "EVALSHA", "d", "3", "{p:x}:meta",
        "{p:x}:stream", "{p:x}:pubsub", "e", "7", "0", "{push}:epoch" });

    w.assign(redis_epoch_size("{p}:epoch", "0badcafe"), '\0');
    assert_int_equal(redis_epoch_write(&w[0], "{p}:epoch", "0badcafe"),
                     w.size());
    expect_args(args_of(w), { "SET", "{p}:epoch", "0badcafe", "NX", "GET" });

    w.assign(redis_probe_size("{p}:probe:s1", "42"), '\0');
    assert_int_equal(redis_probe_write(&w[0], "{p}:probe:s1", "42"),
                     w.size());
    expect_args(args_of(w), { "PUBLISH", "{p}:probe:s1", "42" });
}


/* A reply from its wire form; the nodes live in the caller's array, the
 * bytes they point to until the next call. */
static const resp_node *
read_reply(const std::string &wire, resp_node *nodes, uint32_t n)
{
    static std::string  held;
    resp_reader         r;
    resp_reply          out;

    held = wire;
    resp_reader_init(r, nodes, n, 8, 1 << 20);
    assert_int_equal(resp_read(r, held.data(), held.size(), out), status::ok);
    return out.root;
}


static void
test_channel_reply(void **state)
{
    (void) state;

    resp_node            nodes[64];
    redis_channel_reply  r;

    std::string  ok = "*9\r\n$2\r\nok\r\n$8\r\n0badcafe\r\n:0\r\n:12\r\n:3\r\n"
                      ":10\r\n:2000\r\n:60000\r\n:2\r\n";

    assert_int_equal(redis_channel_reply_parse(
                         read_reply(ok, nodes, 64), r), status::ok);
    assert_int_equal(r.outcome, redis_outcome::ok);
    assert_true(r.epoch == "0badcafe");
    assert_int_equal(r.base, 0);
    assert_int_equal(r.last, 12);
    assert_int_equal(r.first, 3);
    assert_int_equal(r.count, 10);
    assert_int_equal(r.cap, 2000);
    assert_int_equal(r.ttl_ms, 60000);
    assert_non_null(r.extra);
    assert_int_equal(r.extra->integer, 2);

    /* publish's extra: {receivers, seq, status, repeat} */
    redis_publish_extra  x;

    assert_int_equal(redis_publish_extra_parse(r, x), status::invalid);
    assert_int_equal(redis_channel_reply_parse(read_reply(
        "*9\r\n$2\r\nok\r\n$1\r\nE\r\n:0\r\n:12\r\n:3\r\n:10\r\n"
        ":100\r\n:3600000\r\n"
        "*4\r\n:2\r\n:12\r\n:201\r\n:0\r\n", nodes, 64), r), status::ok);
    assert_int_equal(redis_publish_extra_parse(r, x), status::ok);
    assert_int_equal(x.receivers, 2);
    assert_int_equal(x.seq, 12);
    assert_int_equal(x.status, 201);
    assert_false(x.repeat);

    /* a repeat: the recorded seq, older than the last */
    assert_int_equal(redis_channel_reply_parse(read_reply(
        "*9\r\n$2\r\nok\r\n$1\r\nE\r\n:0\r\n:12\r\n:3\r\n:10\r\n"
        ":100\r\n:3600000\r\n"
        "*4\r\n:0\r\n:7\r\n:202\r\n:1\r\n", nodes, 64), r), status::ok);
    assert_int_equal(redis_publish_extra_parse(r, x), status::ok);
    assert_int_equal(x.seq, 7);
    assert_int_equal(x.status, 202);
    assert_true(x.repeat);

    const char  *bad_extra[] = {
        ":0\r\n:7\r\n:202\r\n:0\r\n",   /* not a repeat: seq != last */
        ":0\r\n:13\r\n:202\r\n:1\r\n",  /* past last */
        ":0\r\n:0\r\n:202\r\n:1\r\n",   /* seq 0 */
        ":0\r\n:12\r\n:200\r\n:0\r\n",  /* status */
        ":0\r\n:12\r\n:201\r\n:2\r\n",  /* repeat */
        ":-1\r\n:12\r\n:201\r\n:0\r\n", /* receivers */
    };

    for (const char *e : bad_extra) {
        assert_int_equal(redis_channel_reply_parse(read_reply(
            std::string("*9\r\n$2\r\nok\r\n$1\r\nE\r\n:0\r\n:12\r\n"
                        ":3\r\n:10\r\n:100\r\n:3600000\r\n*4\r\n") + e,
            nodes, 64), r),
            status::ok);
        assert_int_equal(redis_publish_extra_parse(r, x), status::invalid);
    }

    /* info: no extra; nothing live: first = last + 1 */
    assert_int_equal(redis_channel_reply_parse(read_reply(
        "*8\r\n$2\r\nok\r\n$1\r\nE\r\n:5\r\n:9\r\n:10\r\n:0\r\n"
        ":100\r\n:3600000\r\n", nodes, 64),
        r), status::ok);
    assert_null(r.extra);
    assert_int_equal(r.count, 0);

    assert_int_equal(redis_channel_reply_parse(read_reply(
        "*1\r\n$4\r\nnone\r\n", nodes, 64), r), status::ok);
    assert_int_equal(r.outcome, redis_outcome::none);

    assert_int_equal(redis_channel_reply_parse(read_reply(
        "*2\r\n$5\r\nepoch\r\n$8\r\n12345678\r\n", nodes, 64), r),
        status::ok);
    assert_int_equal(r.outcome, redis_outcome::epoch);
    assert_true(r.epoch == "12345678");

    /* the deployment's epoch key gone, or another */
    assert_int_equal(redis_channel_reply_parse(read_reply(
        "*2\r\n$5\r\nstale\r\n$0\r\n\r\n", nodes, 64), r), status::ok);
    assert_int_equal(r.outcome, redis_outcome::stale);
    assert_true(r.epoch.empty());
    assert_int_equal(redis_channel_reply_parse(read_reply(
        "*2\r\n$5\r\nstale\r\n$8\r\n12345678\r\n", nodes, 64), r),
        status::ok);
    assert_int_equal(r.outcome, redis_outcome::stale);
    assert_true(r.epoch == "12345678");

    assert_int_equal(redis_channel_reply_parse(read_reply(
        "*1\r\n$6\r\nreused\r\n", nodes, 64), r), status::ok);
    assert_int_equal(r.outcome, redis_outcome::reused);

    const char  *bad[] = {
        "-ERR user_script:1: Script attempted to access ...\r\n",
        "*0\r\n",
        ":1\r\n",
        "*1\r\n$2\r\nok\r\n",
        "*2\r\n$4\r\nnone\r\n:1\r\n",
        "*2\r\n$5\r\nepoch\r\n$0\r\n\r\n",
        "*1\r\n$5\r\nepoch\r\n",
        "*1\r\n$5\r\nstale\r\n",
        "*2\r\n$5\r\nstale\r\n:1\r\n",
        "*2\r\n$6\r\nreused\r\n$1\r\nx\r\n",
        "*8\r\n$2\r\nok\r\n$1\r\nE\r\n:-1\r\n:9\r\n:10\r\n:0\r\n"
        ":100\r\n:3600000\r\n",
        "*8\r\n$2\r\nok\r\n$1\r\nE\r\n:5\r\n:9\r\n:11\r\n:0\r\n"
        ":100\r\n:3600000\r\n",  /* first */
        "*8\r\n$2\r\nok\r\n$1\r\nE\r\n:10\r\n:9\r\n:10\r\n:0\r\n"
        ":100\r\n:3600000\r\n", /* base */
        "*8\r\n$2\r\nok\r\n$1\r\nE\r\n:0\r\n:9\r\n:8\r\n:1\r\n"
        ":100\r\n:3600000\r\n",   /* count */
        "*8\r\n$2\r\nok\r\n$1\r\nE\r\n:5\r\n:10\r\n:1\r\n:10\r\n"
        ":100\r\n:3600000\r\n", /* first <= base */
        "*8\r\n$2\r\nok\r\n$1\r\nE\r\n:5\r\n:10\r\n:5\r\n:6\r\n"
        ":100\r\n:3600000\r\n",
        "*8\r\n$2\r\nok\r\n$1\r\nE\r\n:0\r\n$1\r\n9\r\n:8\r\n:2\r\n"
        ":100\r\n:3600000\r\n",
        "*8\r\n$2\r\nOK\r\n$1\r\nE\r\n:0\r\n:9\r\n:8\r\n:2\r\n"
        ":100\r\n:3600000\r\n",
        "*10\r\n$2\r\nok\r\n$1\r\nE\r\n:0\r\n:9\r\n:8\r\n:2\r\n:0\r\n:0\r\n"
        ":0\r\n:0\r\n",
        /* the reply before cap and ttl were in it */
        "*6\r\n$2\r\nok\r\n$1\r\nE\r\n:0\r\n:9\r\n:8\r\n:2\r\n",
        "*8\r\n$2\r\nok\r\n$1\r\nE\r\n:0\r\n:9\r\n:8\r\n:2\r\n"
        ":-1\r\n:0\r\n",                                        /* cap */
        "*8\r\n$2\r\nok\r\n$1\r\nE\r\n:0\r\n:9\r\n:8\r\n:2\r\n"
        ":1\r\n$1\r\n1\r\n",                                  /* ttl */
    };

    for (const char *w : bad) {
        r.outcome = redis_outcome::none;
        assert_int_equal(redis_channel_reply_parse(
                             read_reply(w, nodes, 64), r), status::invalid);
    }

    assert_int_equal(redis_channel_reply_parse(nullptr, r), status::invalid);
}


static void
test_entry(void **state)
{
    (void) state;

    resp_node    nodes[64];
    redis_entry  e;
    std::string  good = std::string("*2\r\n$4\r\n17-0\r\n*8\r\n$1\r\nt\r\n")
        + "$13\r\n1700000000123\r\n$1\r\nc\r\n$0\r\n\r\n$1\r\ne\r\n"
        + "$4\r\ntick\r\n$1\r\nd\r\n"
        + std::string("$5\r\na\0\r\nb\r\n", 12);

    assert_int_equal(redis_entry_parse(read_reply(good, nodes, 64), e),
                     status::ok);
    assert_int_equal(e.seq, 17);
    assert_int_equal(e.time_ms, 1700000000123ULL);
    assert_true(e.content_type.empty());
    assert_true(e.event == "tick");
    assert_true(e.data == std::string_view("a\0\r\nb", 5));

    const char  *ids[] = { "17-1", "017-0", "x-0", "0-0", "-0", "17",
                           "18446744073709551616-0" };

    for (const char *id : ids) {
        std::string  w = good;
        size_t       at = w.find("$4\r\n17-0");

        w.replace(at, 8, "$" + std::to_string(strlen(id)) + "\r\n" + id);
        assert_int_equal(redis_entry_parse(read_reply(w, nodes, 64), e),
                         status::invalid);
    }

    std::string  w = good;

    w.replace(w.find("$1\r\ne\r\n"), 7, "$1\r\nx\r\n");
    assert_int_equal(redis_entry_parse(read_reply(w, nodes, 64), e),
                     status::invalid);

    w = good;
    w.replace(w.find("1700000000123"), 13, "17000000001x3");
    assert_int_equal(redis_entry_parse(read_reply(w, nodes, 64), e),
                     status::invalid);

    assert_int_equal(redis_entry_parse(read_reply(
        "*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nt\r\n$1\r\n1\r\n", nodes, 64), e),
        status::invalid);
}


static void
test_announce(void **state)
{
    (void) state;

    redis_announce  a;
    std::string     m("m 0badcafe 42 2000 60000 10 4\ntext/plaintick\0 x\nyz",
                      50);

    assert_int_equal(redis_announce_parse(m, a), status::ok);
    assert_int_equal(a.kind, redis_announce_kind::message);
    assert_true(a.epoch == "0badcafe");
    assert_int_equal(a.seq, 42);
    assert_int_equal(a.cap, 2000);
    assert_int_equal(a.ttl_ms, 60000);
    assert_true(a.content_type == "text/plain");
    assert_true(a.event == "tick");
    assert_true(a.data == std::string_view("\0 x\nyz", 6));

    assert_int_equal(redis_announce_parse("m E 1 1 1000 0 0\n", a), status::ok);
    assert_true(a.data.empty() && a.event.empty());

    assert_int_equal(redis_announce_parse("n 0badcafe 7 3 5000", a),
                     status::ok);
    assert_int_equal(a.kind, redis_announce_kind::notice);
    assert_int_equal(a.seq, 7);
    assert_int_equal(a.cap, 3);
    assert_int_equal(a.ttl_ms, 5000);

    assert_int_equal(redis_announce_parse("d E 0", a), status::ok);
    assert_int_equal(a.kind, redis_announce_kind::del);
    assert_int_equal(a.seq, 0);

    const char  *bad[] = { "", "m", "x E 1", "n E", "n E ", "n  1 1 1",
        "n E 01 1 1", "n E 1 1 1\n", "n E 1 2", "n E 1 2 3 4", "n E\n1 1 1",
        "n E 1", "n E 1 x 1", "d E 1 1", "m E 1 1 1 0 0",
        "m E 1 1 1 3 0\nab", "m E 1 1 1 1 1\na", "m E 1 1 1 -1 0\n",
        "m E 1 1 1 0\n", "m E 1 0 0\n", "m E 1 1 0 0\n", "nE 1 1 1",
        "d E 18446744073709551616" };

    for (const char *b : bad) {
        assert_int_equal(redis_announce_parse(b, a), status::invalid);
    }
}


static void
test_gap(void **state)
{
    (void) state;

    /* a life after a delete: base 11, messages 12..20, 15..20 kept */
    redis_channel_reply  r = { redis_outcome::ok, "E", 11, 20, 15, 6, 9,
                               60000, nullptr };
    redis_gap            g;

    g = redis_gap_of(10, r);
    assert_int_equal(g.kind, redis_gap_kind::unknown);
    g = redis_gap_of(21, r);
    assert_int_equal(g.kind, redis_gap_kind::unknown);
    g = redis_gap_of(11, r);
    assert_int_equal(g.kind, redis_gap_kind::missed);
    assert_int_equal(g.n, 3);
    g = redis_gap_of(13, r);
    assert_int_equal(g.n, 1);
    g = redis_gap_of(14, r);
    assert_int_equal(g.kind, redis_gap_kind::none);
    g = redis_gap_of(20, r);
    assert_int_equal(g.kind, redis_gap_kind::none);

    /* everything expired: first = last + 1 */
    r.first = 21;
    r.count = 0;
    g = redis_gap_of(17, r);
    assert_int_equal(g.kind, redis_gap_kind::missed);
    assert_int_equal(g.n, 3);

    /* a new channel: a cursor at 0 misses nothing */
    r = { redis_outcome::ok, "E", 0, 3, 1, 3, 9, 60000, nullptr };
    g = redis_gap_of(0, r);
    assert_int_equal(g.kind, redis_gap_kind::none);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_texts),
        cmocka_unit_test(test_publish_call),
        cmocka_unit_test(test_other_calls),
        cmocka_unit_test(test_channel_reply),
        cmocka_unit_test(test_entry),
        cmocka_unit_test(test_announce),
        cmocka_unit_test(test_gap),
    };

    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
