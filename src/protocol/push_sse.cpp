/* Server-Sent Events framing, as the WHATWG HTML standard parses it. */

#include <cstring>

#include "push_sse.h"


namespace push {

namespace {

constexpr std::string_view  id_prefix = "id: ";
constexpr std::string_view  event_prefix = "event: ";
constexpr std::string_view  data_prefix = "data: ";
constexpr std::string_view  retry_prefix = "retry: ";
constexpr std::string_view  comment_prefix = ": ";


bool
is_break(char ch) noexcept
{
    return ch == '\r' || ch == '\n';
}


/* The length of s once its CR and LF bytes are skipped. */
size_t
field_len(std::string_view s) noexcept
{
    size_t  n = 0;

    for (char ch : s) {
        if (!is_break(ch)) {
            n++;
        }
    }

    return n;
}


char *
put(char *p, std::string_view s) noexcept
{
    if (!s.empty()) {
        std::memcpy(p, s.data(), s.size());
    }

    return p + s.size();
}


/* Copies s without its CR and LF bytes. */
char *
put_field(char *p, std::string_view s) noexcept
{
    for (char ch : s) {
        if (!is_break(ch)) {
            *p++ = ch;
        }
    }

    return p;
}


/* "<prefix><value>\n", or nothing when the value carries no byte. */
size_t
line_size(std::string_view prefix, std::string_view value) noexcept
{
    size_t  n = field_len(value);

    return n == 0 ? 0 : prefix.size() + n + 1;
}


char *
put_line(char *p, std::string_view prefix, std::string_view value) noexcept
{
    if (field_len(value) == 0) {
        return p;
    }

    p = put(p, prefix);
    p = put_field(p, value);
    *p++ = '\n';

    return p;
}


/* The number of line breaks in data, a CRLF pair counting as one. */
size_t
count_breaks(std::string_view data, size_t *break_bytes) noexcept
{
    size_t  breaks = 0, bytes = 0, i = 0;

    while (i < data.size()) {
        if (data[i] == '\r') {
            breaks++;

            if (i + 1 < data.size() && data[i + 1] == '\n') {
                bytes += 2;
                i += 2;

            } else {
                bytes++;
                i++;
            }

        } else if (data[i] == '\n') {
            breaks++;
            bytes++;
            i++;

        } else {
            i++;
        }
    }

    *break_bytes = bytes;

    return breaks;
}


size_t
decimal_len(uint64_t v) noexcept
{
    size_t  n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }

    return n;
}

} /* namespace */


size_t
sse_event_size(std::string_view id, std::string_view event,
    std::string_view data) noexcept
{
    size_t  break_bytes;
    size_t  lines = count_breaks(data, &break_bytes) + 1;

    return line_size(id_prefix, id)
           + line_size(event_prefix, event)
           + lines * (data_prefix.size() + 1)
           + (data.size() - break_bytes)
           + 1;
}


size_t
sse_event_write(char *out, std::string_view id, std::string_view event,
    std::string_view data) noexcept
{
    char    *p = out;
    size_t   i = 0, start;

    p = put_line(p, id_prefix, id);
    p = put_line(p, event_prefix, event);

    /*
     * One "data" line per piece between line breaks, the piece after the
     * last break included even when empty: the browser removes exactly one
     * trailing LF, the one our final "data" line stands for.
     */
    for ( ;; ) {
        start = i;

        while (i < data.size() && !is_break(data[i])) {
            i++;
        }

        p = put(p, data_prefix);

        if (i > start) {
            p = put(p, std::string_view(data.data() + start, i - start));
        }

        *p++ = '\n';

        if (i == data.size()) {
            break;
        }

        if (data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') {
            i++;
        }

        i++;
    }

    *p++ = '\n';

    return static_cast<size_t>(p - out);
}


size_t
sse_retry_write(char *out, size_t len, uint64_t ms) noexcept
{
    size_t  n = decimal_len(ms);
    size_t  need = retry_prefix.size() + n + 2;
    char   *p;

    if (out == nullptr || len < need) {
        return 0;
    }

    p = put(out, retry_prefix);

    for (size_t k = n; k > 0; k--) {
        p[k - 1] = static_cast<char>('0' + ms % 10);
        ms /= 10;
    }

    p += n;
    *p++ = '\n';
    *p++ = '\n';

    return need;
}


size_t
sse_comment_size(std::string_view text) noexcept
{
    size_t  n = field_len(text);

    return n == 0 ? 2 : comment_prefix.size() + n + 1;
}


size_t
sse_comment_write(char *out, std::string_view text) noexcept
{
    char  *p = out;

    if (field_len(text) == 0) {
        *p++ = ':';

    } else {
        p = put(p, comment_prefix);
        p = put_field(p, text);
    }

    *p++ = '\n';

    return static_cast<size_t>(p - out);
}


bool
sse_event_name_ok(std::string_view name) noexcept
{
    if (name.empty() || name.size() > sse_event_name_max) {
        return false;
    }

    for (char ch : name) {
        unsigned char  c = static_cast<unsigned char>(ch);

        if (c < 0x20 || c == 0x7f) {
            return false;
        }
    }

    return true;
}

} /* namespace push */
