/* The Idempotency-Key request header of a publish: read and checked. */

#ifndef PUSH_IDEMPOTENCY_H
#define PUSH_IDEMPOTENCY_H


#include <cstddef>
#include <string_view>

#include "push_status.h"


namespace push {

/*
 * IETF httpapi draft "The Idempotency-Key HTTP Header Field": the value is
 * a Structured Field String (RFC 8941, 3.3.3), a quoted string:
 *
 *     Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"
 *
 * Accepted: that quoted form, or the same characters unquoted (what many
 * clients send).  The key itself is 1 to idempotency_key_max bytes of
 * A-Z a-z 0-9 and - . _ ~ : + / = (UUIDs, ULIDs, base64 and base64url,
 * hex digests).  No backslash escapes, spaces, braces or '%': the key is
 * part of a Redis key name, and a brace would end its hash tag.  Anything
 * else is refused (400), never cut or changed.
 */
constexpr size_t idempotency_key_max = 128;

/* out: the key without its quotes, a view into value. */
status idempotency_key_parse(std::string_view value, std::string_view &out)
    noexcept;

/* A key the module makes for a publish sent without one: 32 lower-case
 * hex digits of the 16 bytes given (random).  out has room for
 * idempotency_key_made bytes. */
constexpr size_t idempotency_key_made = 32;

void idempotency_key_make(const unsigned char (&random)[16], char *out)
    noexcept;

} /* namespace push */


#endif /* PUSH_IDEMPOTENCY_H */
