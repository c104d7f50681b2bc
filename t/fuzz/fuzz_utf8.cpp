/* Fuzz target: UTF-8 validation fed piece by piece (as WebSocket text
 * frames arrive) must agree with the whole text at once and with a plain
 * RFC 3629 decoder. */

#include <cstdint>
#include <cstdlib>

#include "push_utf8.h"


static bool
reference(const uint8_t *p, size_t len)
{
    size_t  i = 0;

    while (i < len) {
        uint32_t  c = p[i], cp;
        size_t    n;

        if (c < 0x80) {
            i++;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1; cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2; cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3; cp = c & 0x07;
        } else {
            return false;
        }

        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (p[i + k] & 0xc0) != 0x80) {
                return false;
            }
            cp = cp << 6 | (p[i + k] & 0x3f);
        }

        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)
            || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        {
            return false;
        }

        i += n + 1;
    }

    return true;
}


extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }

    size_t          chunk = 1 + data[0] % 7;
    const uint8_t  *p = data + 1;
    size_t          len = size - 1;
    bool            whole = push::utf8_valid(p, len);

    if (whole != reference(p, len)) {
        abort();
    }

    push::utf8_state  s = push::utf8_start;
    bool              ok = true;

    for (size_t at = 0; at < len && ok; at += chunk) {
        ok = push::utf8_feed(s, p + at, len - at < chunk ? len - at : chunk);
    }

    if ((ok && push::utf8_complete(s)) != whole) {
        abort();
    }

    return 0;
}
