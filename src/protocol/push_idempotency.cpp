/* The Idempotency-Key request header of a publish: read and checked. */

#include "push_idempotency.h"


namespace push {

namespace {

constexpr bool
key_byte(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
           || c == '~' || c == ':' || c == '+' || c == '/' || c == '=';
}

} /* namespace */


status
idempotency_key_parse(std::string_view value, std::string_view &out)
    noexcept
{
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
    }

    if (value.empty()) {
        return status::invalid;
    }

    if (value.size() > idempotency_key_max) {
        return status::too_large;
    }

    for (char c : value) {
        if (!key_byte(c)) {
            return status::invalid;
        }
    }

    out = value;

    return status::ok;
}


void
idempotency_key_make(const unsigned char (&random)[16], char *out) noexcept
{
    static const char  hex[] = "0123456789abcdef";

    for (size_t i = 0; i < 16; i++) {
        out[2 * i] = hex[random[i] >> 4];
        out[2 * i + 1] = hex[random[i] & 0xf];
    }
}

} /* namespace push */
