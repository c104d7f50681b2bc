/* Fuzz target: channel ids, alone and as the list a multiplexed
 * subscription names.  The verdict must match the rule written in
 * push_channel_id.h, for any length limit. */

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "push_channel_id.h"
#include "push_id.h"
#include "push_utf8.h"


static push::status
expected(std::string_view id, size_t max_len)
{
    if (id.empty()) {
        return push::status::invalid;
    }

    if (id.size() > max_len) {
        return push::status::too_large;
    }

    for (unsigned char c : id) {
        if (c < 0x20 || c == 0x7f) {
            return push::status::invalid;
        }
    }

    /* UTF-8 itself is checked against its own reference by fuzz_utf8 */
    if (!push::utf8_valid(reinterpret_cast<const uint8_t *>(id.data()),
                          id.size()))
    {
        return push::status::invalid;
    }

    return push::status::ok;
}


extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }

    /* the first two bytes pick push_channel_id_max_length: 1 to 4096 */
    size_t  max_len = 1 + ((data[0] << 8 | data[1]) % 4096);

    std::string_view  text(reinterpret_cast<const char *>(data) + 2,
                           size - 2);

    if (push::check_channel_id(text, max_len) != expected(text, max_len)) {
        abort();
    }

    /* the same bytes as a list split at spaces, as push_channel a b c
     * gives after variables are expanded: every piece judged alone, and
     * never more than max_channels of them kept */
    size_t  n = 0, start = 0;

    for (size_t i = 0; i <= text.size(); i++) {
        if (i < text.size() && text[i] != ' ') {
            continue;
        }

        std::string_view  id = text.substr(start, i - start);
        start = i + 1;

        if (push::check_channel_id(id, max_len) != expected(id, max_len)) {
            abort();
        }

        if (++n > push::max_channels) {
            break;
        }
    }

    return 0;
}
