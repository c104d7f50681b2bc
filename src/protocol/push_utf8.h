/* UTF-8 validation that may be fed a text piece by piece. */

#ifndef PUSH_UTF8_H
#define PUSH_UTF8_H


#include <cstddef>
#include <cstdint>


namespace push {

/* Where a validation stands between two pieces: the code point being
 * read, how many continuation bytes it still needs, and the range the next
 * byte must fall in (which rules out overlong forms, surrogates and code
 * points past U+10FFFF, RFC 3629). */
struct utf8_state {
    uint8_t  need;
    uint8_t  lo;
    uint8_t  hi;
};

constexpr utf8_state utf8_start = { 0, 0x80, 0xbf };

/* Feeds a piece; false as soon as the text cannot be valid UTF-8. */
bool utf8_feed(utf8_state &s, const uint8_t *p, size_t len) noexcept;

/* True when the text fed so far ends on a whole character. */
inline bool
utf8_complete(const utf8_state &s) noexcept
{
    return s.need == 0;
}

/* A whole text at once. */
bool utf8_valid(const uint8_t *p, size_t len) noexcept;

} /* namespace push */


#endif /* PUSH_UTF8_H */
