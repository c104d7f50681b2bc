/* Unit tests of RESP, pub/sub recognition and Redis key names
 * (src/protocol/push_resp, push_resp_pubsub, push_redis_key). */

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "unit.h"
#include "push_redis_key.h"
#include "push_resp.h"
#include "push_resp_pubsub.h"


using namespace push;


/* One reply as comparable text; checks its views lie in in[0..len). */
static std::string
dump(const resp_node *n, const char *in, size_t len)
{
    static const char  letters[] = "+-:$*_#,(=!%~>";
    std::string        s(1, letters[int(n->type)]);

    if (!n->str.empty()) {
        assert_true(n->str.data() >= in
                    && n->str.data() + n->str.size() <= in + len);
    }

    switch (n->type) {
    case resp_type::integer:
    case resp_type::boolean:
        return s + std::to_string(n->integer);
    case resp_type::null:
        return s;
    case resp_type::real: {
        char  num[64];
        snprintf(num, sizeof(num), "%g", n->number);
        return s + std::string(n->str) + "=" + num;
    }
    case resp_type::verbatim:
        return s + std::string(n->format, 3) + ":" + std::string(n->str);
    case resp_type::array:
    case resp_type::map:
    case resp_type::set:
    case resp_type::push: {
        const resp_node  *c = n + 1;
        uint32_t          span = 1;

        s += std::to_string(n->count) + "[";
        for (uint32_t i = 0; i < n->count; i++) {
            s += (i ? "," : "") + dump(c, in, len);
            span += c->span;
            c = resp_next(c);
        }
        assert_int_equal(span, n->span);
        return s + "]";
    }
    default:
        return s + std::string(n->str);
    }
}


struct feed_opts {
    uint32_t  capacity = 64;
    uint32_t  depth = 8;
    size_t    max_bulk = 1024;
};


/*
 * Feeds in as cut at the given points, the way a connection would: bytes
 * arrive, replies are taken off the front.  Every call gets its pending
 * bytes in a fresh copy, so a reader that kept a pointer between calls
 * would read freed memory.  Returns the replies, one a line, then how it
 * stopped: "more N" (N bytes pending) or "error ...".
 */
static std::string
feed(const std::string &in, const std::vector<size_t> &cuts,
     feed_opts o = feed_opts())
{
    std::vector<resp_node>  nodes(o.capacity);
    resp_reader             r;
    std::string             out, pending;
    size_t                  from = 0;

    resp_reader_init(r, nodes.data(), o.capacity, o.depth, o.max_bulk);

    for (size_t k = 0; k <= cuts.size(); k++) {
        size_t  to = k < cuts.size() ? cuts[k] : in.size();

        pending.append(in, from, to - from);
        from = to;

        for ( ;; ) {
            std::vector<char>  copy(pending.begin(), pending.end());
            resp_reply         reply;
            status             st = resp_read(r, copy.data(), copy.size(),
                                              reply);

            if (st == status::need_more) {
                assert_int_equal(reply.consumed, 0);
                break;
            }

            if (st != status::ok) {
                return out + "error " + std::to_string(int(st)) + " "
                       + r.reason + " @" + std::to_string(r.error_at);
            }

            assert_true(reply.consumed > 0
                        && reply.consumed <= copy.size());
            out += dump(reply.root, copy.data(), reply.consumed) + "\n";
            pending.erase(0, reply.consumed);
        }
    }

    return out + "more " + std::to_string(pending.size());
}


static std::string
whole(const std::string &in, feed_opts o = feed_opts())
{
    return feed(in, {}, o);
}


static std::string
bytewise(const std::string &in, feed_opts o = feed_opts())
{
    std::vector<size_t>  cuts;

    for (size_t i = 1; i < in.size(); i++) {
        cuts.push_back(i);
    }

    return feed(in, cuts, o);
}


/* The one reply in "in", which must be whole and all of it. */
static std::string
one(const std::string &in, feed_opts o = feed_opts())
{
    std::string  got = whole(in, o);

    assert_string_equal(bytewise(in, o).c_str(), got.c_str());

    std::string  tail = "\nmore 0";

    if (got.size() < tail.size()
        || got.compare(got.size() - tail.size(), tail.size(), tail) != 0)
    {
        return "NOT ONE: " + got;
    }

    return got.substr(0, got.size() - tail.size());
}


