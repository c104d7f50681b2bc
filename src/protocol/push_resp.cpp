/* RESP, the Redis protocol: an incremental reply reader.  The command
 * encoder is in push_resp_encode.cpp. */

#include "push_resp.h"

#include <cstdlib>
#include <cstring>


namespace push {

namespace {

/* A double's text, "-1.7976931348623157e+308" being 24 bytes. */
constexpr size_t  double_max = 64;

/* Enough for any uint64_t or int64_t. */
constexpr size_t  digits_max = 20;


status
fail(resp_reader &r, status st, const char *why) noexcept
{
    r.failed = st;
    r.reason = why;
    r.error_at = r.pos;
    return st;
}


/*
 * The number after the type byte at p[0], up to its CRLF: an optional '-'
 * then 1 to 20 digits, fitting int64_t.  On ok, end is the length of the
 * whole line, and neg tells "-0" from "0".  A number line is short, so it
 * is read again from its start when it was cut: no state to keep.
 */
status
read_number(const char *p, size_t avail, int64_t &v, bool &neg, size_t &end,
    const char *&why) noexcept
{
    uint64_t  limit = INT64_MAX;
    uint64_t  acc = 0;
    size_t    digits = 0;
    size_t    i = 1;

    neg = false;

    if (i < avail && p[i] == '-') {
        neg = true;
        limit = uint64_t(INT64_MAX) + 1;
        i++;
    }

    for ( ; i < avail; i++) {
        unsigned char  c = static_cast<unsigned char>(p[i]);

        if (c < '0' || c > '9') {
            break;
        }

        if (++digits > digits_max) {
            why = "number too long";
            return status::invalid;
        }

        uint64_t  d = c - '0';

        if (acc > (limit - d) / 10) {
            why = "number overflows";
            return status::invalid;
        }

        acc = acc * 10 + d;
    }

    if (i == avail) {
        return status::need_more;
    }

    if (p[i] != '\r') {
        why = (i == 1 && p[i] == '?') ? "streamed types are not supported"
                                      : "bad byte in a number";
        return status::invalid;
    }

    if (digits == 0) {
        why = "number without digits";
        return status::invalid;
    }

    if (i + 1 == avail) {
        return status::need_more;
    }

    if (p[i + 1] != '\n') {
        why = "CR without LF";
        return status::invalid;
    }

    /* acc <= limit: for a negative number, acc - 1 fits int64_t */
    v = neg ? -int64_t(acc - 1) - 1 : int64_t(acc);
    end = i + 2;

    return status::ok;
}


/*
 * The text after the type byte at p[0], up to its CRLF, at most max bytes
 * (longer: too_long, for why_long).  A text line may be long, so the bytes
 * already found free of CR and LF are remembered in r.scanned and not
 * looked at again.  On ok, n is the text's length.
 */
status
read_line(resp_reader &r, const char *p, size_t avail, size_t max,
    status too_long, const char *why_long, size_t &n, const char *&why)
    noexcept
{
    size_t  i;

    for (i = 1 + r.scanned; i < avail; i++) {
        char  c = p[i];

        if (c == '\r') {
            if (i + 1 == avail) {
                break;
            }

            if (p[i + 1] != '\n') {
                why = "CR without LF";
                return status::invalid;
            }

            n = i - 1;
            return status::ok;
        }

        if (i - 1 >= max) {
            why = why_long;
            return too_long;
        }

        if (c == '\n') {
            why = "LF without CR";
            return status::invalid;
        }
    }

    r.scanned = i - 1;

    return status::need_more;
}


bool
is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}


/* RESP3: [+|-]<integral>[.<fractional>][<E|e>[sign]<exponent>], inf, -inf,
 * nan. */
bool
double_ok(std::string_view s) noexcept
{
    size_t  i = 0, n = s.size(), from;

    if (s == "inf" || s == "+inf" || s == "-inf" || s == "nan") {
        return true;
    }

    if (i < n && (s[i] == '+' || s[i] == '-')) {
        i++;
    }

    for (from = i; i < n && is_digit(s[i]); i++) { /* void */ }

    if (i == from) {
        return false;
    }

    if (i < n && s[i] == '.') {
        for (from = ++i; i < n && is_digit(s[i]); i++) { /* void */ }

        if (i == from) {
            return false;
        }
    }

    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;

        if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }

        for (from = i; i < n && is_digit(s[i]); i++) { /* void */ }

        if (i == from) {
            return false;
        }
    }

    return i == n;
}


/* [+|-]<digits> */
bool
big_number_ok(std::string_view s) noexcept
{
    size_t  i = 0;

    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        i++;
    }

    if (i == s.size()) {
        return false;
    }

    for ( ; i < s.size(); i++) {
        if (!is_digit(s[i])) {
            return false;
        }
    }

    return true;
}


resp_node *
new_node(resp_reader &r, resp_type type) noexcept
{
    if (r.used == r.capacity) {
        return nullptr;
    }

    resp_node  &n = r.nodes[r.used++];

    n = resp_node{};
    n.type = type;
    n.span = 1;

    return &n;
}


