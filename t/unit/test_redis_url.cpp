/* Unit tests of Redis URLs and the reconnect backoff
 * (src/protocol/push_redis_url). */

#include <cstring>
#include <string_view>

#include "unit.h"
#include "push_redis_url.h"


using push::redis_url;
using push::redis_url_parse;
using push::status;


static void
test_plain_host_port(void **)
{
    redis_url  u;

    assert_true(redis_url_parse("redis://127.0.0.1:6379", u) == status::ok);
    assert_true(u.host_port == "127.0.0.1:6379");
    assert_false(u.auth);
    assert_int_equal(u.db, 0);

    assert_true(redis_url_parse("redis://cache", u) == status::ok);
    assert_true(u.host_port == "cache");

    /* a trailing slash is database 0 */
    assert_true(redis_url_parse("redis://cache:1/", u) == status::ok);
    assert_int_equal(u.db, 0);
}


static void
test_credentials_and_db(void **)
{
    redis_url  u;

    assert_true(redis_url_parse("redis://app:s3cr%40t@[::1]:6380/12", u)
                == status::ok);
    assert_true(u.auth);
    assert_true(u.user == "app");
    assert_true(u.password == "s3cr%40t");
    assert_true(u.host_port == "[::1]:6380");
    assert_int_equal(u.db, 12);

    /* the default user */
    assert_true(redis_url_parse("redis://:pw@h:1", u) == status::ok);
    assert_true(u.auth);
    assert_true(u.user.empty());
    assert_true(u.password == "pw");

    /* an unescaped '@' in the password: the last one ends it */
    assert_true(redis_url_parse("redis://u:a@b@h:1", u) == status::ok);
    assert_true(u.password == "a@b");
    assert_true(u.host_port == "h:1");

    assert_true(redis_url_parse("redis://h:1/2147483647", u) == status::ok);
    assert_int_equal(u.db, 2147483647u);
}


static void
test_refused(void **)
{
    redis_url          u;
    const char *const  bad[] = {
        "", "redis:/h:1", "http://h:1", "rediss://h:1", "redis://",
        "redis://:1", "redis://u@h:1", "redis://u:p@", "redis://h:1/x",
        "redis://h:1/-1", "redis://h:1/2147483648", "redis://h:1/99999999999",
        "redis://h:1?db=1", "redis://h:1#f", "redis://h:1/1/2",
    };

    for (const char *s : bad) {
        assert_true(redis_url_parse(s, u) == status::invalid);
        assert_non_null(u.reason);
    }

    assert_true(redis_url_parse("rediss://h:1", u) == status::invalid);
    assert_non_null(std::strstr(u.reason, "TLS"));
}


static void
test_unescape(void **)
{
    char  out[32];

    assert_int_equal(push::redis_url_unescape("a%40b%2fc", out), 5);
    assert_memory_equal(out, "a@b/c", 5);
    assert_int_equal(push::redis_url_unescape("", out), 0);
    assert_int_equal(push::redis_url_unescape("%", out), SIZE_MAX);
    assert_int_equal(push::redis_url_unescape("%4", out), SIZE_MAX);
    assert_int_equal(push::redis_url_unescape("%zz", out), SIZE_MAX);
    assert_int_equal(push::redis_url_unescape("x%4", out), SIZE_MAX);
}


static void
test_backoff(void **)
{
    /* without jitter (random 0): min, doubling, capped at max */
    assert_int_equal(push::redis_backoff(100, 5000, 0, 0), 100);
    assert_int_equal(push::redis_backoff(100, 5000, 1, 0), 200);
    assert_int_equal(push::redis_backoff(100, 5000, 5, 0), 3200);
    assert_int_equal(push::redis_backoff(100, 5000, 6, 0), 5000);
    assert_int_equal(push::redis_backoff(100, 5000, 4000000000u, 0), 5000);

    /* jitter stays within [delay / 2, delay] and never under min */
    for (uint32_t r = 0; r < 100000; r += 7) {
        uint64_t  d = push::redis_backoff(100, 5000, 10, r * 2654435761u);
        assert_true(d >= 2500 && d <= 5000);
        d = push::redis_backoff(100, 5000, 0, r * 2654435761u);
        assert_true(d == 100);
        d = push::redis_backoff(100, 5000, 2, r * 2654435761u);
        assert_true(d >= 200 && d <= 400);
    }

    /* a huge max does not overflow */
    assert_true(push::redis_backoff(1, UINT64_MAX, 200, 0) == UINT64_MAX);
    assert_int_equal(push::redis_backoff(0, 10, 3, 5), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_plain_host_port),
        cmocka_unit_test(test_credentials_and_db),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_backoff),
    };

    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
