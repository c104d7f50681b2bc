/* RESP, the Redis protocol: the command encoder. */

#include "push_resp.h"

#include <cstring>


namespace push {

namespace {

/* Enough for any uint64_t or int64_t. */
constexpr size_t  digits_max = 20;


size_t
dec_len(uint64_t v) noexcept
{
    size_t  n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }

    return n;
}


char *
put_dec(char *p, uint64_t v) noexcept
{
    char    tmp[digits_max];
    size_t  n = 0;

    do {
        tmp[n++] = char('0' + v % 10);
        v /= 10;
    } while (v);

    while (n) {
        *p++ = tmp[--n];
    }

    return p;
}


size_t
arg_len(const resp_arg &a) noexcept
{
    return a.number ? dec_len(a.abs) + a.negative : a.str.size();
}

} /* namespace */


size_t
resp_command_size(const resp_arg *args, size_t n) noexcept
{
    size_t  size = 1 + dec_len(n) + 2;

    for (size_t i = 0; i < n; i++) {
        size_t  len = arg_len(args[i]);
        size += 1 + dec_len(len) + 2 + len + 2;
    }

    return size;
}


size_t
resp_command_write(char *out, const resp_arg *args, size_t n) noexcept
{
    char  *p = out;

    *p++ = '*';
    p = put_dec(p, n);
    *p++ = '\r';
    *p++ = '\n';

    for (size_t i = 0; i < n; i++) {
        const resp_arg  &a = args[i];

        *p++ = '$';
        p = put_dec(p, arg_len(a));
        *p++ = '\r';
        *p++ = '\n';

        if (a.number) {
            if (a.negative) {
                *p++ = '-';
            }
            p = put_dec(p, a.abs);

        } else if (!a.str.empty()) {
            std::memcpy(p, a.str.data(), a.str.size());
            p += a.str.size();
        }

        *p++ = '\r';
        *p++ = '\n';
    }

    return size_t(p - out);
}

} /* namespace push */
