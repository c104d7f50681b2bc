/* Fuzz target: signed subscriber tokens.  Any bytes as a token must be
 * refused without harm (a valid MAC cannot be guessed); any bytes as a
 * payload, signed, must get the verdict a reference reading of the
 * recipe in push_token.h gives. */

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "push_token.h"


static const std::string_view  secret = "fuzz-secret";
static const int64_t           now = 1800000000;


static bool
reference_granted(std::string_view grants, std::string_view channel)
{
    size_t start = 0;

    for (size_t i = 0; i <= grants.size(); i++) {
        if (i < grants.size() && grants[i] != ',') {
            continue;
        }

        std::string_view g = grants.substr(start, i - start);
        start = i + 1;

        if (g.empty()) {
            /* "a,,b" or a trailing comma: grants nothing */
            continue;
        }

        if (g.back() == '*') {
            if (channel.substr(0, g.size() - 1) == g.substr(0, g.size() - 1)
                && channel.size() >= g.size() - 1)
            {
                return true;
            }
        } else if (g == channel) {
            return true;
        }
    }

    return false;
}


static push::token_status
reference(std::string_view payload, std::string_view channel)
{
    size_t colon = payload.find(':');

    if (colon == std::string_view::npos || colon == 0 || colon > 18) {
        return push::token_status::malformed;
    }

    int64_t expiry = 0;
    for (size_t i = 0; i < colon; i++) {
        if (payload[i] < '0' || payload[i] > '9') {
            return push::token_status::malformed;
        }
        expiry = expiry * 10 + (payload[i] - '0');
    }

    if (expiry <= now) {
        return push::token_status::expired;
    }

    return reference_granted(payload.substr(colon + 1), channel)
           ? push::token_status::ok : push::token_status::not_granted;
}


extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > push::token_max_len) {
        return 0;
    }

    /* the first byte: how long the channel asked for is */
    size_t            clen = data[0] % 16;
    std::string_view  rest(reinterpret_cast<const char *>(data) + 1,
                           size - 1);

    if (clen > rest.size()) {
        clen = rest.size();
    }

    std::string_view  channel = rest.substr(0, clen);
    std::string_view  text = rest.substr(clen);

    /* as a token: never accepted */
    if (push::token_check(secret, text, now, &channel, 1)
        == push::token_status::ok)
    {
        abort();
    }

    /* as a payload, signed: the reference's verdict */
    if (text.empty()) {
        return 0;
    }

    char    token[2 * push::token_max_len];
    size_t  n = push::token_make(secret, text, token, sizeof(token));

    if (n == 0) {
        abort();
    }

    push::token_status  got = push::token_check(
        secret, std::string_view(token, n), now, &channel, 1);

    if (n > push::token_max_len) {
        if (got != push::token_status::malformed) {
            abort();
        }
        return 0;
    }

    if (got != reference(text, channel)) {
        abort();
    }

    return 0;
}
