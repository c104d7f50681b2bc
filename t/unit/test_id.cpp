/* Unit tests of message ids and cursors (src/protocol/push_id). */

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "unit.h"
#include "push_id.h"


using push::cursor;
using push::format_cursor;
using push::format_id;
using push::max_channels;
using push::parse_cursor;
using push::status;


static int
parse(std::string_view text, cursor &c)
{
    return static_cast<int>(parse_cursor(text, c));
}


static int
parse_status(std::string_view text)
{
    cursor  c{};

    return parse(text, c);
}


/* Formats c and checks the exact text. */
static void
expect_format(const cursor &c, std::string_view want)
{
    char    buf[push::cursor_max_len];
    size_t  n = format_cursor(c, buf, sizeof(buf));

    if (std::string_view(buf, n) != want) {
        fail_msg("format_cursor: got \"%.*s\" (%zu), want \"%.*s\" (%zu)",
                 static_cast<int>(n), buf, n,
                 static_cast<int>(want.size()), want.data(), want.size());
    }
}


/* A deterministic generator, so a failure replays identically. */
static uint64_t
next_random(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;

    return *s ^ (*s >> 29);
}


static void
test_parse_one_channel(void **)
{
    cursor  c{};

    assert_int_equal(parse("0123abcd:42", c), static_cast<int>(status::ok));
    assert_int_equal(c.epoch, 0x0123abcd);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.seq[0], 42);

    assert_int_equal(parse("ffffffff:0", c), static_cast<int>(status::ok));
    assert_int_equal(c.epoch, 0xffffffffu);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.seq[0], 0);

    assert_int_equal(parse("00000000:1", c), static_cast<int>(status::ok));
    assert_int_equal(c.epoch, 0);
    assert_int_equal(c.seq[0], 1);
}


static void
test_parse_uppercase_hex(void **)
{
    cursor  c{};

    assert_int_equal(parse("DEADBEEF:7", c), static_cast<int>(status::ok));
    assert_int_equal(c.epoch, 0xdeadbeefu);
    assert_int_equal(parse("DeAdBeEf:7", c), static_cast<int>(status::ok));
    assert_int_equal(c.epoch, 0xdeadbeefu);
    assert_int_equal(c.seq[0], 7);
}


static void
test_parse_wrappers(void **)
{
    static const char  *ok[] = {
        "\"0123abcd:42\"",
        "W/\"0123abcd:42\"",
        "W/0123abcd:42",
        " 0123abcd:42",
        "0123abcd:42 ",
        " \t 0123abcd:42\t \t",
        "  \"0123abcd:42\"  ",
        "\tW/\"0123abcd:42\"\t",
    };

    for (const char *text : ok) {
        cursor  c{};

        if (parse(text, c) != static_cast<int>(status::ok)) {
            fail_msg("refused [%s]", text);
        }

        assert_int_equal(c.epoch, 0x0123abcd);
        assert_int_equal(c.count, 1);
        assert_int_equal(c.seq[0], 42);
    }
}


static void
test_parse_bad_wrappers(void **)
{
    static const char  *bad[] = {
        "\"0123abcd:42",            /* unbalanced quotes */
        "0123abcd:42\"",
        "\"",
        "\"\"",
        "W/",
        "W/\"\"",
        "w/\"0123abcd:42\"",        /* W/ is case-sensitive */
        "\"W/0123abcd:42\"",        /* W/ belongs outside the quotes */
        "W/ \"0123abcd:42\"",
        "W/W/\"0123abcd:42\"",
        "\" 0123abcd:42\"",         /* no blanks inside the quotes */
        "\"0123abcd:42 \"",
        "\"\"0123abcd:42\"\"",
        "'0123abcd:42'",
        "0123abcd:42\n",            /* only spaces and tabs are trimmed */
        "\r0123abcd:42",
        " ",
        "\t\t",
    };

    for (const char *text : bad) {
        if (parse_status(text) != static_cast<int>(status::invalid)) {
            fail_msg("accepted [%s]", text);
        }
    }
}


