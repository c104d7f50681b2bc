/* The RFC 6455 opening handshake: the client's key and the server's
 * accept value. */

#ifndef PUSH_HANDSHAKE_H
#define PUSH_HANDSHAKE_H


#include <cstddef>
#include <string_view>


namespace push {

/* A Sec-WebSocket-Key is the base64 of 16 bytes: 22 characters and "==". */
bool ws_key_ok(std::string_view key) noexcept;

/* Sec-WebSocket-Accept: base64(SHA-1(key + the RFC's GUID)), 28 bytes. */
constexpr size_t ws_accept_len = 28;
void ws_accept(std::string_view key, char out[ws_accept_len]) noexcept;

} /* namespace push */


#endif /* PUSH_HANDSHAKE_H */
