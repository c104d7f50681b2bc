/* Fuzz target: SSE framing and the Last-Event-ID a browser sends back.
 * Whatever the payload, event name and cursor, a parser written from the
 * WHATWG rules must read back the payload (line breaks as LF), the event
 * name, and an id that parse_cursor() turns into the same cursor. */

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "push_id.h"
#include "push_sse.h"


struct sse_event {
    std::string  id, event, data;
    bool         dispatched = false;
};


/* "Interpreting an event stream", for one event followed by nothing. */
static sse_event
browser_read(std::string_view s)
{
    sse_event    ev;
    std::string  data;
    bool         have_data = false;
    size_t       at = 0;

    while (at < s.size()) {
        size_t  end = at;

        while (end < s.size() && s[end] != '\r' && s[end] != '\n') {
            end++;
        }

        if (end == s.size()) {
            abort();            /* every line we write is terminated */
        }

        std::string_view  line = s.substr(at, end - at);
        at = end + ((s[end] == '\r' && end + 1 < s.size()
                     && s[end + 1] == '\n') ? 2 : 1);

        if (line.empty()) {
            if (have_data) {
                ev.data = data.substr(0, data.size() - 1);
                ev.dispatched = true;
            }
            break;
        }

        if (line[0] == ':') {
            continue;
        }

        size_t            colon = line.find(':');
        std::string_view  name = line.substr(0, colon), value;

        if (colon != std::string_view::npos) {
            value = line.substr(colon + 1);
            if (!value.empty() && value[0] == ' ') {
                value.remove_prefix(1);
            }
        }

        if (name == "data") {
            data.append(value);
            data += '\n';
            have_data = true;
        } else if (name == "event") {
            ev.event = std::string(value);
        } else if (name == "id" && value.find('\0') == std::string_view::npos)
        {
            ev.id = std::string(value);
        }
    }

    return ev;
}


static std::string
lf_only(std::string_view s)
{
    std::string  out;

    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\r') {
            out += '\n';
            if (i + 1 < s.size() && s[i + 1] == '\n') {
                i++;
            }
        } else {
            out += s[i];
        }
    }

    return out;
}


extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }

    /* two lengths, then the cursor text, the event name and the payload */
    std::string_view  in(reinterpret_cast<const char *>(data) + 2, size - 2);
    size_t            a = data[0] < in.size() ? data[0] : in.size();
    size_t            b = data[1] < in.size() - a ? data[1] : in.size() - a;
    std::string_view  id_text = in.substr(0, a);
    std::string_view  event = in.substr(a, b);
    std::string_view  payload = in.substr(a + b);

    push::cursor  c;
    char          id[push::cursor_max_len];
    size_t        id_len = 0;

    if (push::parse_cursor(id_text, c) == push::status::ok) {
        id_len = push::format_cursor(c, id, sizeof(id));
        if (id_len == 0) {
            abort();
        }
    }

    bool  event_ok = push::sse_event_name_ok(event);

    if (!event_ok) {
        event = std::string_view();
    }

    std::string_view  idv(id, id_len);
    size_t            n = push::sse_event_size(idv, event, payload);
    std::vector<char> out(n + 1, '\x7e');

    if (push::sse_event_write(out.data(), idv, event, payload) != n
        || out[n] != '\x7e')
    {
        abort();
    }

    sse_event  ev = browser_read(std::string_view(out.data(), n));

    if (!ev.dispatched || ev.data != lf_only(payload) || ev.event != event) {
        abort();
    }

    /* the id comes back as Last-Event-ID, verbatim, or quoted as an
     * entity-tag: either must give the same cursor */
    if (id_len) {
        push::cursor  back;
        std::string   quoted = "\"" + ev.id + "\"";

        if (ev.id != idv
            || push::parse_cursor(ev.id, back) != push::status::ok
            || back.epoch != c.epoch || back.count != c.count
            || std::memcmp(back.seq, c.seq, c.count * sizeof(uint64_t)) != 0
            || push::parse_cursor(quoted, back) != push::status::ok)
        {
            abort();
        }
    }

    /* a keepalive comment stays one comment line */
    size_t             cn = push::sse_comment_size(payload);
    std::vector<char>  com(cn);

    if (push::sse_comment_write(com.data(), payload) != cn || cn < 2
        || com[0] != ':' || com[cn - 1] != '\n'
        || std::memchr(com.data(), '\n', cn - 1) != nullptr
        || std::memchr(com.data(), '\r', cn) != nullptr)
    {
        abort();
    }

    return 0;
}
