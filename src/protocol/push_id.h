/* Message ids and cursors: their text form, parsed and written. */

#ifndef PUSH_ID_H
#define PUSH_ID_H


#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "push_status.h"


namespace push {

/* One subscriber may listen to this many channels at once. */
constexpr size_t max_channels = 16;


/*
 * A cursor says, for each channel of a (possibly multiplexed) subscription,
 * the seq of the last message the client has.  seq 0 means "before the first
 * message": seqs start at 1.  seq[i] belongs to the i-th channel in the order
 * the location's push_channel values are listed; entries at count and beyond
 * are meaningless.
 */
struct cursor {
    uint32_t  epoch;                  /* the zone's epoch */
    uint32_t  count;                  /* 1..max_channels */
    uint64_t  seq[max_channels];
};

/* Cursors are copied into requests and possibly into the zone. */
static_assert(std::is_standard_layout_v<cursor>
              && std::is_trivially_copyable_v<cursor>,
              "push::cursor must stay plain data");


/*
 * Text form, used as the SSE id, the Etag and the resume parameters:
 *
 *     <epoch>:<seq>[,<seq>]...
 *
 *   epoch  exactly 8 hex digits (written lowercase, read in either case);
 *   seq    decimal, 1 to 20 digits, no sign, no leading zero except "0"
 *          itself, value fits uint64_t; one per channel, comma separated,
 *          no spaces.
 *
 * The epoch makes ids from an older zone (or another server) recognisable,
 * and the text is plain ASCII with no byte that needs escaping in a header,
 * a query string or an SSE field.
 *
 * parse_cursor() also accepts the wrappers the text picks up on its way back
 * from a client, outermost first: spaces and tabs around it, a weak
 * entity-tag prefix "W/" (case-sensitive, as in RFC 9110), and a pair of
 * surrounding double quotes.  A lone or unbalanced quote is invalid.  It
 * takes one entity-tag: splitting an If-None-Match list is the caller's job.
 *
 * Returns ok and fills out; invalid on any syntax error; too_large when the
 * text is otherwise well formed but holds more than max_channels seqs.  out
 * is left untouched unless ok is returned.
 */
status parse_cursor(std::string_view text, cursor &out) noexcept;


/*
 * Nchan's message ids, recognised so that a client coming from Nchan with
 * an id it saved there is started over (as for a cursor of another epoch)
 * instead of being refused for ever.  Their text form, as Nchan writes it:
 *
 *     <time>:<tag>[,<tag>]...
 *
 *   time   decimal seconds, 1 to 20 digits, no sign;
 *   tag    a decimal number, optionally negative ("-1", up to 5 digits), or
 *          "-" alone (Nchan's short form of -1); on several channels one
 *          tag per channel, the one that moved last in brackets ("[3]"),
 *          at most one bracketed, at most nchan_max_tags tags.
 *
 * Its long-polls send the tag part alone in Etag (the time goes in
 * Last-Modified), so a client sends that part back in If-None-Match beside
 * If-Modified-Since: nchan_tag() takes that form.
 *
 * Both accept the wrappers parse_cursor() accepts (blanks, "W/", a pair of
 * quotes) and the separators percent-encoded as a browser's
 * encodeURIComponent writes them ("%3A" ":", "%2C" ",", "%5B" "[", "%5D"
 * "]", either case).  Nothing else: text that is neither ours nor Nchan's
 * stays invalid.  Both return false for text parse_cursor() accepts.
 */
constexpr size_t nchan_max_tags = 255;

bool nchan_id(std::string_view text) noexcept;
bool nchan_tag(std::string_view text) noexcept;


/* Enough for the longest text form: 20 digits and a separator per seq. */
constexpr size_t cursor_max_len = 8 + 1 + max_channels * 21;


/*
 * Writes the text form (no quotes, no trailing NUL) to buf and returns its
 * length; returns 0 and writes nothing when len is too small or when count is
 * 0 or greater than max_channels.  A buffer of cursor_max_len always fits.
 */
size_t format_cursor(const cursor &c, char *buf, size_t len) noexcept;

/* The one-channel case: "<epoch>:<seq>", as format_cursor with count 1. */
size_t format_id(uint32_t epoch, uint64_t seq, char *buf, size_t len) noexcept;

} /* namespace push */


#endif /* PUSH_ID_H */
