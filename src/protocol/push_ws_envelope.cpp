/* WebSocket message envelopes chosen by subprotocol: Nchan's meta frames
 * (ws+meta.nchan) and our JSON objects (push.v1.json). */

#include "push_ws_envelope.h"
#include "push_utf8.h"

#include <cstring>


namespace push {

static constexpr std::string_view  octet_stream = "application/octet-stream";


ws_envelope
ws_envelope_of(std::string_view name) noexcept
{
    if (name == ws_nchan_meta_name) {
        return ws_envelope::nchan_meta;
    }

    if (name == ws_json_v1_name) {
        return ws_envelope::json_v1;
    }

    return ws_envelope::none;
}


static bool
ws_offer_space(char c) noexcept
{
    return c == ' ' || c == '\t';
}


bool
ws_offer_next(std::string_view &rest, std::string_view &token) noexcept
{
    size_t  i = 0, start, end;

    for ( ;; ) {
        while (i < rest.size() && (ws_offer_space(rest[i]) || rest[i] == ','))
        {
            i++;
        }

        if (i == rest.size()) {
            rest = {};
            return false;
        }

        start = i;

        while (i < rest.size() && rest[i] != ',') {
            i++;
        }

        end = i;

        while (end > start && ws_offer_space(rest[end - 1])) {
            end--;
        }

        if (end > start) {
            token = rest.substr(start, end - start);
            rest = rest.substr(i);
            return true;
        }
    }
}


static char *
put(char *p, std::string_view s) noexcept
{
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
}


size_t
ws_meta_head_size(std::string_view id, std::string_view type) noexcept
{
    return 4 + id.size() + (type.empty() ? 0 : 15 + type.size()) + 2;
}


size_t
ws_meta_head_write(char *out, std::string_view id,
    std::string_view type) noexcept
{
    char  *p = out;

    p = put(p, "id: ");
    p = put(p, id);

    if (!type.empty()) {
        p = put(p, "\ncontent-type: ");
        p = put(p, type);
    }

    p = put(p, "\n\n");

    return p - out;
}


bool
ws_meta_binary(std::string_view type, bool data_utf8) noexcept
{
    return type == octet_stream || !data_utf8;
}


static size_t
ws_decimal(char *out, uint64_t n) noexcept
{
    char    tmp[20];
    size_t  len = 0, i;

    do {
        tmp[len++] = char('0' + n % 10);
        n /= 10;
    } while (n != 0);

    for (i = 0; i < len; i++) {
        out[i] = tmp[len - 1 - i];
    }

    return len;
}


size_t
ws_meta_gap_write(char *out, std::string_view id, uint64_t missed,
    bool unknown) noexcept
{
    char  *p = out;

    p += ws_meta_head_write(p, id, ws_meta_gap_type);
    p = put(p, "{\"push_gap\":");
    p = unknown ? put(p, "\"unknown\"") : p + ws_decimal(p, missed);
    *p++ = '}';

    return p - out;
}


/* The length of the UTF-8 character at s[i], or 0 when the bytes there
 * are not one. */
static size_t
utf8_char_at(std::string_view s, size_t i) noexcept
{
    auto    c = static_cast<uint8_t>(s[i]);
    size_t  n;

    if (c < 0x80) {
        return 1;
    }

    n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;

    if (n == 0 || s.size() - i < n
        || !utf8_valid(reinterpret_cast<const uint8_t *>(s.data() + i), n))
    {
        return 0;
    }

    return n;
}


/* Escapes s into out, or only measures it when out is null. */
static size_t
json_escape(char *out, std::string_view s) noexcept
{
    static constexpr char  hex[] = "0123456789abcdef";
    static constexpr std::string_view  replacement = "\\ufffd";

    size_t   len = 0, i = 0, n;
    uint8_t  c;
    char     esc[6];
    size_t   esc_len;

    auto emit = [&](const char *p, size_t k) {
        if (out != nullptr) {
            std::memcpy(out + len, p, k);
        }
        len += k;
    };

    emit("\"", 1);

    while (i < s.size()) {
        c = static_cast<uint8_t>(s[i]);
        esc_len = 0;

        switch (c) {
        case '"':  esc_len = 2; esc[0] = '\\'; esc[1] = '"'; break;
        case '\\': esc_len = 2; esc[0] = '\\'; esc[1] = '\\'; break;
        case '\n': esc_len = 2; esc[0] = '\\'; esc[1] = 'n'; break;
        case '\r': esc_len = 2; esc[0] = '\\'; esc[1] = 'r'; break;
        case '\t': esc_len = 2; esc[0] = '\\'; esc[1] = 't'; break;
        case '\b': esc_len = 2; esc[0] = '\\'; esc[1] = 'b'; break;
        case '\f': esc_len = 2; esc[0] = '\\'; esc[1] = 'f'; break;
        default:
            if (c < 0x20) {
                esc_len = 6;
                std::memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 0x0f];
            }
            break;
        }

        if (esc_len != 0) {
            emit(esc, esc_len);
            i++;
            continue;
        }

        n = utf8_char_at(s, i);

        if (n == 0) {
            emit(replacement.data(), replacement.size());
            i++;
            continue;
        }

        emit(s.data() + i, n);
        i += n;
    }

