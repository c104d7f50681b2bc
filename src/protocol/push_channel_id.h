/* Which byte strings may name a channel. */

#ifndef PUSH_CHANNEL_ID_H
#define PUSH_CHANNEL_ID_H


#include <cstddef>
#include <string_view>

#include "push_status.h"


namespace push {

/*
 * A channel id travels in URIs, in JSON answers, in log lines and in the
 * zone's rbtree, so control bytes are refused: they would split log lines and
 * headers.  It must be UTF-8 (RFC 3629): JSON text is, and an id is written
 * into JSON as is.  Every other character is accepted; the location's regex
 * is where a site narrows the alphabet.
 *
 * Returns, checked in this order:
 *   invalid    when id is empty;
 *   too_large  when id.size() > max_len (checked before the bytes, so a huge
 *              id costs nothing to refuse);
 *   invalid    when id holds a byte < 0x20 (NUL, TAB, LF, CR...) or 0x7f;
 *   invalid    when id is not UTF-8;
 *   ok         otherwise.
 */
status check_channel_id(std::string_view id, size_t max_len) noexcept;

} /* namespace push */


#endif /* PUSH_CHANNEL_ID_H */
