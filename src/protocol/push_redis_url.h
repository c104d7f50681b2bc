/* A Redis server address as users write it: redis://[user:password@]host:port[/db]. */

#ifndef PUSH_REDIS_URL_H
#define PUSH_REDIS_URL_H


#include <cstddef>
#include <cstdint>
#include <string_view>

#include "push_status.h"


namespace push {

/*
 * The form of the IANA "redis" URI scheme (Redis docs, "redis-cli",
 * -u option; the scheme's registration): the scheme, optional credentials,
 * the host and port, an optional database number.
 *
 *     redis://127.0.0.1:6379           redis://:secret@cache:6379/2
 *     redis://app:secret@[::1]:6379    redis://cache      (port 6379)
 *
 * Split here, the host and port are checked and resolved by the caller
 * (nginx's ngx_parse_url at configuration time).  user and password are
 * percent-encoded as in any URI and stay so in the views: decode them with
 * redis_url_unescape().  Refused as invalid, with reason set: another
 * scheme (rediss:// is TLS, which the link does not speak), credentials
 * without a ':' (ambiguous: a user or a password?), an empty host, a query
 * or fragment, a database that is not a decimal number up to 2^31 - 1.
 */
struct redis_url {
    std::string_view  user;       /* empty: the default user */
    std::string_view  password;
    std::string_view  host_port;  /* as written: "h:p", "[v6]:p" or "h" */
    uint32_t          db;
    bool              auth;       /* credentials were given */
    const char       *reason;     /* when invalid, a static string */
};

status redis_url_parse(std::string_view url, redis_url &out) noexcept;

/*
 * Percent-decodes in into out (at least in.size() bytes); returns the
 * length written, or SIZE_MAX when a '%' is not followed by two hex digits.
 */
size_t redis_url_unescape(std::string_view in, char *out) noexcept;


/*
 * The delay before reconnect attempt n (0 for the first after a failure):
 * min * 2^n, at most max, then lowered by up to half at random (never below
 * min) so that the workers of many servers that lost one Redis do not come
 * back in step.
 * random is any 32-bit value from the caller's generator.
 */
uint64_t redis_backoff(uint64_t min, uint64_t max, uint32_t attempt,
    uint32_t random) noexcept;

} /* namespace push */


#endif /* PUSH_REDIS_URL_H */
