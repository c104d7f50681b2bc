/* Which pub/sub event a RESP reply is: a delivery, a confirmation, a pong. */

#ifndef PUSH_RESP_PUBSUB_H
#define PUSH_RESP_PUBSUB_H


#include <cstdint>
#include <string_view>

#include "push_resp.h"


namespace push {

enum class resp_pubsub_kind : uint8_t {
    none,           /* not a pub/sub event: an ordinary reply */
    message,        /* PUBLISH:  channel, payload */
    pmessage,       /* pattern match: pattern, channel, payload */
    smessage,       /* SPUBLISH: channel, payload */
    subscribe,      /* confirmations: channel, count */
    unsubscribe,
    psubscribe,
    punsubscribe,
    ssubscribe,
    sunsubscribe,
    pong            /* PING on a subscribed connection: payload */
};


struct resp_pubsub {
    resp_pubsub_kind  kind;
    bool              push;       /* a RESP3 push frame, not a RESP2 array */
    std::string_view  channel;    /* confirmations: the channel or pattern,
                                     empty for "unsubscribed from none" */
    std::string_view  pattern;    /* pmessage */
    std::string_view  payload;    /* message kinds; pong: PING's argument */
    int64_t           count;      /* confirmations: subscriptions left */
};


/*
 * The shapes Redis 7 sends (Redis docs, "Pub/Sub"), as a RESP2 array or a
 * RESP3 push frame, the first element a bulk or simple string:
 *
 *   message  channel payload          subscribe    channel count
 *   pmessage pattern channel payload  unsubscribe  channel|null count
 *   smessage channel payload          (p|s)(un)subscribe alike
 *   pong     payload                  (RESP2 subscribed mode)
 *
 * and, in RESP3, PING's simple string "PONG" (payload empty).  The kind
 * names are matched as Redis writes them, in lower case.  Anything else,
 * including one of these names with the wrong number or types of elements,
 * is none: the caller treats it as an ordinary reply.
 */
resp_pubsub resp_pubsub_classify(const resp_node *root) noexcept;

} /* namespace push */


#endif /* PUSH_RESP_PUBSUB_H */
