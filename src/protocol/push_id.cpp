/* Message ids and cursors: their text form, parsed and written. */

#include "push_id.h"


namespace push {

namespace {

constexpr size_t  epoch_digits = 8;
constexpr size_t  seq_max_digits = 20;


int
hex_value(char ch) noexcept
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }

    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }

    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }

    return -1;
}


bool
is_blank(char ch) noexcept
{
    return ch == ' ' || ch == '\t';
}


/* Removes what a client may wrap around the text; false on a lone quote. */
bool
unwrap(std::string_view &s) noexcept
{
    while (!s.empty() && is_blank(s.front())) {
        s.remove_prefix(1);
    }

    while (!s.empty() && is_blank(s.back())) {
        s.remove_suffix(1);
    }

    if (s.size() >= 2 && s[0] == 'W' && s[1] == '/') {
        s.remove_prefix(2);
    }

    bool  open = !s.empty() && s.front() == '"';
    bool  close = !s.empty() && s.back() == '"';

    if (open != close) {
        return false;
    }

    if (open) {
        if (s.size() < 2) {
            return false;
        }

        s.remove_prefix(1);
        s.remove_suffix(1);
    }

    return true;
}


/* Parses one seq at s[*pos]; on success *pos is past its last digit. */
bool
parse_seq(std::string_view s, size_t *pos, uint64_t *value) noexcept
{
    size_t    start = *pos;
    size_t    i = start;
    uint64_t  v = 0;

    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        unsigned  d = static_cast<unsigned>(s[i] - '0');

        if (i - start == seq_max_digits) {
            return false;
        }

        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }

        v = v * 10 + d;
        i++;
    }

    if (i == start) {
        return false;
    }

    /* One spelling per value, so equal cursors are equal strings. */
    if (s[start] == '0' && i - start > 1) {
        return false;
    }

    *pos = i;
    *value = v;

    return true;
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


/* Writes exactly decimal_len(v) digits. */
char *
write_decimal(char *p, uint64_t v) noexcept
{
    size_t  n = decimal_len(v);
    char   *end = p + n;

    do {
        *--end = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);

    return p + n;
}

/*
 * Reads one character of an Nchan id at s[*pos], a percent-encoded
 * separator counting as the character it stands for; '\0' at the end or on
 * a '%' that encodes none of them.
 */
char
nchan_char(std::string_view s, size_t *pos) noexcept
{
    static constexpr struct {
        char  hex[2];
        char  ch;
    }  encoded[] = {
        { { '3', 'A' }, ':' }, { { '2', 'C' }, ',' },
        { { '5', 'B' }, '[' }, { { '5', 'D' }, ']' },
    };

    if (*pos >= s.size()) {
        return '\0';
    }

    if (s[*pos] != '%') {
        return s[(*pos)++];
    }

    if (s.size() - *pos < 3) {
        return '\0';
    }

    for (const auto &e : encoded) {
        char  lo = static_cast<char>(e.hex[1] | 0x20);

        if (s[*pos + 1] == e.hex[0]
            && (s[*pos + 2] == e.hex[1] || s[*pos + 2] == lo))
        {
            *pos += 3;
            return e.ch;
        }
    }

    return '\0';
}


/* Counts the decimal digits at s[*pos], at most max; 0 when too many. */
size_t
nchan_digits(std::string_view s, size_t *pos, size_t max) noexcept
{
    size_t  n = 0;

    while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') {
        if (++n > max) {
            return 0;
        }
        (*pos)++;
    }

    return n;
}


