/* Unit tests of RFC 6455 framing, the handshake and UTF-8 validation
 * (src/protocol/push_websocket, push_handshake, push_utf8). */

#include <cstring>
#include <string>
#include <vector>

#include "unit.h"
#include "push_handshake.h"
#include "push_utf8.h"
#include "push_websocket.h"


using namespace push;


/* What a parser made of an input: one line per result, comparable. */
static std::string
run(ws_parser &p, std::vector<uint8_t> in, size_t chunk)
{
    std::string  out, data;
    size_t       at = 0;

    while (at <= in.size()) {
        size_t  n = in.size() - at < chunk ? in.size() - at : chunk;

        for ( ;; ) {
            ws_result  r = ws_parse(p, in.data() + at, n);
            at += r.consumed;
            n -= r.consumed;

            switch (r.event) {
            case ws_event::need_more:
                break;
            case ws_event::data:
                data.append(r.payload);
                continue;
            case ws_event::message:
                out += std::string(r.text ? "text:" : "binary:") + data
                       + "\n";
                data.clear();
                continue;
            case ws_event::ping:
                out += "ping:" + std::string(r.payload) + "\n";
                continue;
            case ws_event::pong:
                out += "pong:" + std::string(r.payload) + "\n";
                continue;
            case ws_event::close:
                out += "close:" + std::to_string(r.code) + ":"
                       + std::string(r.payload) + "\n";
                continue;
            case ws_event::error:
                return out + "error:" + std::to_string(r.code) + "\n";
            }
            break;
        }

        if (at == in.size()) {
            break;
        }
    }

    return out;
}


static std::string
parse(std::vector<uint8_t> in, size_t chunk = 1 << 20,
      uint64_t max = 1 << 20)
{
    ws_parser  p;

    ws_parser_init(p, max);
    return run(p, std::move(in), chunk);
}


/* A client frame: masked with a fixed key. */
static std::vector<uint8_t>
frame(uint8_t b0, std::string payload, bool masked = true,
      const uint8_t mask[4] = nullptr)
{
    static const uint8_t  key[4] = { 0x37, 0xfa, 0x21, 0x3d };
    std::vector<uint8_t>  f;
    uint64_t              len = payload.size();

    if (mask == nullptr) {
        mask = key;
    }

    f.push_back(b0);

    if (len < 126) {
        f.push_back(uint8_t((masked ? 0x80 : 0) | len));
    } else if (len <= 0xffff) {
        f.push_back(uint8_t((masked ? 0x80 : 0) | 126));
        f.push_back(uint8_t(len >> 8));
        f.push_back(uint8_t(len));
    } else {
        f.push_back(uint8_t((masked ? 0x80 : 0) | 127));
        for (int i = 7; i >= 0; i--) {
            f.push_back(uint8_t(len >> (8 * i)));
        }
    }

    if (masked) {
        f.insert(f.end(), mask, mask + 4);
    }

    for (size_t i = 0; i < payload.size(); i++) {
        f.push_back(uint8_t(payload[i]) ^ (masked ? mask[i & 3] : 0));
    }

    return f;
}


static std::vector<uint8_t>
cat(std::vector<std::vector<uint8_t>> parts)
{
    std::vector<uint8_t>  all;

    for (auto &p : parts) {
        all.insert(all.end(), p.begin(), p.end());
    }

    return all;
}


static void
test_rfc_handshake_example(void **)
{
    char  out[ws_accept_len + 1] = {};

    /* RFC 6455 section 1.3 */
    ws_accept("dGhlIHNhbXBsZSBub25jZQ==", out);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    assert_true(ws_key_ok("dGhlIHNhbXBsZSBub25jZQ=="));
    assert_false(ws_key_ok(""));
    assert_false(ws_key_ok("dGhlIHNhbXBsZSBub25jZQ="));
    assert_false(ws_key_ok("dGhlIHNhbXBsZSBub25jZQ==="));
    assert_false(ws_key_ok("dGhlIHNhbXBsZSBub25jZ!=="));
    /* 22 characters whose last one carries bits past 16 bytes */
    assert_false(ws_key_ok("dGhlIHNhbXBsZSBub25jZR=="));
}


