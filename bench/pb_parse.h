/* pushbench: incremental parsers for what a subscriber reads (HTTP heads,
 * chunked bodies, SSE events, WebSocket frames) and the bench payload. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pb {

struct http_head {
    int status = 0;
    long long content_length = -1;
    bool chunked = false;
    bool close = false;
    std::string etag;
    std::string last_modified;
};

/* A response head at the start of p: bytes it takes, 0 when incomplete,
 * -1 when it is not HTTP. */
long parse_head(const char *p, size_t n, http_head &h);

/* Transfer-Encoding: chunked, decoded as it arrives. */
class dechunk {
public:
    /* Appends the payload found in p to out; returns the bytes taken
     * (all of them unless the body ended) or -1 on a framing error. */
    long feed(const char *p, size_t n, std::string &out);
    bool done() const { return st_ == st::done; }
    void reset() { st_ = st::size; left_ = 0; }

private:
    enum class st { size, ext, size_lf, data, data_cr, data_lf, trailer,
                    trailer_lf, done };
    st st_ = st::size;
    uint64_t left_ = 0;
    bool line_empty_ = true;
};

/* Server-Sent Events: calls on_event(data, event) for each event. */
class sse_parser {
public:
    template <typename F>
    void feed(std::string &buf, F &&on_event)
    {
        size_t pos = 0;
        for (;;) {
            size_t nl = buf.find('\n', pos);
            if (nl == std::string::npos) {
                break;
            }
            std::string_view line(buf.data() + pos, nl - pos);
            pos = nl + 1;
            if (!line.empty() && line.back() == '\r') {
                line.remove_suffix(1);
            }
            if (line.empty()) {
                if (has_data_) {
                    on_event(std::string_view(data_), std::string_view(event_));
                }
                data_.clear();
                event_.clear();
                has_data_ = false;
                continue;
            }
            if (line[0] == ':') {
                continue;
            }
            size_t colon = line.find(':');
            std::string_view name = line.substr(0, colon);
            std::string_view value;
            if (colon != std::string_view::npos) {
                value = line.substr(colon + 1);
                if (!value.empty() && value[0] == ' ') {
                    value.remove_prefix(1);
                }
            }
            if (name == "data") {
                if (has_data_) {
                    data_ += '\n';
                }
                data_.append(value);
                has_data_ = true;
            } else if (name == "event") {
                event_.assign(value);
            } else if (name == "id") {
                last_id_.assign(value);
            }
        }
        buf.erase(0, pos);
    }

    /* the last "id:" seen: what a reconnect sends as Last-Event-ID */
    const std::string &last_id() const { return last_id_; }

    /* a new connection: a half-read event is gone, the id stays */
    void restart()
    {
        data_.clear();
        event_.clear();
        has_data_ = false;
    }

private:
    std::string data_;
    std::string event_;
    std::string last_id_;
    bool has_data_ = false;
};

/* One server-to-client WebSocket frame. */
struct ws_frame {
    bool fin = false;
    int opcode = 0;
    std::string_view payload;
};

/* A frame at the start of p: bytes it takes, 0 when incomplete, -1 when
 * it is too large to be ours. */
long parse_ws_frame(const char *p, size_t n, ws_frame &f);

/* A masked client frame (the mask is fixed: the server must not care). */
std::string ws_client_frame(int opcode, std::string_view payload);

/* The bench payload: "<publisher> <seq> <send time ns> " padded to size. */
struct payload {
    uint32_t publisher = 0;
    uint32_t seq = 0;
    uint64_t sent_ns = 0;
};

std::string make_payload(const payload &pl, size_t size);
bool parse_payload(std::string_view s, payload &pl);

}  // namespace pb