    emit("\"", 1);

    return len;
}


size_t
json_string_size(std::string_view s) noexcept
{
    return json_escape(nullptr, s);
}


size_t
json_string_write(char *out, std::string_view s) noexcept
{
    return json_escape(out, s);
}


size_t
base64_write(char *out, std::string_view data) noexcept
{
    static constexpr char  alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    size_t    i = 0;
    char     *p = out;
    uint32_t  v;

    auto byte = [&](size_t k) {
        return static_cast<uint32_t>(static_cast<uint8_t>(data[k]));
    };

    for (; i + 3 <= data.size(); i += 3) {
        v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        *p++ = alphabet[v >> 18 & 0x3f];
        *p++ = alphabet[v >> 12 & 0x3f];
        *p++ = alphabet[v >> 6 & 0x3f];
        *p++ = alphabet[v & 0x3f];
    }

    if (data.size() - i == 1) {
        v = byte(i) << 16;
        *p++ = alphabet[v >> 18 & 0x3f];
        *p++ = alphabet[v >> 12 & 0x3f];
        *p++ = '=';
        *p++ = '=';

    } else if (data.size() - i == 2) {
        v = byte(i) << 16 | byte(i + 1) << 8;
        *p++ = alphabet[v >> 18 & 0x3f];
        *p++ = alphabet[v >> 12 & 0x3f];
        *p++ = alphabet[v >> 6 & 0x3f];
        *p++ = '=';
    }

    return p - out;
}


bool
ws_json_base64(std::string_view type, bool data_utf8) noexcept
{
    size_t  n = octet_stream.size();

    if (!data_utf8) {
        return true;
    }

    if (type.size() < n) {
        return false;
    }

    for (size_t i = 0; i < n; i++) {
        char  c = type[i];

        if (c >= 'A' && c <= 'Z') {
            c = char(c - 'A' + 'a');
        }

        if (c != octet_stream[i]) {
            return false;
        }
    }

    return type.size() == n || type[n] == ';' || type[n] == ' '
           || type[n] == '\t';
}


static constexpr std::string_view  json_null = "null";


/* The object into out, or only measured when out is null. */
static size_t
ws_json_put(char *out, const ws_json_message &m, ws_json_layout *layout)
    noexcept
{
    size_t  len = 0;

    auto raw = [&](std::string_view s) {
        if (out != nullptr) {
            std::memcpy(out + len, s.data(), s.size());
        }
        len += s.size();
    };

    auto str = [&](std::string_view s) {
        len += out != nullptr ? json_escape(out + len, s)
                              : json_escape(nullptr, s);
    };

    auto opt = [&](std::string_view s) {
        if (s.empty()) {
            raw(json_null);
        } else {
            str(s);
        }
    };

    raw("{\"id\":\"");
    raw(m.id);
    raw("\"");

    if (layout != nullptr) {
        layout->rest_at = len;
    }

    raw(",\"channel\":");
    str(m.channel);

    raw(",\"event\":");
    opt(m.event);
    raw(",\"type\":");
    opt(m.type);

    if (m.base64) {
        raw(",\"base64\":true,\"data\":\"");
        if (out != nullptr) {
            base64_write(out + len, m.data);
        }
        len += base64_size(m.data.size());
        raw("\"}");

    } else {
        raw(",\"data\":");
        str(m.data);
        raw("}");
    }

    return len;
}


size_t
ws_json_size(const ws_json_message &m) noexcept
{
    return ws_json_put(nullptr, m, nullptr);
}


size_t
ws_json_write(char *out, const ws_json_message &m,
    ws_json_layout *layout) noexcept
{
    return ws_json_put(out, m, layout);
}


size_t
ws_json_head_write(char *out, std::string_view id) noexcept
{
    char  *p = out;

    p = put(p, "{\"id\":\"");
    p = put(p, id);
    *p++ = '"';

    return p - out;
}


size_t
ws_json_gap_tail_write(char *out, uint64_t missed, bool unknown) noexcept
{
    char  *p = out;

    p = put(p, ",\"gap\":");
    p = unknown ? put(p, "\"unknown\"") : p + ws_decimal(p, missed);
    *p++ = '}';

    return p - out;
}

} /* namespace push */