static void
test_rfc_examples_as_client_frames(void **)
{
    /* RFC 6455 section 5.7, the masked "Hello" byte for byte */
    std::vector<uint8_t>  hello = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                    0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    assert_string_equal(parse(hello).c_str(), "text:Hello\n");

    /* the fragmented "Hel" + "lo", masked */
    assert_string_equal(parse(cat({ frame(0x01, "Hel"),
                                    frame(0x80, "lo") })).c_str(),
                        "text:Hello\n");

    assert_string_equal(parse(frame(0x89, "Hello")).c_str(), "ping:Hello\n");
    assert_string_equal(parse(frame(0x8a, "Hello")).c_str(), "pong:Hello\n");

    /* 256 bytes and 64 KiB binary: 16- and 64-bit lengths */
    std::string  b256(256, 'b'), b64k(65536, 'k');
    assert_string_equal(parse(frame(0x82, b256)).c_str(),
                        ("binary:" + b256 + "\n").c_str());
    assert_string_equal(parse(frame(0x82, b64k)).c_str(),
                        ("binary:" + b64k + "\n").c_str());
}


static void
test_server_headers(void **)
{
    uint8_t  h[ws_header_max];

    /* RFC 6455 section 5.7, unmasked */
    assert_int_equal(ws_header(h, ws_opcode::text, true, 5), 2);
    assert_int_equal(h[0], 0x81);
    assert_int_equal(h[1], 0x05);

    assert_int_equal(ws_header(h, ws_opcode::text, false, 3), 2);
    assert_int_equal(h[0], 0x01);

    assert_int_equal(ws_header(h, ws_opcode::binary, true, 256), 4);
    assert_memory_equal(h, "\x82\x7e\x01\x00", 4);

    assert_int_equal(ws_header(h, ws_opcode::binary, true, 65536), 10);
    assert_memory_equal(h, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);

    assert_int_equal(ws_header(h, ws_opcode::binary, true, 125), 2);
    assert_int_equal(ws_header(h, ws_opcode::binary, true, 126), 4);
    assert_int_equal(ws_header(h, ws_opcode::binary, true, 65535), 4);

    uint8_t  c[125];
    assert_int_equal(ws_close_payload(c, 1001, "going away"), 12);
    assert_memory_equal(c, "\x03\xe9going away", 12);
    assert_int_equal(ws_close_payload(c, 1000, std::string(200, 'r')), 125);
}


static void
test_protocol_errors(void **)
{
    /* unmasked client frame */
    assert_string_equal(parse(frame(0x81, "hi", false)).c_str(),
                        "error:1002\n");
    /* reserved bits, unknown opcodes */
    assert_string_equal(parse(frame(0xc1, "hi")).c_str(), "error:1002\n");
    assert_string_equal(parse(frame(0x83, "hi")).c_str(), "error:1002\n");
    assert_string_equal(parse(frame(0x8b, "hi")).c_str(), "error:1002\n");
    /* control frames: too long, fragmented */
    assert_string_equal(parse(frame(0x89, std::string(126, 'p'))).c_str(),
                        "error:1002\n");
    assert_string_equal(parse(frame(0x09, "p")).c_str(), "error:1002\n");
    /* a continuation with nothing to continue */
    assert_string_equal(parse(frame(0x80, "x")).c_str(), "error:1002\n");
    /* a new message while one is open */
    assert_string_equal(parse(cat({ frame(0x01, "a"),
                                    frame(0x81, "b") })).c_str(),
                        "error:1002\n");
    /* a 64-bit length with its top bit set */
    std::vector<uint8_t>  huge = { 0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1,
                                   1, 2, 3, 4 };
    assert_string_equal(parse(huge).c_str(), "error:1002\n");
}


