/* Unit tests of message templates (src/protocol/push_template). */

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "unit.h"
#include "push_template.h"


using push::template_compile;
using push::template_escape;
using push::template_field;
using push::template_size;
using push::template_status;
using push::template_t;
using push::template_values;
using push::template_write;


static std::string
escape(std::string_view s)
{
    std::string  r;
    char         hex[8];

    for (char ch : s) {
        unsigned char  c = static_cast<unsigned char>(ch);

        if (c < 0x20 || c >= 0x7f || c == '\\') {
            std::snprintf(hex, sizeof(hex), "\\x%02x", c);
            r += hex;
        } else {
            r += ch;
        }
    }

    return r;
}


static template_status
compile(std::string_view src, template_t *t, size_t *at)
{
    return template_compile(src, t, at);
}


/* Renders with guard bytes on both sides; checks the size announced. */
static std::string
render(std::string_view src, const template_values &v, size_t *id_at)
{
    template_t   t;
    size_t       at;

    assert_int_equal(static_cast<int>(compile(src, &t, &at)),
                     static_cast<int>(template_status::ok));

    size_t       size = template_size(t, src, v);
    std::string  buf(size + 32, '#');
    size_t       n = template_write(&buf[16], t, src, v, id_at);

    assert_int_equal(n, size);

    for (size_t i = 0; i < 16; i++) {
        assert_int_equal(buf[i], '#');
        assert_int_equal(buf[16 + size + i], '#');
    }

    return buf.substr(16, size);
}


static void
expect(std::string_view src, const template_values &v, std::string_view want)
{
    std::string  got = render(src, v, nullptr);

    if (got != want) {
        fail_msg("template \"%s\":\n  got  \"%s\"\n  want \"%s\"",
                 escape(src).c_str(), escape(got).c_str(),
                 escape(want).c_str());
    }
}


static template_values
msg(std::string_view text)
{
    template_values  v;

    v.id = "9f3c2a1b:7";
    v.channel = "news";
    v.event = "myEvent";
    v.type = "text/plain";
    v.text = text;
    v.time = 1700000000;

    return v;
}


static void
test_every_field(void **)
{
    expect("~id~|~channel~|~event~|~type~|~text~|~size~|~time~\n",
           msg("hello"),
           "9f3c2a1b:7|news|myEvent|text/plain|hello|5|1700000000\n");
}


static void
test_literal_only_and_tildes(void **)
{
    expect("plain", msg("x"), "plain");
    expect("~~", msg("x"), "~");
    expect("a~~b~~~text~~~", msg("x"), "a~b~x~");
}


static void
test_empty_values(void **)
{
    template_values  v = msg("");

    v.event = "";
    v.type = "";
    v.time = 0;

    expect("[~event~][~type~][~text~][~size~][~time~]", v, "[][][][0][0]");
    expect("~base64:text~.", v, ".");
}


/* The brief's example: a JSON object per line. */
static void
test_json_object(void **)
{
    expect("{\"id\":\"~id~\",\"data\":\"~json:text~\"}\n",
           msg("say \"hi\"\\\n\tnow"),
           "{\"id\":\"9f3c2a1b:7\",\"data\":\"say \\\"hi\\\"\\\\\\n\\tnow\"}\n");
}


/* Control bytes are \uXXXX or their short forms; DEL and "/" stay. */
static void
test_json_controls(void **)
{
    std::string  text("\x00\x01\x08\x0c\x1f\x7f/", 7);

    expect("~json:text~", msg(text),
           "\\u0000\\u0001\\b\\f\\u001f\x7f/");
}


/* Valid UTF-8 passes whole; each byte of an invalid sequence is U+FFFD,
 * so the output is always valid JSON. */