/*
 * A value of end bytes at r.pos is read: closes the aggregates it
 * completes.  Returns true when it completes the reply.
 */
bool
value_done(resp_reader &r, size_t end) noexcept
{
    r.pos += end;
    r.scanned = 0;

    while (r.depth > 0) {
        resp_frame  &f = r.stack[r.depth - 1];

        if (--f.left > 0) {
            return false;
        }

        r.depth--;

        if (f.attribute) {
            /* dropped, and it was no value of its parent */
            r.used = f.node;
            return false;
        }

        r.nodes[f.node].span = r.used - f.node;
    }

    return true;
}


constexpr const char  *too_many = "more elements than the node array holds";


/* An aggregate header: *, %, ~, >, |. */
status
read_aggregate(resp_reader &r, const char *p, size_t avail, bool &whole,
    const char *&why) noexcept
{
    int64_t     v;
    size_t      end;
    bool        neg;
    resp_node  *n;
    status      st = read_number(p, avail, v, neg, end, why);
    char        t = p[0];

    if (st != status::ok) {
        return st;
    }

    if (neg) {
        if (v != -1 || t != '*') {
            why = "negative count";
            return status::invalid;
        }

        if ((n = new_node(r, resp_type::null)) == nullptr) {
            why = too_many;
            return status::too_large;
        }

        whole = value_done(r, end);
        return status::ok;
    }

    bool      pairs = (t == '%' || t == '|');
    uint64_t  count = uint64_t(v) * (pairs ? 2 : 1);

    if (r.depth >= r.max_depth) {
        why = "nesting deeper than max_depth";
        return status::too_large;
    }

    /* the aggregate and all its children must fit */
    if (count >= r.capacity - r.used) {
        why = too_many;
        return status::too_large;
    }

    resp_type  type = t == '*' ? resp_type::array
                      : t == '%' ? resp_type::map
                      : t == '~' ? resp_type::set
                      : resp_type::push;

    uint32_t  at = r.used;

    n = new_node(r, type);
    n->count = uint32_t(count);

    if (count == 0) {
        if (t == '|') {
            r.used = at;
            r.pos += end;
            r.scanned = 0;
            whole = false;
            return status::ok;
        }

        whole = value_done(r, end);
        return status::ok;
    }

    r.stack[r.depth++] = { at, uint32_t(count), t == '|' };
    r.pos += end;
    r.scanned = 0;
    whole = false;

    return status::ok;
}


/* A length-prefixed string: $, !, =. */
status
read_blob(resp_reader &r, const char *p, size_t avail, bool &whole,
    const char *&why) noexcept
{
    int64_t     v;
    size_t      end;
    bool        neg;
    resp_node  *n;
    status      st = read_number(p, avail, v, neg, end, why);
    char        t = p[0];

    if (st != status::ok) {
        return st;
    }

    if (neg) {
        if (v != -1 || t != '$') {
            why = "negative length";
            return status::invalid;
        }

        if ((n = new_node(r, resp_type::null)) == nullptr) {
            why = too_many;
            return status::too_large;
        }

        whole = value_done(r, end);
        return status::ok;
    }

    if (uint64_t(v) > r.max_bulk) {
        why = "bulk string longer than max_bulk";
        return status::too_large;
    }

    if (r.used == r.capacity) {
        why = too_many;
        return status::too_large;
    }

    /* len <= max_bulk <= SIZE_MAX / 2: no overflow below */
    size_t  len = size_t(v);

    if (avail - end < len + 2) {
        return status::need_more;
    }

    if (p[end + len] != '\r' || p[end + len + 1] != '\n') {
        why = "bulk string not followed by CRLF";
        return status::invalid;
    }

    resp_type  type = t == '$' ? resp_type::bulk
                      : t == '!' ? resp_type::blob_error
                      : resp_type::verbatim;
    size_t     skip = 0;

    if (type == resp_type::verbatim) {
        if (len < 4 || p[end + 3] != ':') {
            why = "verbatim string without its format";
            return status::invalid;
        }
        skip = 4;
    }

    n = new_node(r, type);
    n->off = r.pos + end + skip;
    n->len = len - skip;

    if (skip) {
        std::memcpy(n->format, p + end, 3);
    }

    whole = value_done(r, end + len + 2);

    return status::ok;
}