static void
test_close_frames(void **)
{
    assert_string_equal(parse(frame(0x88, "")).c_str(), "close:1005:\n");
    assert_string_equal(parse(frame(0x88, std::string("\x03\xe8" "bye")))
                            .c_str(),
                        "close:1000:bye\n");
    /* one byte of payload, forbidden codes, a reason that is not UTF-8 */
    assert_string_equal(parse(frame(0x88, "\x03")).c_str(), "error:1002\n");
    assert_string_equal(parse(frame(0x88, std::string("\x03\xed", 2)))
                            .c_str(),
                        "error:1002\n");                     /* 1005 */
    assert_string_equal(parse(frame(0x88, std::string("\x03\xe7", 2)))
                            .c_str(),
                        "error:1002\n");                     /* 999 */
    assert_string_equal(parse(frame(0x88, std::string("\x03\xe8\xc0\x80")))
                            .c_str(),
                        "error:1007\n");

    assert_true(ws_close_code_ok(1000));
    assert_true(ws_close_code_ok(1003));
    assert_false(ws_close_code_ok(1004));
    assert_false(ws_close_code_ok(1006));
    assert_true(ws_close_code_ok(1011));
    assert_false(ws_close_code_ok(1015));
    assert_false(ws_close_code_ok(2999));
    assert_true(ws_close_code_ok(3000));
    assert_true(ws_close_code_ok(4999));
    assert_false(ws_close_code_ok(5000));
}


static void
test_fragments_with_control_between(void **)
{
    assert_string_equal(parse(cat({ frame(0x01, "He"), frame(0x89, "p1"),
                                    frame(0x00, "ll"), frame(0x8a, ""),
                                    frame(0x80, "o") })).c_str(),
                        "ping:p1\npong:\ntext:Hello\n");
    /* empty frames are frames too */
    assert_string_equal(parse(cat({ frame(0x02, ""), frame(0x80, "") }))
                            .c_str(),
                        "binary:\n");
}


static void
test_utf8_in_text(void **)
{
    /* U+1F600 split over two fragments is fine */
    assert_string_equal(parse(cat({ frame(0x01, "\xf0\x9f"),
                                    frame(0x80, "\x98\x80") })).c_str(),
                        "text:\xf0\x9f\x98\x80\n");
    /* bad bytes split over fragments are not */
    assert_string_equal(parse(cat({ frame(0x01, "\xf0\x9f"),
                                    frame(0x80, "\x28\x80") })).c_str(),
                        "error:1007\n");
    /* a text that ends mid-character */
    assert_string_equal(parse(frame(0x81, "ok\xe2\x82")).c_str(),
                        "error:1007\n");
    /* binary is not checked */
    assert_string_equal(parse(frame(0x82, "\xff")).c_str(), "binary:\xff\n");
}


static void
test_size_limit(void **)
{
    /* by the header of one frame */
    assert_string_equal(parse(frame(0x82, std::string(101, 'x')), 1 << 20,
                              100).c_str(),
                        "error:1009\n");
    /* by the running total of fragments */
    assert_string_equal(parse(cat({ frame(0x02, std::string(60, 'x')),
                                    frame(0x80, std::string(41, 'x')) }),
                              1 << 20, 100).c_str(),
                        "error:1009\n");
    assert_string_equal(parse(frame(0x82, std::string(100, 'x')), 1 << 20,
                              100).c_str(),
                        ("binary:" + std::string(100, 'x') + "\n").c_str());
}


