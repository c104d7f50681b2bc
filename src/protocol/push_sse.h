/* Server-Sent Events framing, as the WHATWG HTML standard parses it. */

#ifndef PUSH_SSE_H
#define PUSH_SSE_H


#include <cstddef>
#include <cstdint>
#include <string_view>


namespace push {

/*
 * How a browser reads what we write (HTML, "Server-sent events",
 * "Interpreting an event stream"), and the rules that follow from it:
 *
 *   - the stream is cut into lines at CRLF, lone CR or lone LF;
 *   - "name: value" sets a field; one space after the colon is dropped, any
 *     further space belongs to the value; a line starting with ':' is a
 *     comment; an empty line dispatches the event;
 *   - each "data" line appends its value and one LF to the data buffer; on
 *     dispatch, an empty buffer dispatches nothing, otherwise one final LF is
 *     removed and the rest is MessageEvent.data;
 *   - "id" sets the last event id (reported back as Last-Event-ID) unless
 *     its value holds a NUL; "event" sets the event type, empty meaning
 *     "message".
 *
 * So an event is written as
 *
 *     "id: " id "\n"              only when id has a byte to carry
 *     "event: " event "\n"        only when event has a byte to carry
 *     "data: " line "\n"          once per line of data, always at least once
 *     "\n"
 *
 * where the lines of data are the pieces between its line breaks, a line
 * break being CRLF, a lone CR or a lone LF.  Data with n line breaks gives
 * exactly n + 1 "data" lines, empty pieces included: the browser rebuilds
 * the pieces joined by LF, plus one LF it then removes, which is the payload
 * with every CR and CRLF turned into LF.  Hence:
 *
 *     ""       ->  "data: \n"                  (dispatched as "")
 *     "a\n"    ->  "data: a\ndata: \n"         (dispatched as "a\n")
 *     "\n"     ->  "data: \ndata: \n"          (dispatched as "\n")
 *     "a\r\nb" ->  "data: a\ndata: b\n"        (dispatched as "a\nb")
 *     " a"     ->  "data:  a\n"                (dispatched as " a")
 *
 * The fixed space after "data:" is the one the browser drops, so leading
 * spaces and colons of the payload survive.  The browser decodes the stream
 * as UTF-8: other bytes arrive as U+FFFD, and NUL arrives as U+0000.  A
 * stream never starts with payload bytes (it starts with a field name or a
 * comment), so the BOM the browser strips at the start of the stream cannot
 * eat a payload's BOM.
 *
 * id and event are the caller's to validate (sse_event_name_ok(); ids are
 * cursors, see push_id.h); a CR or LF in them would end the field early, so
 * those bytes are skipped rather than written.  A NUL in id makes browsers
 * ignore the id line.
 */

/* The size of one event frame, in bytes. */
size_t sse_event_size(std::string_view id, std::string_view event,
    std::string_view data) noexcept;

/*
 * Writes exactly sse_event_size(id, event, data) bytes to out and returns
 * that count.  out must have room for them; nothing else is written.
 */
size_t sse_event_write(char *out, std::string_view id, std::string_view event,
    std::string_view data) noexcept;


/*
 * "retry: <ms>\n\n": the browser's reconnection delay.  The blank line makes
 * the block stand alone; it dispatches nothing since no data was set.
 * Returns the bytes written, or 0 (writing nothing) when len is too small.
 * At most 29 bytes.
 */
size_t sse_retry_write(char *out, size_t len, uint64_t ms) noexcept;


/*
 * A comment, used as keepalive: ": " text "\n", or ":\n" when text has no
 * byte to carry.  CR and LF in text are skipped, so the comment stays one
 * line; a comment needs no blank line after it and never ends an event.
 */
size_t sse_comment_size(std::string_view text) noexcept;

/* Writes exactly sse_comment_size(text) bytes to out, returns that count. */
size_t sse_comment_write(char *out, std::string_view text) noexcept;


/* The longest event name sse_event_name_ok() accepts. */
constexpr size_t sse_event_name_max = 64;

/*
 * true when name may be sent as an event type: 1 to sse_event_name_max
 * bytes, none of them a control byte (< 0x20, including NUL, CR and LF) or
 * DEL.  Spaces, colons and UTF-8 are fine: the field name ends at the first
 * colon, and addEventListener() takes any string.
 */
bool sse_event_name_ok(std::string_view name) noexcept;

} /* namespace push */


#endif /* PUSH_SSE_H */
