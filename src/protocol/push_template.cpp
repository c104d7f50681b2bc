/* Message templates: "~field~" layouts compiled once, rendered per message. */

#include "push_template.h"
#include "push_utf8.h"

#include <cstring>


namespace push {

namespace {

struct field_name {
    std::string_view  name;
    template_field    field;
};

constexpr field_name  field_names[] = {
    { "id", template_field::id },
    { "channel", template_field::channel },
    { "event", template_field::event },
    { "type", template_field::type },
    { "text", template_field::text },
    { "size", template_field::size },
    { "time", template_field::time },
};


bool
add_piece(template_t *out, template_field f, template_escape e, size_t off,
    size_t len) noexcept
{
    if (out->n == template_max_pieces) {
        return false;
    }

    out->pieces[out->n++] = { f, e, static_cast<uint32_t>(off),
                              static_cast<uint32_t>(len) };
    return true;
}


/* Writes to out when it is not null; counts either way. */
class sink {
public:
    explicit sink(char *out) noexcept : out_(out) {}

    void
    put(const char *p, size_t len) noexcept
    {
        if (out_ != nullptr && len != 0) {
            std::memcpy(out_ + n_, p, len);
        }
        n_ += len;
    }

    void
    put(char c) noexcept
    {
        if (out_ != nullptr) {
            out_[n_] = c;
        }
        n_++;
    }

    size_t count() const noexcept { return n_; }

private:
    char    *out_;
    size_t   n_ = 0;
};


/* Bytes a UTF-8 sequence starting with lead takes, or 0 for a byte that
 * cannot start one. */
size_t
utf8_seq_len(uint8_t lead) noexcept
{
    if (lead < 0x80) {
        return 1;
    }
    if (lead >= 0xc2 && lead <= 0xdf) {
        return 2;
    }
    if (lead >= 0xe0 && lead <= 0xef) {
        return 3;
    }
    if (lead >= 0xf0 && lead <= 0xf4) {
        return 4;
    }
    return 0;
}


void
put_json(sink &s, std::string_view v) noexcept
{
    static const char  hex[] = "0123456789abcdef";
    const auto        *p = reinterpret_cast<const uint8_t *>(v.data());
    size_t             i = 0, n;

    while (i < v.size()) {
        uint8_t  c = p[i];

        if (c >= 0x80) {
            n = utf8_seq_len(c);
            if (n != 0 && i + n <= v.size() && utf8_valid(p + i, n)) {
                s.put(reinterpret_cast<const char *>(p + i), n);
                i += n;

            } else {
                s.put("\\ufffd", 6);
                i++;
            }
            continue;
        }

        switch (c) {
        case '"':  s.put("\\\"", 2); break;
        case '\\': s.put("\\\\", 2); break;
        case '\n': s.put("\\n", 2); break;
        case '\r': s.put("\\r", 2); break;
        case '\t': s.put("\\t", 2); break;
        case '\b': s.put("\\b", 2); break;
        case '\f': s.put("\\f", 2); break;
        default:
            if (c < 0x20) {
                char  u[6] = { '\\', 'u', '0', '0', hex[c >> 4],
                               hex[c & 0xf] };
                s.put(u, 6);

            } else {
                s.put(static_cast<char>(c));
            }
        }

        i++;
    }
}


void
put_base64(sink &s, std::string_view v) noexcept
{
    static const char  abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto        *p = reinterpret_cast<const uint8_t *>(v.data());
    size_t             i, n = v.size();

    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t  w = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
        char      q[4] = { abc[w >> 18], abc[(w >> 12) & 63],
                           abc[(w >> 6) & 63], abc[w & 63] };
        s.put(q, 4);
    }

