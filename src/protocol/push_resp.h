/* RESP, the Redis protocol: an incremental reply reader and a command
 * encoder. */

#ifndef PUSH_RESP_H
#define PUSH_RESP_H


#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "push_status.h"


namespace push {

/*
 * What the reader understands (Redis docs, "RESP protocol specification"):
 *
 *   RESP2   + simple string   - error   : integer   $ bulk string
 *           * array; "$-1" and "*-1" are read as null
 *   RESP3   _ null   # boolean   , double   ( big number   = verbatim
 *           ! blob error   % map   ~ set   > push   | attribute
 *
 * Streamed strings and aggregates ("$?", "*?", ";") are refused as invalid:
 * Redis does not send them.
 *
 * Attributes are read, checked against the limits, then dropped: an
 * attribute never becomes a node, and the value it annotates takes its place
 * in the enclosing aggregate as if it were alone.  Its bytes are counted in
 * the reply's consumed length.  Nothing in Redis 7 sends one unasked, and
 * dropping them keeps every aggregate positional (element i is child i).
 */
enum class resp_type : uint8_t {
    simple,         /* + str */
    error,          /* - str */
    integer,        /* : integer */
    bulk,           /* $ str */
    array,          /* * count children */
    null,           /* _, $-1, *-1 */
    boolean,        /* # integer: 1 or 0 */
    real,           /* , number; str is the text ("inf", "1.5e3") */
    big_number,     /* ( str: digits, maybe a leading sign */
    verbatim,       /* = str (after "xxx:"), format "xxx" */
    blob_error,     /* ! str */
    map,            /* % count children: key, value, key, value... */
    set,            /* ~ count children */
    push            /* > count children */
};


/*
 * A reply is a tree laid out flat in the caller's node array, in pre-order:
 * an aggregate is followed by its children, each followed by its own.  span
 * is the number of nodes of a node's subtree, itself included, so the next
 * sibling of node n is n + n->span and a whole reply is nodes[0].span nodes.
 */
struct resp_node {
    resp_type         type;
    char              format[3];  /* verbatim: "txt", "mkd" */
    uint32_t          count;      /* aggregates: children (a map: 2/pair) */
    uint32_t          span;
    int64_t           integer;    /* integer; boolean */
    double            number;     /* real */
    std::string_view  str;        /* points into the caller's input */

    /* the reader's own: where str lies, relative to the reply's start */
    size_t            off;
    size_t            len;
};

static_assert(std::is_trivially_copyable_v<resp_node>,
              "push::resp_node is copied about as plain data");


inline const resp_node *
resp_next(const resp_node *n) noexcept
{
    return n + n->span;
}


/* The i-th child of an aggregate, or nullptr; a walk of i siblings. */
const resp_node *resp_child(const resp_node *agg, uint32_t i) noexcept;


/* The deepest nesting a reader can be set to; its stack is this big. */
constexpr uint32_t resp_depth_max = 32;


struct resp_frame {
    uint32_t  node;       /* the aggregate's index */
    uint32_t  left;       /* children still to come */
    bool      attribute;
};


/*
 * The memory model: the reader never copies a byte of input and allocates
 * nothing.  The caller owns a buffer of input and a node array; the reader
 * keeps, between calls, only its place in the reply under way: an offset
 * from the reply's first byte, the nodes filled so far (which hold offsets,
 * not pointers) and a stack of open aggregates.
 *
 * So between two calls that return need_more the caller may move its
 * pending bytes (compact them to the front, or copy them to a larger
 * buffer) as long as the next call's input starts with the same bytes, in
 * the same order, followed by whatever arrived since.  Only when a reply is
 * whole are the string views made, pointing into that call's input; they
 * and the nodes stay valid until the caller drops those bytes or calls
 * resp_read() again.
 *
 * Limits, each refused as too_large before the bytes concerned have to be
 * buffered:
 *   capacity    nodes of one reply (attributes need theirs while read);
 *               an aggregate announcing more children than the array has
 *               room left is refused from its header;
 *   max_depth   nested aggregates, the outermost is depth 1
 *               (1..resp_depth_max);
 *   max_bulk    bytes of a bulk string, blob error or verbatim string, and
 *               of the text of a simple string, error or big number.
 * A double's text is at most 64 bytes, a number's 20 digits and a sign.
 */
struct resp_reader {
    resp_node    *nodes;
    uint32_t      capacity;
    uint32_t      max_depth;
    size_t        max_bulk;

    size_t        pos;        /* bytes of the pending reply read */
    size_t        scanned;    /* of the line at pos: bytes without CR/LF */
    uint32_t      used;       /* nodes of the pending reply */
    uint32_t      depth;
    resp_frame    stack[resp_depth_max];

    status        failed;     /* ok until an error, then that error */
    const char   *reason;     /* why, a static string */
    size_t        error_at;   /* offset of the bad element in the input */
};


struct resp_reply {
    const resp_node  *root;   /* nodes[0]; its span is the node count */
    size_t            consumed;
};


/* capacity >= 1; max_depth is clamped to 1..resp_depth_max. */
void resp_reader_init(resp_reader &r, resp_node *nodes, uint32_t capacity,
    uint32_t max_depth, size_t max_bulk) noexcept;

/*
 * in[0..len) are the bytes not yet consumed: those of the previous call
 * that returned need_more, then the new ones.  Returns
 *   ok         a whole reply: out.root, and out.consumed = its exact length
 *              in bytes; the next reply starts at in + out.consumed;
 *   need_more  no whole reply yet: keep all len bytes, call again with more;
 *   invalid    the input breaks RESP;
 *   too_large  a limit above was reached.
 * After invalid or too_large, reason and error_at say why and where, every
 * later call returns the same, and the connection is to be closed.
 */
status resp_read(resp_reader &r, const char *in, size_t len,
    resp_reply &out) noexcept;


/*
 * A command argument: bytes, or a number written as a decimal bulk string
 * (Redis parses "-12" in a bulk string as an integer where it wants one).
 */
struct resp_arg {
    std::string_view  str;
    uint64_t          abs;
    bool              number;
    bool              negative;
};


constexpr resp_arg
resp_bytes(std::string_view s) noexcept
{
    return { s, 0, false, false };
}


constexpr resp_arg
resp_uint(uint64_t v) noexcept
{
    return { {}, v, true, false };
}


constexpr resp_arg
resp_int(int64_t v) noexcept
{
    /* -(v + 1) + 1 does not overflow for INT64_MIN */
    return v < 0 ? resp_arg{ {}, uint64_t(-(v + 1)) + 1, true, true }
                 : resp_arg{ {}, uint64_t(v), true, false };
}


/*
 * A command is an array of bulk strings: "*<n>\r\n" then "$<len>\r\n<arg>\r\n"
 * per argument.  resp_command_size() gives the exact length, so the caller
 * can take the buffer from a pool; resp_command_write() writes exactly that
 * many bytes to out and returns the count.
 */
size_t resp_command_size(const resp_arg *args, size_t n) noexcept;
size_t resp_command_write(char *out, const resp_arg *args, size_t n) noexcept;

} /* namespace push */


#endif /* PUSH_RESP_H */
