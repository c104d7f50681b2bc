/* Unit tests of the Redis scripts' calls as argument vectors
 * (src/protocol/push_redis_scripts, redis_*_argv): the same bytes as the
 * encoded calls the live check runs against a real redis-server. */

#include <cstring>
#include <string>
#include <string_view>

#include "unit.h"
#include "push_redis_scripts.h"
#include "push_resp.h"


using namespace push;


/* "{push:room}:meta" ... written by the scripts' own key writer */
struct keys_fixture {
    char                buf[256];
    redis_channel_keys  k;

    keys_fixture()
    {
        k = redis_channel_keys_write(buf, "push", "room");
        k.epoch = "{push}:epoch";
    }
};


static std::string
encode(const resp_arg *v, size_t n)
{
    std::string  out(resp_command_size(v, n), '\0');

    assert_int_equal(resp_command_write(out.data(), v, n), out.size());
    return out;
}


template <typename Args, typename Size, typename Write, typename Argv>
static void
same_bytes(const redis_script_ref &s, const redis_channel_keys &k,
    const Args &a, Size size, Write write, Argv argv, size_t nargs)
{
    resp_arg     v[redis_args_max];
    size_t       n = argv(v, s, k, a);
    std::string  want(size(s, k, a), '\0');

    assert_int_equal(n, nargs);
    assert_true(n <= redis_args_max);
    assert_int_equal(write(want.data(), s, k, a), want.size());
    assert_true(encode(v, n) == want);
}


static void
test_publish_argv(void **)
{
    keys_fixture        f;
    redis_publish_args  a{ "0badcafe", "", 3, 60000, 65536, false, 1,
                           "{push:room}:idem:k", 300000, "text/plain",
                           "news", std::string_view("a\0b", 3) };
    redis_script_ref    by_sha{ redis_script::publish,
                                "0123456789abcdef0123456789abcdef01234567" };
    redis_script_ref    by_text{ redis_script::publish, "" };

    /* EVALSHA sha 4 meta stream pubsub idem + 12 ARGV (the epoch key last) */
    same_bytes(by_sha, f.k, a, redis_publish_size, redis_publish_write,
               redis_publish_argv, 19);
    same_bytes(by_text, f.k, a, redis_publish_size, redis_publish_write,
               redis_publish_argv, 19);

    a.replace = "11111111";
    same_bytes(by_sha, f.k, a, redis_publish_size, redis_publish_write,
               redis_publish_argv, 19);
}


static void
test_history_info_delete_argv(void **)
{
    keys_fixture        f;
    redis_history_args  h{ "0badcafe", 41, 100, 3600000 };
    redis_info_args     i{ "0badcafe", 3600000 };
    redis_delete_args   d{ "0badcafe", 3600000, true };
    redis_script_ref    hs{ redis_script::history, "" };
    redis_script_ref    is{ redis_script::info,
                            "89abcdef0123456789abcdef0123456789abcdef" };
    redis_script_ref    ds{ redis_script::del, "" };

    same_bytes(hs, f.k, h, redis_history_size, redis_history_write,
               redis_history_argv, 10);
    same_bytes(is, f.k, i, redis_info_size, redis_info_write,
               redis_info_argv, 8);
    same_bytes(ds, f.k, d, redis_delete_size, redis_delete_write,
               redis_delete_argv, 10);
}


static void
test_argv_names_the_keys(void **)
{
    keys_fixture        f;
    resp_arg            v[redis_args_max];
    redis_history_args  h{ "0badcafe", 0, 1, 1000 };
    redis_script_ref    hs{ redis_script::history,
                            "0123456789abcdef0123456789abcdef01234567" };

    assert_int_equal(redis_history_argv(v, hs, f.k, h), 10);
    assert_true(v[0].str == "EVALSHA");
    assert_true(v[1].str == hs.sha1);
    assert_true(v[2].number && v[2].abs == 2);
    assert_true(v[3].str == "{push:room}:meta");
    assert_true(v[4].str == "{push:room}:stream");
    assert_true(v[5].str == "0badcafe");
    assert_true(v[6].number && v[6].abs == 0);
    assert_true(v[9].str == "{push}:epoch");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_publish_argv),
        cmocka_unit_test(test_history_info_delete_argv),
        cmocka_unit_test(test_argv_names_the_keys),
    };

    return cmocka_run_group_tests_name("redis_argv", tests, nullptr,
                                       nullptr);
}
