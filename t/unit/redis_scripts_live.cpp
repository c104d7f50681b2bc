/* A live check of the Redis scripts against a real redis-server: calls
 * built by push_redis_scripts, replies read by push_resp and
 * push_redis_reply, every answer asserted; then the publish rate and the
 * memory per stored message, printed as figures.  Run by
 * redis_live.sh, which starts the server.
 *
 *   redis_scripts_live PORT
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "push_redis_key.h"
#include "push_redis_reply.h"
#include "push_redis_scripts.h"
#include "push_resp.h"
#include "push_resp_pubsub.h"


using namespace push;


static int  checks;


static void
check(bool ok, const std::string &what)
{
    if (!ok) {
        fprintf(stderr, "redis_scripts_live: FAILED: %s\n", what.c_str());
        exit(1);
    }
    checks++;
}


/* One connection: a buffer compacted after each reply, grown when a reply
 * does not fit, as in resp_live. */
struct conn {
    int                     fd = -1;
    std::vector<char>       buf = std::vector<char>(65536);
    size_t                  len = 0;
    size_t                  drop = 0;
    std::vector<resp_node>  nodes = std::vector<resp_node>(8192);
    resp_reader             reader;
};


static void
connect_to(conn &c, int port)
{
    sockaddr_in  sa;

    std::memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(uint16_t(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    check(c.fd >= 0, "socket");
    check(connect(c.fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) == 0,
          std::string("connect: ") + strerror(errno));
    resp_reader_init(c.reader, c.nodes.data(), uint32_t(c.nodes.size()), 8,
                     1 << 24);
}


static void
send_all(conn &c, const std::string &wire)
{
    size_t  done = 0;

    while (done < wire.size()) {
        ssize_t  n = send(c.fd, wire.data() + done, wire.size() - done, 0);
        check(n > 0, "send");
        done += size_t(n);
    }
}


static std::string
encode(std::initializer_list<resp_arg> args)
{
    std::string  out(resp_command_size(args.begin(), args.size()), '\0');

    resp_command_write(&out[0], args.begin(), args.size());
    return out;
}


/* The next reply; its nodes and views live until the next call. */
static const resp_node *
reply(conn &c)
{
    std::memmove(c.buf.data(), c.buf.data() + c.drop, c.len - c.drop);
    c.len -= c.drop;
    c.drop = 0;

    for ( ;; ) {
        resp_reply  r;
        status      st = resp_read(c.reader, c.buf.data(), c.len, r);

        if (st == status::ok) {
            c.drop = r.consumed;
            return r.root;
        }

        check(st == status::need_more,
              std::string("reader: ") + (c.reader.reason ? c.reader.reason
                                                         : "?"));

        if (c.len == c.buf.size()) {
            c.buf.resize(c.buf.size() * 2);
        }

        pollfd  p = { c.fd, POLLIN, 0 };

        check(poll(&p, 1, 5000) == 1, "a reply within 5 s");

        ssize_t  n = recv(c.fd, c.buf.data() + c.len, c.buf.size() - c.len,
                          0);

        check(n > 0, "the server closed the connection");
        c.len += size_t(n);
    }
}


static const resp_node *
call(conn &c, const std::string &wire)
{
    send_all(c, wire);
    return reply(c);
}


static std::string
str(const resp_node *n)
{
    if (n->type == resp_type::integer) {
        return std::to_string(n->integer);
    }
    return std::string(n->str);
}


/* The scripts, loaded; names by SHA-1 computed here as nginx will. */
struct scripts {
    std::string  sha[redis_scripts];

    redis_script_ref
    ref(redis_script w) const
    {
        return { w, sha[int(w)] };
    }
};


static std::string
sha1_hex(std::string_view text)
{
    unsigned char  md[SHA_DIGEST_LENGTH];
    char           hex[2 * SHA_DIGEST_LENGTH + 1];

    SHA1(reinterpret_cast<const unsigned char *>(text.data()), text.size(),
         md);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    return std::string(hex, 2 * SHA_DIGEST_LENGTH);
}


struct chan {
    std::string         bytes;
    redis_channel_keys  k;

    explicit chan(std::string_view id)
        : bytes(redis_channel_keys_size("live", id), '\0'),
          k(redis_channel_keys_write(&bytes[0], "live", id))
    {
        k.epoch = "{live}:epoch";
    }
};


/* Defaults a test changes as it needs. */
struct pub {
    std::string  epoch;
    std::string  replace;
    uint64_t     buffer = 100;
    uint64_t     ttl_ms = 3600000;
    uint64_t     inline_max = 1024;
    bool         sharded = false;
    std::string  type = "text/plain";
    std::string  event;
    uint64_t     need = 1;
    std::string  idem;               /* empty: a new key for each call */
    uint64_t     idem_ttl_ms = 60000;
};


static std::string
idem_key(const chan &ch, const pub &p)
{
    static unsigned long  made;
    std::string           key = p.idem.empty()
                                ? "auto-" + std::to_string(++made) : p.idem;
    std::string_view      tag = redis_hash_tag(ch.k.meta);
    std::string           id(tag.substr(sizeof("live:") - 1));
    std::string           out(redis_idem_key_size("live", id, key), '\0');

    /* ids here need no escaping: the tag's tail is the id */
    redis_idem_key_write(&out[0], "live", id, key);
    return out;
}


static std::string
publish_wire(const scripts &s, const chan &ch, const pub &p,
    std::string_view data)
{
    std::string         ik = idem_key(ch, p);
    redis_publish_args  a = { p.epoch, p.replace, p.buffer, p.ttl_ms,
                              p.inline_max, p.sharded, p.need, ik,
                              p.idem_ttl_ms, p.type, p.event, data };
    redis_script_ref    r = s.ref(redis_script::publish);
    std::string         w(redis_publish_size(r, ch.k, a), '\0');

    check(redis_publish_write(&w[0], r, ch.k, a) == w.size(),
          "publish call size");
    return w;
}


static redis_channel_reply
parsed(const resp_node *n, const std::string &what)
{
    redis_channel_reply  r;

    check(redis_channel_reply_parse(n, r) == status::ok,
          what + ": a reply of the scripts' shape, got " + str(n));
    return r;
}


static redis_channel_reply
publish(conn &c, const scripts &s, const chan &ch, const pub &p,
    std::string_view data)
{
    return parsed(call(c, publish_wire(s, ch, p, data)), "publish");
}


static redis_channel_reply
history(conn &c, const scripts &s, const chan &ch, std::string_view epoch,
    uint64_t after, uint64_t limit, uint64_t ttl_ms,
    std::vector<redis_entry> &entries)
{
    redis_history_args  a = { epoch, after, limit, ttl_ms };
    redis_script_ref    r = s.ref(redis_script::history);
    std::string         w(redis_history_size(r, ch.k, a), '\0');

    redis_history_write(&w[0], r, ch.k, a);

    redis_channel_reply  h = parsed(call(c, w), "history");

    entries.clear();
    if (h.outcome == redis_outcome::ok) {
        check(h.extra != nullptr && h.extra->type == resp_type::array,
              "history: entries");
        for (uint32_t i = 0; i < h.extra->count; i++) {
            redis_entry  e;
            check(redis_entry_parse(resp_child(h.extra, i), e) == status::ok,
                  "history: an entry");
            entries.push_back(e);
        }
    }
    return h;
}


static redis_channel_reply
info(conn &c, const scripts &s, const chan &ch, std::string_view epoch,
    uint64_t ttl_ms = 3600000)
{
    redis_info_args   a = { epoch, ttl_ms };
    redis_script_ref  r = s.ref(redis_script::info);
    std::string       w(redis_info_size(r, ch.k, a), '\0');

    redis_info_write(&w[0], r, ch.k, a);
    return parsed(call(c, w), "info");
}


static redis_channel_reply
del(conn &c, const scripts &s, const chan &ch, std::string_view epoch,
    bool sharded = false)
{
    redis_delete_args  a = { epoch, 3600000, sharded };
    redis_script_ref   r = s.ref(redis_script::del);
    std::string        w(redis_delete_size(r, ch.k, a), '\0');

    redis_delete_write(&w[0], r, ch.k, a);
    return parsed(call(c, w), "delete");
}


/* SET NX GET: the epoch there, or fresh when it was made now. */
static std::string
epoch_of(conn &c, std::string_view fresh, bool &made)
{
    std::string  key(redis_epoch_key_size("live"), '\0');

    redis_epoch_key_write(&key[0], "live");

    std::string  w(redis_epoch_size(key, fresh), '\0');

    redis_epoch_write(&w[0], key, fresh);

    const resp_node  *n = call(c, w);

    made = n->type == resp_type::null;
    check(made || n->type == resp_type::bulk, "SET NX GET: null or a bulk");
    return made ? std::string(fresh) : str(n);
}


static std::string
seqs(const std::vector<redis_entry> &v)
{
    std::string  s;

    for (const redis_entry &e : v) {
        s += (s.empty() ? "" : ",") + std::to_string(e.seq);
    }
    return s;
}


static double
now_s()
{
    timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}


static void
load(conn &a, scripts &s)
{
    for (size_t i = 0; i < redis_scripts; i++) {
        std::string_view  text = redis_script_text(redis_script(i));
        const resp_node  *n = call(a, encode({ resp_bytes("SCRIPT"),
                                               resp_bytes("LOAD"),
                                               resp_bytes(text) }));

        check(n->type == resp_type::bulk, "SCRIPT LOAD: " + str(n));
        s.sha[i] = sha1_hex(text);
        check(str(n) == s.sha[i], "SCRIPT LOAD's SHA-1 is OpenSSL's");
    }

    /* a script Redis does not know: NOSCRIPT, then EVAL by text works */
    scripts  bogus = s;
    chan     ch("noscript");

    bogus.sha[int(redis_script::info)] = std::string(40, '0');

    const resp_node  *n = call(a, [&] {
        redis_info_args   ia = { "0badcafe", 1000 };
        redis_script_ref  r = bogus.ref(redis_script::info);
        std::string       w(redis_info_size(r, ch.k, ia), '\0');
        redis_info_write(&w[0], r, ch.k, ia);
        return w;
    }());

    check(n->type == resp_type::error && str(n).rfind("NOSCRIPT", 0) == 0,
          "EVALSHA of an unknown SHA-1: NOSCRIPT, got " + str(n));

    redis_info_args   ia = { "0badcafe", 1000 };
    redis_script_ref  by_text = { redis_script::info, {} };
    std::string       w(redis_info_size(by_text, ch.k, ia), '\0');

    redis_info_write(&w[0], by_text, ch.k, ia);
    check(parsed(call(a, w), "EVAL").outcome == redis_outcome::stale,
          "EVAL by text: stale, no epoch made yet");

    printf("ok: 4 scripts loaded, SHA-1 as OpenSSL computes it; NOSCRIPT, "
           "then EVAL by text\n");
}


int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: redis_scripts_live PORT\n");
        return 2;
    }

    int      port = atoi(argv[1]);
    conn     a, b, sub;
    scripts  s;
    bool     made;

    connect_to(a, port);
    connect_to(b, port);
    connect_to(sub, port);

    /* a one-node cluster: Redis itself then refuses a script whose keys
     * are in more than one slot */
    check(str(call(a, encode({ resp_bytes("CLUSTER"),
                               resp_bytes("ADDSLOTSRANGE"), resp_uint(0),
                               resp_uint(redis_slots - 1) }))) == "OK",
          "CLUSTER ADDSLOTSRANGE");
    for (int i = 0; ; i++) {
        if (str(call(a, encode({ resp_bytes("CLUSTER"), resp_bytes("INFO") })))
                .find("cluster_state:ok") != std::string::npos)
        {
            break;
        }
        check(i < 100, "cluster_state:ok within 10 s");
        usleep(100000);
    }

    load(a, s);

    /* the epoch: made once, then read */
    std::string  e1 = epoch_of(a, "0badcafe", made);

    check(made && e1 == "0badcafe", "SET NX GET makes the epoch");
    check(epoch_of(b, "11111111", made) == e1 && !made,
          "SET NX GET on another connection reads the same epoch");

    pub  p;

    p.epoch = e1;

    /* seqs 1..N in order */
    chan  in_order("in-order");

    for (uint64_t i = 1; i <= 20; i++) {
        redis_channel_reply  r = publish(a, s, in_order, p, "m");

        check(r.outcome == redis_outcome::ok && r.epoch == e1 && r.last == i
              && r.count == i && r.first == 1 && r.base == 0,
              "publish " + std::to_string(i) + ": seq " + std::to_string(i)
              + ", got " + std::to_string(r.last));
    }
    printf("ok: seqs 1..20 in order, count and first kept\n");

    /* two publishers on two connections, each 5 deep: a connection's next
     * batch goes out as soon as its replies are read, while the other's is
     * pending, so Redis takes them interleaved */
    chan         race("race");
    std::string  batch_a, batch_b;

    /* each publish with its own Idempotency-Key: a batch is made anew
     * for every round (the same bytes again would be repeats) */
    auto  batch = [&](std::string_view data) {
        std::string  w;

        for (int i = 0; i < 5; i++) {
            w += publish_wire(s, race, p, data);
        }
        return w;
    };

    std::vector<bool>  seen(101, false);
    std::string        owner(101, '-');
    uint64_t           last_a = 0, last_b = 0;
    int                turns = 0;

    auto  take = [&](conn &c, uint64_t &last, char who) {
        for (int i = 0; i < 5; i++) {
            uint64_t  sq = parsed(reply(c), "race").last;

            check(sq > last, "each publisher's seqs increase");
            check(sq >= 1 && sq <= 100 && !seen[sq],
                  "seqs distinct, within 1..100");
            seen[sq] = true;
            owner[sq] = who;
            last = sq;
        }
    };

    batch_a = batch("a");
    batch_b = batch("b");
    send_all(a, batch_a);
    send_all(b, batch_b);
    for (int round = 1; round < 10; round++) {
        batch_a = batch("a");
        batch_b = batch("b");
        take(a, last_a, 'a');
        send_all(a, batch_a);
        take(b, last_b, 'b');
        send_all(b, batch_b);
    }
    take(a, last_a, 'a');
    take(b, last_b, 'b');

    std::vector<redis_entry>  ents;

    history(a, s, race, e1, 0, 200, 3600000, ents);
    check(ents.size() == 100 && ents.front().seq == 1
          && ents.back().seq == 100, "the race's history: 1..100");
    for (size_t i = 0; i < ents.size(); i++) {
        check(ents[i].seq == i + 1, "history in seq order");
    }
    for (size_t i = 2; i <= 100; i++) {
        turns += owner[i] != owner[i - 1];
    }
    printf("ok: two pipelined publishers: 100 distinct, increasing seqs "
           "(seqs 1..100 change publisher %d times)\n", turns);

    /* the buffer: exactly the last 10 kept; history and gaps */
    chan  capped("capped");
    pub   p10 = p;

    p10.buffer = 10;
    for (int i = 1; i <= 30; i++) {
        redis_channel_reply  r = publish(a, s, capped, p10,
                                         std::to_string(i));
        check(r.count == uint64_t(i < 10 ? i : 10), "count up to the buffer");
    }
    check(call(a, encode({ resp_bytes("XLEN"),
                           resp_bytes(capped.k.stream) }))->integer == 10,
          "XLEN is exactly the buffer");

    redis_channel_reply  r = info(a, s, capped, e1);

    check(r.outcome == redis_outcome::ok && r.count == 10 && r.first == 21
          && r.last == 30, "info: 10 kept, 21..30");
    check(r.cap == 10 && r.ttl_ms == 3600000,
          "info: the cap and ttl the publishes set");

    r = history(a, s, capped, e1, 5, 100, 3600000, ents);
    check(seqs(ents) == "21,22,23,24,25,26,27,28,29,30",
          "history after 5: 21..30, got " + seqs(ents));
    check(redis_gap_of(5, r).kind == redis_gap_kind::missed
          && redis_gap_of(5, r).n == 15, "cursor 5 below the first kept: "
          "gap of 15");
    check(ents[0].data == "21", "entry data");

    r = history(a, s, capped, e1, 25, 100, 3600000, ents);
    check(seqs(ents) == "26,27,28,29,30"
          && redis_gap_of(25, r).kind == redis_gap_kind::none,
          "history after 25: exactly 26..30, no gap");

    r = history(a, s, capped, e1, 20, 3, 3600000, ents);
    check(seqs(ents) == "21,22,23"
          && redis_gap_of(20, r).kind == redis_gap_kind::none,
          "history after 20, limit 3: 21..23, no gap");

    r = history(a, s, capped, e1, 30, 10, 3600000, ents);
    check(ents.empty() && redis_gap_of(30, r).kind == redis_gap_kind::none,
          "history after the last: nothing");
    printf("ok: buffer 10 keeps exactly 10; history after a cursor, limit, "
           "gap of 15 below the first kept\n");

    /* TTL: 1 s; partly, then wholly expired; never reused */
    chan  ttl("ttl");
    pub   p1 = p;

    p1.ttl_ms = 1000;
    publish(a, s, ttl, p1, "old");
    usleep(600000);
    publish(a, s, ttl, p1, "young");
    usleep(600000);

    r = info(a, s, ttl, e1, 1000);
    check(r.count == 1 && r.first == 2 && r.last == 2,
          "1.2 s after the first and 0.6 s after the second: 1 live, got "
          + std::to_string(r.count));
    r = history(a, s, ttl, e1, 0, 10, 1000, ents);
    check(seqs(ents) == "2" && redis_gap_of(0, r).n == 1,
          "history skips the expired one and counts it missed");
    r = history(a, s, ttl, e1, 0, 10, 3600000, ents);
    check(seqs(ents) == "2" && r.cap == 100 && r.ttl_ms == 1000,
          "a reader's longer ttl: the channel's (1 s) still decides");

    r = publish(a, s, ttl, p1, "third");
    check(r.last == 3 && r.count == 2 && r.first == 2,
          "publish trims what expired: 2 kept");
    check(call(a, encode({ resp_bytes("XLEN"),
                           resp_bytes(ttl.k.stream) }))->integer == 2,
          "XLEN 2 after the trim");

    double  t0 = now_s();

    for ( ;; ) {
        if (call(a, encode({ resp_bytes("EXISTS"),
                             resp_bytes(ttl.k.stream) }))->integer == 0)
        {
            break;
        }
        check(now_s() - t0 < 3, "the stream's own TTL removes it in time");
        usleep(100000);
    }

    r = info(a, s, ttl, e1, 1000);
    check(r.outcome == redis_outcome::ok && r.count == 0 && r.last == 3
          && r.first == 4, "all expired: the channel is known, 0 kept");
    r = history(a, s, ttl, e1, 1, 10, 1000, ents);
    check(ents.empty() && redis_gap_of(1, r).kind == redis_gap_kind::missed
          && redis_gap_of(1, r).n == 2, "cursor 1 after expiry: 2 missed");
    check(info(a, s, chan("never"), e1).outcome == redis_outcome::none,
          "a channel never published to: none, not expired");
    r = publish(a, s, ttl, p1, "again");
    check(r.last == 4 && r.count == 1, "after expiry the seq goes on: 4");
    printf("ok: TTL 1 s: history and info skip expired messages, publish "
           "trims them, the stream expires whole, the meta keeps the seq\n");

    /* DELETE: the floor, the gap, the announcement */
    chan  gone("gone");

    send_all(sub, encode({ resp_bytes("SUBSCRIBE"),
                           resp_bytes(gone.k.pubsub) }));
    check(resp_pubsub_classify(reply(sub)).kind
          == resp_pubsub_kind::subscribe, "subscribed");

    for (int i = 0; i < 5; i++) {
        publish(a, s, gone, p, "x");
        reply(sub);
    }

    r = del(a, s, gone, e1);
    check(r.outcome == redis_outcome::ok && r.last == 5 && r.count == 5
          && r.extra && r.extra->integer == 6,
          "delete: was 5 messages, new base 6");

    resp_pubsub     ev = resp_pubsub_classify(reply(sub));
    redis_announce  an;

    check(ev.kind == resp_pubsub_kind::message
          && redis_announce_parse(ev.payload, an) == status::ok
          && an.kind == redis_announce_kind::del && an.epoch == e1
          && an.seq == 5, "the delete is announced: d <epoch> 5");

    r = info(a, s, gone, e1);
    check(r.base == 6 && r.last == 6 && r.count == 0, "after delete: empty");
    r = history(a, s, gone, e1, 3, 10, 3600000, ents);
    check(ents.empty() && redis_gap_of(3, r).kind == redis_gap_kind::unknown,
          "an old cursor after delete: gap unknown");

    r = publish(a, s, gone, p, "new life");
    reply(sub);
    check(r.last == 7 && r.base == 6, "after delete the next seq is 7");
    r = history(a, s, gone, e1, 5, 10, 3600000, ents);
    check(seqs(ents) == "7" && redis_gap_of(5, r).kind
          == redis_gap_kind::unknown, "cursor 5 after the delete: unknown, "
          "then the new life");
    r = history(a, s, gone, e1, 6, 10, 3600000, ents);
    check(seqs(ents) == "7" && redis_gap_of(6, r).kind
          == redis_gap_kind::none, "cursor at the new base: no gap");
    check(del(a, s, chan("nothing-here"), e1).outcome == redis_outcome::none,
          "delete of an unknown channel: none");
    printf("ok: DELETE keeps the floor: seq 7 after 5, old cursors get "
           "gap unknown, the delete is announced\n");

    /* announcements: inline, too large, binary, sharded */
    pub          small = p;
    std::string  bin("\0\r\n\xff m 1 2\n\0", 12);

    small.inline_max = 64;
    small.event = "tick";
    small.type = "application/octet-stream";
    r = publish(a, s, gone, small, bin);
    redis_publish_extra  x;

    check(redis_publish_extra_parse(r, x) == status::ok && x.receivers == 1
          && x.status == 201 && !x.repeat && x.seq == r.last,
          "one receiver: 201 (need 1)");
    ev = resp_pubsub_classify(reply(sub));
    check(ev.kind == resp_pubsub_kind::message
          && redis_announce_parse(ev.payload, an) == status::ok
          && an.kind == redis_announce_kind::message && an.epoch == e1
          && an.seq == 8 && an.event == "tick"
          && an.content_type == "application/octet-stream" && an.data == bin,
          "announced inline: epoch, seq 8, type, event, binary payload");

    r = publish(a, s, gone, small, std::string(100, 'z'));
    ev = resp_pubsub_classify(reply(sub));
    check(redis_announce_parse(ev.payload, an) == status::ok
          && an.kind == redis_announce_kind::notice && an.seq == 9
          && ev.payload == "n " + e1 + " 9 100 3600000",
          "over the threshold: announced without payload");

    r = history(a, s, gone, e1, 7, 10, 3600000, ents);
    check(ents.size() == 2 && ents[0].data == bin && ents[0].event == "tick"
          && ents[0].content_type == "application/octet-stream"
          && ents[1].data == std::string(100, 'z'),
          "binary payload round-trips through the stream");

    send_all(sub, encode({ resp_bytes("SSUBSCRIBE"),
                           resp_bytes(gone.k.pubsub) }));
    check(resp_pubsub_classify(reply(sub)).kind
          == resp_pubsub_kind::ssubscribe, "ssubscribed");
    small.sharded = true;
    publish(a, s, gone, small, "s");
    ev = resp_pubsub_classify(reply(sub));
    check(ev.kind == resp_pubsub_kind::smessage
          && redis_announce_parse(ev.payload, an) == status::ok
          && an.seq == 10 && an.data == "s", "SPUBLISH: smessage, seq 10");
    send_all(sub, encode({ resp_bytes("UNSUBSCRIBE") }));
    reply(sub);
    send_all(sub, encode({ resp_bytes("SUNSUBSCRIBE") }));
    reply(sub);
    printf("ok: announcements: inline with type, event and binary payload; "
           "id only over the threshold; SPUBLISH when sharded\n");

    /* Cluster: keys of two channels in one call are refused by Redis; a
     * channel's keys, its Idempotency-Key records included, share one
     * slot; the epoch key, read undeclared, is of another (allowed on one
     * node by the flag allow-cross-slot-keys: every call above used it) */
    {
        chan         x("x"), y("y-other");
        chan         mixed = x;
        pub          q = p;
        std::string  w;

        mixed.k.stream = y.k.stream;
        check(redis_key_slot(x.k.meta) != redis_key_slot(y.k.meta),
              "x and y-other hash to different slots");
        w = publish_wire(s, mixed, p, "m");

        const resp_node  *n = call(a, w);

        check(n->type == resp_type::error
              && str(n).rfind("CROSSSLOT", 0) == 0,
              "keys of two slots: CROSSSLOT, got " + str(n));

        q.idem = "k";
        std::string  ik = idem_key(x, q);

        check(redis_key_slot(x.k.meta) == redis_key_slot(x.k.stream)
              && redis_key_slot(x.k.meta) == redis_key_slot(x.k.pubsub)
              && redis_key_slot(x.k.meta) == redis_key_slot(ik)
              && redis_key_slot(x.k.epoch) != redis_key_slot(x.k.meta),
              "one slot per channel, the epoch key's apart");
    }
    printf("ok: a call with keys of two channels is refused CROSSSLOT; a "
           "channel's Idempotency-Key records share its slot\n");

    /* Idempotency-Key: a repeat stores nothing and answers as the first */
    {
        chan                 ik("idem");
        pub                  q = p;
        redis_publish_extra  x1, x2;

        q.idem = "order-17";
        q.need = 0;
        r = publish(a, s, ik, q, "once");
        check(redis_publish_extra_parse(r, x1) == status::ok && !x1.repeat
              && x1.seq == 1 && x1.status == 201,
              "the first publish with a key: stored, seq 1, 201 (need 0)");
        publish(a, s, ik, p, "other");
        q.need = 5;
        r = publish(b, s, ik, q, "once");
        check(redis_publish_extra_parse(r, x2) == status::ok && x2.repeat
              && x2.seq == 1 && x2.status == 201 && r.last == 2
              && r.count == 2,
              "the same key again: nothing stored, seq 1 and 201 as the "
              "first");
        check(str(call(a, encode({ resp_bytes("XLEN"),
                                   resp_bytes(ik.k.stream) }))) == "2",
              "the stream holds the message once");
        r = publish(a, s, ik, q, "not once");
        check(r.outcome == redis_outcome::reused,
              "the same key for another message: reused, nothing stored");
        q.event = "e";
        r = publish(a, s, ik, q, "once");
        check(r.outcome == redis_outcome::reused,
              "the same key for another event: reused");

        std::string  key = idem_key(ik, q);
        long long    pttl = call(a, encode({ resp_bytes("PTTL"),
                                             resp_bytes(key) }))->integer;

        check(pttl > 0 && pttl <= 60000, "the record has the TTL given");
        check(str(call(a, encode({ resp_bytes("GET"), resp_bytes(key) })))
                  .rfind("1 201 ", 0) == 0, "the record: seq 1, 201, sha1");
        check(info(a, s, ik, e1).last == 2, "info: still 2");
    }
    printf("ok: Idempotency-Key: a repeat stores nothing and answers the "
           "first seq and status; another message under it is refused; "
           "the record expires\n");

    /* FLUSHALL: a new epoch; the old one refused; an orphan replaced */
    check(str(call(a, encode({ resp_bytes("FLUSHALL") }))) == "OK",
          "FLUSHALL");

    /* a server that has not noticed yet: refused, nothing stored */
    chan  orphan("orphan");

    r = publish(b, s, orphan, p, "orphan");
    check(r.outcome == redis_outcome::stale && r.epoch.empty(),
          "no epoch key: a publish under the old epoch is refused stale");
    check(str(call(a, encode({ resp_bytes("EXISTS"),
                               resp_bytes(orphan.k.meta),
                               resp_bytes(orphan.k.stream) }))) == "0",
          "and nothing was stored");
    r = history(b, s, orphan, e1, 0, 10, 3600000, ents);
    check(r.outcome == redis_outcome::stale && r.epoch.empty(),
          "history under the old epoch: stale, not none");
    check(info(b, s, orphan, e1).outcome == redis_outcome::stale,
          "info under the old epoch: stale");
    check(del(b, s, orphan, e1).outcome == redis_outcome::stale,
          "delete under the old epoch: stale");

    std::string  e2 = epoch_of(a, "2badcafe", made);

    check(publish(b, s, orphan, p, "orphan").outcome
          == redis_outcome::stale
          && publish(b, s, orphan, p, "orphan").epoch == "2badcafe",
          "another epoch in the key: stale, with it");

    /* an orphan (a meta of another epoch) can only come from outside the
     * scripts now, e.g. an epoch key deleted by hand: made here */
    call(a, encode({ resp_bytes("HSET"), resp_bytes(orphan.k.meta),
                     resp_bytes("e"), resp_bytes(e1), resp_bytes("s"),
                     resp_bytes("1"), resp_bytes("b"), resp_bytes("0") }));

    check(made && e2 == "2badcafe", "after FLUSHALL the epoch is made anew");

    pub  p2 = p;

    p2.epoch = e2;
    r = publish(a, s, in_order, p2, "first of e2");
    check(r.outcome == redis_outcome::ok && r.epoch == e2 && r.last == 1,
          "under the new epoch seqs start at 1");
    r = publish(b, s, in_order, p, "stale");
    check(r.outcome == redis_outcome::stale && r.epoch == e2,
          "a publish with the old epoch is refused, the new one returned");
    r = history(b, s, in_order, e1, 10, 10, 3600000, ents);
    check(r.outcome == redis_outcome::stale && r.epoch == e2,
          "history with the old epoch: refused, the new one returned");

    r = publish(a, s, orphan, p2, "x");
    check(r.outcome == redis_outcome::epoch && r.epoch == e1,
          "the orphan answers its epoch");
    check(epoch_of(a, "33333333", made) == e2 && !made,
          "the epoch key holds ours: the orphan is stale");
    p2.replace = e1;
    r = publish(a, s, orphan, p2, "replaced");
    check(r.outcome == redis_outcome::ok && r.epoch == e2 && r.last == 1
          && r.count == 1, "replace = the orphan's epoch: it starts over");
    r = publish(b, s, orphan, p, "stale again");
    check(r.outcome == redis_outcome::stale && r.epoch == e2,
          "the stale server is refused there too");
    printf("ok: FLUSHALL: nothing is stored or read under the old epoch "
           "(stale, with the key's epoch or none); a new epoch; an orphan "
           "replaced\n");

    printf("redis_scripts_live: %d checks passed\n", checks);

    /* figures: publishes/s, 16 deep, 200 bytes, 1,000 channels; memory */
    check(str(call(a, encode({ resp_bytes("FLUSHALL") }))) == "OK",
          "FLUSHALL");
    epoch_of(a, "0badcafe", made);

    auto  used = [&] {
        std::string  i = str(call(a, encode({ resp_bytes("INFO"),
                                              resp_bytes("memory") })));
        size_t       at = i.find("used_memory:");
        check(at != std::string::npos, "INFO memory");
        return atof(i.c_str() + at + 12);
    };

    std::vector<chan>  chans;

    for (int i = 0; i < 1000; i++) {
        chans.emplace_back("bench-" + std::to_string(i));
    }

    p.epoch = "0badcafe";
    p.inline_max = 1024;

    std::string  payload(200, 'p');
    const int    total = 100000, depth = 16;
    double       before = used(), start = now_s();

    for (int i = 0; i < total; i += depth) {
        std::string  w;
        int          n = total - i < depth ? total - i : depth;

        for (int j = 0; j < n; j++) {
            w += publish_wire(s, chans[(i + j) % 1000], p, payload);
        }
        send_all(a, w);
        for (int j = 0; j < n; j++) {
            check(parsed(reply(a), "bench").outcome == redis_outcome::ok,
                  "bench publish");
        }
    }

    double  secs = now_s() - start;
    double  after = used();

    printf("figure: %d publishes (200 B, 1,000 channels, 16 deep) in %.2f s:"
           " %.0f publishes/s\n", total, secs, total / secs);
    printf("figure: memory: %.0f bytes for %d messages (100 per channel,"
           " buffer 100): %.0f bytes per stored message, meta included\n",
           after - before, total, (after - before) / total);

    const resp_node  *m = call(a, encode({ resp_bytes("MEMORY"),
                                           resp_bytes("USAGE"),
                                           resp_bytes(chans[0].k.stream) }));
    long long         stream_bytes = m->integer;

    m = call(a, encode({ resp_bytes("MEMORY"), resp_bytes("USAGE"),
                         resp_bytes(chans[0].k.meta) }));
    printf("figure: MEMORY USAGE of one channel: stream %lld bytes (100 "
           "messages), meta %lld bytes\n", stream_bytes,
           (long long) m->integer);

    return 0;
}
