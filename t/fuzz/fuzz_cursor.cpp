/* Fuzz target: message ids and cursors.  What parses must format and
 * parse back to the same cursor; a text is never both ours and Nchan's,
 * and a whole Nchan id is never taken for its tag part alone. */

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "push_id.h"


extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    push::cursor  c, again;
    char          buf[push::cursor_max_len];
    size_t        n;

    std::string_view  text(reinterpret_cast<const char *>(data), size);

    bool  nchan = push::nchan_id(text), tag = push::nchan_tag(text);

    if (push::parse_cursor(text, c) != push::status::ok) {
        if (nchan && tag) {
            abort();
        }
        return 0;
    }

    if (nchan || tag) {
        abort();
    }

    n = push::format_cursor(c, buf, sizeof(buf));

    if (n == 0 || push::parse_cursor(std::string_view(buf, n), again)
                  != push::status::ok
        || again.epoch != c.epoch || again.count != c.count
        || std::memcmp(again.seq, c.seq, c.count * sizeof(uint64_t)) != 0)
    {
        abort();
    }

    return 0;
}
