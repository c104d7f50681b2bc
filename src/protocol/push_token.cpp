/* Signed subscriber tokens: base64url, HMAC-SHA256, expiry and grants. */

#include "push_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>


namespace push {

namespace {

constexpr size_t mac_len = 32;

constexpr char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


int
b64url_value(unsigned char c) noexcept
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}


/* Decodes unpadded base64url into out; -1 on a bad character or length,
 * or when out is too small.  Leftover bits must be zero (one encoding per
 * value). */
long
b64url_decode(std::string_view in, unsigned char *out, size_t size) noexcept
{
    size_t    n = 0;
    uint32_t  acc = 0;
    int       bits = 0;

    if (in.size() % 4 == 1) {
        return -1;
    }

    for (unsigned char c : in) {
        int v = b64url_value(c);
        if (v < 0) {
            return -1;
        }
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == size) {
                return -1;
            }
            out[n++] = static_cast<unsigned char>((acc >> bits) & 0xff);
        }
    }

    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
        return -1;
    }

    return static_cast<long>(n);
}


size_t
b64url_encode(const unsigned char *in, size_t len, char *out) noexcept
{
    size_t    n = 0;
    uint32_t  acc = 0;
    int       bits = 0;

    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[n++] = b64url[(acc >> bits) & 0x3f];
        }
    }

    if (bits > 0) {
        out[n++] = b64url[(acc << (6 - bits)) & 0x3f];
    }

    return n;
}


bool
hmac_sha256(std::string_view secret, const unsigned char *data, size_t len,
    unsigned char mac[mac_len]) noexcept
{
    unsigned int  n = 0;

    return HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                data, len, mac, &n) != nullptr
           && n == mac_len;
}


/* A backslash makes the next byte literal, so one left with nothing
 * after it (an odd run of them at the very end) is a broken list. */
bool
grants_well_formed(std::string_view grants) noexcept
{
    size_t  run = 0;

    while (run < grants.size() && grants[grants.size() - 1 - run] == '\\') {
        run++;
    }

    return run % 2 == 0;
}


/* Whether one grant of the list (well formed) grants channel.  Grants
 * are split at unescaped commas; an unescaped "*" ending a grant makes
 * it a prefix; a backslash takes the next byte as it is. */
bool
granted(std::string_view grants, std::string_view channel) noexcept
{
    size_t  i = 0, end = grants.size();

    for ( ;; ) {
        size_t  at = 0;
        bool    same = true, prefix = false, empty = true;

        while (i < end && grants[i] != ',') {
            char  c = grants[i++];

            if (c == '\\') {
                c = grants[i++];     /* well formed: there is a next byte */

            } else if (c == '*' && (i == end || grants[i] == ',')) {
                prefix = true;
                empty = false;
                break;
            }

            empty = false;

            if (same && at < channel.size() && channel[at] == c) {
                at++;
            } else {
                same = false;
            }
        }

        /* "a,,b" or a trailing comma: an empty grant grants nothing */
        if (!empty && same && (prefix || at == channel.size())) {
            return true;
        }

        if (i >= end) {
            return false;
        }

        i++;                         /* the comma */
    }
}

}  // namespace


token_status
token_check(std::string_view secret, std::string_view token, int64_t now,
    const std::string_view *channels, size_t n) noexcept
{
    unsigned char  payload[token_max_len];
    unsigned char  mac[mac_len + 1], want[mac_len];

    if (token.empty() || token.size() > token_max_len) {
        return token_status::malformed;
    }

    size_t dot = token.find('.');
    if (dot == std::string_view::npos || dot == 0) {
        return token_status::malformed;
    }

    long plen = b64url_decode(token.substr(0, dot), payload, sizeof(payload));
    long mlen = b64url_decode(token.substr(dot + 1), mac, sizeof(mac));
    if (plen <= 0 || mlen != static_cast<long>(mac_len)) {
        return token_status::malformed;
    }

    if (!hmac_sha256(secret, payload, static_cast<size_t>(plen), want)
        || CRYPTO_memcmp(mac, want, mac_len) != 0)
    {
        return token_status::bad_signature;
    }

    /* signed by the app: still parsed with care */
    std::string_view p(reinterpret_cast<const char *>(payload),
                       static_cast<size_t>(plen));
    size_t colon = p.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon > 18) {
        return token_status::malformed;
    }

    int64_t expiry = 0;
    for (size_t i = 0; i < colon; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return token_status::malformed;
        }
        expiry = expiry * 10 + (p[i] - '0');
    }

    if (expiry <= now) {
        return token_status::expired;
    }

    std::string_view grants = p.substr(colon + 1);

    if (!grants_well_formed(grants)) {
        return token_status::malformed;
    }

    for (size_t i = 0; i < n; i++) {
        if (!granted(grants, channels[i])) {
            return token_status::not_granted;
        }
    }

    return token_status::ok;
}


size_t
token_make(std::string_view secret, std::string_view payload, char *out,
    size_t size) noexcept
{
    unsigned char  mac[mac_len];

    if (size < (payload.size() + 2) / 3 * 4 + 1 + 44
        || !hmac_sha256(secret,
                        reinterpret_cast<const unsigned char *>(
                            payload.data()),
                        payload.size(), mac))
    {
        return 0;
    }

    size_t n = b64url_encode(reinterpret_cast<const unsigned char *>(
                                 payload.data()),
                             payload.size(), out);
    out[n++] = '.';
    n += b64url_encode(mac, mac_len, out + n);

    return n;
}


const char *
token_status_text(token_status st) noexcept
{
    switch (st) {
    case token_status::ok:
        return "token accepted";
    case token_status::malformed:
        return "token is malformed";
    case token_status::bad_signature:
        return "token signature does not match";
    case token_status::expired:
        return "token has expired";
    case token_status::not_granted:
        return "token does not grant this channel";
    }
    return "token refused";
}

} /* namespace push */