/* A one-line value: +, -, (, ,, #, _. */
status
read_simple(resp_reader &r, const char *p, size_t avail, bool &whole,
    const char *&why) noexcept
{
    size_t            max = r.max_bulk, len;
    status            too_long = status::too_large;
    const char       *why_long = "line longer than max_bulk";
    char              t = p[0];

    switch (t) {
    case ',':
        max = double_max;
        too_long = status::invalid;
        why_long = "double too long";
        break;
    case '#':
        max = 1;
        too_long = status::invalid;
        why_long = "bad boolean";
        break;
    case '_':
        max = 0;
        too_long = status::invalid;
        why_long = "null with a value";
        break;
    default:
        break;
    }

    status  st = read_line(r, p, avail, max, too_long, why_long, len, why);

    if (st != status::ok) {
        return st;
    }

    std::string_view  text(p + 1, len);
    resp_type         type = resp_type::simple;
    int64_t           integer = 0;
    double            number = 0;

    switch (t) {

    case '-':
        type = resp_type::error;
        break;

    case '(':
        if (!big_number_ok(text)) {
            why = "bad big number";
            return status::invalid;
        }
        type = resp_type::big_number;
        break;

    case ',': {
        char  copy[double_max + 1];

        if (!double_ok(text)) {
            why = "bad double";
            return status::invalid;
        }

        /* strtod wants a C string; nginx keeps the "C" locale, so the
         * decimal point is '.' */
        std::memcpy(copy, text.data(), len);
        copy[len] = '\0';
        number = std::strtod(copy, nullptr);
        type = resp_type::real;
        break;
    }

    case '#':
        if (text != "t" && text != "f") {
            why = "bad boolean";
            return status::invalid;
        }
        integer = text == "t";
        type = resp_type::boolean;
        break;

    case '_':
        type = resp_type::null;
        break;

    default:
        break;
    }

    resp_node  *n = new_node(r, type);

    if (n == nullptr) {
        why = too_many;
        return status::too_large;
    }

    n->integer = integer;
    n->number = number;

    if (type != resp_type::null && type != resp_type::boolean) {
        n->off = r.pos + 1;
        n->len = len;
    }

    whole = value_done(r, len + 3);

    return status::ok;
}


status
read_integer(resp_reader &r, const char *p, size_t avail, bool &whole,
    const char *&why) noexcept
{
    int64_t  v;
    size_t   end;
    bool     neg;
    status   st = read_number(p, avail, v, neg, end, why);

    if (st != status::ok) {
        return st;
    }

    resp_node  *n = new_node(r, resp_type::integer);

    if (n == nullptr) {
        why = too_many;
        return status::too_large;
    }

    n->integer = v;
    whole = value_done(r, end);

    return status::ok;
}

} /* namespace */


const resp_node *
resp_child(const resp_node *agg, uint32_t i) noexcept
{
    if (i >= agg->count) {
        return nullptr;
    }

    const resp_node  *c = agg + 1;

    while (i--) {
        c = resp_next(c);
    }

    return c;
}


void
resp_reader_init(resp_reader &r, resp_node *nodes, uint32_t capacity,
    uint32_t max_depth, size_t max_bulk) noexcept
{
    std::memset(static_cast<void *>(&r), 0, sizeof(resp_reader));

    r.nodes = nodes;
    r.capacity = capacity;
    r.max_depth = max_depth < 1 ? 1
                  : max_depth > resp_depth_max ? resp_depth_max : max_depth;
    r.max_bulk = max_bulk > SIZE_MAX / 2 ? SIZE_MAX / 2 : max_bulk;
    r.failed = status::ok;
}


status
resp_read(resp_reader &r, const char *in, size_t len, resp_reply &out)
    noexcept
{
    out.root = nullptr;
    out.consumed = 0;

    if (r.failed != status::ok) {
        return r.failed;
    }

    if (r.capacity == 0) {
        return fail(r, status::too_large, too_many);
    }

    /* everything before r.pos was read and must still be there; the byte at
     * r.pos + r.scanned was too, if scanned is set */
    if (len < r.pos + r.scanned) {
        return fail(r, status::invalid, "input lost bytes already read");
    }

    for ( ;; ) {
        if (r.pos == len) {
            return status::need_more;
        }

        const char  *p = in + r.pos;
        size_t       avail = len - r.pos;
        const char  *why = nullptr;
        bool         whole = false;
        status       st;

        switch (p[0]) {

        case '+': case '-': case '(': case ',': case '#': case '_':
            st = read_simple(r, p, avail, whole, why);
            break;

        case ':':
            st = read_integer(r, p, avail, whole, why);
            break;

        case '$': case '!': case '=':
            st = read_blob(r, p, avail, whole, why);
            break;

        case '*': case '%': case '~': case '>': case '|':
            st = read_aggregate(r, p, avail, whole, why);
            break;

        default:
            st = status::invalid;
            why = "unknown type byte";
            break;
        }

        if (st == status::need_more) {
            return st;
        }

        if (st != status::ok) {
            return fail(r, st, why);
        }

        if (!whole) {
            continue;
        }

        for (uint32_t i = 0; i < r.used; i++) {
            resp_node  &n = r.nodes[i];
            n.str = std::string_view(in + n.off, n.len);
        }

        out.root = r.nodes;
        out.consumed = r.pos;

        r.pos = 0;
        r.scanned = 0;
        r.used = 0;
        r.depth = 0;

        return status::ok;
    }
}

} /* namespace push */
