/* The RFC 6455 opening handshake: the client's key and the server's
 * accept value. */

#include "push_handshake.h"

#include <cstring>
#include <openssl/evp.h>
#include <openssl/sha.h>


namespace push {

static constexpr std::string_view  ws_guid =
    "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";


static bool
ws_base64_char(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '+' || c == '/';
}


bool
ws_key_ok(std::string_view key) noexcept
{
    if (key.size() != 24 || key[22] != '=' || key[23] != '=') {
        return false;
    }

    for (size_t i = 0; i < 22; i++) {
        if (!ws_base64_char(key[i])) {
            return false;
        }
    }

    /* 16 bytes leave the last character's low 4 bits unused: zero */
    static constexpr std::string_view  alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    return (alphabet.find(key[21]) & 0x0f) == 0;
}


void
ws_accept(std::string_view key, char out[ws_accept_len]) noexcept
{
    unsigned char  digest[SHA_DIGEST_LENGTH];
    unsigned char  b64[ws_accept_len + 1];
    unsigned char  text[64 + ws_guid.size()];
    size_t         n = key.size() > 64 ? 64 : key.size();

    /* keys are 24 bytes (ws_key_ok); a longer one is cut, never overrun */
    std::memcpy(text, key.data(), n);
    std::memcpy(text + n, ws_guid.data(), ws_guid.size());
    SHA1(text, n + ws_guid.size(), digest);

    EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);

    for (size_t i = 0; i < ws_accept_len; i++) {
        out[i] = char(b64[i]);
    }
}

} /* namespace push */