static void
test_parse_several_channels(void **)
{
    cursor  c{};

    assert_int_equal(parse("deadbeef:1,2,3", c), static_cast<int>(status::ok));
    assert_int_equal(c.epoch, 0xdeadbeefu);
    assert_int_equal(c.count, 3);
    assert_int_equal(c.seq[0], 1);
    assert_int_equal(c.seq[1], 2);
    assert_int_equal(c.seq[2], 3);

    assert_int_equal(parse("\"deadbeef:0,0\"", c),
                     static_cast<int>(status::ok));
    assert_int_equal(c.count, 2);
    assert_int_equal(c.seq[0], 0);
    assert_int_equal(c.seq[1], 0);
}


static std::string
cursor_text(size_t count)
{
    std::string  s = "0000abcd:";

    for (size_t i = 0; i < count; i++) {
        if (i != 0) {
            s += ',';
        }

        s += std::to_string(i + 100);
    }

    return s;
}


static void
test_parse_channel_limit(void **)
{
    cursor       c{};
    std::string  s16 = cursor_text(16);
    std::string  s17 = cursor_text(17);

    assert_int_equal(max_channels, 16);

    assert_int_equal(parse(s16, c), static_cast<int>(status::ok));
    assert_int_equal(c.count, 16);

    for (size_t i = 0; i < 16; i++) {
        assert_int_equal(c.seq[i], i + 100);
    }

    assert_int_equal(parse_status(s17), static_cast<int>(status::too_large));
    assert_int_equal(parse_status(cursor_text(100)),
                     static_cast<int>(status::too_large));

    /* A malformed cursor is invalid however many seqs it has. */
    assert_int_equal(parse_status(s17 + ","),
                     static_cast<int>(status::invalid));
    assert_int_equal(parse_status(s17 + ",x"),
                     static_cast<int>(status::invalid));
    assert_int_equal(parse_status(s17 + ",01"),
                     static_cast<int>(status::invalid));
}


static void
test_parse_seq_range(void **)
{
    cursor  c{};

    assert_int_equal(parse("01234567:18446744073709551615", c),
                     static_cast<int>(status::ok));
    assert_int_equal(c.seq[0], UINT64_MAX);

    assert_int_equal(parse("01234567:18446744073709551614", c),
                     static_cast<int>(status::ok));
    assert_int_equal(c.seq[0], UINT64_MAX - 1);

    assert_int_equal(parse("01234567:10000000000000000000", c),
                     static_cast<int>(status::ok));
    assert_int_equal(c.seq[0], 10000000000000000000ULL);

    static const char  *bad[] = {
        "01234567:18446744073709551616",
        "01234567:18446744073709551620",
        "01234567:99999999999999999999",
        "01234567:100000000000000000000",           /* 21 digits */
        "01234567:1,18446744073709551616",
        "01234567:18446744073709551616,1",
    };

    for (const char *text : bad) {
        if (parse_status(text) != static_cast<int>(status::invalid)) {
            fail_msg("accepted [%s]", text);
        }
    }
}


static void
test_parse_syntax_errors(void **)
{
    static const char  *bad[] = {
        "",
        ":",
        ":1",
        "0123abcd",                 /* missing colon */
        "0123abcd1",
        "0123abcd;1",
        "0123abcd:",                /* empty parts */
        "0123abcd:,",
        "0123abcd:1,",
        "0123abcd:,1",
        "0123abcd:1,,2",
        "0123abcd::1",
        "0123abcd:1:2",
        "0123abcd:01",              /* leading zeros */
        "0123abcd:00",
        "0123abcd:000000000000000000001",
        "0123abcd:1,02",
        "0123abcd:+1",              /* signs and other spellings */
        "0123abcd:-1",
        "0123abcd:0x1",
        "0123abcd:1e3",
        "0123abcd:1.0",
        "0123abcd: 1",              /* blanks inside are bytes */
        "0123abcd:1, 2",
        "0123abcd:1 ,2",
        "0123abcg:1",               /* bad hex */
        "0123abc:1",                /* 7 digits */
        "00123abcd:1",              /* 9 digits */
        "0x123abc:1",
        "-123abcd:1",
        " 123abcd:1x",
        "0123 abcd:1",
    };

    for (const char *text : bad) {
        if (parse_status(text) != static_cast<int>(status::invalid)) {
            fail_msg("accepted [%s]", text);
        }
    }

    /* Quoted versions of the same are invalid as well. */
    for (const char *text : bad) {
        std::string  q = std::string("\"") + text + "\"";

        if (parse_status(q) != static_cast<int>(status::invalid)) {
            fail_msg("accepted [%s]", q.c_str());
        }
    }
}


