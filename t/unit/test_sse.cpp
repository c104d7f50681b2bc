/* Unit tests of Server-Sent Events framing (src/protocol/push_sse). */

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "unit.h"
#include "push_sse.h"


using push::sse_comment_size;
using push::sse_comment_write;
using push::sse_event_name_ok;
using push::sse_event_size;
using push::sse_event_write;
using push::sse_retry_write;


/* Makes bytes readable in a failure message. */
static std::string
escape(std::string_view s)
{
    std::string  r;

    for (char ch : s) {
        unsigned char  c = static_cast<unsigned char>(ch);
        char           hex[8];

        if (c == '\n') {
            r += "\\n";

        } else if (c == '\r') {
            r += "\\r";

        } else if (c == '\\' || c == '"') {
            r += '\\';
            r += ch;

        } else if (c < 0x20 || c >= 0x7f) {
            std::snprintf(hex, sizeof(hex), "\\x%02x", c);
            r += hex;

        } else {
            r += ch;
        }
    }

    return r;
}


static void
expect_bytes(std::string_view what, std::string_view got,
    std::string_view want)
{
    if (got != want) {
        fail_msg("%.*s:\n  got  \"%s\"\n  want \"%s\"",
                 static_cast<int>(what.size()), what.data(),
                 escape(got).c_str(), escape(want).c_str());
    }
}


/*
 * Writes one event into a buffer with guard bytes on both sides, checks that
 * the writer wrote exactly what the size function announced, and returns it.
 */
static std::string
frame(std::string_view id, std::string_view event, std::string_view data)
{
    size_t       size = sse_event_size(id, event, data);
    std::string  buf(size + 32, '#');
    size_t       n = sse_event_write(&buf[16], id, event, data);

    assert_int_equal(n, size);

    for (size_t i = 0; i < 16; i++) {
        assert_int_equal(buf[i], '#');
        assert_int_equal(buf[16 + size + i], '#');
    }

    return buf.substr(16, size);
}


/* The payload as EventSource must hand it over: CRLF and CR become LF. */
static std::string
normalise(std::string_view s)
{
    std::string  r;

    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\r') {
            r += '\n';

            if (i + 1 < s.size() && s[i + 1] == '\n') {
                i++;
            }

        } else {
            r += s[i];
        }
    }

    return r;
}


/*
 * A reference implementation of the WHATWG HTML standard's "Interpreting an
 * event stream" (the EventSource parser), written from the spec's steps, so
 * the frames are checked against what a browser does rather than against
 * themselves.  It works on bytes; our frames never rely on UTF-8 decoding.
 */

struct ref_event {
    std::string  type;
    std::string  data;
    std::string  last_event_id;
};


struct ref_parser {
    static constexpr size_t  max_events = 64;

    /* The stream's buffers. */
    std::string  data;
    std::string  type;
    std::string  last_event_id_buffer;

    /* What the EventSource object holds. */
    std::string  last_event_id;
    long long    retry = -1;

    ref_event    events[max_events];
    size_t       nevents = 0;
    size_t       ncomments = 0;
    bool         overflow = false;

    void dispatch();
    void field(std::string_view name, std::string_view value);
    void line(std::string_view l);
    void feed(std::string_view stream);
};


void
ref_parser::dispatch()
{
    /* "Set the last event ID string of the event source..." */
    last_event_id = last_event_id_buffer;

    /* "If the data buffer is an empty string, ... return." */
    if (data.empty()) {
        type.clear();
        return;
    }

    /* "If the data buffer's last character is a U+000A LINE FEED..." */
    if (data.back() == '\n') {
        data.pop_back();
    }

    if (nevents == max_events) {
        overflow = true;

    } else {
        ref_event  &e = events[nevents++];

        e.type = type.empty() ? "message" : type;
        e.data = data;
        e.last_event_id = last_event_id;
    }

    data.clear();
    type.clear();
}


void
ref_parser::field(std::string_view name, std::string_view value)
{
    if (name == "event") {
        type = value;

    } else if (name == "data") {
        data += value;
        data += '\n';

    } else if (name == "id") {
        if (value.find('\0') == std::string_view::npos) {
            last_event_id_buffer = value;
        }

    } else if (name == "retry") {
        bool  digits = !value.empty();

        for (char ch : value) {
            digits = digits && ch >= '0' && ch <= '9';
        }

        if (digits) {
            retry = std::stoll(std::string(value));
        }
    }

    /* "Otherwise: the field is ignored." */
}


