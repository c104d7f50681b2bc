/* Signed subscriber tokens: which channels a browser may subscribe to, and
 * until when, signed by the app with HMAC-SHA256. */

#ifndef PUSH_TOKEN_H
#define PUSH_TOKEN_H


#include <cstddef>
#include <cstdint>
#include <string_view>


namespace push {

/*
 * token   = base64url(payload) "." base64url(HMAC-SHA256(secret, payload))
 * payload = expiry ":" grant *( "," grant )
 *
 * base64url without padding (RFC 4648, section 5); expiry in Unix seconds;
 * a grant is a channel id, or a prefix ending in "*" that grants every
 * channel starting with it.  In a grant a backslash makes the next byte
 * literal: the grant a\,b grants channel "a,b", x\* channel "x*" alone,
 * \\ is one backslash; a backslash with nothing after it makes the token
 * malformed.
 */
enum class token_status : int {
    ok,
    malformed,      /* not a token: syntax, encoding, lengths */
    bad_signature,  /* the HMAC does not match: tampered, or another secret */
    expired,        /* expiry is now or past */
    not_granted     /* a channel asked for is outside the grant */
};

/* The longest token accepted, in bytes. */
constexpr size_t token_max_len = 4096;

/* Checks token against secret at time now, and that every channel of
 * channels[0..n) is granted.  Compares the signature in constant time. */
token_status token_check(std::string_view secret, std::string_view token,
                         int64_t now, const std::string_view *channels,
                         size_t n) noexcept;

/* Makes a token (for tests and tools): returns its length, or 0 when out
 * is too small. */
size_t token_make(std::string_view secret, std::string_view payload,
                  char *out, size_t size) noexcept;

const char *token_status_text(token_status st) noexcept;

} /* namespace push */


#endif /* PUSH_TOKEN_H */