static void
test_parse_embedded_nul(void **)
{
    static const char  text[] = { '0', '1', '2', '3', 'a', 'b', 'c', 'd',
                                  ':', '1', '\0', '2' };

    assert_int_equal(parse_status(std::string_view(text, sizeof(text))),
                     static_cast<int>(status::invalid));
    assert_int_equal(parse_status(std::string_view(text, 10)),
                     static_cast<int>(status::ok));
}


static void
test_parse_failure_leaves_out_alone(void **)
{
    cursor  c{};

    c.epoch = 0x11111111;
    c.count = 3;
    c.seq[0] = 5;
    c.seq[1] = 6;
    c.seq[2] = 7;

    cursor  before = c;

    assert_int_equal(parse("0123abcd:1,x", c),
                     static_cast<int>(status::invalid));
    assert_memory_equal(&c, &before, sizeof(c));

    assert_int_equal(parse(cursor_text(17), c),
                     static_cast<int>(status::too_large));
    assert_memory_equal(&c, &before, sizeof(c));
}


static void
test_format_exact(void **)
{
    cursor  c{};

    c.epoch = 0x0123abcd;
    c.count = 1;
    c.seq[0] = 42;
    expect_format(c, "0123abcd:42");

    c.epoch = 0;
    c.seq[0] = 0;
    expect_format(c, "00000000:0");

    c.epoch = 0xDEADBEEF;
    c.count = 3;
    c.seq[0] = 1;
    c.seq[1] = 0;
    c.seq[2] = UINT64_MAX;
    expect_format(c, "deadbeef:1,0,18446744073709551615");

    c.epoch = 0x000000a0;
    c.count = 2;
    c.seq[0] = 10;
    c.seq[1] = 1000000;
    expect_format(c, "000000a0:10,1000000");
}


static void
test_format_id(void **)
{
    char    buf[64];
    size_t  n;

    n = format_id(0xcafef00d, 1234567890123ULL, buf, sizeof(buf));
    assert_int_equal(n, 22);
    assert_memory_equal(buf, "cafef00d:1234567890123", n);

    n = format_id(1, 0, buf, sizeof(buf));
    assert_int_equal(n, 10);
    assert_memory_equal(buf, "00000001:0", n);

    /* Exactly the right size fits, one byte less writes nothing. */
    std::memset(buf, '#', sizeof(buf));
    assert_int_equal(format_id(1, 99, buf, 11), 11);
    assert_memory_equal(buf, "00000001:99#", 12);

    std::memset(buf, '#', sizeof(buf));
    assert_int_equal(format_id(1, 99, buf, 10), 0);
    assert_int_equal(format_id(1, 99, buf, 0), 0);
    assert_int_equal(format_id(1, 99, nullptr, 0), 0);

    for (size_t i = 0; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], '#');
    }
}


