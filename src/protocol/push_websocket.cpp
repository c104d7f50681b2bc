/* RFC 6455 frames: an incremental parser for client frames, and the
 * headers of server frames. */

#include "push_websocket.h"

#include <cstring>


namespace push {

void
ws_parser_init(ws_parser &p, uint64_t max_message) noexcept
{
    std::memset(&p, 0, sizeof(ws_parser));
    p.max_message = max_message;
    p.utf8 = utf8_start;
}


static ws_result
ws_fail(ws_parser &p, size_t consumed, uint16_t code) noexcept
{
    p.failed = true;
    return { ws_event::error, consumed, code, false, {} };
}


/* The size of the header begun in head: known from its second byte. */
static size_t
ws_header_size(const ws_parser &p) noexcept
{
    if (p.head_len < 2) {
        return 2;
    }

    uint8_t  len7 = p.head[1] & 0x7f;

    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0)
           + ((p.head[1] & 0x80) ? 4 : 0);
}


bool
ws_close_code_ok(uint16_t code) noexcept
{
    /* 1004 is reserved; 1005, 1006 and 1015 are never sent in a frame */
    return (code >= 1000 && code <= 1003)
           || (code >= 1007 && code <= 1014)
           || (code >= 3000 && code <= 4999);
}


/* The header is whole: checks it and opens the frame.  Returns an error
 * close code, or 0. */
static uint16_t
ws_open_frame(ws_parser &p) noexcept
{
    uint8_t   b0 = p.head[0];
    uint8_t   len7 = p.head[1] & 0x7f;
    uint64_t  len = len7;
    size_t    at = 2;

    p.fin = (b0 & 0x80) != 0;
    p.opcode = b0 & 0x0f;

    /* no extension is negotiated, so no reserved bit may be set */
    if (b0 & 0x70) {
        return ws_close_protocol;
    }

    switch (p.opcode) {
    case 0x0: case 0x1: case 0x2: case 0x8: case 0x9: case 0xa:
        break;
    default:
        return ws_close_protocol;
    }

    if (len7 == 126) {
        len = (uint64_t(p.head[2]) << 8) | p.head[3];
        at = 4;

    } else if (len7 == 127) {
        len = 0;
        for (size_t i = 0; i < 8; i++) {
            len = (len << 8) | p.head[2 + i];
        }
        at = 10;

        if (len >> 63) {
            return ws_close_protocol;
        }
    }

    std::memcpy(p.mask, &p.head[at], 4);
    p.left = len;
    p.done = 0;

    if (p.opcode & 0x8) {
        /* control frames are whole and small, and may come between the
         * fragments of a message */
        if (!p.fin || len > 125) {
            return ws_close_protocol;
        }
        p.control_len = 0;
        return 0;
    }

    if (p.opcode == 0x0) {
        if (p.message == 0) {
            return ws_close_protocol;
        }

    } else {
        if (p.message != 0) {
            return ws_close_protocol;
        }
        p.message = p.opcode;
        p.message_len = 0;
        p.utf8 = utf8_start;
    }

    if (len > p.max_message || p.message_len > p.max_message - len) {
        return ws_close_too_big;
    }

    p.message_len += len;

    return 0;
}


/* A whole control frame's payload has been collected. */
static ws_result
ws_control(ws_parser &p, size_t consumed) noexcept
{
    std::string_view  payload(reinterpret_cast<const char *>(p.control),
                              p.control_len);
    uint16_t          code = ws_close_no_status;

    switch (p.opcode) {

    case 0x9:
        return { ws_event::ping, consumed, 0, false, payload };

    case 0xa:
        return { ws_event::pong, consumed, 0, false, payload };

    default:
        break;
    }

    if (p.control_len == 1) {
        return ws_fail(p, consumed, ws_close_protocol);
    }

    if (p.control_len >= 2) {
        code = uint16_t((p.control[0] << 8) | p.control[1]);

        if (!ws_close_code_ok(code)) {
            return ws_fail(p, consumed, ws_close_protocol);
        }

        if (!utf8_valid(p.control + 2, p.control_len - 2u)) {
            return ws_fail(p, consumed, ws_close_bad_data);
        }

        payload.remove_prefix(2);
    }

    return { ws_event::close, consumed, code, false, payload };
}


ws_result
ws_parse(ws_parser &p, uint8_t *in, size_t len) noexcept
{
    size_t    pos = 0, n;
    uint16_t  code;

    if (p.failed) {
        return { ws_event::error, 0, ws_close_protocol, false, {} };
    }

    for ( ;; ) {

        if (!p.in_frame) {
            while (p.head_len < ws_header_size(p) && pos < len) {
                p.head[p.head_len++] = in[pos++];

                if (p.head_len == 2 && !(p.head[1] & 0x80)) {
                    /* a client must mask every frame */
                    return ws_fail(p, pos, ws_close_protocol);
                }
            }

            if (p.head_len < ws_header_size(p)) {
                return { ws_event::need_more, pos, 0, false, {} };
            }

            code = ws_open_frame(p);
            if (code) {
                return ws_fail(p, pos, code);
            }

            p.in_frame = true;
        }

        n = len - pos;
        if (n > p.left) {
            n = size_t(p.left);
        }

        for (size_t i = 0; i < n; i++) {
            in[pos + i] ^= p.mask[(p.done + i) & 3];
        }

        if (p.opcode & 0x8) {
            std::memcpy(p.control + p.control_len, in + pos, n);
            p.control_len = uint8_t(p.control_len + n);
            p.left -= n;
            p.done += n;
            pos += n;

            if (p.left > 0) {
                return { ws_event::need_more, pos, 0, false, {} };
            }

            p.in_frame = false;
            p.head_len = 0;
            return ws_control(p, pos);
        }

        if (n > 0) {
            bool  text = p.message == 0x1;

            if (text && !utf8_feed(p.utf8, in + pos, n)) {
                return ws_fail(p, pos + n, ws_close_bad_data);
            }

            std::string_view  slice(reinterpret_cast<const char *>(in + pos),
                                    n);
            p.left -= n;
            p.done += n;
            pos += n;

            return { ws_event::data, pos, 0, text, slice };
        }

        if (p.left > 0) {
            return { ws_event::need_more, pos, 0, false, {} };
        }

        /* the frame's payload is all here */
        p.in_frame = false;
        p.head_len = 0;

        if (p.fin) {
            bool  text = p.message == 0x1;

            if (text && !utf8_complete(p.utf8)) {
                return ws_fail(p, pos, ws_close_bad_data);
            }

            p.message = 0;
            return { ws_event::message, pos, 0, text, {} };
        }
    }
}


size_t
ws_header(uint8_t *out, ws_opcode op, bool fin, uint64_t len) noexcept
{
    out[0] = uint8_t((fin ? 0x80 : 0) | uint8_t(op));

    if (len < 126) {
        out[1] = uint8_t(len);
        return 2;
    }

    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = uint8_t(len >> 8);
        out[3] = uint8_t(len);
        return 4;
    }

    out[1] = 127;
    for (size_t i = 0; i < 8; i++) {
        out[2 + i] = uint8_t(len >> (56 - 8 * i));
    }

    return 10;
}


size_t
ws_close_payload(uint8_t *out, uint16_t code, std::string_view reason) noexcept
{
    size_t  n = reason.size() > 123 ? 123 : reason.size();

    out[0] = uint8_t(code >> 8);
    out[1] = uint8_t(code);
    std::memcpy(out + 2, reason.data(), n);

    return 2 + n;
}

} /* namespace push */