    if (n - i == 1) {
        uint32_t  w = p[i] << 16;
        char      q[4] = { abc[w >> 18], abc[(w >> 12) & 63], '=', '=' };
        s.put(q, 4);

    } else if (n - i == 2) {
        uint32_t  w = (p[i] << 16) | (p[i + 1] << 8);
        char      q[4] = { abc[w >> 18], abc[(w >> 12) & 63],
                           abc[(w >> 6) & 63], '=' };
        s.put(q, 4);
    }
}


void
put_value(sink &s, template_escape e, std::string_view v) noexcept
{
    switch (e) {
    case template_escape::raw:
        s.put(v.data(), v.size());
        break;
    case template_escape::json:
        put_json(s, v);
        break;
    case template_escape::base64:
        put_base64(s, v);
        break;
    }
}


size_t
render(char *out, const template_t &t, std::string_view src,
    const template_values &v, size_t *id_at) noexcept
{
    sink  s(out);
    char  num[24];

    if (id_at != nullptr) {
        *id_at = SIZE_MAX;
    }

    for (uint32_t i = 0; i < t.n; i++) {
        const template_piece  &p = t.pieces[i];
        uint64_t               x;
        size_t                 k;

        switch (p.field) {
        case template_field::literal:
            s.put(src.data() + p.off, p.len);
            break;
        case template_field::id:
            if (id_at != nullptr) {
                *id_at = s.count();
            }
            put_value(s, p.escape, v.id);
            break;
        case template_field::channel:
            put_value(s, p.escape, v.channel);
            break;
        case template_field::event:
            put_value(s, p.escape, v.event);
            break;
        case template_field::type:
            put_value(s, p.escape, v.type);
            break;
        case template_field::text:
            put_value(s, p.escape, v.text);
            break;
        case template_field::size:
        case template_field::time:
            x = p.field == template_field::size ? v.text.size() : v.time;
            k = sizeof(num);
            do {
                num[--k] = static_cast<char>('0' + x % 10);
                x /= 10;
            } while (x != 0);
            put_value(s, p.escape,
                      std::string_view(num + k, sizeof(num) - k));
            break;
        }
    }

    if (id_at != nullptr && *id_at == SIZE_MAX) {
        *id_at = s.count();
    }

    return s.count();
}

} /* namespace */


const char *
template_status_text(template_status s) noexcept
{
    switch (s) {
    case template_status::ok:
        return "ok";
    case template_status::empty:
        return "is empty";
    case template_status::too_long:
        return "is longer than 4096 bytes";
    case template_status::unterminated:
        return "has a \"~\" that opens a field no \"~\" closes "
               "(write \"~~\" for a tilde)";
    case template_status::unknown_field:
        return "names an unknown field (known: id, channel, event, type, "
               "text, size, time)";
    case template_status::unknown_escape:
        return "names an unknown escape (known: json, base64)";
    case template_status::id_twice:
        return "has \"~id~\" more than once";
    case template_status::id_escaped:
        return "escapes \"~id~\", which needs no escape";
    case template_status::too_many_pieces:
        return "has more than 64 pieces";
    }

    return "is invalid";
}


template_status
template_compile(std::string_view src, template_t *out, size_t *at) noexcept
{
    size_t  i = 0, lit = 0, close, colon;

    out->n = 0;
    out->ids = 0;
    *at = 0;

    if (src.empty()) {
        return template_status::empty;
    }

    if (src.size() > template_max_len) {
        return template_status::too_long;
    }

    while (i < src.size()) {
        if (src[i] != '~') {
            i++;
            continue;
        }

        if (i > lit && !add_piece(out, template_field::literal,
                                  template_escape::raw, lit, i - lit))
        {
            *at = i;
            return template_status::too_many_pieces;
        }

        *at = i;

        if (i + 1 < src.size() && src[i + 1] == '~') {
            /* "~~": the second tilde is the literal */
            if (!add_piece(out, template_field::literal,
                           template_escape::raw, i + 1, 1))
            {
                return template_status::too_many_pieces;
            }
            i += 2;
            lit = i;
            continue;
        }

        close = src.find('~', i + 1);
        if (close == std::string_view::npos) {
            return template_status::unterminated;
        }

        std::string_view  name = src.substr(i + 1, close - i - 1);
        template_escape   esc = template_escape::raw;

        colon = name.find(':');
        if (colon != std::string_view::npos) {
            std::string_view  e = name.substr(0, colon);

            if (e == "json") {
                esc = template_escape::json;
            } else if (e == "base64") {
                esc = template_escape::base64;
            } else {
                return template_status::unknown_escape;
            }

            name = name.substr(colon + 1);
        }

        const field_name  *f = nullptr;

        for (const auto &fn : field_names) {
            if (fn.name == name) {
                f = &fn;
                break;
            }
        }

        if (f == nullptr) {
            return template_status::unknown_field;
        }

        if (f->field == template_field::id) {
            if (esc != template_escape::raw) {
                return template_status::id_escaped;
            }

            if (out->ids++ != 0) {
                return template_status::id_twice;
            }
        }

        if (!add_piece(out, f->field, esc, 0, 0)) {
            return template_status::too_many_pieces;
        }

        i = close + 1;
        lit = i;
    }

    if (i > lit && !add_piece(out, template_field::literal,
                              template_escape::raw, lit, i - lit))
    {
        *at = lit;
        return template_status::too_many_pieces;
    }

    *at = 0;

    return template_status::ok;
}


size_t
template_size(const template_t &t, std::string_view src,
    const template_values &v) noexcept
{
    return render(nullptr, t, src, v, nullptr);
}


size_t
template_write(char *out, const template_t &t, std::string_view src,
    const template_values &v, size_t *id_at) noexcept
{
    return render(out, t, src, v, id_at);
}

} /* namespace push */