static void
test_resp2_types(void **state)
{
    (void) state;

    assert_string_equal(one("+OK\r\n").c_str(), "+OK");
    assert_string_equal(one("+\r\n").c_str(), "+");
    assert_string_equal(one("-ERR unknown command\r\n").c_str(),
                        "-ERR unknown command");
    assert_string_equal(one(":0\r\n").c_str(), ":0");
    assert_string_equal(one(":-5\r\n").c_str(), ":-5");
    assert_string_equal(one(":9223372036854775807\r\n").c_str(),
                        ":9223372036854775807");
    assert_string_equal(one(":-9223372036854775808\r\n").c_str(),
                        ":-9223372036854775808");
    assert_string_equal(one(":007\r\n").c_str(), ":7");
    assert_string_equal(one("$5\r\nhello\r\n").c_str(), "$hello");
    assert_string_equal(one("$0\r\n\r\n").c_str(), "$");
    assert_true(one(std::string("$6\r\na\r\n\0b\n\r\n", 12))
                == std::string("$a\r\n\0b\n", 7));
    assert_string_equal(one("$-1\r\n").c_str(), "_");
    assert_string_equal(one("*-1\r\n").c_str(), "_");
    assert_string_equal(one("*0\r\n").c_str(), "*0[]");
    assert_string_equal(one("*2\r\n$3\r\nfoo\r\n:1\r\n").c_str(),
                        "*2[$foo,:1]");
    assert_string_equal(
        one("*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n")
            .c_str(),
        "*2[*3[:1,:2,:3],*2[+Hello,-World]]");
    assert_string_equal(one("*3\r\n$3\r\nfoo\r\n$-1\r\n$3\r\nbar\r\n").c_str(),
                        "*3[$foo,_,$bar]");
}


