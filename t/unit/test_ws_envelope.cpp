/* Unit tests of WebSocket envelopes (src/protocol/push_ws_envelope). */

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "unit.h"
#include "push_ws_envelope.h"


using namespace std::string_literals;


static std::string
escape(std::string_view s)
{
    std::string  r;
    char         hex[8];

    for (char ch : s) {
        auto  c = static_cast<unsigned char>(ch);

        if (c == '\n') {
            r += "\\n";
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
expect_bytes(const char *what, std::string_view got, std::string_view want)
{
    if (got != want) {
        fail_msg("%s:\n  got  \"%s\"\n  want \"%s\"", what,
                 escape(got).c_str(), escape(want).c_str());
    }
}


static std::string
meta_head(std::string_view id, std::string_view type)
{
    std::string  out(push::ws_meta_head_size(id, type) + 8, '#');
    size_t       n = push::ws_meta_head_write(out.data(), id, type);

    assert_int_equal(n, push::ws_meta_head_size(id, type));
    assert_int_equal(out[n], '#');
    out.resize(n);

    return out;
}


static std::string
json_string(std::string_view s)
{
    std::string  out(push::json_string_size(s) + 8, '#');
    size_t       n = push::json_string_write(out.data(), s);

    assert_int_equal(n, push::json_string_size(s));
    assert_int_equal(out[n], '#');
    out.resize(n);

    return out;
}


static std::string
json_message(const push::ws_json_message &m, push::ws_json_layout *layout)
{
    std::string  out(push::ws_json_size(m) + 8, '#');
    size_t       n = push::ws_json_write(out.data(), m, layout);

    assert_int_equal(n, push::ws_json_size(m));
    assert_int_equal(out[n], '#');
    out.resize(n);

    return out;
}


static std::string
base64(std::string_view s)
{
    std::string  out(push::base64_size(s.size()) + 8, '#');
    size_t       n = push::base64_write(out.data(), s);

    assert_int_equal(n, push::base64_size(s.size()));
    assert_int_equal(out[n], '#');
    out.resize(n);

    return out;
}


static void
test_envelope_names(void **)
{
    assert_true(push::ws_envelope_of("ws+meta.nchan")
                == push::ws_envelope::nchan_meta);
    assert_true(push::ws_envelope_of("push.v1.json")
                == push::ws_envelope::json_v1);
    /* subprotocol names compare exactly (RFC 6455 4.1: case-sensitive) */
    assert_true(push::ws_envelope_of("WS+META.NCHAN")
                == push::ws_envelope::none);
    assert_true(push::ws_envelope_of("push.v1.json2")
                == push::ws_envelope::none);
    assert_true(push::ws_envelope_of("") == push::ws_envelope::none);
}


static void
test_offer_tokens(void **)
{
    std::string_view  rest = " chat ,push.v1.json,, \tws+meta.nchan\t";
    std::string_view  t;

    assert_true(push::ws_offer_next(rest, t));
    expect_bytes("first", t, "chat");
    assert_true(push::ws_offer_next(rest, t));
    expect_bytes("second", t, "push.v1.json");
    assert_true(push::ws_offer_next(rest, t));
    expect_bytes("third", t, "ws+meta.nchan");
    assert_false(push::ws_offer_next(rest, t));

    rest = " , ,";
    assert_false(push::ws_offer_next(rest, t));
    rest = "";
    assert_false(push::ws_offer_next(rest, t));
}


/* The bytes Nchan's meta mode sends (src/subscribers/websocket.c there:
 * "id: ", the id, "\ncontent-type: ", the type, "\n\n", the data). */
static void
test_meta_head_exact(void **)
{
    expect_bytes("with a type", meta_head("9f3c2a1b:7", "text/plain"),
                 "id: 9f3c2a1b:7\ncontent-type: text/plain\n\n");
    expect_bytes("without a type", meta_head("9f3c2a1b:7", ""),
                 "id: 9f3c2a1b:7\n\n");
    expect_bytes("several channels", meta_head("0000000a:3,0,12", "a/b"),
                 "id: 0000000a:3,0,12\ncontent-type: a/b\n\n");
}


static void
test_meta_binary(void **)
{
    assert_true(push::ws_meta_binary("application/octet-stream", true));
    assert_false(push::ws_meta_binary("text/plain", true));
    assert_false(push::ws_meta_binary("", true));
    /* Nchan matches the type exactly */
    assert_false(push::ws_meta_binary("Application/Octet-Stream", true));
    assert_false(push::ws_meta_binary("application/octet-stream; x=1",
                                      true));
    /* a text frame must be UTF-8: bytes that are not go binary */
    assert_true(push::ws_meta_binary("text/plain", false));
}


static void
test_meta_gap(void **)
{
    char    buf[64 + push::ws_meta_gap_max];
    size_t  n;

    n = push::ws_meta_gap_write(buf, "9f3c2a1b:4", 3, false);
    expect_bytes("counted", std::string_view(buf, n),
                 "id: 9f3c2a1b:4\ncontent-type: "
                 "application/vnd.push-gap+json\n\n{\"push_gap\":3}");

    n = push::ws_meta_gap_write(buf, "9f3c2a1b:0", 0, true);
    expect_bytes("unknown", std::string_view(buf, n),
                 "id: 9f3c2a1b:0\ncontent-type: "
                 "application/vnd.push-gap+json\n\n{\"push_gap\":\"unknown\"}");

    n = push::ws_meta_gap_write(buf, "1", UINT64_MAX, false);
    assert_true(n <= 1 + push::ws_meta_gap_max);
    expect_bytes("largest", std::string_view(buf, n),
                 "id: 1\ncontent-type: application/vnd.push-gap+json\n\n"
                 "{\"push_gap\":18446744073709551615}");
}


static void
test_json_strings(void **)
{
    expect_bytes("plain", json_string("hello"), "\"hello\"");
    expect_bytes("empty", json_string(""), "\"\"");
    expect_bytes("quotes", json_string("a\"b\\c/"), "\"a\\\"b\\\\c/\"");
    expect_bytes("controls", json_string("\n\r\t\b\f"),
                 "\"\\n\\r\\t\\b\\f\"");
    expect_bytes("other controls", json_string("\x01\x1f"s + '\0'),
                 "\"\\u0001\\u001f\\u0000\"");
    /* DEL and non-ASCII UTF-8 pass as they are */
    expect_bytes("utf-8", json_string("\x7f" "caf\xc3\xa9 \xe2\x82\xac "
                                      "\xf0\x9f\x98\x80"),
                 "\"\x7f" "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    /* bytes that are not UTF-8: one U+FFFD each */
    expect_bytes("stray continuation", json_string("a\x80z"),
                 "\"a\\ufffdz\"");
    expect_bytes("truncated", json_string("\xe2\x82"),
                 "\"\\ufffd\\ufffd\"");
    expect_bytes("overlong", json_string("\xc0\xaf"),
                 "\"\\ufffd\\ufffd\"");
    expect_bytes("surrogate", json_string("\xed\xa0\x80"),
                 "\"\\ufffd\\ufffd\\ufffd\"");
    expect_bytes("past U+10FFFF", json_string("\xf4\x90\x80\x80"),
                 "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    expect_bytes("latin-1", json_string("caf\xe9"), "\"caf\\ufffd\"");
}


/* RFC 4648 section 10's test vectors. */
static void
test_base64(void **)
{
    expect_bytes("0", base64(""), "");
    expect_bytes("1", base64("f"), "Zg==");
    expect_bytes("2", base64("fo"), "Zm8=");
    expect_bytes("3", base64("foo"), "Zm9v");
    expect_bytes("4", base64("foob"), "Zm9vYg==");
    expect_bytes("5", base64("fooba"), "Zm9vYmE=");
    expect_bytes("6", base64("foobar"), "Zm9vYmFy");
    expect_bytes("high bytes", base64("\xff\xfe\x00"s), "//4A");
}


static void
test_json_base64_choice(void **)
{
    assert_false(push::ws_json_base64("text/plain", true));
    assert_false(push::ws_json_base64("", true));
    assert_true(push::ws_json_base64("text/plain", false));
    assert_true(push::ws_json_base64("application/octet-stream", true));
    assert_true(push::ws_json_base64("Application/Octet-Stream", true));
    assert_true(push::ws_json_base64("application/octet-stream; x=1", true));
    assert_false(push::ws_json_base64("application/octet-streamy", true));
}


static void
test_json_messages_exact(void **)
{
    push::ws_json_message  m{};
    push::ws_json_layout   layout{};
    std::string            s, bytes;

    m.id = "9f3c2a1b:7";
    m.channel = "news";
    m.data = "hi";
    expect_bytes("bare", json_message(m, nullptr),
                 "{\"id\":\"9f3c2a1b:7\",\"channel\":\"news\",\"event\":null,"
                 "\"type\":null,\"data\":\"hi\"}");

    m.event = "myEvent";
    m.type = "text/plain";
    m.data = "line \"one\"\nline two";
    s = json_message(m, &layout);
    expect_bytes("all fields", s,
                 "{\"id\":\"9f3c2a1b:7\",\"channel\":\"news\","
                 "\"event\":\"myEvent\",\"type\":\"text/plain\","
                 "\"data\":\"line \\\"one\\\"\\nline two\"}");
    expect_bytes("head", s.substr(0, layout.rest_at),
                 "{\"id\":\"9f3c2a1b:7\"");
    expect_bytes("rest", s.substr(layout.rest_at, 18),
                 ",\"channel\":\"news\",");

    m.event = {};
    m.type = "application/octet-stream";
    bytes = "\x00\xff"s;
    m.data = bytes;
    m.base64 = true;
    expect_bytes("base64", json_message(m, nullptr),
                 "{\"id\":\"9f3c2a1b:7\",\"channel\":\"news\",\"event\":null,"
                 "\"type\":\"application/octet-stream\",\"base64\":true,"
                 "\"data\":\"AP8=\"}");

    m.base64 = false;
    m.channel = "a\"b";
    m.type = "text/x;\xe9";
    m.data = "";
    expect_bytes("escaped metadata, empty data", json_message(m, nullptr),
                 "{\"id\":\"9f3c2a1b:7\",\"channel\":\"a\\\"b\",\"event\":null,"
                 "\"type\":\"text/x;\\ufffd\",\"data\":\"\"}");
}


static void
test_json_gap(void **)
{
    char                   buf[64 + push::ws_json_head_max
                               + push::ws_json_gap_tail_max];
    size_t                 n;

    n = push::ws_json_head_write(buf, "9f3c2a1b:4");
    assert_true(n <= 10 + push::ws_json_head_max);
    expect_bytes("head", std::string_view(buf, n), "{\"id\":\"9f3c2a1b:4\"");

    n = push::ws_json_gap_tail_write(buf, 3, false);
    expect_bytes("counted", std::string_view(buf, n), ",\"gap\":3}");
    n = push::ws_json_gap_tail_write(buf, 0, true);
    expect_bytes("unknown", std::string_view(buf, n), ",\"gap\":\"unknown\"}");
    n = push::ws_json_gap_tail_write(buf, UINT64_MAX, false);
    assert_true(n <= push::ws_json_gap_tail_max);
    expect_bytes("largest", std::string_view(buf, n),
                 ",\"gap\":18446744073709551615}");
}


/* Large data: sizes and writes agree, and nothing past the end is
 * touched (the sanitizer watches). */
static void
test_json_generated(void **)
{
    push::ws_json_message  m{};
    std::string            data, s;
    unsigned               x = 12345;

    for (int round = 0; round < 200; round++) {
        data.clear();
        for (int i = 0; i < round * 7; i++) {
            x = x * 1103515245 + 12345;
            data += char(x >> 16);
        }
        m.id = "00000001:1";
        m.channel = "c";
        m.data = data;
        m.base64 = false;
        s = json_message(m, nullptr);
        assert_true(s.size() >= data.size());
        m.base64 = true;
        s = json_message(m, nullptr);
        assert_int_equal(s.size(), push::ws_json_size(m));
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_envelope_names),
        cmocka_unit_test(test_offer_tokens),
        cmocka_unit_test(test_meta_head_exact),
        cmocka_unit_test(test_meta_binary),
        cmocka_unit_test(test_meta_gap),
        cmocka_unit_test(test_json_strings),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_json_base64_choice),
        cmocka_unit_test(test_json_messages_exact),
        cmocka_unit_test(test_json_gap),
        cmocka_unit_test(test_json_generated),
    };

    return cmocka_run_group_tests_name("ws_envelope", tests, nullptr,
                                       nullptr);
}
