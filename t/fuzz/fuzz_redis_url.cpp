/* Fuzz target: redis:// URLs, their percent-decoding and the reconnect
 * backoff.  Checks that an accepted URL's parts are views into it, keep the
 * form's rules, and read back the same once written again; decoding against
 * a reference; the backoff's bounds for any inputs. */

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "push_redis_url.h"


namespace {

void
check_view(std::string_view v, std::string_view in)
{
    if (!v.empty() && (v.data() < in.data()
                       || v.data() + v.size() > in.data() + in.size()))
    {
        abort();
    }
}


/* The parts written back in the form the header gives. */
std::string
url_write(const push::redis_url &u)
{
    std::string  s = "redis://";

    if (u.auth) {
        s += std::string(u.user) + ":" + std::string(u.password) + "@";
    }

    s += std::string(u.host_port);

    if (u.db != 0) {
        s += "/" + std::to_string(u.db);
    }

    return s;
}


int
hex(char c)
{
    const char  *digits = "0123456789abcdef0123456789ABCDEF";
    const char  *p = c ? std::strchr(digits, c) : nullptr;

    return p ? int(p - digits) % 16 : -1;
}


/* RFC 3986 section 2.1, written apart from the module's. */
bool
reference_unescape(std::string_view in, std::string &out)
{
    out.clear();

    for (size_t i = 0; i < in.size(); i++) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }

        if (in.size() - i < 3 || hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0) {
            return false;
        }

        out += char(hex(in[i + 1]) * 16 + hex(in[i + 2]));
        i += 2;
    }

    return true;
}


void
check_unescape(std::string_view in)
{
    std::vector<char>  out(in.size() + 1, '#');
    std::string        want;
    size_t             n = push::redis_url_unescape(in, out.data());
    bool               ok = reference_unescape(in, want);

    if (out[in.size()] != '#') {
        abort();
    }

    if (!ok) {
        if (n != SIZE_MAX) {
            abort();
        }
        return;
    }

    if (n != want.size() || std::string_view(out.data(), n) != want) {
        abort();
    }

    /* every byte escaped decodes to itself */
    std::string  escaped;

    for (char c : want) {
        static const char  x[] = "0123456789ABCDEF";
        escaped += '%';
        escaped += x[uint8_t(c) >> 4];
        escaped += x[uint8_t(c) & 15];
    }

    std::vector<char>  back(escaped.size() + 1);

    if (push::redis_url_unescape(escaped, back.data()) != want.size()
        || std::string_view(back.data(), want.size()) != want)
    {
        abort();
    }
}


void
check_url(std::string_view url)
{
    push::redis_url  u;

    if (push::redis_url_parse(url, u) != push::status::ok) {
        if (u.reason == nullptr || u.reason[0] == '\0') {
            abort();
        }
        return;
    }

    check_view(u.user, url);
    check_view(u.password, url);
    check_view(u.host_port, url);

    if (u.reason != nullptr || u.host_port.empty() || u.host_port[0] == ':'
        || u.host_port.find_first_of("/?#@") != std::string_view::npos
        || u.user.find_first_of(":/?#") != std::string_view::npos
        || u.password.find_first_of("/?#") != std::string_view::npos
        || (!u.auth && (!u.user.empty() || !u.password.empty()))
        || u.db > 0x7fffffff)
    {
        abort();
    }

    std::string      again = url_write(u);
    push::redis_url  u2;

    if (push::redis_url_parse(again, u2) != push::status::ok
        || u2.user != u.user || u2.password != u.password
        || u2.host_port != u.host_port || u2.db != u.db
        || u2.auth != u.auth || url_write(u2) != again)
    {
        abort();
    }

    check_unescape(u.user);
    check_unescape(u.password);
}


uint64_t
saturating_shift(uint64_t v, uint32_t n)
{
    for (uint32_t i = 0; i < n && v != 0; i++) {
        if (v > UINT64_MAX / 2) {
            return UINT64_MAX;
        }
        v *= 2;
    }

    return v;
}


/* min * 2^attempt, at most max, lowered by up to half, never below min. */
void
check_backoff(uint64_t min, uint64_t max, uint32_t attempt, uint32_t random)
{
    uint64_t  d = push::redis_backoff(min, max, attempt, random);

    if (min > max) {
        /* the configuration refuses it; never below min wins */
        if (d != min) {
            abort();
        }
        return;
    }

    uint64_t  full = saturating_shift(min, attempt);

    full = full < max ? full : max;

    uint64_t  low = full - full / 2;

    low = low < min ? min : low;

    if (d < min || d > max || d < low || d > full) {
        abort();
    }

    if (random == 0 && d != full) {
        abort();
    }

    /* a later attempt never has a lower ceiling */
    if (attempt < UINT32_MAX
        && push::redis_backoff(min, max, attempt + 1, 0) < full)
    {
        abort();
    }
}

} /* namespace */


extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view  url(reinterpret_cast<const char *>(data), size);

    check_url(url);
    check_unescape(url);

    /* the first 24 bytes: min, max, attempt, random */
    uint8_t   b[24] = {};
    uint64_t  min, max;
    uint32_t  attempt, random;

    std::memcpy(b, data, size < sizeof(b) ? size : sizeof(b));
    std::memcpy(&min, b, 8);
    std::memcpy(&max, b + 8, 8);
    std::memcpy(&attempt, b + 16, 4);
    std::memcpy(&random, b + 20, 4);

    check_backoff(min, max, attempt, random);

    /* and as a configuration would have them: milliseconds, a few tries */
    check_backoff(min % 100000, max % 10000000, attempt % 64, random);
    check_backoff(min % 100000, min % 100000 + max % 10000000, attempt % 64,
                  random);

    return 0;
}