static void
test_format_bad_count_or_small_buffer(void **)
{
    char    buf[push::cursor_max_len + 1];
    cursor  c{};

    std::memset(buf, '#', sizeof(buf));

    c.epoch = 1;
    c.count = 0;
    assert_int_equal(format_cursor(c, buf, sizeof(buf)), 0);

    c.count = max_channels + 1;
    assert_int_equal(format_cursor(c, buf, sizeof(buf)), 0);

    c.count = UINT32_MAX;
    assert_int_equal(format_cursor(c, buf, sizeof(buf)), 0);

    c.count = 3;
    c.seq[0] = 1;
    c.seq[1] = 22;
    c.seq[2] = 333;

    /* "00000001:1,22,333" is 17 bytes. */
    for (size_t len = 0; len < 17; len++) {
        assert_int_equal(format_cursor(c, buf, len), 0);
    }

    for (size_t i = 0; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], '#');
    }

    assert_int_equal(format_cursor(c, buf, 17), 17);
    assert_memory_equal(buf, "00000001:1,22,333#", 18);
}


static void
test_longest_cursor_fits(void **)
{
    char    buf[push::cursor_max_len];
    cursor  c{}, back{};
    size_t  n;

    c.epoch = 0xffffffffu;
    c.count = max_channels;

    for (size_t i = 0; i < max_channels; i++) {
        c.seq[i] = UINT64_MAX;
    }

    n = format_cursor(c, buf, sizeof(buf));
    assert_int_equal(n, 8 + 1 + 16 * 20 + 15);
    assert_true(n <= push::cursor_max_len);

    assert_int_equal(parse(std::string_view(buf, n), back),
                     static_cast<int>(status::ok));
    assert_memory_equal(&back, &c, sizeof(c));
}


static void
test_round_trip(void **)
{
    uint64_t  seed = 12345;

    for (int round = 0; round < 20000; round++) {
        char    buf[push::cursor_max_len + 4];
        cursor  c{}, back{};
        size_t  n;

        c.epoch = static_cast<uint32_t>(next_random(&seed));
        c.count = static_cast<uint32_t>(next_random(&seed) % max_channels) + 1;

        for (size_t i = 0; i < c.count; i++) {
            uint64_t  r = next_random(&seed);

            /* Spread the values over every decimal length. */
            c.seq[i] = r >> (next_random(&seed) % 64);
        }

        n = format_cursor(c, buf + 1, push::cursor_max_len);
        assert_true(n > 0);

        assert_int_equal(parse(std::string_view(buf + 1, n), back),
                         static_cast<int>(status::ok));
        assert_int_equal(back.epoch, c.epoch);
        assert_int_equal(back.count, c.count);

        for (size_t i = 0; i < c.count; i++) {
            assert_int_equal(back.seq[i], c.seq[i]);
        }

        /* The same text back as an entity-tag, strong and weak. */
        buf[0] = '"';
        buf[n + 1] = '"';
        assert_int_equal(parse(std::string_view(buf, n + 2), back),
                         static_cast<int>(status::ok));
        assert_int_equal(back.seq[c.count - 1], c.seq[c.count - 1]);

        std::string  weak = "W/" + std::string(buf, n + 2);

        assert_int_equal(parse(weak, back), static_cast<int>(status::ok));
        assert_int_equal(back.epoch, c.epoch);
    }
}


static void
test_parse_then_format_is_canonical(void **)
{
    static const struct {
        const char  *in;
        const char  *out;
    } cases[] = {
        { "DEADBEEF:5", "deadbeef:5" },
        { " W/\"AbCdEf01:1,2\"\t", "abcdef01:1,2" },
        { "\"00000000:0\"", "00000000:0" },
    };

    for (const auto &t : cases) {
        cursor  c{};

        assert_int_equal(parse(t.in, c), static_cast<int>(status::ok));
        expect_format(c, t.out);
    }
}


