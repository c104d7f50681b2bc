/* A Redis server address as users write it, and the reconnect backoff. */

#include "push_redis_url.h"


namespace push {

static constexpr std::string_view  redis_scheme = "redis://";


static int
hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}


static status
refuse(redis_url &out, const char *reason) noexcept
{
    out.reason = reason;
    return status::invalid;
}


status
redis_url_parse(std::string_view url, redis_url &out) noexcept
{
    out = redis_url{ {}, {}, {}, 0, false, nullptr };

    if (url.substr(0, redis_scheme.size()) != redis_scheme) {
        if (url.substr(0, 9) == "rediss://") {
            return refuse(out, "rediss:// (TLS) is not supported");
        }
        return refuse(out, "expected redis://");
    }

    std::string_view  rest = url.substr(redis_scheme.size());

    if (rest.find_first_of("?#") != std::string_view::npos) {
        return refuse(out, "a query or fragment is not supported");
    }

    /* the authority ends at the first '/': the path is the database */
    size_t            slash = rest.find('/');
    std::string_view  authority = rest.substr(0, slash);
    std::string_view  path = slash == std::string_view::npos
                             ? std::string_view() : rest.substr(slash + 1);

    /* a password may hold '@' only escaped, but be lenient: the last '@'
     * ends the credentials, as URI parsers do */
    size_t  at = authority.rfind('@');

    if (at != std::string_view::npos) {
        std::string_view  cred = authority.substr(0, at);
        size_t            colon = cred.find(':');

        if (colon == std::string_view::npos) {
            return refuse(out, "credentials must be user:password@ "
                               "(or :password@ for the default user)");
        }

        out.user = cred.substr(0, colon);
        out.password = cred.substr(colon + 1);
        out.auth = true;
        authority = authority.substr(at + 1);
    }

    if (authority.empty() || authority[0] == ':') {
        return refuse(out, "no host");
    }

    out.host_port = authority;

    if (slash != std::string_view::npos && !path.empty()) {
        uint64_t  db = 0;

        if (path.size() > 10) {
            return refuse(out, "the database must be a number");
        }

        for (char c : path) {
            if (c < '0' || c > '9') {
                return refuse(out, "the database must be a number");
            }
            db = db * 10 + static_cast<uint64_t>(c - '0');
        }

        if (db > 0x7fffffff) {
            return refuse(out, "the database number is too large");
        }

        out.db = static_cast<uint32_t>(db);
    }

    return status::ok;
}


size_t
redis_url_unescape(std::string_view in, char *out) noexcept
{
    size_t  n = 0;

    for (size_t i = 0; i < in.size(); i++) {
        if (in[i] != '%') {
            out[n++] = in[i];
            continue;
        }

        if (i + 2 >= in.size()) {
            return SIZE_MAX;
        }

        int  hi = hex_value(in[i + 1]);
        int  lo = hex_value(in[i + 2]);

        if (hi < 0 || lo < 0) {
            return SIZE_MAX;
        }

        out[n++] = static_cast<char>(hi * 16 + lo);
        i += 2;
    }

    return n;
}


uint64_t
redis_backoff(uint64_t min, uint64_t max, uint32_t attempt, uint32_t random)
    noexcept
{
    uint64_t  delay = min;

    if (min == 0) {
        return 0;
    }

    /* doubling past max would overflow in the end: stop at max */
    for (uint32_t i = 0; i < attempt && delay < max; i++) {
        delay = delay > UINT64_MAX / 2 ? UINT64_MAX : delay * 2;
    }

    if (delay > max) {
        delay = max;
    }

    /* in [delay / 2, delay], never below min */
    uint64_t  half = delay / 2;

    delay -= half == 0 ? 0 : static_cast<uint64_t>(random) % (half + 1);

    return delay < min ? min : delay;
}

} /* namespace push */
