/* Unit tests of the channel-id rules (src/protocol/push_channel_id). */

#include <string>
#include <string_view>

#include "unit.h"
#include "push_channel_id.h"


using push::check_channel_id;
using push::status;


static int
check(std::string_view id, size_t max_len)
{
    return static_cast<int>(check_channel_id(id, max_len));
}


static void
test_empty_is_invalid(void **)
{
    assert_int_equal(check("", 255), static_cast<int>(status::invalid));
    assert_int_equal(check("", 0), static_cast<int>(status::invalid));

    /* A null view is empty too. */
    assert_int_equal(check(std::string_view(), 255),
                     static_cast<int>(status::invalid));
}


static void
test_plain_ids_are_ok(void **)
{
    assert_int_equal(check("a", 255), static_cast<int>(status::ok));
    assert_int_equal(check("news.sport-42_x", 255),
                     static_cast<int>(status::ok));
    assert_int_equal(check("with space", 255), static_cast<int>(status::ok));
    assert_int_equal(check("/?#%:;\"'<>{}~", 255),
                     static_cast<int>(status::ok));
}


static void
test_length_limit(void **)
{
    std::string  id255(255, 'x');
    std::string  id256(256, 'x');

    assert_int_equal(check(id255, 255), static_cast<int>(status::ok));
    assert_int_equal(check(id256, 255), static_cast<int>(status::too_large));
    assert_int_equal(check(id256, 256), static_cast<int>(status::ok));
    assert_int_equal(check("a", 0), static_cast<int>(status::too_large));
    assert_int_equal(check("ab", 1), static_cast<int>(status::too_large));
    assert_int_equal(check("a", 1), static_cast<int>(status::ok));
}


static void
test_too_large_is_checked_first(void **)
{
    /* The documented order: an oversized id is refused by its length. */
    std::string  id(300, 'x');

    id[10] = '\n';

    assert_int_equal(check(id, 255), static_cast<int>(status::too_large));
    assert_int_equal(check(id, 300), static_cast<int>(status::invalid));
}


static void
test_every_control_byte_is_invalid(void **)
{
    for (int c = 0; c < 0x20; c++) {
        char  b = static_cast<char>(c);

        /* At the start, in the middle, at the end, and alone. */
        std::string  start = std::string(1, b) + "abc";
        std::string  middle = std::string("ab") + b + "c";
        std::string  end = std::string("abc") + b;
        std::string  alone(1, b);

        assert_int_equal(check(start, 255), static_cast<int>(status::invalid));
        assert_int_equal(check(middle, 255),
                         static_cast<int>(status::invalid));
        assert_int_equal(check(end, 255), static_cast<int>(status::invalid));
        assert_int_equal(check(alone, 255), static_cast<int>(status::invalid));
    }
}


static void
test_embedded_nul_is_seen(void **)
{
    /* The view's length, not a C string's, is what counts. */
    static const char  id[] = { 'a', '\0', 'b' };

    assert_int_equal(check(std::string_view(id, sizeof(id)), 255),
                     static_cast<int>(status::invalid));
}


static void
test_del_is_invalid(void **)
{
    assert_int_equal(check("\x7f", 255), static_cast<int>(status::invalid));
    assert_int_equal(check("ab\x7f" "c", 255),
                     static_cast<int>(status::invalid));
}


static void
test_every_other_ascii_byte_is_ok(void **)
{
    for (int c = 0x20; c <= 0x7f; c++) {
        std::string  id = std::string("x") + static_cast<char>(c) + "y";
        int          want = static_cast<int>(c == 0x7f ? status::invalid
                                                       : status::ok);

        assert_int_equal(check(id, 255), want);
    }
}


static void
test_bytes_that_are_not_utf8_are_invalid(void **)
{
    /* a lone byte >= 0x80 is never UTF-8: JSON answers could not carry it */
    for (int c = 0x80; c <= 0xff; c++) {
        std::string  id = std::string("x") + static_cast<char>(c) + "y";

        assert_int_equal(check(id, 255), static_cast<int>(status::invalid));
    }

    assert_int_equal(check("\xff" "bad", 255),
                     static_cast<int>(status::invalid));
    /* overlong, surrogate, cut short at the end */
    assert_int_equal(check("\xc0\xaf", 255),
                     static_cast<int>(status::invalid));
    assert_int_equal(check("\xed\xa0\x80", 255),
                     static_cast<int>(status::invalid));
    assert_int_equal(check("caf\xc3", 255),
                     static_cast<int>(status::invalid));
}


static void
test_utf8_is_ok(void **)
{
    assert_int_equal(check("caf\xc3\xa9", 255), static_cast<int>(status::ok));
    assert_int_equal(check("\xe6\x97\xa5\xe6\x9c\xac", 255),
                     static_cast<int>(status::ok));
    assert_int_equal(check("\xf0\x9f\x93\xa2-news", 255),
                     static_cast<int>(status::ok));

    /* Bytes are judged, not characters: 4 bytes do not fit in 3. */
    assert_int_equal(check("\xf0\x9f\x93\xa2", 3),
                     static_cast<int>(status::too_large));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_empty_is_invalid),
        cmocka_unit_test(test_plain_ids_are_ok),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_too_large_is_checked_first),
        cmocka_unit_test(test_every_control_byte_is_invalid),
        cmocka_unit_test(test_embedded_nul_is_seen),
        cmocka_unit_test(test_del_is_invalid),
        cmocka_unit_test(test_every_other_ascii_byte_is_ok),
        cmocka_unit_test(test_bytes_that_are_not_utf8_are_invalid),
        cmocka_unit_test(test_utf8_is_ok),
    };

    return cmocka_run_group_tests_name("channel_id", tests, nullptr, nullptr);
}