/* The tag list from s[pos] to the end, as Nchan writes it. */
bool
nchan_tags(std::string_view s, size_t pos) noexcept
{
    size_t  ntags = 0;
    bool    bracketed = false;

    for ( ;; ) {
        size_t  at = pos;
        char    ch = nchan_char(s, &at);
        bool    open = ch == '[';

        if (open) {
            if (bracketed) {
                return false;
            }
            bracketed = true;
            pos = at;
            at = pos;
            ch = nchan_char(s, &at);
        }

        if (ch == '-') {
            pos = at;

            /* "-" alone is -1, never in brackets */
            if (nchan_digits(s, &pos, 5) == 0
                && (open || (pos < s.size() && s[pos] >= '0'
                             && s[pos] <= '9')))
            {
                return false;
            }

        } else if (nchan_digits(s, &pos, 5) == 0) {
            return false;
        }

        if (open) {
            at = pos;
            if (nchan_char(s, &at) != ']') {
                return false;
            }
            pos = at;
        }

        if (++ntags > nchan_max_tags) {
            return false;
        }

        if (pos == s.size()) {
            return true;
        }

        at = pos;
        if (nchan_char(s, &at) != ',') {
            return false;
        }
        pos = at;
    }
}

} /* namespace */


status
parse_cursor(std::string_view text, cursor &out) noexcept
{
    std::string_view  s = text;
    cursor            c{};
    uint32_t          epoch = 0;
    size_t            count = 0;
    size_t            pos;

    if (!unwrap(s)) {
        return status::invalid;
    }

    if (s.size() < epoch_digits + 1) {
        return status::invalid;
    }

    for (pos = 0; pos < epoch_digits; pos++) {
        int  h = hex_value(s[pos]);

        if (h < 0) {
            return status::invalid;
        }

        epoch = (epoch << 4) | static_cast<uint32_t>(h);
    }

    if (s[pos++] != ':') {
        return status::invalid;
    }

    /*
     * Seqs past max_channels are still checked, so that a malformed cursor
     * says invalid however long it is, and too_large means only "too many".
     */
    for ( ;; ) {
        uint64_t  v;

        if (!parse_seq(s, &pos, &v)) {
            return status::invalid;
        }

        if (count < max_channels) {
            c.seq[count] = v;
        }

        count++;

        if (pos == s.size()) {
            break;
        }

        if (s[pos++] != ',') {
            return status::invalid;
        }
    }

    if (count > max_channels) {
        return status::too_large;
    }

    c.epoch = epoch;
    c.count = static_cast<uint32_t>(count);
    out = c;

    return status::ok;
}


size_t
format_cursor(const cursor &c, char *buf, size_t len) noexcept
{
    static constexpr char  hex[] = "0123456789abcdef";
    size_t                 need, i;
    char                  *p;

    if (c.count == 0 || c.count > max_channels) {
        return 0;
    }

    need = epoch_digits + 1 + (c.count - 1);

    for (i = 0; i < c.count; i++) {
        need += decimal_len(c.seq[i]);
    }

    if (buf == nullptr || len < need) {
        return 0;
    }

    p = buf;

    for (i = 0; i < epoch_digits; i++) {
        *p++ = hex[(c.epoch >> (28 - 4 * i)) & 0xf];
    }

    *p++ = ':';

    for (i = 0; i < c.count; i++) {
        if (i != 0) {
            *p++ = ',';
        }

        p = write_decimal(p, c.seq[i]);
    }

    return static_cast<size_t>(p - buf);
}


size_t
format_id(uint32_t epoch, uint64_t seq, char *buf, size_t len) noexcept
{
    cursor  c{};

    c.epoch = epoch;
    c.count = 1;
    c.seq[0] = seq;

    return format_cursor(c, buf, len);
}

bool
nchan_id(std::string_view text) noexcept
{
    std::string_view  s = text;
    cursor            ours;
    size_t            pos = 0;

    if (parse_cursor(text, ours) != status::invalid || !unwrap(s)) {
        return false;
    }

    if (nchan_digits(s, &pos, seq_max_digits) == 0
        || nchan_char(s, &pos) != ':')
    {
        return false;
    }

    return nchan_tags(s, pos);
}


bool
nchan_tag(std::string_view text) noexcept
{
    std::string_view  s = text;
    cursor            ours;

    if (parse_cursor(text, ours) != status::invalid || !unwrap(s)) {
        return false;
    }

    return nchan_tags(s, 0);
}

} /* namespace push */