static void
test_resp3_types(void **state)
{
    (void) state;

    assert_string_equal(one("_\r\n").c_str(), "_");
    assert_string_equal(one("#t\r\n").c_str(), "#1");
    assert_string_equal(one("#f\r\n").c_str(), "#0");
    assert_string_equal(one(",1.23\r\n").c_str(), ",1.23=1.23");
    assert_string_equal(one(",10\r\n").c_str(), ",10=10");
    assert_string_equal(one(",-0.5E-2\r\n").c_str(), ",-0.5E-2=-0.005");
    assert_string_equal(one(",+1e3\r\n").c_str(), ",+1e3=1000");
    assert_string_equal(one(",inf\r\n").c_str(), ",inf=inf");
    assert_string_equal(one(",-inf\r\n").c_str(), ",-inf=-inf");
    assert_string_equal(one(",1.7976931348623157e+308\r\n").c_str(),
                        ",1.7976931348623157e+308=1.79769e+308");
    assert_string_equal(
        one("(3492890328409238509324850943850943825024385\r\n").c_str(),
        "(3492890328409238509324850943850943825024385");
    assert_string_equal(one("(-12\r\n").c_str(), "(-12");
    assert_string_equal(one("=15\r\ntxt:Some string\r\n").c_str(),
                        "=txt:Some string");
    assert_string_equal(one("=4\r\nmkd:\r\n").c_str(), "=mkd:");
    assert_string_equal(one("!21\r\nSYNTAX invalid syntax\r\n").c_str(),
                        "!SYNTAX invalid syntax");
    assert_string_equal(
        one("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n").c_str(),
        "%4[+first,:1,+second,:2]");
    assert_string_equal(one("%0\r\n").c_str(), "%0[]");
    assert_string_equal(one("~3\r\n+a\r\n:1\r\n#f\r\n").c_str(),
                        "~3[+a,:1,#0]");
    assert_string_equal(
        one(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n").c_str(),
        ">3[$message,$ch,$hi]");

    /* NaN prints as nan or -nan depending on the libc: check the value */
    std::vector<resp_node>  nodes(4);
    resp_reader             r;
    resp_reply              reply;

    resp_reader_init(r, nodes.data(), 4, 4, 64);
    assert_int_equal(resp_read(r, ",nan\r\n", 6, reply), status::ok);
    assert_true(reply.root->type == resp_type::real);
    assert_true(std::isnan(reply.root->number));
}


static void
test_attributes_are_dropped(void **state)
{
    (void) state;

    /* the spec's example: an attribute before the reply it annotates */
    std::string  spec = "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n"
                        ",0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
                        "*2\r\n:2039123\r\n:9543892\r\n";

    assert_string_equal(one(spec).c_str(), "*2[:2039123,:9543892]");

    /* inside an aggregate it takes no place of its own */
    assert_string_equal(one("*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n").c_str(),
                        "*2[:1,:2]");
    assert_string_equal(one("*2\r\n:1\r\n|1\r\n+a\r\n*1\r\n:9\r\n:2\r\n")
                            .c_str(),
                        "*2[:1,:2]");
    assert_string_equal(one("|0\r\n:5\r\n").c_str(), ":5");
    /* an attribute of an attribute's value */
    assert_string_equal(
        one("|1\r\n+a\r\n|1\r\n+b\r\n+c\r\n:5\r\n:6\r\n").c_str(),
        ":6");

    /* an attribute alone is no reply yet; its bytes count in the next */
    assert_string_equal(whole("|1\r\n+a\r\n+b\r\n").c_str(), "more 12");

    std::vector<resp_node>  nodes(8);
    resp_reader             r;
    resp_reply              reply;
    std::string             in = "|1\r\n+a\r\n+b\r\n:7\r\n+next\r\n";

    resp_reader_init(r, nodes.data(), 8, 4, 64);
    assert_int_equal(resp_read(r, in.data(), in.size(), reply), status::ok);
    assert_int_equal(reply.consumed, 16);
    assert_int_equal(reply.root->span, 1);

    /* an attribute needs its nodes while it is read */
    feed_opts  small;
    small.capacity = 2;
    assert_string_equal(whole("|1\r\n+a\r\n+b\r\n:7\r\n", small).c_str(),
                        "error 3 more elements than the node array holds @0");
}


static void
test_tree_walk(void **state)
{
    (void) state;

    std::vector<resp_node>  nodes(16);
    resp_reader             r;
    resp_reply              reply;
    std::string             in = "*3\r\n*2\r\n:1\r\n:2\r\n$1\r\nx\r\n"
                                 "%1\r\n+k\r\n*1\r\n:3\r\n";

    resp_reader_init(r, nodes.data(), 16, 4, 64);
    assert_int_equal(resp_read(r, in.data(), in.size(), reply), status::ok);
    assert_int_equal(reply.consumed, in.size());

    const resp_node  *root = reply.root;

    assert_int_equal(root->span, 9);
    assert_int_equal(root->count, 3);
    assert_int_equal(resp_child(root, 0)->span, 3);
    assert_true(resp_child(root, 1)->str == "x");
    assert_true(resp_child(root, 2)->type == resp_type::map);
    assert_int_equal(resp_child(root, 2)->count, 2);
    assert_true(resp_child(resp_child(root, 2), 0)->str == "k");
    assert_int_equal(resp_child(resp_child(resp_child(root, 2), 1), 0)
                         ->integer, 3);
    assert_null(resp_child(root, 3));
    assert_null(resp_child(resp_child(root, 1), 0));
    assert_true(resp_next(root) == root + root->span);
}


/* Replies of every type, back to back, as one read might bring them. */
static std::string
all_types()
{
    return "+OK\r\n-ERR bad\r\n:-42\r\n$5\r\nhe\r\nl\r\n$-1\r\n*-1\r\n"
           "*0\r\n*2\r\n$3\r\nfoo\r\n*1\r\n:1\r\n_\r\n#t\r\n,3.25\r\n"
           "(-123456789012345678901234567890\r\n=7\r\ntxt:a\r\n\r\n"
           "!3\r\nERR\r\n%1\r\n+k\r\n~2\r\n:1\r\n:2\r\n"
           "|1\r\n+ttl\r\n:3\r\n>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$0\r\n\r\n"
           "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\np\r\n"
           "+PONG\r\n:12";
}


static void
test_every_split_point(void **state)
{
    (void) state;

    std::string  in = all_types();
    std::string  expect = whole(in);

    assert_string_equal(expect.c_str(),
        "+OK\n-ERR bad\n:-42\n$he\r\nl\n_\n_\n*0[]\n*2[$foo,*1[:1]]\n_\n#1\n"
        ",3.25=3.25\n(-123456789012345678901234567890\n=txt:a\r\n\n"
        "!ERR\n%2[+k,~2[:1,:2]]\n>3[$message,$ch,$]\n*3[$message,$c,$p]\n"
        "+PONG\nmore 3");

    assert_string_equal(bytewise(in).c_str(), expect.c_str());

    for (size_t i = 1; i < in.size(); i++) {
        assert_string_equal(feed(in, { i }).c_str(), expect.c_str());
    }

    /* and a few 3-way cuts, the second inside the same reply */
    for (size_t i = 1; i + 3 < in.size(); i += 7) {
        assert_string_equal(feed(in, { i, i + 3 }).c_str(), expect.c_str());
    }
}


static void
test_consumed_is_exact(void **state)
{
    (void) state;

    std::vector<resp_node>  nodes(32);
    resp_reader             r;
    resp_reply              reply;
    std::string             in = all_types();
    size_t                  at = 0, count = 0;

    resp_reader_init(r, nodes.data(), 32, 8, 1024);

    while (resp_read(r, in.data() + at, in.size() - at, reply) == status::ok)
    {
        at += reply.consumed;
        count++;
    }

    assert_int_equal(count, 18);
    assert_int_equal(in.size() - at, 3);          /* ":12" waits for CRLF */

    /* a cut reply waits without consuming, however often it is asked */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(resp_read(r, in.data() + at, in.size() - at, reply),
                         status::need_more);
        assert_int_equal(reply.consumed, 0);
        assert_null(reply.root);
    }

    std::string  rest = in.substr(at) + "\r\n";

    assert_int_equal(resp_read(r, rest.data(), rest.size(), reply),
                     status::ok);
    assert_int_equal(reply.consumed, 5);
    assert_int_equal(reply.root->integer, 12);
    assert_int_equal(resp_read(r, rest.data() + 5, 0, reply),
                     status::need_more);
}


