/* Unit tests of signed subscriber tokens (src/protocol/push_token). */

#include <string>
#include <string_view>

#include "unit.h"
#include "push_token.h"


using push::token_check;
using push::token_make;
using push::token_status;


/* The README's example: secret "s3cret", payload
 * "1893456000:news,user.42.*" (until 2030-01-01, channel "news" and every
 * channel starting with "user.42."). */
static const char  example[] =
    "MTg5MzQ1NjAwMDpuZXdzLHVzZXIuNDIuKg"
    ".5VZ7PP88_DBvIExmC1ikAZ5jswzE5dhfEcyhyOZZzZc";

static const int64_t  before_expiry = 1800000000;


static int
check(std::string_view token, std::string_view channel,
    int64_t now = before_expiry, std::string_view secret = "s3cret")
{
    return static_cast<int>(token_check(secret, token, now, &channel, 1));
}


static int
st(token_status s)
{
    return static_cast<int>(s);
}


static void
test_documented_example(void **)
{
    char    out[256];
    size_t  n = token_make("s3cret", "1893456000:news,user.42.*", out,
                           sizeof(out));

    assert_int_equal(n, sizeof(example) - 1);
    assert_memory_equal(out, example, n);
    assert_int_equal(check(example, "news"), st(token_status::ok));
}


static void
test_grants_exact_and_prefix(void **)
{
    assert_int_equal(check(example, "user.42.inbox"), st(token_status::ok));
    assert_int_equal(check(example, "user.42."), st(token_status::ok));
    assert_int_equal(check(example, "user.4"),
                     st(token_status::not_granted));
    assert_int_equal(check(example, "user.43.inbox"),
                     st(token_status::not_granted));
    assert_int_equal(check(example, "news2"), st(token_status::not_granted));
    assert_int_equal(check(example, "new"), st(token_status::not_granted));

    /* every channel of a multiplexed subscription must be granted */
    std::string_view both[] = { "news", "user.42.a" };
    std::string_view one_out[] = { "news", "sport" };
    assert_int_equal(st(token_check("s3cret", example, before_expiry, both, 2)),
                     st(token_status::ok));
    assert_int_equal(st(token_check("s3cret", example, before_expiry,
                                    one_out, 2)),
                     st(token_status::not_granted));
}


static void
test_expiry(void **)
{
    assert_int_equal(check(example, "news", 1893455999), st(token_status::ok));
    assert_int_equal(check(example, "news", 1893456000),
                     st(token_status::expired));
    assert_int_equal(check(example, "news", 1893456001),
                     st(token_status::expired));
}


static void
test_tampering_is_seen(void **)
{
    std::string t(example);

    /* another secret */
    assert_int_equal(check(example, "news", before_expiry, "s3cret!"),
                     st(token_status::bad_signature));

    /* a later expiry: "1993456000:news,user.42.*" under the old MAC */
    std::string later = "MTk5MzQ1NjAwMDpuZXdzLHVzZXIuNDIuKg"
                        + t.substr(t.find('.'));
    assert_int_equal(check(later, "news"), st(token_status::bad_signature));

    /* every single changed character of the MAC */
    for (size_t i = t.find('.') + 1; i < t.size(); i++) {
        std::string u = t;
        u[i] = u[i] == 'A' ? 'B' : 'A';
        int r = check(u, "news");
        assert_true(r == st(token_status::bad_signature)
                    || r == st(token_status::malformed));
    }
}


static void
test_malformed(void **)
{
    std::string t(example);
    std::string mac = t.substr(t.find('.'));

    assert_int_equal(check("", "news"), st(token_status::malformed));
    assert_int_equal(check("abc", "news"), st(token_status::malformed));
    assert_int_equal(check(".abc", "news"), st(token_status::malformed));
    assert_int_equal(check(t.substr(0, t.find('.') + 1), "news"),
                     st(token_status::malformed));
    /* padding, standard base64 and stray characters are not base64url */
    assert_int_equal(check(t + "=", "news"), st(token_status::malformed));
    assert_int_equal(check("MTg5+zQ1" + mac, "news"),
                     st(token_status::malformed));
    assert_int_equal(check(t + " ", "news"), st(token_status::malformed));
    /* a short MAC */
    assert_int_equal(check(t.substr(0, t.size() - 4), "news"),
                     st(token_status::malformed));
    /* too long */
    assert_int_equal(check(std::string(push::token_max_len + 1, 'A') + mac,
                           "news"),
                     st(token_status::malformed));
}