static void
test_any_chunking_gives_the_same_result(void **)
{
    uint32_t  seed = 12345;
    auto      rnd = [&seed]() {
        seed = seed * 1103515245 + 12345;
        return (seed >> 16) & 0x7fff;
    };

    for (int round = 0; round < 300; round++) {
        std::vector<std::vector<uint8_t>>  parts;
        int                                n = 1 + rnd() % 6;

        for (int i = 0; i < n; i++) {
            std::string  payload;
            size_t       len = rnd() % 3 == 0 ? rnd() % 300 : rnd() % 20;
            uint8_t      mask[4] = { uint8_t(rnd()), uint8_t(rnd()),
                                     uint8_t(rnd()), uint8_t(rnd()) };

            for (size_t k = 0; k < len; k++) {
                payload += char('a' + rnd() % 26);
            }

            switch (rnd() % 4) {
            case 0:
                parts.push_back(frame(0x89, payload.substr(0, 100), true,
                                      mask));
                break;
            case 1:
                parts.push_back(frame(0x01, payload, true, mask));
                parts.push_back(frame(0x80, payload, true, mask));
                break;
            default:
                parts.push_back(frame(0x82, payload, true, mask));
                break;
            }
        }

        std::vector<uint8_t>  all = cat(parts);
        std::string           whole = parse(all);

        assert_string_equal(parse(all, 1).c_str(), whole.c_str());
        assert_string_equal(parse(all, 1 + rnd() % 50).c_str(),
                            whole.c_str());
        assert_null(strstr(whole.c_str(), "error"));
    }
}


static void
test_utf8_boundaries(void **)
{
    auto  ok = [](std::string s) {
        return utf8_valid(reinterpret_cast<const uint8_t *>(s.data()),
                          s.size());
    };

    assert_true(ok(""));
    assert_true(ok("plain ascii"));
    assert_true(ok("\xc2\x80"));                 /* U+0080 */
    assert_true(ok("\xdf\xbf"));                 /* U+07FF */
    assert_true(ok("\xe0\xa0\x80"));             /* U+0800 */
    assert_true(ok("\xed\x9f\xbf"));             /* U+D7FF */
    assert_true(ok("\xee\x80\x80"));             /* U+E000 */
    assert_true(ok("\xef\xbf\xbf"));             /* U+FFFF */
    assert_true(ok("\xf0\x90\x80\x80"));         /* U+10000 */
    assert_true(ok("\xf4\x8f\xbf\xbf"));         /* U+10FFFF */

    assert_false(ok("\x80"));                    /* lone continuation */
    assert_false(ok("\xc0\x80"));                /* overlong NUL */
    assert_false(ok("\xc1\xbf"));                /* overlong */
    assert_false(ok("\xe0\x80\x80"));            /* overlong 3 bytes */
    assert_false(ok("\xe0\x9f\xbf"));
    assert_false(ok("\xed\xa0\x80"));            /* U+D800 */
    assert_false(ok("\xed\xbf\xbf"));            /* U+DFFF */
    assert_false(ok("\xf0\x80\x80\x80"));        /* overlong 4 bytes */
    assert_false(ok("\xf0\x8f\xbf\xbf"));
    assert_false(ok("\xf4\x90\x80\x80"));        /* U+110000 */
    assert_false(ok("\xf5\x80\x80\x80"));
    assert_false(ok("\xff"));
    assert_false(ok("\xe2\x82"));                /* truncated */
    assert_false(ok("\xe2\x28\xa1"));

    /* fed a byte at a time */
    const char  *euro = "\xe2\x82\xac";
    utf8_state   s = utf8_start;
    for (int i = 0; i < 3; i++) {
        assert_true(utf8_feed(s, reinterpret_cast<const uint8_t *>(euro + i),
                              1));
        assert_true(utf8_complete(s) == (i == 2));
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_rfc_handshake_example),
        cmocka_unit_test(test_rfc_examples_as_client_frames),
        cmocka_unit_test(test_server_headers),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_close_frames),
        cmocka_unit_test(test_fragments_with_control_between),
        cmocka_unit_test(test_utf8_in_text),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_any_chunking_gives_the_same_result),
        cmocka_unit_test(test_utf8_boundaries),
    };

    return cmocka_run_group_tests_name("websocket", tests, nullptr, nullptr);
}