static void
test_limits(void **state)
{
    (void) state;

    feed_opts  o;

    /* depth: the outermost aggregate is depth 1 */
    o.depth = 2;
    assert_string_equal(one("*1\r\n*1\r\n:1\r\n", o).c_str(), "*1[*1[:1]]");
    assert_string_equal(whole("*1\r\n*1\r\n*0\r\n", o).c_str(),
                        "error 3 nesting deeper than max_depth @8");
    assert_string_equal(whole("*1\r\n|1\r\n", o).c_str(),
                        "more 8");
    assert_string_equal(whole("*1\r\n|1\r\n+a\r\n%0\r\n", o).c_str(),
                        "error 3 nesting deeper than max_depth @12");

    /* a deep reply cannot reach past resp_depth_max */
    std::string  deep;
    for (int i = 0; i < 100; i++) {
        deep += "*1\r\n";
    }
    o.depth = 1000;
    assert_string_equal(whole(deep, o).c_str(),
                        "error 3 nesting deeper than max_depth @128");
    o.depth = 8;

    /* elements: refused from the header, before the elements arrive */
    o.capacity = 3;
    assert_string_equal(one("*2\r\n:1\r\n:2\r\n", o).c_str(), "*2[:1,:2]");
    assert_string_equal(whole("*3\r\n", o).c_str(),
                        "error 3 more elements than the node array holds @0");
    assert_string_equal(whole("%2\r\n", o).c_str(),
                        "error 3 more elements than the node array holds @0");
    /* each header is checked against the room left when it comes */
    assert_string_equal(whole("*2\r\n*1\r\n", o).c_str(), "more 8");
    assert_string_equal(whole("*2\r\n*1\r\n:1\r\n:2\r\n", o).c_str(),
                        "error 3 more elements than the node array holds @12");
    assert_string_equal(whole("*4294967297\r\n", o).c_str(),
                        "error 3 more elements than the node array holds @0");
    assert_string_equal(whole("%9223372036854775807\r\n", o).c_str(),
                        "error 3 more elements than the node array holds @0");
    o.capacity = 1;
    assert_string_equal(one("$1\r\na\r\n", o).c_str(), "$a");
    assert_string_equal(whole("*1\r\n", o).c_str(),
                        "error 3 more elements than the node array holds @0");
    o.capacity = 64;

    /* bulk and line lengths: refused before the payload arrives */
    o.max_bulk = 5;
    assert_string_equal(one("$5\r\nhello\r\n", o).c_str(), "$hello");
    assert_string_equal(whole("$6\r\n", o).c_str(),
                        "error 3 bulk string longer than max_bulk @0");
    assert_string_equal(whole("!9223372036854775807\r\n", o).c_str(),
                        "error 3 bulk string longer than max_bulk @0");
    assert_string_equal(one("+hello\r\n", o).c_str(), "+hello");
    assert_string_equal(whole("+hello!", o).c_str(),
                        "error 3 line longer than max_bulk @0");
    assert_string_equal(bytewise("+hello!", o).c_str(),
                        "error 3 line longer than max_bulk @0");
    assert_string_equal(whole(":1\r\n-too long\r\n", o).c_str(),
                        ":1\nerror 3 line longer than max_bulk @0");
    o.max_bulk = 1024;

    /* an error is final */
    std::vector<resp_node>  nodes(4);
    resp_reader             r;
    resp_reply              reply;

    resp_reader_init(r, nodes.data(), 4, 4, 64);
    assert_int_equal(resp_read(r, "@", 1, reply), status::invalid);
    assert_int_equal(resp_read(r, "+OK\r\n", 5, reply), status::invalid);
    assert_string_equal(r.reason, "unknown type byte");
    assert_null(reply.root);

    /* bytes already read may not disappear */
    resp_reader_init(r, nodes.data(), 4, 4, 64);
    assert_int_equal(resp_read(r, "*2\r\n:1\r\n", 8, reply),
                     status::need_more);
    assert_int_equal(resp_read(r, "*2\r\n", 4, reply), status::invalid);
    assert_string_equal(r.reason, "input lost bytes already read");
}