void
ref_parser::line(std::string_view l)
{
    size_t  colon;

    if (l.empty()) {
        dispatch();
        return;
    }

    if (l[0] == ':') {
        ncomments++;
        return;
    }

    colon = l.find(':');

    if (colon == std::string_view::npos) {
        field(l, "");
        return;
    }

    std::string_view  value = l.substr(colon + 1);

    if (!value.empty() && value[0] == ' ') {
        value.remove_prefix(1);
    }

    field(l.substr(0, colon), value);
}


void
ref_parser::feed(std::string_view s)
{
    size_t  i = 0, start;

    /* The decoder drops one BOM at the very start of the stream. */
    if (s.substr(0, 3) == "\xef\xbb\xbf") {
        i = 3;
    }

    for ( ;; ) {
        start = i;

        while (i < s.size() && s[i] != '\r' && s[i] != '\n') {
            i++;
        }

        /* An unterminated last line is dropped when the stream ends. */
        if (i == s.size()) {
            return;
        }

        line(s.substr(start, i - start));

        if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
            i++;
        }

        i++;
    }
}


/* Feeds one frame to a fresh parser: it must give back exactly one event. */
static void
expect_delivered(std::string_view id, std::string_view event,
    std::string_view payload)
{
    ref_parser   p;
    std::string  f = frame(id, event, payload);

    p.feed(f);

    if (p.nevents != 1) {
        fail_msg("payload \"%s\": frame \"%s\" gave %zu events",
                 escape(payload).c_str(), escape(f).c_str(), p.nevents);
    }

    expect_bytes("delivered data", p.events[0].data, normalise(payload));
    expect_bytes("event type", p.events[0].type,
                 event.empty() ? "message" : event);
    expect_bytes("last event id", p.events[0].last_event_id, id);
    assert_true(p.data.empty());
    assert_int_equal(p.ncomments, 0);
    assert_int_equal(p.retry, -1);
}


static const struct {
    const char  *payload;
    const char  *frame;
} shapes[] = {
    { "",               "data: \n\n" },
    { "a",              "data: a\n\n" },
    { "hello world",    "data: hello world\n\n" },
    { "a\n",            "data: a\ndata: \n\n" },
    { "\n",             "data: \ndata: \n\n" },
    { "\n\n",           "data: \ndata: \ndata: \n\n" },
    { "\na",            "data: \ndata: a\n\n" },
    { "a\nb",           "data: a\ndata: b\n\n" },
    { "a\n\nb",         "data: a\ndata: \ndata: b\n\n" },
    { "a\r\nb",         "data: a\ndata: b\n\n" },
    { "a\rb",           "data: a\ndata: b\n\n" },
    { "a\r\n",          "data: a\ndata: \n\n" },
    { "\r",             "data: \ndata: \n\n" },
    { "\r\n",           "data: \ndata: \n\n" },
    { "\r\r\n",         "data: \ndata: \ndata: \n\n" },
    { "\n\r",           "data: \ndata: \ndata: \n\n" },
    { "\r\n\r\n",       "data: \ndata: \ndata: \n\n" },
    { " a",             "data:  a\n\n" },
    { "  a  ",          "data:   a  \n\n" },
    { " ",              "data:  \n\n" },
    { "a\n b",          "data: a\ndata:  b\n\n" },
    { ":",              "data: :\n\n" },
    { "a:b",            "data: a:b\n\n" },
    { "data: x",        "data: data: x\n\n" },
    { "\nid: 9\n\n",    "data: \ndata: id: 9\ndata: \ndata: \n\n" },
    { "{\"k\":[1,2]}",  "data: {\"k\":[1,2]}\n\n" },
    { "caf\xc3\xa9",    "data: caf\xc3\xa9\n\n" },
};


static void
test_payload_shapes_exact(void **)
{
    for (const auto &t : shapes) {
        std::string  what = std::string("payload \"") + escape(t.payload)
                            + "\"";

        expect_bytes(what, frame("", "", t.payload), t.frame);
    }
}


static void
test_payload_shapes_delivered(void **)
{
    for (const auto &t : shapes) {
        expect_delivered("", "", t.payload);
        expect_delivered("deadbeef:7", "", t.payload);
        expect_delivered("deadbeef:7", "update", t.payload);
    }
}


static void
test_nul_in_payload(void **)
{
    std::string_view  payload("a\0b\n\0", 5);

    expect_bytes("nul", frame("", "", payload),
                 std::string_view("data: a\0b\ndata: \0\n\n", 19));
    expect_delivered("1", "", payload);
}


