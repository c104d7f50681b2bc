/* Which byte strings may name a channel. */

#include "push_channel_id.h"
#include "push_utf8.h"


namespace push {

status
check_channel_id(std::string_view id, size_t max_len) noexcept
{
    if (id.empty()) {
        return status::invalid;
    }

    if (id.size() > max_len) {
        return status::too_large;
    }

    for (char ch : id) {
        unsigned char  c = static_cast<unsigned char>(ch);

        if (c < 0x20 || c == 0x7f) {
            return status::invalid;
        }
    }

    if (!utf8_valid(reinterpret_cast<const uint8_t *>(id.data()), id.size()))
    {
        return status::invalid;
    }

    return status::ok;
}

} /* namespace push */
