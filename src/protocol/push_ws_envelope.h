/* WebSocket message envelopes chosen by subprotocol: Nchan's meta frames
 * (ws+meta.nchan) and our JSON objects (push.v1.json). */

#ifndef PUSH_WS_ENVELOPE_H
#define PUSH_WS_ENVELOPE_H


#include <cstddef>
#include <cstdint>
#include <string_view>


namespace push {

enum class ws_envelope : uint8_t {
    none,          /* bare payloads, as without a subprotocol */
    nchan_meta,    /* "ws+meta.nchan" */
    json_v1        /* "push.v1.json" */
};

constexpr std::string_view ws_nchan_meta_name = "ws+meta.nchan";
constexpr std::string_view ws_json_v1_name = "push.v1.json";

/* The envelope a subprotocol name stands for (exact, case-sensitive, as
 * RFC 6455 4.1 asks of subprotocol names); none for any other name. */
ws_envelope ws_envelope_of(std::string_view name) noexcept;

/* The next token of a Sec-WebSocket-Protocol offer ("a, b,c"): true and
 * token set while there is one; rest moves past it. */
bool ws_offer_next(std::string_view &rest, std::string_view &token) noexcept;


/* ws+meta.nchan: "id: ID\ncontent-type: TYPE\n\n" then the data (the
 * content-type line left out for a message without a type).  The head is
 * all that is written here: the data follows it unchanged. */
size_t ws_meta_head_size(std::string_view id, std::string_view type) noexcept;
size_t ws_meta_head_write(char *out, std::string_view id,
                          std::string_view type) noexcept;

/* Binary frame or text frame for a meta message: Nchan sends binary for
 * exactly "application/octet-stream" and text otherwise; we send binary
 * too for data that is not UTF-8, which a text frame may not carry
 * (RFC 6455 8.1; a browser would fail the connection). */
bool ws_meta_binary(std::string_view type, bool data_utf8) noexcept;

/* The type of a meta gap notice; its data is {"push_gap":N} or
 * {"push_gap":"unknown"}. */
constexpr std::string_view ws_meta_gap_type = "application/vnd.push-gap+json";

/* A whole meta gap notice (at most ws_meta_gap_max + id.size() bytes). */
constexpr size_t ws_meta_gap_max = 4 + 15 + ws_meta_gap_type.size() + 2
                                   + 12 + 20 + 1;
size_t ws_meta_gap_write(char *out, std::string_view id, uint64_t missed,
                         bool unknown) noexcept;


/* JSON strings: quotes included; '"', '\\' and control characters
 * escaped; bytes that are not UTF-8 become U+FFFD, one per byte. */
size_t json_string_size(std::string_view s) noexcept;
size_t json_string_write(char *out, std::string_view s) noexcept;

/* Base64 (RFC 4648 section 4, with padding). */
constexpr size_t
base64_size(size_t n) noexcept
{
    return (n + 2) / 3 * 4;
}

size_t base64_write(char *out, std::string_view data) noexcept;


/* push.v1.json: one object per message,
 *   {"id":ID,"channel":CH,"event":EV,"type":TYPE,"data":DATA}
 * event and type null when the message has none; data a string, or its
 * base64 with "base64":true before it when the data is binary (see
 * ws_json_base64). */
struct ws_json_message {
    std::string_view  id;
    std::string_view  channel;
    std::string_view  event;
    std::string_view  type;
    std::string_view  data;
    bool              base64;
};

/* Whether data goes as base64: when it is not UTF-8, or its type says it
 * is bytes (application/octet-stream, parameters aside). */
bool ws_json_base64(std::string_view type, bool data_utf8) noexcept;

/* Where the id ends in a written object, for a subscriber whose id is its
 * own (several channels): the object is {"id":"ID" then the rest from
 * rest_at on, beginning ,"channel":. */
struct ws_json_layout {
    size_t  rest_at;
};

size_t ws_json_size(const ws_json_message &m) noexcept;
size_t ws_json_write(char *out, const ws_json_message &m,
                     ws_json_layout *layout) noexcept;

/* The head of an object: {"id":"ID" (ids need no escaping: hex digits,
 * ':' and ','); at most ws_json_head_max + id.size() bytes. */
constexpr size_t ws_json_head_max = 8;
size_t ws_json_head_write(char *out, std::string_view id) noexcept;

/* The end of a gap notice, after its head: ,"gap":N} or
 * ,"gap":"unknown"} (at most ws_json_gap_tail_max bytes).  A whole notice
 * is {"id":"CURSOR","gap":N}: no channel, since one notice counts what was
 * missed on every channel of the subscription, and the cursor says where
 * each one stands. */
constexpr size_t ws_json_gap_tail_max = 7 + 20 + 1;
size_t ws_json_gap_tail_write(char *out, uint64_t missed,
                              bool unknown) noexcept;

} /* namespace push */


#endif /* PUSH_WS_ENVELOPE_H */
