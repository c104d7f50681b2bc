/* UTF-8 validation that may be fed a text piece by piece. */

#include "push_utf8.h"


namespace push {

bool
utf8_feed(utf8_state &s, const uint8_t *p, size_t len) noexcept
{
    for (size_t i = 0; i < len; i++) {
        uint8_t  c = p[i];

        if (s.need) {
            if (c < s.lo || c > s.hi) {
                return false;
            }
            s.need--;
            s.lo = 0x80;
            s.hi = 0xbf;
            continue;
        }

        if (c < 0x80) {
            continue;
        }

        /* the first byte fixes the length and the second byte's range */
        if (c >= 0xc2 && c <= 0xdf) {
            s = { 1, 0x80, 0xbf };
        } else if (c == 0xe0) {
            s = { 2, 0xa0, 0xbf };          /* no overlong 3-byte forms */
        } else if (c == 0xed) {
            s = { 2, 0x80, 0x9f };          /* no surrogates */
        } else if (c >= 0xe1 && c <= 0xef) {
            s = { 2, 0x80, 0xbf };
        } else if (c == 0xf0) {
            s = { 3, 0x90, 0xbf };          /* no overlong 4-byte forms */
        } else if (c >= 0xf1 && c <= 0xf3) {
            s = { 3, 0x80, 0xbf };
        } else if (c == 0xf4) {
            s = { 3, 0x80, 0x8f };          /* nothing past U+10FFFF */
        } else {
            return false;
        }
    }

    return true;
}


bool
utf8_valid(const uint8_t *p, size_t len) noexcept
{
    utf8_state  s = utf8_start;

    return utf8_feed(s, p, len) && utf8_complete(s);
}

} /* namespace push */
