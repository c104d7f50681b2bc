/* RFC 6455 frames: an incremental parser for client frames, and the
 * headers of server frames. */

#ifndef PUSH_WEBSOCKET_H
#define PUSH_WEBSOCKET_H


#include <cstddef>
#include <cstdint>
#include <string_view>

#include "push_utf8.h"


namespace push {

enum class ws_opcode : uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xa
};


/* Close codes the server sends (RFC 6455 section 7.4.1). */
constexpr uint16_t ws_close_normal = 1000;
constexpr uint16_t ws_close_going_away = 1001;
constexpr uint16_t ws_close_protocol = 1002;
constexpr uint16_t ws_close_no_status = 1005;   /* never sent: "none" */
constexpr uint16_t ws_close_bad_data = 1007;
constexpr uint16_t ws_close_policy = 1008;
constexpr uint16_t ws_close_too_big = 1009;
constexpr uint16_t ws_close_try_again = 1013;


enum class ws_event {
    need_more,    /* all input consumed; feed more */
    data,         /* a slice of a data message: payload, text */
    message,      /* the data message whose slices came before ended */
    ping,         /* payload: to echo in a pong */
    pong,
    close,        /* code (1005 when none) and payload = the reason */
    error         /* code: the close code to answer with; stop feeding */
};


struct ws_result {
    ws_event          event;
    size_t            consumed;   /* input bytes used for this result */
    uint16_t          code;
    bool              text;       /* data, message: a text message */
    std::string_view  payload;
};


/* Parser state for one connection.  It never holds a data payload: slices
 * are unmasked in place in the caller's buffer and handed back.  Control
 * frames (at most 125 bytes) are collected here, since they may arrive
 * split and must be answered whole. */
struct ws_parser {
    uint64_t    max_message;      /* bytes; larger messages: 1009 */

    uint8_t     head[14];
    uint8_t     head_len;
    bool        in_frame;         /* header read, payload under way */
    uint8_t     opcode;
    bool        fin;
    uint8_t     mask[4];
    uint64_t    left;             /* payload bytes of the frame to come */
    uint64_t    done;             /* payload bytes of the frame seen */

    uint8_t     message;          /* opcode of the data message open, 0 */
    uint64_t    message_len;
    utf8_state  utf8;

    uint8_t     control[125];
    uint8_t     control_len;
    bool        failed;
};


void ws_parser_init(ws_parser &p, uint64_t max_message) noexcept;

/* Consumes input until one result is ready; data slices point into in
 * (unmasked there).  Call again with the rest of the input after consumed
 * bytes until need_more.  After error, the connection is to be closed with
 * code and nothing more fed. */
ws_result ws_parse(ws_parser &p, uint8_t *in, size_t len) noexcept;

/* A server frame header (never masked): 2, 4 or 10 bytes. */
constexpr size_t ws_header_max = 10;
size_t ws_header(uint8_t *out, ws_opcode op, bool fin, uint64_t len) noexcept;

/* The payload of a close frame: the code then the reason (cut to fit 125
 * bytes).  Returns its length. */
size_t ws_close_payload(uint8_t *out, uint16_t code,
                        std::string_view reason) noexcept;

/* Whether a peer may send this code in a close frame. */
bool ws_close_code_ok(uint16_t code) noexcept;

} /* namespace push */


#endif /* PUSH_WEBSOCKET_H */
