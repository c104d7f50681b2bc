/* Unit tests of the layout stamp (src/protocol/push_layout.h): a zone
 * laid out otherwise must get another stamp, even when every struct keeps
 * its size. */

#include <cstddef>
#include <cstdint>

#include "unit.h"
#include "push_layout.h"


/* A record as the zone keeps one, and the same with two fields of one size
 * swapped: the sizes alone (the stamp of old) cannot tell them apart. */
struct rec_a {
    void      *in_channel[2];
    void      *channel;
    uint32_t   count;
    uint32_t   slot;
    uint32_t   dirty;
};

struct rec_b {
    void      *in_channel[2];
    void      *channel;
    uint32_t   slot;
    uint32_t   count;
    uint32_t   dirty;
};

/* A flag that grows into what was padding. */
struct flag_a {
    uint64_t   seq;
    uint8_t    deleted;
    uint8_t    pinned;
};

struct flag_b {
    uint64_t   seq;
    uint16_t   deleted;
    uint8_t    pinned;
};


#define F(type, field)  offsetof(type, field), sizeof(type::field)

template <typename R>
static constexpr uint32_t
rec_stamp()
{
    return push::layout_stamp(1, sizeof(R), F(R, in_channel), F(R, channel),
                              F(R, count), F(R, slot), F(R, dirty));
}

template <typename T>
static constexpr uint32_t
flag_stamp()
{
    return push::layout_stamp(1, sizeof(T), F(T, seq), F(T, deleted),
                              F(T, pinned));
}


/* computed by the compiler: the zone's stamp is a constant */
static_assert(rec_stamp<rec_a>() != 0, "a compile-time constant");


static void
test_same_sizes_swapped_fields_differ(void **)
{
    assert_int_equal(sizeof(rec_a), sizeof(rec_b));
    assert_int_not_equal(rec_stamp<rec_a>(), rec_stamp<rec_b>());
}


static void
test_field_grown_into_padding_differs(void **)
{
    assert_int_equal(sizeof(flag_a), sizeof(flag_b));
    assert_int_not_equal(flag_stamp<flag_a>(), flag_stamp<flag_b>());
}


static void
test_same_layout_same_stamp(void **)
{
    assert_int_equal(rec_stamp<rec_a>(), rec_stamp<rec_a>());
    assert_int_equal(push::layout_stamp(1, 2, 3), push::layout_stamp(1, 2, 3));
}


static void
test_order_and_version_count(void **)
{
    assert_int_not_equal(push::layout_stamp(1, 2, 3),
                         push::layout_stamp(1, 3, 2));
    assert_int_not_equal(push::layout_stamp(1, 2, 3),
                         push::layout_stamp(2, 2, 3));
    /* one number more, even a zero, is another layout */
    assert_int_not_equal(push::layout_stamp(1, 2, 3),
                         push::layout_stamp(1, 2, 3, 0));
    /* every byte of a number counts, the high ones too */
    assert_int_not_equal(push::layout_stamp(uint64_t{1}),
                         push::layout_stamp(uint64_t{1} | (uint64_t{1} << 40)));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_same_sizes_swapped_fields_differ),
        cmocka_unit_test(test_field_grown_into_padding_differs),
        cmocka_unit_test(test_same_layout_same_stamp),
        cmocka_unit_test(test_order_and_version_count),
    };

    return cmocka_run_group_tests_name("layout", tests, nullptr, nullptr);
}