static void
test_malformed(void **state)
{
    (void) state;

    static const struct {
        const char  *in;
        const char  *reason;
    } cases[] = {
        { "?\r\n",                      "unknown type byte" },
        { "\r\n",                       "unknown type byte" },
        { "OK\r\n",                     "unknown type byte" },
        { "$x\r\n",                     "bad byte in a number" },
        { "$5x",                        "bad byte in a number" },
        { "$ 5\r\n",                    "bad byte in a number" },
        { "$+5\r\n",                    "bad byte in a number" },
        { "$\r\n",                      "number without digits" },
        { ":-\r\n",                     "number without digits" },
        { ":--1\r\n",                   "bad byte in a number" },
        { ":1.5\r\n",                   "bad byte in a number" },
        { ":1\n",                       "bad byte in a number" },
        { ":1\rx",                      "CR without LF" },
        { "$?\r\n",                     "streamed types are not supported" },
        { "*?\r\n",                     "streamed types are not supported" },
        { "$5\r\nhelloXY",              "bulk string not followed by CRLF" },
        { "$5\r\nhello\n\r",            "bulk string not followed by CRLF" },
        { "$0\r\nX\r\n",                "bulk string not followed by CRLF" },
        { "$-2\r\n",                    "negative length" },
        { "$-0\r\n",                    "negative length" },
        { "!-1\r\n",                    "negative length" },
        { "=-1\r\n",                    "negative length" },
        { "*-2\r\n",                    "negative count" },
        { "%-1\r\n",                    "negative count" },
        { "~-1\r\n",                    "negative count" },
        { ">-1\r\n",                    "negative count" },
        { "|-1\r\n",                    "negative count" },
        { ":9223372036854775808\r\n",   "number overflows" },
        { ":-9223372036854775809\r\n",  "number overflows" },
        { ":99999999999999999999\r\n",  "number overflows" },
        { "$18446744073709551616\r\n",  "number overflows" },
        { ":000000000000000000001\r\n", "number too long" },
        { "+OK\rX",                     "CR without LF" },
        { "+O\nK\r\n",                  "LF without CR" },
        { "-ERR\r\r\n",                 "CR without LF" },
        { "#x\r\n",                     "bad boolean" },
        { "#tt\r\n",                    "bad boolean" },
        { "#\r\n",                      "bad boolean" },
        { "_x\r\n",                     "null with a value" },
        { ",\r\n",                      "bad double" },
        { ",abc\r\n",                   "bad double" },
        { ",1.\r\n",                    "bad double" },
        { ",.5\r\n",                    "bad double" },
        { ",1e\r\n",                    "bad double" },
        { ",1e+\r\n",                   "bad double" },
        { ",0x10\r\n",                  "bad double" },
        { ", 1\r\n",                    "bad double" },
        { ",1 \r\n",                    "bad double" },
        { ",infinity\r\n",              "bad double" },
        { ",-nan\r\n",                  "bad double" },
        { ",1111111111111111111111111111111111111111111111111111111111111111"
          "1\r\n",                      "double too long" },
        { "(\r\n",                      "bad big number" },
        { "(-\r\n",                     "bad big number" },
        { "(12a\r\n",                   "bad big number" },
        { "=3\r\ntxt\r\n",              "verbatim string without its format" },
        { "=5\r\ntxt;x\r\n",            "verbatim string without its format" },
        { "*2\r\n:1\r\n@",              "unknown type byte" },
        { "%1\r\n+k\r\n$1\r\nvv\r\n",   "bulk string not followed by CRLF" },
    };

    for (const auto &c : cases) {
        std::string  got = whole(c.in);
        std::string  want = "error 2 " + std::string(c.reason);

        if (got.compare(0, want.size(), want) != 0
            && got.find("\n" + want) == std::string::npos)
        {
            fprintf(stderr, "input %s: got \"%s\", want \"%s\"\n",
                    c.in, got.c_str(), want.c_str());
            fail();
        }

        assert_string_equal(bytewise(c.in).c_str(), got.c_str());
    }

    /* where: the offset of the element at fault */
    assert_string_equal(whole("*2\r\n:1\r\n@").c_str(),
                        "error 2 unknown type byte @8");

    /* a valid prefix is no error, however it is cut */
    static const char  *prefixes[] = { "$", "$5", "$5\r", "$5\r\nhel",
        "$5\r\nhello\r", ":-", "*1\r\n", "+OK\r", ",1.5", "#", "_\r",
        "=10\r\ntxt", "%1\r\n+k\r\n", "|1\r\n+a\r\n+b\r\n", "" };

    for (const char *p : prefixes) {
        std::string  want = "more " + std::to_string(strlen(p));
        assert_string_equal(whole(p).c_str(), want.c_str());
        assert_string_equal(bytewise(p).c_str(), want.c_str());
    }
}


