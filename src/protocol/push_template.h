/* Message templates: "~field~" layouts compiled once, rendered per message. */

#ifndef PUSH_TEMPLATE_H
#define PUSH_TEMPLATE_H


#include <cstddef>
#include <cstdint>
#include <string_view>


namespace push {

/*
 * A template is text in which "~name~" stands for a part of the message and
 * "~~" for one tilde.  Every other tilde is an error: a template is refused
 * when the configuration is read, never guessed at run time.
 *
 *     ~id~        what the client resumes with (last_event_id)
 *     ~channel~   the channel id
 *     ~event~     the event name (Push-Event), empty when none
 *     ~type~      the content type, empty when none
 *     ~text~      the payload
 *     ~size~      the payload's length in bytes, in decimal
 *     ~time~      when it was published, Unix seconds, in decimal
 *
 * A name may be prefixed with how its bytes are written:
 *
 *     ~json:text~    the inside of a JSON string (RFC 8259): '"' and '\'
 *                    escaped, control bytes as \n \r \t \b \f or \u00XX,
 *                    and each byte that is not part of valid UTF-8 (RFC
 *                    3629) as \ufffd: the result is always valid JSON,
 *                    but binary data is not kept (use base64 for that)
 *     ~base64:text~  RFC 4648 base64 with padding: every byte kept
 *
 * Without a prefix the bytes are written as they are.  ~id~ takes no
 * prefix (an id is hex digits, digits, ':' and ',') and may appear at
 * most once, so that a subscriber of several channels (whose id is its own
 * cursor) can splice its id into a frame shared by every subscriber.
 */

enum class template_field : uint8_t {
    literal,
    id,
    channel,
    event,
    type,
    text,
    size,
    time,
};

enum class template_escape : uint8_t {
    raw,
    json,
    base64,
};

struct template_piece {
    template_field   field;
    template_escape  escape;
    uint32_t         off;        /* literal: where in the source */
    uint32_t         len;
};

constexpr size_t template_max_pieces = 64;
constexpr size_t template_max_len = 4096;

/* A compiled template: standard layout, no pointer, so it can be copied
 * into any pool; literal pieces point into src, kept by the caller. */
struct template_t {
    template_piece  pieces[template_max_pieces];
    uint32_t        n;
    uint32_t        ids;         /* ~id~ fields: 0 or 1 */
};

enum class template_status : uint8_t {
    ok,
    empty,            /* no byte at all */
    too_long,         /* over template_max_len bytes */
    unterminated,     /* "~name" with no closing tilde */
    unknown_field,    /* "~name~" that names nothing above */
    unknown_escape,   /* "~x:name~" with x not json or base64 */
    id_twice,         /* ~id~ more than once */
    id_escaped,       /* ~json:id~ or ~base64:id~: ids need no escape */
    too_many_pieces,  /* more than template_max_pieces pieces */
};

/* One line, for nginx -t. */
const char *template_status_text(template_status s) noexcept;

/*
 * Compiles src into out.  On failure *at is the offset in src of the tilde
 * that opened the faulty field (0 otherwise).
 */
template_status template_compile(std::string_view src, template_t *out,
    size_t *at) noexcept;


/* What one message gives the fields. */
struct template_values {
    std::string_view  id;
    std::string_view  channel;
    std::string_view  event;
    std::string_view  type;
    std::string_view  text;
    uint64_t          time;
};

/* The rendered size, in bytes. */
size_t template_size(const template_t &t, std::string_view src,
    const template_values &v) noexcept;

/*
 * Writes exactly template_size(t, src, v) bytes to out and returns that
 * count.  When id_at is not null it is set to where the ~id~ field's bytes
 * begin in out (or to the count, when there is no ~id~ field).
 */
size_t template_write(char *out, const template_t &t, std::string_view src,
    const template_values &v, size_t *id_at) noexcept;

} /* namespace push */


#endif /* PUSH_TEMPLATE_H */