static void
test_signed_but_malformed_payload(void **)
{
    char    out[256];
    size_t  n;

    /* no colon, an empty or non-numeric expiry: the app signed garbage */
    for (const char *p : { "news", ":news", "12a4:news", "-5:news",
                           "99999999999999999999:news" })
    {
        n = token_make("s3cret", p, out, sizeof(out));
        assert_true(n > 0);
        assert_int_equal(check(std::string_view(out, n), "news"),
                         st(token_status::malformed));
    }

    /* an empty grant list grants nothing */
    n = token_make("s3cret", "1893456000:", out, sizeof(out));
    assert_int_equal(check(std::string_view(out, n), "news"),
                     st(token_status::not_granted));

    /* empty grants ("a,,b", a trailing comma) grant nothing, not even an
     * empty id (found by the fuzzer: t/fuzz/regress/fuzz_token) */
    n = token_make("s3cret", "1893456000:a,,b,", out, sizeof(out));
    assert_int_equal(check(std::string_view(out, n), "b"),
                     st(token_status::ok));
    assert_int_equal(check(std::string_view(out, n), ""),
                     st(token_status::not_granted));

    /* "*" grants everything */
    n = token_make("s3cret", "1893456000:*", out, sizeof(out));
    assert_int_equal(check(std::string_view(out, n), "anything"),
                     st(token_status::ok));

    /* out too small */
    assert_int_equal(token_make("s3cret", "1893456000:news", out, 10), 0);
}


/* A grant whose channel id holds "," or ends in "*": a backslash makes
 * the next byte literal (the C strings below double each backslash). */
static int
grant(std::string_view grants, std::string_view channel)
{
    char         out[512];
    std::string  payload = "1893456000:" + std::string(grants);
    size_t       n = token_make("s3cret", payload, out, sizeof(out));

    assert_true(n > 0);
    return check(std::string_view(out, n), channel);
}


static void
test_escaped_grants(void **)
{
    int  ok = st(token_status::ok);
    int  no = st(token_status::not_granted);
    int  bad = st(token_status::malformed);

    /* a channel literally named "x*": only it, not a prefix */
    assert_int_equal(grant("x\\*", "x*"), ok);
    assert_int_equal(grant("x\\*", "xy"), no);
    assert_int_equal(grant("x\\*", "x"), no);
    /* unescaped, "x*" stays a prefix (and so grants "x*" too) */
    assert_int_equal(grant("x*", "xy"), ok);
    assert_int_equal(grant("x*", "x*"), ok);
    /* an escaped star, then a real one: every channel starting "x*" */
    assert_int_equal(grant("x\\**", "x*y"), ok);
    assert_int_equal(grant("x\\**", "xy"), no);
    /* a prefix grant before others in the list, escaped or not */
    assert_int_equal(grant("x*,b", "xy"), ok);
    assert_int_equal(grant("x\\*,b", "xy"), no);
    assert_int_equal(grant("x\\*,b", "x*"), ok);
    assert_int_equal(grant("x\\**,b", "x*y"), ok);

    /* a comma inside a channel id */
    assert_int_equal(grant("a\\,b", "a,b"), ok);
    assert_int_equal(grant("a\\,b", "a"), no);
    assert_int_equal(grant("a\\,b", "b"), no);
    assert_int_equal(grant("n,a\\,b,z", "a,b"), ok);
    assert_int_equal(grant("n,a\\,b,z", "z"), ok);

    /* a backslash itself, and one before any other byte */
    assert_int_equal(grant("a\\\\,b", "a\\"), ok);
    assert_int_equal(grant("a\\\\,b", "b"), ok);
    assert_int_equal(grant("a\\\\*", "a\\z"), ok);
    assert_int_equal(grant("a\\\\*", "az"), no);
    assert_int_equal(grant("\\q", "q"), ok);
    assert_int_equal(grant("\\q", "\\q"), no);

    /* a star that does not end a grant was always literal */
    assert_int_equal(grant("a*b", "a*b"), ok);
    assert_int_equal(grant("a*b", "axb"), no);

    /* a backslash with nothing after it: the app signed garbage */
    assert_int_equal(grant("news,a\\", "news"), bad);
    assert_int_equal(grant("a\\\\\\", "a\\"), bad);
    assert_int_equal(grant("\\", "news"), bad);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_documented_example),
        cmocka_unit_test(test_grants_exact_and_prefix),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_tampering_is_seen),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_signed_but_malformed_payload),
        cmocka_unit_test(test_escaped_grants),
    };

    return cmocka_run_group_tests_name("token", tests, nullptr, nullptr);
}
