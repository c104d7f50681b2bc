/* A stamp over the numbers that describe a memory layout. */
#ifndef PUSH_LAYOUT_H_INCLUDED
#define PUSH_LAYOUT_H_INCLUDED

#include <cstdint>


namespace push {

/* FNV-1a over the eight bytes of one number, lowest first. */
constexpr uint32_t
layout_mix(uint32_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= static_cast<uint32_t>((v >> (i * 8)) & 0xff);
        h *= 16777619u;
    }

    return h;
}


/* Order matters: the same numbers listed otherwise give another stamp, so
 * two fields of one size that swap places change it through their
 * offsets, and a field that grows into padding through its size. */
template <typename... T>
constexpr uint32_t
layout_stamp(T... v)
{
    uint32_t  h = 2166136261u;

    ((h = layout_mix(h, static_cast<uint64_t>(v))), ...);

    return h;
}

}  // namespace push

#endif /* PUSH_LAYOUT_H_INCLUDED */
