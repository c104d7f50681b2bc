/* Unit tests of the Idempotency-Key header (src/protocol/push_idempotency). */

#include <string>

#include "unit.h"
#include "push_idempotency.h"


using namespace push;


static void
test_accepted(void **state)
{
    (void) state;

    std::string_view  k;

    /* the draft's form: a Structured Field String */
    assert_int_equal(idempotency_key_parse(
        "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"", k), status::ok);
    assert_true(k == "8e03978e-40d5-43e8-bc93-6894a57f9324");

    /* the same characters unquoted */
    assert_int_equal(idempotency_key_parse("abc.DEF_0~9:+/=", k), status::ok);
    assert_true(k == "abc.DEF_0~9:+/=");

    std::string  longest(idempotency_key_max, 'a');

    assert_int_equal(idempotency_key_parse(longest, k), status::ok);
    assert_int_equal(k.size(), idempotency_key_max);
    assert_int_equal(idempotency_key_parse("\"" + longest + "\"", k),
                     status::ok);
}


static void
test_refused(void **state)
{
    (void) state;

    std::string_view  k = "unchanged";

    const char  *bad[] = {
        "", "\"\"", "\"", "a b", "\"a b\"", "a\"b", "\"a\\\"b\"", "a{b",
        "a}b", "a%20b", "\"abc", "abc\"", "a,b", "a;b", "caf\xc3\xa9",
        "a\tb", "a\x7f",
    };

    for (const char *b : bad) {
        assert_int_equal(idempotency_key_parse(b, k), status::invalid);
    }

    assert_true(k == "unchanged");

    std::string  over(idempotency_key_max + 1, 'a');

    assert_int_equal(idempotency_key_parse(over, k), status::too_large);
    assert_int_equal(idempotency_key_parse("\"" + over + "\"", k),
                     status::too_large);
}


static void
test_made(void **state)
{
    (void) state;

    const unsigned char  r[16] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef,
                                   0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
                                   0x70, 0x9a };
    char                 out[idempotency_key_made];
    std::string_view     k;

    idempotency_key_make(r, out);

    std::string_view  made(out, sizeof(out));

    assert_true(made == "00017f80abcdefff10203040506070" "9a");
    /* a made key is one the header would accept */
    assert_int_equal(idempotency_key_parse(made, k), status::ok);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_made),
    };

    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