/* Nchan's ids as Nchan writes them and as clients send them back. */
static void
test_nchan_id_forms(void **)
{
    static const char  *yes[] = {
        "1606400000:0",
        "1606400000:17",
        "0:0",
        "1606400000:[0],-,2",             /* several channels */
        "1606400000:3,[-1],0",
        "1606400000:-1,-2,[4]",
        "1606400000:[12345]",
        "\"1606400000:0\"",               /* as an entity-tag */
        "W/\"1606400000:1,[2]\"",
        " 1606400000:0\t",
        "1606400000%3A0",                 /* encodeURIComponent's */
        "1606400000%3a%5B0%5D%2C-%2c2",
        "16064000001606400000:0",         /* 20 digits */
    };
    static const char  *no[] = {
        "",
        ":",
        "1606400000",
        "1606400000:",
        ":0",
        "-1:0",                           /* Nchan's own parser refuses */
        "160640000016064000001:0",        /* 21 digits */
        "1606400000:0,",
        "1606400000:,0",
        "1606400000:[0],[1]",             /* one active tag only */
        "1606400000:[-]",
        "1606400000:[0",
        "1606400000:0]",
        "1606400000:--1",
        "1606400000:123456",              /* more than 16 bits */
        "1606400000:0:0",
        "1606400000: 0",
        "1606400000 :0",
        "1606400000:a",
        "abc:0",
        "1606400000%3B0",
        "1606400000%3",
        "1606400000%253A0",
        "\"1606400000:0",
        "deadbeef:1",                     /* ours */
        "00000001:5",                     /* ours, all digits */
        "deadbeef:1,2",
    };

    for (const char *t : yes) {
        if (!push::nchan_id(t)) {
            fail_msg("nchan_id(\"%s\") is false", t);
        }
    }

    for (const char *t : no) {
        if (push::nchan_id(t)) {
            fail_msg("nchan_id(\"%s\") is true", t);
        }
    }
}


/* Ours first: a text both could be (8 digits, a colon, a number) is ours. */
static void
test_nchan_never_ours(void **)
{
    assert_false(push::nchan_id("12345678:9"));
    assert_false(push::nchan_tag("12345678:9"));
    /* ours with too many channels is ours too, and too_large */
    std::string  many = "deadbeef:0";

    for (size_t i = 0; i < max_channels; i++) {
        many += ",0";
    }
    assert_int_equal(parse_status(many), static_cast<int>(status::too_large));
    assert_false(push::nchan_id(many));
}


/* The tag part alone, as Nchan's long-poll Etag comes back. */
static void
test_nchan_tag_forms(void **)
{
    static const char  *yes[] = {
        "0", "\"0\"", "W/\"7\"", "[0],-,2", "%5B0%5D%2C-", "-", "-1",
    };
    static const char  *no[] = {
        "", "\"\"", "1606400000:0", "[0],[1]", "0,", "x", "0 1", "123456",
    };

    for (const char *t : yes) {
        if (!push::nchan_tag(t)) {
            fail_msg("nchan_tag(\"%s\") is false", t);
        }
    }

    for (const char *t : no) {
        if (push::nchan_tag(t)) {
            fail_msg("nchan_tag(\"%s\") is true", t);
        }
    }
}


/* At most nchan_max_tags tags. */
static void
test_nchan_tag_limit(void **)
{
    std::string  id = "1606400000:0";

    for (size_t i = 1; i < push::nchan_max_tags; i++) {
        id += ",0";
    }
    assert_true(push::nchan_id(id));

    id += ",0";
    assert_false(push::nchan_id(id));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_parse_one_channel),
        cmocka_unit_test(test_parse_uppercase_hex),
        cmocka_unit_test(test_parse_wrappers),
        cmocka_unit_test(test_parse_bad_wrappers),
        cmocka_unit_test(test_parse_several_channels),
        cmocka_unit_test(test_parse_channel_limit),
        cmocka_unit_test(test_parse_seq_range),
        cmocka_unit_test(test_parse_syntax_errors),
        cmocka_unit_test(test_parse_embedded_nul),
        cmocka_unit_test(test_parse_failure_leaves_out_alone),
        cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_format_id),
        cmocka_unit_test(test_format_bad_count_or_small_buffer),
        cmocka_unit_test(test_longest_cursor_fits),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_parse_then_format_is_canonical),
        cmocka_unit_test(test_nchan_id_forms),
        cmocka_unit_test(test_nchan_never_ours),
        cmocka_unit_test(test_nchan_tag_forms),
        cmocka_unit_test(test_nchan_tag_limit),
    };

    return cmocka_run_group_tests_name("id", tests, nullptr, nullptr);
}
