/* pushbench: the parsers declared in pb_parse.h. */
#include "pb_parse.h"

#include <cstring>
#include <strings.h>

namespace pb {

namespace {

bool
header_is(std::string_view line, const char *name, std::string_view &value)
{
    size_t len = strlen(name);
    if (line.size() <= len || line[len] != ':'
        || strncasecmp(line.data(), name, len) != 0) {
        return false;
    }
    value = line.substr(len + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
    }
    return true;
}


bool
contains_nocase(std::string_view s, const char *word)
{
    size_t len = strlen(word);
    for (size_t i = 0; i + len <= s.size(); i++) {
        if (strncasecmp(s.data() + i, word, len) == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace


long
parse_head(const char *p, size_t n, http_head &h)
{
    std::string_view all(p, n);
    size_t end = all.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        return n > 65536 ? -1 : 0;
    }
    if (all.compare(0, 5, "HTTP/") != 0) {
        return -1;
    }
    h = http_head();
    size_t sp = all.find(' ');
    if (sp == std::string_view::npos || sp + 4 > end) {
        return -1;
    }
    h.status = (p[sp + 1] - '0') * 100 + (p[sp + 2] - '0') * 10
               + (p[sp + 3] - '0');
    bool http10 = all.compare(0, 8, "HTTP/1.0") == 0;
    h.close = http10;
    size_t pos = all.find("\r\n") + 2;
    while (pos < end + 2) {
        size_t eol = all.find("\r\n", pos);
        std::string_view line = all.substr(pos, eol - pos);
        std::string_view v;
        pos = eol + 2;
        if (header_is(line, "Content-Length", v)) {
            h.content_length = 0;
            for (char c : v) {
                if (c < '0' || c > '9') {
                    return -1;
                }
                h.content_length = h.content_length * 10 + (c - '0');
            }
        } else if (header_is(line, "Transfer-Encoding", v)) {
            h.chunked = contains_nocase(v, "chunked");
        } else if (header_is(line, "Connection", v)) {
            if (contains_nocase(v, "close")) {
                h.close = true;
            } else if (contains_nocase(v, "keep-alive")) {
                h.close = false;
            }
        } else if (header_is(line, "Etag", v)) {
            h.etag.assign(v);
        } else if (header_is(line, "Last-Modified", v)) {
            h.last_modified.assign(v);
        }
    }
    return static_cast<long>(end + 4);
}


long
dechunk::feed(const char *p, size_t n, std::string &out)
{
    size_t i = 0;
    while (i < n && st_ != st::done) {
        char c = p[i];
        switch (st_) {
        case st::size:
            if (c >= '0' && c <= '9') {
                left_ = left_ * 16 + (c - '0');
            } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
                left_ = left_ * 16 + ((c | 0x20) - 'a' + 10);
            } else if (c == ';' || c == ' ') {
                st_ = st::ext;
            } else if (c == '\r') {
                st_ = st::size_lf;
            } else {
                return -1;
            }
            i++;
            break;
        case st::ext:
            if (c == '\r') {
                st_ = st::size_lf;
            }
            i++;
            break;
        case st::size_lf:
            if (c != '\n') {
                return -1;
            }
            i++;
            if (left_ == 0) {
                st_ = st::trailer;
                line_empty_ = true;
            } else {
                st_ = st::data;
            }
            break;
        case st::data: {
            size_t take = n - i;
            if (take > left_) {
                take = left_;
            }
            out.append(p + i, take);
            i += take;
            left_ -= take;
            if (left_ == 0) {
                st_ = st::data_cr;
            }
            break;
        }
        case st::data_cr:
            if (c != '\r') {
                return -1;
            }
            st_ = st::data_lf;
            i++;
            break;
        case st::data_lf:
            if (c != '\n') {
                return -1;
            }
            st_ = st::size;
            i++;
            break;
        case st::trailer:
            if (c == '\r') {
                st_ = st::trailer_lf;
            } else {
                line_empty_ = false;
            }
            i++;
            break;
        case st::trailer_lf:
            if (c != '\n') {
                return -1;
            }
            i++;
            st_ = line_empty_ ? st::done : st::trailer;
            line_empty_ = true;
            break;
        case st::done:
            break;
        }
    }
    return static_cast<long>(i);
}


long
parse_ws_frame(const char *p, size_t n, ws_frame &f)
{
    if (n < 2) {
        return 0;
    }
    const auto *u = reinterpret_cast<const unsigned char *>(p);
    f.fin = (u[0] & 0x80) != 0;
    f.opcode = u[0] & 0x0f;
    bool masked = (u[1] & 0x80) != 0;
    uint64_t len = u[1] & 0x7f;
    size_t hdr = 2;
    if (len == 126) {
        if (n < 4) {
            return 0;
        }
        len = (uint64_t{u[2]} << 8) | u[3];
        hdr = 4;
    } else if (len == 127) {
        if (n < 10) {
            return 0;
        }
        len = 0;
        for (int i = 2; i < 10; i++) {
            len = (len << 8) | u[i];
        }
        hdr = 10;
    }
    if (len > (64u << 20)) {
        return -1;
    }
    size_t mask_at = hdr;
    if (masked) {
        hdr += 4;
    }
    if (n < hdr + len) {
        return 0;
    }
    if (masked) {
        /* servers must not mask; unmask in place so the bench can go on */
        auto *w = const_cast<unsigned char *>(u);
        for (uint64_t i = 0; i < len; i++) {
            w[hdr + i] ^= u[mask_at + (i & 3)];
        }
    }
    f.payload = std::string_view(p + hdr, len);
    return static_cast<long>(hdr + len);
}


std::string
ws_client_frame(int opcode, std::string_view payload)
{
    static const unsigned char mask[4] = { 0x12, 0x34, 0x56, 0x78 };
    std::string f;
    f += static_cast<char>(0x80 | opcode);
    if (payload.size() < 126) {
        f += static_cast<char>(0x80 | payload.size());
    } else {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>((payload.size() >> 8) & 0xff);
        f += static_cast<char>(payload.size() & 0xff);
    }
    f.append(reinterpret_cast<const char *>(mask), 4);
    for (size_t i = 0; i < payload.size(); i++) {
        f += static_cast<char>(payload[i] ^ mask[i & 3]);
    }
    return f;
}


std::string
make_payload(const payload &pl, size_t size)
{
    std::string s = std::to_string(pl.publisher) + ' '
                    + std::to_string(pl.seq) + ' '
                    + std::to_string(pl.sent_ns) + ' ';
    if (s.size() < size) {
        s.append(size - s.size(), 'x');
    }
    return s;
}


bool
parse_payload(std::string_view s, payload &pl)
{
    uint64_t v[3] = { 0, 0, 0 };
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            v[k] = v[k] * 10 + (s[i] - '0');
            i++;
        }
        if (i == start || i >= s.size() || s[i] != ' ') {
            return false;
        }
        i++;
    }
    pl.publisher = static_cast<uint32_t>(v[0]);
    pl.seq = static_cast<uint32_t>(v[1]);
    pl.sent_ns = v[2];
    return true;
}

}  // namespace pb