static void
test_json_utf8(void **)
{
    expect("~json:text~", msg("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
           "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");

    /* a lone continuation byte, a truncated sequence, an overlong form,
     * a surrogate, and a lead byte at the very end */
    expect("~json:text~", msg("a\x80" "b"), "a\\ufffdb");
    expect("~json:text~", msg("\xe2\x82z"), "\\ufffd\\ufffdz");
    expect("~json:text~", msg("\xc0\xaf"), "\\ufffd\\ufffd");
    expect("~json:text~", msg("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");
    expect("~json:text~", msg("ok\xf0"), "ok\\ufffd");
}


/* RFC 4648 section 10's test vectors, and binary bytes. */
static void
test_base64(void **)
{
    expect("~base64:text~", msg(""), "");
    expect("~base64:text~", msg("f"), "Zg==");
    expect("~base64:text~", msg("fo"), "Zm8=");
    expect("~base64:text~", msg("foo"), "Zm9v");
    expect("~base64:text~", msg("foob"), "Zm9vYg==");
    expect("~base64:text~", msg("fooba"), "Zm9vYmE=");
    expect("~base64:text~", msg("foobar"), "Zm9vYmFy");
    expect("~base64:text~", msg(std::string("\x00\xff\xfe\x80", 4)),
           "AP/+gA==");
}


/* Escapes apply to any field. */
static void
test_escapes_on_other_fields(void **)
{
    template_values  v = msg("x");

    v.channel = "a\"b";
    v.event = "e\\";

    expect("~json:channel~ ~json:event~ ~base64:type~ ~json:size~", v,
           "a\\\"b e\\\\ dGV4dC9wbGFpbg== 1");
}


/* Where ~id~ lands: a subscriber of several channels splices its own
 * cursor there. */
static void
test_id_position(void **)
{
    size_t       at;
    std::string  out;

    out = render("{\"id\":\"~id~\",\"t\":\"~text~\"}", msg("abc"), &at);
    assert_int_equal(at, 7);
    assert_true(out.compare(at, 10, "9f3c2a1b:7") == 0);

    out = render("~text~ no id", msg("abc"), &at);
    assert_int_equal(at, out.size());

    out = render("~id~", msg("abc"), &at);
    assert_int_equal(at, 0);
}


static void
expect_refused(std::string_view src, template_status want, size_t want_at)
{
    template_t  t;
    size_t      at = 99999;

    template_status  got = compile(src, &t, &at);

    if (got != want || at != want_at) {
        fail_msg("template \"%s\": status %d at %zu, want %d at %zu",
                 escape(src).c_str(), static_cast<int>(got), at,
                 static_cast<int>(want), want_at);
    }

    /* every refusal has its own line for nginx -t */
    assert_true(std::strlen(push::template_status_text(got)) > 4);
}


static void
test_refused(void **)
{
    expect_refused("", template_status::empty, 0);
    expect_refused("a~text", template_status::unterminated, 1);
    expect_refused("~", template_status::unterminated, 0);
    expect_refused("ok ~txt~", template_status::unknown_field, 3);
    expect_refused("~~~", template_status::unterminated, 2);
    expect_refused("~ID~", template_status::unknown_field, 0);
    expect_refused("~text ~", template_status::unknown_field, 0);
    expect_refused("~hex:text~", template_status::unknown_escape, 0);
    expect_refused("~json:~", template_status::unknown_field, 0);
    expect_refused("~json:json:text~", template_status::unknown_field, 0);
    expect_refused("~id~ ~id~", template_status::id_twice, 5);
    expect_refused("~json:id~", template_status::id_escaped, 0);
    expect_refused("~id~ ~base64:id~", template_status::id_escaped, 5);
    expect_refused(std::string(push::template_max_len + 1, 'a'),
                   template_status::too_long, 0);
}


static void
test_piece_limit(void **)
{
    template_t   t;
    size_t       at;
    std::string  src;

    /* 64 pieces exactly: 32 fields and 32 literals */
    for (int i = 0; i < 32; i++) {
        src += "~size~,";
    }
    assert_int_equal(static_cast<int>(compile(src, &t, &at)),
                     static_cast<int>(template_status::ok));
    assert_int_equal(t.n, 64);

    src += "~size~";
    assert_int_equal(static_cast<int>(compile(src, &t, &at)),
                     static_cast<int>(template_status::too_many_pieces));
}


/* Pieces are what the compiler promised: adjacent literals are not
 * merged by a field, and a "~~" is its own literal. */
static void
test_pieces(void **)
{
    template_t  t;
    size_t      at;

    assert_int_equal(static_cast<int>(compile("a~json:text~b~~", &t, &at)),
                     static_cast<int>(template_status::ok));
    assert_int_equal(t.n, 4);
    assert_int_equal(static_cast<int>(t.pieces[0].field),
                     static_cast<int>(template_field::literal));
    assert_int_equal(static_cast<int>(t.pieces[1].field),
                     static_cast<int>(template_field::text));
    assert_int_equal(static_cast<int>(t.pieces[1].escape),
                     static_cast<int>(template_escape::json));
    assert_int_equal(t.pieces[3].off, 14);
    assert_int_equal(t.pieces[3].len, 1);
    assert_int_equal(t.ids, 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_every_field),
        cmocka_unit_test(test_literal_only_and_tildes),
        cmocka_unit_test(test_empty_values),
        cmocka_unit_test(test_json_object),
        cmocka_unit_test(test_json_controls),
        cmocka_unit_test(test_json_utf8),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_escapes_on_other_fields),
        cmocka_unit_test(test_id_position),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_piece_limit),
        cmocka_unit_test(test_pieces),
    };

    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
