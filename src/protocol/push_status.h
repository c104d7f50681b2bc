/* The result of every pure function that judges untrusted input. */

#ifndef PUSH_STATUS_H
#define PUSH_STATUS_H


namespace push {

/*
 * One small vocabulary for all of src/protocol, so the nginx glue maps it to
 * an HTTP status or a WebSocket close code in one place:
 *   ok         the input is accepted;
 *   need_more  the input is a valid prefix, more bytes are needed;
 *   invalid    the input breaks the syntax (400, 1002, 1007);
 *   too_large  the input is well formed but exceeds a limit (413, 414, 1009).
 */
enum class status : int {
    ok,
    need_more,
    invalid,
    too_large
};

} /* namespace push */


#endif /* PUSH_STATUS_H */