static std::string
encode(const std::vector<resp_arg> &args)
{
    size_t       size = resp_command_size(args.data(), args.size());
    std::string  out(size + 8, '#');
    size_t       n = resp_command_write(&out[0], args.data(), args.size());

    assert_int_equal(n, size);
    assert_string_equal(out.substr(size).c_str(), "########");
    out.resize(size);

    return out;
}


static void
test_encoder(void **state)
{
    (void) state;

    assert_string_equal(
        encode({ resp_bytes("SET"), resp_bytes("k"), resp_bytes("v") })
            .c_str(),
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    assert_string_equal(encode({ resp_bytes("PING") }).c_str(),
                        "*1\r\n$4\r\nPING\r\n");
    assert_string_equal(encode({ resp_bytes("ECHO"), resp_bytes("") })
                            .c_str(),
                        "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
    assert_string_equal(
        encode({ resp_bytes("INCRBY"), resp_bytes("n"), resp_int(-7) })
            .c_str(),
        "*3\r\n$6\r\nINCRBY\r\n$1\r\nn\r\n$2\r\n-7\r\n");
    assert_string_equal(encode({ resp_uint(0), resp_uint(10),
                                 resp_uint(UINT64_MAX) }).c_str(),
                        "*3\r\n$1\r\n0\r\n$2\r\n10\r\n"
                        "$20\r\n18446744073709551615\r\n");
    assert_string_equal(encode({ resp_int(INT64_MIN), resp_int(INT64_MAX) })
                            .c_str(),
                        "*2\r\n$20\r\n-9223372036854775808\r\n"
                        "$19\r\n9223372036854775807\r\n");
    assert_string_equal(encode({}).c_str(), "*0\r\n");

    /* round trip: any bytes come back as they went */
    std::string             bin("a\r\n$3\r\n\0*", 10);
    std::string             big(300, 'x');
    std::vector<resp_arg>   args = { resp_bytes("XADD"), resp_bytes(bin),
                                     resp_uint(42), resp_bytes(big),
                                     resp_int(-1), resp_bytes("") };

    for (int i = 0; i < 12; i++) {
        args.push_back(resp_bytes("f"));
    }

    std::string  wire = encode(args);
    std::string  got = one(wire);
    std::string  want = "*18[$XADD,$" + bin + ",$42,$" + big + ",$-1,$";

    for (int i = 0; i < 12; i++) {
        want += ",$f";
    }
    want += "]";

    assert_string_equal(got.c_str(), want.c_str());
}


/* A second CRC16/XMODEM, bit by bit, to check the table against. */
static uint16_t
crc16_bitwise(const std::string &s)
{
    uint16_t  crc = 0;

    for (unsigned char c : s) {
        crc ^= uint16_t(c << 8);
        for (int i = 0; i < 8; i++) {
            crc = (crc & 0x8000) ? uint16_t((crc << 1) ^ 0x1021)
                                 : uint16_t(crc << 1);
        }
    }

    return crc;
}


static void
test_key_slot(void **state)
{
    (void) state;

    /* the Cluster spec's check value */
    assert_int_equal(redis_crc16("123456789"), 0x31c3);
    assert_int_equal(redis_crc16(""), 0);

    std::string  s;
    for (int i = 0; i < 300; i++) {
        s += char(i * 37 + 11);
        assert_int_equal(redis_crc16(s), crc16_bitwise(s));
    }

    /* the spec's hash tag examples */
    assert_int_equal(redis_key_slot("{user1000}.following"),
                     redis_key_slot("{user1000}.followers"));
    assert_true(redis_hash_tag("{user1000}.following") == "user1000");
    assert_true(redis_hash_tag("foo{}{bar}") == "foo{}{bar}");
    assert_true(redis_hash_tag("foo{{bar}}zap") == "{bar");
    assert_true(redis_hash_tag("foo{bar}{zap}") == "bar");
    assert_int_equal(redis_key_slot("foo{}{bar}"),
                     redis_crc16("foo{}{bar}") % 16384);
    assert_int_equal(redis_key_slot("foo{{bar}}zap"),
                     redis_crc16("{bar") % 16384);
    assert_int_equal(redis_key_slot("foo{bar}{zap}"),
                     redis_key_slot("bar"));
    assert_true(redis_hash_tag("foo{bar") == "foo{bar");
    assert_true(redis_hash_tag("foo}bar{") == "foo}bar{");
    assert_true(redis_hash_tag("}{a}") == "a");
    assert_true(redis_hash_tag("{}") == "{}");

    /* what CLUSTER KEYSLOT answers, as the Redis docs show it */
    assert_int_equal(redis_key_slot("somekey"), 11058);
    assert_int_equal(redis_key_slot("foo{hash_tag}"), 2515);
    assert_int_equal(redis_key_slot("123456789"), 0x31c3 % 16384);
}


static std::string
key(std::string_view prefix, std::string_view id, redis_key which)
{
    size_t       size = redis_key_size(prefix, id, which);
    std::string  out(size + 4, '#');

    assert_int_equal(redis_key_write(&out[0], prefix, id, which), size);
    assert_string_equal(out.substr(size).c_str(), "####");
    out.resize(size);

    return out;
}


static void
test_channel_keys(void **state)
{
    (void) state;

    assert_string_equal(key("push", "room1", redis_key::meta).c_str(),
                        "{push:room1}:meta");
    assert_string_equal(key("push", "room1", redis_key::stream).c_str(),
                        "{push:room1}:stream");
    assert_string_equal(key("push", "room1", redis_key::pubsub).c_str(),
                        "{push:room1}:pubsub");
    assert_string_equal(key("push", "caf\xc3\xa9", redis_key::meta).c_str(),
                        "{push:caf\xc3\xa9}:meta");

    /* braces and the escape byte itself are escaped */
    assert_string_equal(key("push", "a}b", redis_key::meta).c_str(),
                        "{push:a%7Db}:meta");
    assert_string_equal(key("push", "{x}", redis_key::stream).c_str(),
                        "{push:%7Bx%7D}:stream");
    assert_string_equal(key("push", "100%", redis_key::pubsub).c_str(),
                        "{push:100%25}:pubsub");
    assert_string_equal(key("p{}", "a", redis_key::meta).c_str(),
                        "{p%7B%7D:a}:meta");
    assert_string_equal(key("push", "", redis_key::meta).c_str(),
                        "{push:}:meta");

    /* no id escapes its tag, and different ids never share a key */
    static const char  *ids[] = { "a", "a}", "a}b", "a%7Db", "a%7db", "}",
        "{", "{}", "}{", "%", "%25", "%7D", "x{y}z", "}}}", "a:b", "{a}" };
    std::vector<std::string>  seen;

    for (const char *id : ids) {
        std::string  esc;

        for (const char *c = id; *c; c++) {
            esc += *c == '%' ? "%25" : *c == '{' ? "%7B" : *c == '}' ? "%7D"
                   : std::string(1, *c);
        }

        for (redis_key which : { redis_key::meta, redis_key::stream,
                                 redis_key::pubsub })
        {
            std::string  k = key("push", id, which);

            assert_string_equal(std::string(redis_hash_tag(k)).c_str(),
                                ("push:" + esc).c_str());
            assert_int_equal(redis_key_slot(k),
                             redis_key_slot(key("push", id,
                                                redis_key::meta)));

            for (const std::string &other : seen) {
                assert_string_not_equal(k.c_str(), other.c_str());
            }
            seen.push_back(k);
        }
    }
}


static resp_pubsub
classify(const std::string &in)
{
    static resp_node  nodes[16];
    static std::string  keep;
    resp_reader       r;
    resp_reply        reply;

    keep = in;
    resp_reader_init(r, nodes, 16, 4, 1024);
    assert_int_equal(resp_read(r, keep.data(), keep.size(), reply),
                     status::ok);
    assert_int_equal(reply.consumed, keep.size());

    return resp_pubsub_classify(reply.root);
}


static std::string
bulks(char type, std::vector<std::string> items)
{
    std::string  s = type + std::to_string(items.size()) + "\r\n";

    for (const std::string &i : items) {
        s += i[0] == ':' || i[0] == '_' || i[0] == '+' ? i + "\r\n"
             : "$" + std::to_string(i.size()) + "\r\n" + i + "\r\n";
    }

    return s;
}


static void
test_pubsub(void **state)
{
    (void) state;

    for (char t : { '*', '>' }) {
        resp_pubsub  e;

        e = classify(bulks(t, { "message", "news", "hello" }));
        assert_int_equal(e.kind, resp_pubsub_kind::message);
        assert_int_equal(e.push, t == '>');
        assert_true(e.channel == "news" && e.payload == "hello");

        e = classify(bulks(t, { "smessage", "{p:a}:pubsub", "" }));
        assert_int_equal(e.kind, resp_pubsub_kind::smessage);
        assert_true(e.channel == "{p:a}:pubsub" && e.payload.empty());

        e = classify(bulks(t, { "pmessage", "n*", "news", "x" }));
        assert_int_equal(e.kind, resp_pubsub_kind::pmessage);
        assert_true(e.pattern == "n*" && e.channel == "news"
                    && e.payload == "x");

        e = classify(bulks(t, { "subscribe", "news", ":1" }));
        assert_int_equal(e.kind, resp_pubsub_kind::subscribe);
        assert_true(e.channel == "news" && e.count == 1);

        e = classify(bulks(t, { "unsubscribe", "news", ":0" }));
        assert_int_equal(e.kind, resp_pubsub_kind::unsubscribe);
        assert_int_equal(e.count, 0);

        e = classify(bulks(t, { "unsubscribe", "_", ":0" }));
        assert_int_equal(e.kind, resp_pubsub_kind::unsubscribe);
        assert_true(e.channel.empty());

        e = classify(bulks(t, { "psubscribe", "n*", ":2" }));
        assert_int_equal(e.kind, resp_pubsub_kind::psubscribe);
        e = classify(bulks(t, { "punsubscribe", "n*", ":1" }));
        assert_int_equal(e.kind, resp_pubsub_kind::punsubscribe);
        e = classify(bulks(t, { "ssubscribe", "a", ":1" }));
        assert_int_equal(e.kind, resp_pubsub_kind::ssubscribe);
        e = classify(bulks(t, { "sunsubscribe", "a", ":0" }));
        assert_int_equal(e.kind, resp_pubsub_kind::sunsubscribe);

        e = classify(bulks(t, { "pong", "probe" }));
        assert_int_equal(e.kind, resp_pubsub_kind::pong);
        assert_true(e.payload == "probe");

        /* the wrong shapes are ordinary replies */
        static const std::vector<std::vector<std::string>>  bad = {
            { "message", "news" },
            { "message", "news", "x", "y" },
            { "message", "news", ":1" },
            { "MESSAGE", "news", "x" },
            { "subscribe", "news", "1" },
            { "subscribe", ":1", ":1" },
            { "pmessage", "n*", "news" },
            { "pong" },
            { ":1", "a", "b" },
            { "hello", "a", "b" },
        };

        for (const auto &b : bad) {
            assert_int_equal(classify(bulks(t, b)).kind,
                             resp_pubsub_kind::none);
        }
    }

    assert_int_equal(classify("+PONG\r\n").kind, resp_pubsub_kind::pong);
    assert_int_equal(classify("+OK\r\n").kind, resp_pubsub_kind::none);
    assert_int_equal(classify("*0\r\n").kind, resp_pubsub_kind::none);
    assert_int_equal(classify("~3\r\n+message\r\n+a\r\n+b\r\n").kind,
                     resp_pubsub_kind::none);
    assert_int_equal(classify("*3\r\n*1\r\n+message\r\n+a\r\n+b\r\n").kind,
                     resp_pubsub_kind::none);
    assert_int_equal(classify("$7\r\nmessage\r\n").kind,
                     resp_pubsub_kind::none);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_resp2_types),
        cmocka_unit_test(test_resp3_types),
        cmocka_unit_test(test_attributes_are_dropped),
        cmocka_unit_test(test_tree_walk),
        cmocka_unit_test(test_every_split_point),
        cmocka_unit_test(test_consumed_is_exact),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_encoder),
        cmocka_unit_test(test_key_slot),
        cmocka_unit_test(test_channel_keys),
        cmocka_unit_test(test_pubsub),
    };

    return cmocka_run_group_tests_name("resp", tests, nullptr, nullptr);
}
