/* Which pub/sub event a RESP reply is: a delivery, a confirmation, a pong. */

#include "push_resp_pubsub.h"


namespace push {

namespace {

bool
is_text(const resp_node *n) noexcept
{
    return n->type == resp_type::bulk || n->type == resp_type::simple;
}


struct shape {
    std::string_view  name;
    resp_pubsub_kind  kind;
    uint32_t          count;      /* elements, the name included */
};


constexpr shape  shapes[] = {
    { "message",      resp_pubsub_kind::message,      3 },
    { "pmessage",     resp_pubsub_kind::pmessage,     4 },
    { "smessage",     resp_pubsub_kind::smessage,     3 },
    { "subscribe",    resp_pubsub_kind::subscribe,    3 },
    { "unsubscribe",  resp_pubsub_kind::unsubscribe,  3 },
    { "psubscribe",   resp_pubsub_kind::psubscribe,   3 },
    { "punsubscribe", resp_pubsub_kind::punsubscribe, 3 },
    { "ssubscribe",   resp_pubsub_kind::ssubscribe,   3 },
    { "sunsubscribe", resp_pubsub_kind::sunsubscribe, 3 },
    { "pong",         resp_pubsub_kind::pong,         2 },
};

} /* namespace */


resp_pubsub
resp_pubsub_classify(const resp_node *root) noexcept
{
    resp_pubsub  ev{};

    ev.kind = resp_pubsub_kind::none;

    if (root->type == resp_type::simple && root->str == "PONG") {
        ev.kind = resp_pubsub_kind::pong;
        return ev;
    }

    if (root->type != resp_type::array && root->type != resp_type::push) {
        return ev;
    }

    const resp_node  *name = resp_child(root, 0);

    if (name == nullptr || !is_text(name)) {
        return ev;
    }

    const shape  *s = nullptr;

    for (const shape &candidate : shapes) {
        if (candidate.name == name->str) {
            s = &candidate;
            break;
        }
    }

    if (s == nullptr || root->count != s->count) {
        return ev;
    }

    const resp_node  *a = resp_next(name);
    const resp_node  *b = s->count > 2 ? resp_next(a) : nullptr;
    const resp_node  *c = s->count > 3 ? resp_next(b) : nullptr;

    switch (s->kind) {

    case resp_pubsub_kind::pong:
        if (!is_text(a)) {
            return ev;
        }
        ev.payload = a->str;
        break;

    case resp_pubsub_kind::message:
    case resp_pubsub_kind::smessage:
        if (!is_text(a) || !is_text(b)) {
            return ev;
        }
        ev.channel = a->str;
        ev.payload = b->str;
        break;

    case resp_pubsub_kind::pmessage:
        if (!is_text(a) || !is_text(b) || !is_text(c)) {
            return ev;
        }
        ev.pattern = a->str;
        ev.channel = b->str;
        ev.payload = c->str;
        break;

    default:
        /* unsubscribing with no subscription names a null channel */
        if ((!is_text(a) && a->type != resp_type::null)
            || b->type != resp_type::integer)
        {
            return ev;
        }
        if (a->type != resp_type::null) {
            ev.channel = a->str;
        }
        ev.count = b->integer;
        break;
    }

    ev.kind = s->kind;
    ev.push = root->type == resp_type::push;

    return ev;
}

} /* namespace push */
