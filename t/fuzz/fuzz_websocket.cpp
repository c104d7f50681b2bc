/* Fuzz target: the RFC 6455 frame parser.  Checks that results stay in the
 * input's bounds and that any chunking of the input gives the same
 * results as the whole. */

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "push_websocket.h"


static std::string
run(const uint8_t *data, size_t size, size_t chunk)
{
    std::vector<uint8_t>  in(data, data + size);
    std::string           out, message;
    push::ws_parser       p;
    size_t                at = 0;

    push::ws_parser_init(p, 4096);

    while (at < in.size()) {
        size_t  n = in.size() - at < chunk ? in.size() - at : chunk;
        size_t  end = at + n;

        for ( ;; ) {
            push::ws_result  r = push::ws_parse(p, in.data() + at, end - at);

            if (r.consumed > end - at) {
                abort();
            }

            at += r.consumed;

            switch (r.event) {

            case push::ws_event::need_more:
                break;

            case push::ws_event::error:
                /* a failed message's slices depend on chunking, and
                 * the caller drops them */
                return out + "E" + std::to_string(r.code);

            case push::ws_event::data: {
                const uint8_t  *s = reinterpret_cast<const uint8_t *>(
                                        r.payload.data());
                if (s < in.data() || s + r.payload.size() > in.data() + end) {
                    abort();
                }
                message.append(r.payload);
                continue;
            }

            case push::ws_event::message:
                out += (r.text ? "T" : "B") + message + "|";
                message.clear();
                continue;

            default:
                out += char('0' + int(r.event));
                out += std::to_string(r.code);
                out.append(r.payload);
                out += '|';
                continue;
            }

            break;
        }

        if (at != end) {
            abort();
        }
    }

    return out;
}


extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }

    size_t       chunk = 1 + data[0] % 17;
    std::string  whole = run(data + 1, size - 1, size);

    if (run(data + 1, size - 1, chunk) != whole) {
        abort();
    }

    return 0;
}