static void
test_id_and_event_lines(void **)
{
    expect_bytes("id", frame("0123abcd:42", "", "hi"),
                 "id: 0123abcd:42\ndata: hi\n\n");
    expect_bytes("id and event", frame("0123abcd:42", "chat", "hi"),
                 "id: 0123abcd:42\nevent: chat\ndata: hi\n\n");
    expect_bytes("event only", frame("", "chat", "a\nb"),
                 "event: chat\ndata: a\ndata: b\n\n");
    expect_bytes("gap event", frame("0123abcd:0,5", "gap", ""),
                 "id: 0123abcd:0,5\nevent: gap\ndata: \n\n");

    /* The fixed space is the one the browser drops; others survive. */
    expect_bytes("spaced", frame(" x", " y", "z"),
                 "id:  x\nevent:  y\ndata: z\n\n");
    expect_delivered(" x", " y", "z");
    expect_delivered("a:b", "c:d", "e:f");
}


static void
test_line_breaks_in_id_and_event_are_skipped(void **)
{
    expect_bytes("id", frame("12\r\n34\r5\n", "", "x"),
                 "id: 12345\ndata: x\n\n");
    expect_bytes("event", frame("", "a\nb\rc", "x"),
                 "event: abc\ndata: x\n\n");

    /* A field left with no byte is not written at all. */
    expect_bytes("only breaks", frame("\r\n", "\n", "x"), "data: x\n\n");

    ref_parser  p;

    p.feed(frame("1\n2", "e\rv", "x"));
    assert_int_equal(p.nevents, 1);
    expect_bytes("id seen", p.events[0].last_event_id, "12");
    expect_bytes("type seen", p.events[0].type, "ev");
    expect_bytes("data seen", p.events[0].data, "x");
}


/* All payloads up to 6 bytes over the bytes that matter to the framing. */
static void
test_generated_short_payloads(void **)
{
    static const char  alphabet[] = { 'a', ' ', ':', '\r', '\n' };
    constexpr size_t   k = sizeof(alphabet);
    size_t             total = 0;

    for (size_t len = 0; len <= 6; len++) {
        size_t  combos = 1;

        for (size_t i = 0; i < len; i++) {
            combos *= k;
        }

        for (size_t n = 0; n < combos; n++) {
            std::string  payload;
            size_t       v = n;

            for (size_t i = 0; i < len; i++) {
                payload += alphabet[v % k];
                v /= k;
            }

            expect_delivered("ffffffff:1", "", payload);
            total++;
        }
    }

    assert_int_equal(total, 19531);
}


static uint64_t
next_random(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;

    return *s ^ (*s >> 29);
}


/* Longer random payloads, every byte value, line breaks made frequent. */
static void
test_generated_random_payloads(void **)
{
    uint64_t  seed = 42;

    for (int round = 0; round < 3000; round++) {
        size_t       len = next_random(&seed) % 300;
        std::string  payload;

        for (size_t i = 0; i < len; i++) {
            uint64_t  r = next_random(&seed);

            switch (r % 8) {
            case 0:
                payload += '\r';
                break;
            case 1:
                payload += '\n';
                break;
            default:
                payload += static_cast<char>(r >> 8);
                break;
            }
        }

        expect_delivered("0badf00d:123", "tick", payload);
    }
}


static void
test_stream_of_frames(void **)
{
    static const char  *payloads[] = { "", "one\n", "\r\ntwo", " three " };
    std::string         stream;
    char                buf[64];
    size_t              n;
    ref_parser          p;

    /* Another stream's first bytes: a comment and the retry block. */
    n = sse_comment_write(buf, "hello");
    stream.append(buf, n);
    n = sse_retry_write(buf, sizeof(buf), 2500);
    stream.append(buf, n);

    for (size_t i = 0; i < 4; i++) {
        std::string  id = "0000000a:" + std::to_string(i + 1);

        stream += frame(id, i == 2 ? "gap" : "", payloads[i]);
        n = sse_comment_write(buf, "");
        stream.append(buf, n);
    }

    p.feed(stream);

    assert_int_equal(p.nevents, 4);
    assert_int_equal(p.ncomments, 5);
    assert_int_equal(p.retry, 2500);

    for (size_t i = 0; i < 4; i++) {
        std::string  id = "0000000a:" + std::to_string(i + 1);

        expect_bytes("data", p.events[i].data, normalise(payloads[i]));
        expect_bytes("id", p.events[i].last_event_id, id);
        expect_bytes("type", p.events[i].type, i == 2 ? "gap" : "message");
    }

    expect_bytes("last id", p.last_event_id, "0000000a:4");
}


