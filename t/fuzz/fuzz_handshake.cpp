/* Fuzz target: the Sec-WebSocket-Key check.  A key is accepted exactly
 * when it is the base64 of 16 bytes, and its accept value is always 28
 * base64 characters. */

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "push_handshake.h"


static int
b64_value(char c)
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
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}


/* Canonical base64 of exactly 16 bytes: 22 digits, "==", and no bits set
 * past the 128th. */
static bool
reference(std::string_view key)
{
    if (key.size() != 24 || key.substr(22) != "==") {
        return false;
    }

    for (size_t i = 0; i < 22; i++) {
        if (b64_value(key[i]) < 0) {
            return false;
        }
    }

    return (b64_value(key[21]) & 0x0f) == 0;
}


extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view  key(reinterpret_cast<const char *>(data), size);
    bool              ok = push::ws_key_ok(key);

    if (ok != reference(key)) {
        abort();
    }

    char  out[push::ws_accept_len];

    push::ws_accept(key, out);

    for (size_t i = 0; i < push::ws_accept_len; i++) {
        if (b64_value(out[i]) < 0 && !(i == push::ws_accept_len - 1
                                       && out[i] == '='))
        {
            abort();
        }
    }

    return 0;
}
