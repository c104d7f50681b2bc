/* Fuzz target: signed subscriber tokens.  Any bytes as a token must be
 * refused without harm (a valid MAC cannot be guessed); any bytes as a
 * payload, signed, must get the verdict a reference reading of the
 * recipe in push_token.h gives. */

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "push_token.h"


static const std::string_view  secret = "fuzz-secret";
static const int64_t           now = 1800000000;


/* The grant list read the way the recipe says, into whole grants first:
 * a backslash takes the next byte literally, an unescaped "," ends a
 * grant, an unescaped "*" that ends one makes it a prefix.  false: a
 * backslash with nothing after it. */
static bool
reference_grants(std::string_view grants,
                 std::vector<std::pair<std::string, bool>> *out)
{
    std::string  text;
    bool         star = false, escaped = false;

    for (char c : grants) {
        if (escaped) {
            if (star) {
                text += '*';
                star = false;
            }
            text += c;
            escaped = false;
            continue;
        }

        if (star) {
            /* the star did not end the grant: it was a plain byte */
            star = false;
            if (c != ',') {
                text += '*';
            } else {
                out->emplace_back(text, true);
                text.clear();
                continue;
            }
        }

        if (c == '\\') {
            escaped = true;
        } else if (c == ',') {
            out->emplace_back(text, false);
            text.clear();
        } else if (c == '*') {
            star = true;
        } else {
            text += c;
        }
    }

    if (escaped) {
        return false;
    }

    out->emplace_back(text, star);
    return true;
}


static bool
reference_granted(const std::vector<std::pair<std::string, bool>> &grants,
                  std::string_view channel)
{
    for (const auto &g : grants) {
        if (g.first.empty() && !g.second) {
            /* "a,,b" or a trailing comma: grants nothing */
            continue;
        }

        if (g.second) {
            if (channel.size() >= g.first.size()
                && channel.substr(0, g.first.size()) == g.first)
            {
                return true;
            }
        } else if (channel == g.first) {
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

    std::vector<std::pair<std::string, bool>>  grants;

    if (!reference_grants(payload.substr(colon + 1), &grants)) {
        return push::token_status::malformed;
    }

    return reference_granted(grants, channel)
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