static void
test_retry(void **)
{
    char  buf[64];

    std::memset(buf, '#', sizeof(buf));
    assert_int_equal(sse_retry_write(buf, sizeof(buf), 3000), 13);
    expect_bytes("retry", std::string_view(buf, 14), "retry: 3000\n\n#");

    assert_int_equal(sse_retry_write(buf, sizeof(buf), 0), 10);
    expect_bytes("retry 0", std::string_view(buf, 10), "retry: 0\n\n");

    assert_int_equal(sse_retry_write(buf, 29, UINT64_MAX), 29);
    expect_bytes("retry max", std::string_view(buf, 29),
                 "retry: 18446744073709551615\n\n");

    /* Too small: nothing written. */
    std::memset(buf, '#', sizeof(buf));
    assert_int_equal(sse_retry_write(buf, 12, 3000), 0);
    assert_int_equal(sse_retry_write(buf, 0, 3000), 0);
    assert_int_equal(sse_retry_write(nullptr, 0, 3000), 0);
    assert_int_equal(sse_retry_write(buf, 28, UINT64_MAX), 0);

    for (size_t i = 0; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], '#');
    }

    assert_int_equal(sse_retry_write(buf, 13, 3000), 13);

    /* The browser takes the delay and dispatches nothing. */
    ref_parser  p;

    p.feed(std::string_view(buf, 13));
    assert_int_equal(p.retry, 3000);
    assert_int_equal(p.nevents, 0);
}


static void
test_comment(void **)
{
    static const struct {
        const char  *text;
        const char  *line;
    } cases[] = {
        { "ping",           ": ping\n" },
        { "",               ":\n" },
        { " x",             ":  x\n" },
        { "a\r\nb\rc\nd",   ": abcd\n" },
        { "\r\n",           ":\n" },
        { "data: x",        ": data: x\n" },
    };

    for (const auto &t : cases) {
        size_t       size = sse_comment_size(t.text);
        std::string  buf(size + 16, '#');
        size_t       n = sse_comment_write(&buf[0], t.text);

        assert_int_equal(n, size);
        expect_bytes(escape(t.text), std::string_view(buf.data(), n), t.line);

        for (size_t i = n; i < buf.size(); i++) {
            assert_int_equal(buf[i], '#');
        }

        /* A comment changes nothing, even in the middle of an event. */
        ref_parser   p;
        std::string  stream = "data: a\n" + buf.substr(0, n) + "data: b\n\n";

        p.feed(stream);
        assert_int_equal(p.ncomments, 1);
        assert_int_equal(p.nevents, 1);
        expect_bytes("around a comment", p.events[0].data, "a\nb");
    }
}


static void
test_event_name_ok(void **)
{
    std::string  n64(64, 'e');
    std::string  n65(65, 'e');

    assert_false(sse_event_name_ok(""));
    assert_true(sse_event_name_ok("a"));
    assert_true(sse_event_name_ok("message"));
    assert_true(sse_event_name_ok("user.joined"));
    assert_true(sse_event_name_ok("with space"));
    assert_true(sse_event_name_ok("a:b"));
    assert_true(sse_event_name_ok("\xc3\xa9t\xc3\xa9"));
    assert_true(sse_event_name_ok(n64));
    assert_false(sse_event_name_ok(n65));
    assert_false(sse_event_name_ok("\x7f"));
    assert_false(sse_event_name_ok("ab\x7f"));

    for (int c = 0; c < 0x20; c++) {
        std::string  name = std::string("ev") + static_cast<char>(c) + "t";

        assert_false(sse_event_name_ok(name));
        assert_false(sse_event_name_ok(std::string(1, static_cast<char>(c))));
    }

    for (int c = 0x20; c <= 0xff; c++) {
        std::string  name(1, static_cast<char>(c));

        assert_int_equal(sse_event_name_ok(name), c != 0x7f);
    }
}


static void
test_sizes(void **)
{
    assert_int_equal(sse_event_size("", "", ""), 8);
    assert_int_equal(sse_event_size("1", "", ""), 14);
    assert_int_equal(sse_event_size("1", "e", ""), 23);
    assert_int_equal(sse_event_size("", "", "\r\n"), 15);
    assert_int_equal(sse_event_size("", "", "\n\r"), 22);
    assert_int_equal(sse_comment_size(""), 2);
    assert_int_equal(sse_comment_size("ping"), 7);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_payload_shapes_exact),
        cmocka_unit_test(test_payload_shapes_delivered),
        cmocka_unit_test(test_nul_in_payload),
        cmocka_unit_test(test_id_and_event_lines),
        cmocka_unit_test(test_line_breaks_in_id_and_event_are_skipped),
        cmocka_unit_test(test_generated_short_payloads),
        cmocka_unit_test(test_generated_random_payloads),
        cmocka_unit_test(test_stream_of_frames),
        cmocka_unit_test(test_retry),
        cmocka_unit_test(test_comment),
        cmocka_unit_test(test_event_name_ok),
        cmocka_unit_test(test_sizes),
    };

    return cmocka_run_group_tests_name("sse", tests, nullptr, nullptr);
}
