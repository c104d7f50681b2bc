/* pushbench: a one-thread epoll load generator for HTTP push servers: N
 * subscribers of one transport, pipelined publishers at a set rate, and a
 * check that every subscriber got every acknowledged message exactly once
 * and in order.  Results are printed as "key value" lines. */
#include "pb_parse.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <csignal>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

uint64_t
now_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}


double
secs(uint64_t ns)
{
    return double(ns) / 1e9;
}


enum class transport { sse, ws, longpoll, stream };

struct options {
    transport tr = transport::sse;
    const char *tr_name = "sse";
    std::string host = "127.0.0.1";
    int port = 8080;
    int pub_port = 0;        /* publishers' server (0: the same as port) */
    std::string sub_path;
    std::string pub_path;
    std::string info_path;   /* where the subscribers are counted */
    long subs = 100;
    long messages = 200;
    double rate = 100;       /* messages/s in all; 0: as fast as acked */
    long window = 64;        /* requests in flight per publisher at rate 0 */
    long publishers = 1;
    size_t size = 64;
    int sources = 8;         /* subscribers spread over 127.0.0.1..N */
    std::vector<pid_t> nginx; /* masters: their workers' CPU and memory */
    double drain = 15;       /* seconds to wait for deliveries after acks */
    double connect_wait = 60;
    double settle = 0;       /* wait after the subscribers are counted */
    bool reconnect = false;  /* reopen closed subscribers and publishers */
    double idle = 0;         /* idle mode: hold the subscribers this long */
    std::string separator = "\n";
    long parallel = 256;     /* connects in flight */
};


struct nginx_sample {
    uint64_t cpu_ns = 0;
    uint64_t rss_anon_kb = 0;
    int workers = 0;
};


bool
is_listed(const std::vector<pid_t> &masters, long pid)
{
    return std::find(masters.begin(), masters.end(), pid_t(pid))
           != masters.end();
}


/* The workers of every master given (CPU and memory summed). */
nginx_sample
sample_nginx(const std::vector<pid_t> &masters)
{
    nginx_sample s;
    if (masters.empty()) {
        return s;
    }
    DIR *d = opendir("/proc");
    if (d == nullptr) {
        return s;
    }
    while (dirent *e = readdir(d)) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0) {
            continue;
        }
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "r");
        if (f == nullptr) {
            continue;
        }
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *rp = strrchr(buf, ')');
        long ppid = 0;
        if (rp == nullptr || sscanf(rp + 2, "%*c %ld", &ppid) != 1
            || !is_listed(masters, ppid)) {
            continue;
        }
        s.workers++;
        snprintf(path, sizeof(path), "/proc/%ld/schedstat", pid);
        if ((f = fopen(path, "r")) != nullptr) {
            unsigned long long ns = 0;
            if (fscanf(f, "%llu", &ns) == 1) {
                s.cpu_ns += ns;
            }
            fclose(f);
        }
        snprintf(path, sizeof(path), "/proc/%ld/status", pid);
        if ((f = fopen(path, "r")) != nullptr) {
            char line[256];
            while (fgets(line, sizeof(line), f)) {
                unsigned long long kb;
                if (sscanf(line, "RssAnon: %llu", &kb) == 1) {
                    s.rss_anon_kb += kb;
                }
            }
            fclose(f);
        }
    }
    closedir(d);
    return s;
}


uint64_t
own_cpu_ns()
{
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t(ru.ru_utime.tv_sec) + uint64_t(ru.ru_stime.tv_sec))
               * 1000000000u
           + (uint64_t(ru.ru_utime.tv_usec) + uint64_t(ru.ru_stime.tv_usec))
               * 1000u;
}


/* SIGUSR1 marks a moment (bench/redis.sh sends it when Redis is back):
 * the report says how long after it the first message published after it
 * was acknowledged and delivered. */
volatile sig_atomic_t g_marked = 0;

void
on_mark(int)
{
    g_marked = 1;
}


enum class cst { connecting, head, body, ws, closed };

struct conn {
    int fd = -1;
    bool is_pub = false;
    long idx = 0;
    cst state = cst::connecting;
    std::string in;
    std::string out;
    size_t out_off = 0;
    bool pollout = false;
    pb::http_head head;
    pb::dechunk dc;
    long long body_left = 0;
    std::string body;
};


struct subscriber : conn {
    std::vector<uint64_t> seen;    /* a bit per (publisher, seq) */
    std::vector<uint32_t> last;    /* highest seq seen per publisher */
    pb::sse_parser sse;
    std::string frag;
    std::string etag;
    std::string last_modified;
    bool ready = false;
    bool counted = false;          /* among the connects in flight */
    uint64_t reopen_at = 0;        /* -R: when to connect again */
    uint64_t unique = 0;
};


struct publisher : conn {
    uint32_t next_seq = 1;
    uint32_t quota = 0;
    std::deque<uint32_t> inflight;
    std::vector<bool> acked;
    std::vector<uint64_t> sent_at;
    std::vector<uint64_t> acked_at;
    uint64_t reopen_at = 0;
    uint32_t acks = 0;
    uint32_t errors = 0;
};


class bench {
public:
    explicit bench(const options &o) : o_(o) {}
    int run();

private:
    int open_socket(long src, int port);
    bool open_pub(publisher &p);
    void reopen(uint64_t now);
    void give_up_publishing();
    void arm(conn &c, bool out);
    void send(conn &c, std::string_view data);
    void flush(conn &c);
    void close_conn(conn &c);
    bool open_sub(subscriber &s);
    void sub_request(subscriber &s);
    void on_event(conn &c, uint32_t ev);
    void on_connected(conn &c);
    void read_sub(subscriber &s);
    void read_pub(publisher &p);
    void deliver(subscriber &s, std::string_view data, std::string_view ev);
    void stream_bytes(subscriber &s);
    void publish_one(publisher &p);
    void pump(uint64_t now);
    void check_mark();
    bool wait_registered(uint64_t deadline);
    long channel_subscribers();
    void loop_once(int timeout_ms);
    void report(uint64_t t_start, uint64_t t_end, uint64_t cpu0,
                uint64_t cpu1, const nginx_sample &n0,
                const nginx_sample &n1, uint64_t t_connect);

    const options &o_;
    int ep_ = -1;
    std::vector<std::unique_ptr<subscriber>> subs_;
    std::vector<std::unique_ptr<publisher>> pubs_;
    uint32_t per_pub_ = 0;
    long connecting_ = 0;
    long next_open_ = 0;
    long ready_ = 0;
    uint64_t t0_ = 0;
    uint64_t sent_ = 0;
    uint64_t unique_ = 0;
    uint64_t dups_ = 0;
    uint64_t out_of_order_ = 0;
    uint64_t other_ = 0;
    uint64_t gaps_ = 0;
    uint64_t deleted_ = 0;
    uint64_t sub_errors_ = 0;
    uint64_t sub_closed_ = 0;
    uint64_t reconnects_ = 0;
    uint64_t polls_ = 0;
    uint64_t first_ack_ns_ = 0;
    uint64_t last_ack_ns_ = 0;
    uint64_t last_delivery_ns_ = 0;
    uint64_t last_progress_ns_ = 0;
    uint64_t mark_ns_ = 0;
    uint64_t mark_ack_ns_ = 0;       /* first ack of one sent after it */
    uint64_t mark_delivery_ns_ = 0;  /* first delivery of one sent after */
    uint64_t lost_ = 0;
    uint64_t gave_up_ = 0;
    std::vector<uint32_t> lat_us_;
    bool publishing_ = false;
};


int
bench::open_socket(long src, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (src >= 0 && o_.sources > 1) {
        /* the port is picked at connect(), per destination: more than
         * 28k connections fit once several source addresses share them */
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(0x7f000001u + uint32_t(src % o_.sources));
        if (bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) != 0) {
            close(fd);
            return -1;
        }
    }
    sockaddr_in d{};
    d.sin_family = AF_INET;
    d.sin_port = htons(uint16_t(port));
    inet_pton(AF_INET, o_.host.c_str(), &d.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr *>(&d), sizeof(d)) != 0
        && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}


void
bench::arm(conn &c, bool out)
{
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0u);
    ev.data.ptr = &c;
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    c.pollout = out;
}


void
bench::send(conn &c, std::string_view data)
{
    c.out.append(data);
    if (c.state != cst::connecting && !c.pollout) {
        flush(c);
    }
}


void
bench::flush(conn &c)
{
    while (c.out_off < c.out.size()) {
        ssize_t n = write(c.fd, c.out.data() + c.out_off,
                          c.out.size() - c.out_off);
        if (n < 0) {
            if (errno == EAGAIN) {
                if (!c.pollout) {
                    arm(c, true);
                }
                return;
            }
            close_conn(c);
            return;
        }
        c.out_off += size_t(n);
    }
    c.out.clear();
    c.out_off = 0;
    if (c.pollout) {
        arm(c, false);
    }
}


void
bench::close_conn(conn &c)
{
    if (c.fd >= 0) {
        close(c.fd);
        c.fd = -1;
    }
    c.state = cst::closed;
    if (!c.is_pub) {
        auto &s = static_cast<subscriber &>(c);
        if (s.counted) {
            s.counted = false;
            connecting_--;
        }
    }
}


bool
bench::open_sub(subscriber &s)
{
    s.fd = open_socket(s.idx, o_.port);
    if (s.fd < 0) {
        return false;
    }
    s.state = cst::connecting;
    s.in.clear();
    s.out.clear();
    s.out_off = 0;
    s.body.clear();
    s.frag.clear();
    s.sse.restart();
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = static_cast<conn *>(&s);
    epoll_ctl(ep_, EPOLL_CTL_ADD, s.fd, &ev);
    s.pollout = true;
    sub_request(s);
    return true;
}


void
bench::sub_request(subscriber &s)
{
    std::string r = "GET " + o_.sub_path + " HTTP/1.1\r\nHost: " + o_.host
                    + "\r\n";
    switch (o_.tr) {
    case transport::sse:
        r += "Accept: text/event-stream\r\n";
        if (s.ready && !s.sse.last_id().empty()) {
            /* a reconnect (-R) resumes where the stream ended */
            r += "Last-Event-ID: " + s.sse.last_id() + "\r\n";
        }
        break;
    case transport::ws:
        r += "Upgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: cHVzaGJlbmNoLWtleS0wMQ==\r\n"
             "Sec-WebSocket-Version: 13\r\n";
        break;
    case transport::longpoll:
        if (!s.etag.empty()) {
            r += "If-None-Match: " + s.etag + "\r\n";
        }
        if (!s.last_modified.empty()) {
            r += "If-Modified-Since: " + s.last_modified + "\r\n";
        }
        polls_++;
        break;
    case transport::stream:
        break;
    }
    r += "\r\n";
    s.head = pb::http_head();
    if (s.state != cst::connecting) {
        s.state = cst::head;
    }
    send(s, r);
}


void
bench::on_connected(conn &c)
{
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
        if (!c.is_pub) {
            sub_errors_++;
        }
        close_conn(c);
        return;
    }
    c.state = cst::head;
    flush(c);
}


void
bench::deliver(subscriber &s, std::string_view data, std::string_view ev)
{
    uint64_t now = now_ns();
    pb::payload pl;
    if (ev == "gap") {
        gaps_++;
        return;
    }
    if (ev == "deleted") {
        /* ours: the channel ended (DELETE, or Redis lost its data) */
        deleted_++;
        return;
    }
    if (!pb::parse_payload(data, pl) || pl.publisher >= pubs_.size()
        || pl.seq == 0 || pl.seq > per_pub_) {
        if (other_++ < 5) {
            fprintf(stderr, "pushbench: unexpected message \"%.*s\"\n",
                    int(std::min<size_t>(data.size(), 80)), data.data());
        }
        return;
    }
    size_t bit = size_t(pl.publisher) * (per_pub_ + 1) + pl.seq;
    uint64_t &word = s.seen[bit / 64];
    uint64_t mask = uint64_t{1} << (bit % 64);
    if (word & mask) {
        dups_++;
        return;
    }
    word |= mask;
    if (pl.seq < s.last[pl.publisher]) {
        out_of_order_++;
    } else {
        s.last[pl.publisher] = pl.seq;
    }
    s.unique++;
    unique_++;
    last_delivery_ns_ = now;
    if (mark_ns_ != 0 && mark_delivery_ns_ == 0 && pl.sent_ns >= mark_ns_) {
        mark_delivery_ns_ = now;
    }
    lat_us_.push_back(uint32_t(std::min<uint64_t>((now - pl.sent_ns) / 1000,
                                                  UINT32_MAX)));
}


void
bench::stream_bytes(subscriber &s)
{
    if (o_.tr == transport::sse) {
        s.sse.feed(s.body, [&](std::string_view d, std::string_view e) {
            deliver(s, d, e);
        });
        return;
    }
    size_t pos = 0;
    for (;;) {
        size_t at = s.body.find(o_.separator, pos);
        if (at == std::string::npos) {
            break;
        }
        if (at > pos) {
            deliver(s, std::string_view(s.body).substr(pos, at - pos), "");
        }
        pos = at + o_.separator.size();
    }
    s.body.erase(0, pos);
}


void
bench::read_sub(subscriber &s)
{
    for (;;) {
        if (s.state == cst::head) {
            long n = pb::parse_head(s.in.data(), s.in.size(), s.head);
            if (n == 0) {
                return;
            }
            if (n < 0) {
                sub_errors_++;
                close_conn(s);
                return;
            }
            s.in.erase(0, size_t(n));
            s.dc.reset();
            s.body.clear();
            s.body_left = s.head.content_length;
            if (o_.tr == transport::ws) {
                if (s.head.status != 101) {
                    sub_errors_++;
                    close_conn(s);
                    return;
                }
                s.state = cst::ws;
            } else if (o_.tr == transport::longpoll) {
                s.state = cst::body;
                if (!s.head.chunked && s.body_left < 0) {
                    s.body_left = 0;
                }
            } else {
                if (s.head.status != 200) {
                    sub_errors_++;
                    close_conn(s);
                    return;
                }
                s.state = cst::body;
            }
            if (!s.ready) {
                s.ready = true;
                ready_++;
            }
            if (s.counted) {
                s.counted = false;
                connecting_--;
            }
            continue;
        }
        if (s.state == cst::ws) {
            /* all the frames read, then one erase: a read may bring
             * hundreds of them */
            size_t off = 0;
            for (;;) {
                pb::ws_frame f;
                long n = pb::parse_ws_frame(s.in.data() + off,
                                            s.in.size() - off, f);
                if (n == 0) {
                    break;
                }
                if (n < 0) {
                    sub_errors_++;
                    close_conn(s);
                    return;
                }
                off += size_t(n);
                if (f.opcode == 9) {
                    send(s, pb::ws_client_frame(10, f.payload));
                } else if (f.opcode == 8) {
                    sub_closed_++;
                    close_conn(s);
                    return;
                } else if (f.opcode == 0 || f.opcode == 1 || f.opcode == 2) {
                    if (f.fin && s.frag.empty()) {
                        deliver(s, f.payload, "");
                    } else {
                        s.frag.append(f.payload);
                        if (f.fin) {
                            deliver(s, s.frag, "");
                            s.frag.clear();
                        }
                    }
                }
            }
            s.in.erase(0, off);
            return;
        }
        if (s.state != cst::body || s.in.empty()) {
            return;
        }
        /* a body: chunked, sized, or (HTTP/1.0 streams) until close */
        if (s.head.chunked) {
            long n = s.dc.feed(s.in.data(), s.in.size(), s.body);
            if (n < 0) {
                sub_errors_++;
                close_conn(s);
                return;
            }
            s.in.erase(0, size_t(n));
        } else if (s.body_left >= 0) {
            size_t take = std::min<size_t>(s.in.size(), size_t(s.body_left));
            s.body.append(s.in, 0, take);
            s.in.erase(0, take);
            s.body_left -= take;
        } else {
            s.body.append(s.in);
            s.in.clear();
        }
        if (o_.tr != transport::longpoll) {
            stream_bytes(s);
            if (s.dc.done()) {
                sub_closed_++;
                close_conn(s);
                return;
            }
            continue;
        }
        bool complete = s.head.chunked ? s.dc.done() : s.body_left == 0;
        if (!complete) {
            return;
        }
        if (s.head.status == 200) {
            deliver(s, s.body, "");
            s.etag = s.head.etag;
            s.last_modified = s.head.last_modified;
        } else if (s.head.status != 304 && s.head.status != 408) {
            sub_errors_++;
        }
        if (s.head.close) {
            close_conn(s);
            reconnects_++;
            open_sub(s);
            return;
        }
        sub_request(s);
    }
}


void
bench::read_pub(publisher &p)
{
    for (;;) {
        if (p.state == cst::head) {
            long n = pb::parse_head(p.in.data(), p.in.size(), p.head);
            if (n == 0) {
                return;
            }
            if (n < 0) {
                p.errors += uint32_t(p.inflight.size());
                p.inflight.clear();
                close_conn(p);
                return;
            }
            p.in.erase(0, size_t(n));
            p.dc.reset();
            p.body.clear();
            p.body_left = p.head.chunked ? -1
                          : std::max<long long>(p.head.content_length, 0);
            p.state = cst::body;
        }
        if (p.head.chunked) {
            long n = p.dc.feed(p.in.data(), p.in.size(), p.body);
            if (n < 0) {
                close_conn(p);
                return;
            }
            p.in.erase(0, size_t(n));
            if (!p.dc.done()) {
                return;
            }
        } else {
            size_t take = std::min<size_t>(p.in.size(), size_t(p.body_left));
            p.in.erase(0, take);
            p.body_left -= take;
            if (p.body_left > 0) {
                return;
            }
        }
        p.state = cst::head;
        if (p.inflight.empty()) {
            continue;
        }
        uint32_t seq = p.inflight.front();
        p.inflight.pop_front();
        int st = p.head.status;
        last_progress_ns_ = now_ns();
        if (st == 200 || st == 201 || st == 202) {
            p.acked[seq] = true;
            p.acks++;
            last_ack_ns_ = last_progress_ns_;
            p.acked_at[seq] = last_ack_ns_;
            if (first_ack_ns_ == 0) {
                first_ack_ns_ = last_ack_ns_;
            }
            if (mark_ns_ != 0 && mark_ack_ns_ == 0
                && p.sent_at[seq] >= mark_ns_) {
                mark_ack_ns_ = last_ack_ns_;
            }
        } else {
            if (p.errors++ < 5) {
                fprintf(stderr, "pushbench: publish answered %d\n", st);
            }
        }
        if (p.head.close) {
            p.errors += uint32_t(p.inflight.size());
            p.inflight.clear();
            close_conn(p);
            return;
        }
    }
}


void
bench::on_event(conn &c, uint32_t ev)
{
    if (c.state == cst::closed) {
        return;
    }
    if (c.state == cst::connecting) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            return;
        }
        on_connected(c);
        if (c.state == cst::closed) {
            return;
        }
    } else if (ev & EPOLLOUT) {
        flush(c);
    }
    if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        return;
    }
    static char buf[1 << 16];
    bool eof = false;
    for (;;) {
        ssize_t n = read(c.fd, buf, sizeof(buf));
        if (n > 0) {
            c.in.append(buf, size_t(n));
            if (size_t(n) < sizeof(buf)) {
                break;
            }
            continue;
        }
        if (n == 0 || errno != EAGAIN) {
            eof = true;
        }
        break;
    }
    if (c.is_pub) {
        read_pub(static_cast<publisher &>(c));
    } else {
        read_sub(static_cast<subscriber &>(c));
    }
    if (eof && c.state != cst::closed) {
        if (c.is_pub) {
            auto &p = static_cast<publisher &>(c);
            p.errors += uint32_t(p.inflight.size());
            p.inflight.clear();
            close_conn(c);
            return;
        }
        auto &s = static_cast<subscriber &>(c);
        if (o_.tr == transport::longpoll && s.state == cst::head
            && s.in.empty()) {
            /* the server ended a keep-alive connection: poll again */
            close_conn(s);
            reconnects_++;
            open_sub(s);
            return;
        }
        if (o_.tr == transport::stream && !s.head.chunked
            && s.state == cst::body) {
            stream_bytes(s);
        }
        sub_closed_++;
        close_conn(s);
    }
}


void
bench::publish_one(publisher &p)
{
    pb::payload pl;
    pl.publisher = uint32_t(p.idx);
    pl.seq = p.next_seq++;
    pl.sent_ns = now_ns();
    p.sent_at[pl.seq] = pl.sent_ns;
    last_progress_ns_ = pl.sent_ns;
    std::string body = pb::make_payload(pl, o_.size);
    std::string r = "POST " + o_.pub_path + " HTTP/1.1\r\nHost: " + o_.host
                    + "\r\nContent-Type: text/plain\r\nContent-Length: "
                    + std::to_string(body.size()) + "\r\n\r\n" + body;
    p.inflight.push_back(pl.seq);
    sent_++;
    send(p, r);
}


void
bench::pump(uint64_t now)
{
    if (!publishing_) {
        return;
    }
    if (o_.rate > 0) {
        double due_f = secs(now - t0_) * o_.rate + 1;
        uint64_t due = std::min<uint64_t>(uint64_t(due_f),
                                          uint64_t(o_.messages));
        while (sent_ < due) {
            publisher &p = *pubs_[sent_ % pubs_.size()];
            if (p.state == cst::closed || p.next_seq > p.quota) {
                break;
            }
            publish_one(p);
        }
        return;
    }
    for (auto &pp : pubs_) {
        publisher &p = *pp;
        while (p.state != cst::closed && p.next_seq <= p.quota
               && long(p.inflight.size()) < o_.window) {
            publish_one(p);
        }
    }
}


bool
bench::open_pub(publisher &p)
{
    p.fd = open_socket(-1, o_.pub_port);
    if (p.fd < 0) {
        return false;
    }
    p.state = cst::connecting;
    p.in.clear();
    p.out.clear();
    p.out_off = 0;
    p.head = pb::http_head();
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = static_cast<conn *>(&p);
    epoll_ctl(ep_, EPOLL_CTL_ADD, p.fd, &ev);
    p.pollout = true;
    return true;
}


/* -R: a subscriber whose connection ended (the server closed it, refused
 * it, Redis went away under it) connects again after 100 ms, an SSE one
 * with Last-Event-ID; a publisher with messages left does too. */
void
bench::reopen(uint64_t now)
{
    const uint64_t delay = 100000000u;
    for (auto &sp : subs_) {
        subscriber &s = *sp;
        if (!s.ready || s.state != cst::closed) {
            continue;
        }
        if (s.reopen_at == 0) {
            s.reopen_at = now + delay;
        } else if (now >= s.reopen_at) {
            s.reopen_at = 0;
            reconnects_++;
            if (!open_sub(s)) {
                sub_errors_++;
            }
        }
    }
    if (!publishing_) {
        return;
    }
    for (auto &pp : pubs_) {
        publisher &p = *pp;
        if (p.state != cst::closed || p.next_seq > p.quota) {
            continue;
        }
        if (p.reopen_at == 0) {
            p.reopen_at = now + delay;
        } else if (now >= p.reopen_at) {
            p.reopen_at = 0;
            open_pub(p);
        }
    }
}


/* Publishes nobody answers for the drain time are counted as errors and
 * the rest is not sent: a server that holds requests cannot hang the run. */
void
bench::give_up_publishing()
{
    for (auto &pp : pubs_) {
        publisher &p = *pp;
        gave_up_ += p.inflight.size() + (p.quota + 1 - p.next_seq);
        p.errors += uint32_t(p.inflight.size());
        p.inflight.clear();
        p.quota = p.next_seq - 1;
        close_conn(p);
    }
}


void
bench::check_mark()
{
    if (g_marked && mark_ns_ == 0) {
        mark_ns_ = now_ns();
        fprintf(stderr, "pushbench: marked at %.3f s\n",
                t0_ ? secs(mark_ns_ - t0_) : 0.0);
    }
}


void
bench::loop_once(int timeout_ms)
{
    epoll_event evs[512];
    int n = epoll_wait(ep_, evs, 512, timeout_ms);
    check_mark();
    for (int i = 0; i < n; i++) {
        on_event(*static_cast<conn *>(evs[i].data.ptr), evs[i].events);
    }
    if (o_.reconnect) {
        reopen(now_ns());
    }
    /* open more subscribers as earlier ones get their answers */
    while (next_open_ < long(subs_.size()) && connecting_ < o_.parallel) {
        subscriber &s = *subs_[size_t(next_open_++)];
        if (!open_sub(s)) {
            sub_errors_++;
            continue;
        }
        if (o_.tr == transport::longpoll) {
            s.ready = true;
            ready_++;
        } else {
            s.counted = true;
            connecting_++;
        }
    }
}


/* A blocking GET of the publisher location: the channel's subscribers. */
long
bench::channel_subscribers()
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    timeval tv{ 2, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in d{};
    d.sin_family = AF_INET;
    d.sin_port = htons(uint16_t(o_.port));
    inet_pton(AF_INET, o_.host.c_str(), &d.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr *>(&d), sizeof(d)) != 0) {
        close(fd);
        return -1;
    }
    std::string r = "GET " + o_.info_path + " HTTP/1.1\r\nHost: " + o_.host
                    + "\r\nAccept: text/plain\r\nConnection: close\r\n\r\n";
    if (write(fd, r.data(), r.size()) != ssize_t(r.size())) {
        close(fd);
        return -1;
    }
    std::string resp;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        resp.append(buf, size_t(n));
    }
    close(fd);
    /* "subscribers: N" (ours, text), "active subscribers: N" (Nchan) or
     * the first "subscribers":N of ours's push_stats JSON (-I) */
    size_t at = resp.find("\r\n\r\n");
    if (at == std::string::npos) {
        return -1;
    }
    /* the first "subscribers" followed by a number (a Prometheus HELP
     * line names it before its value) */
    for (;;) {
        at = resp.find("subscribers", at);
        if (at == std::string::npos) {
            return -1;
        }
        at += 11;
        while (at < resp.size()
               && (resp[at] == '"' || resp[at] == ':' || resp[at] == ' ')) {
            at++;
        }
        if (at < resp.size() && resp[at] >= '0' && resp[at] <= '9') {
            break;
        }
    }
    return strtol(resp.c_str() + at, nullptr, 10);
}


bool
bench::wait_registered(uint64_t deadline)
{
    uint64_t next_check = 0;
    for (;;) {
        uint64_t now = now_ns();
        if (now > deadline) {
            return false;
        }
        if (ready_ >= long(subs_.size()) && now >= next_check) {
            long n = channel_subscribers();
            if (n >= long(subs_.size())) {
                return true;
            }
            next_check = now + 100000000u;
        }
        loop_once(20);
    }
}


void
bench::report(uint64_t t_start, uint64_t t_end, uint64_t cpu0, uint64_t cpu1,
              const nginx_sample &n0, const nginx_sample &n1,
              uint64_t t_connect)
{
    uint64_t acked = 0, pub_errors = 0;
    for (auto &p : pubs_) {
        acked += p->acks;
        pub_errors += p->errors;
    }
    uint64_t &lost = lost_;
    lost = 0;
    int shown = 0;
    for (auto &p : pubs_) {
        for (uint32_t seq = 1; seq <= p->quota; seq++) {
            if (!p->acked[seq]) {
                continue;
            }
            size_t bit = size_t(p->idx) * (per_pub_ + 1) + seq;
            long missing = 0;
            for (auto &sp : subs_) {
                if (!(sp->seen[bit / 64] & (uint64_t{1} << (bit % 64)))) {
                    missing++;
                }
            }
            lost += uint64_t(missing);
            if (missing != 0 && shown++ < 20) {
                /* which ones: when they were sent and acknowledged */
                fprintf(stderr, "pushbench: lost publisher %ld seq %u "
                        "(sent %.3f s, acked %.3f s%s) at %ld of %zu "
                        "subscribers\n", p->idx, seq,
                        secs(p->sent_at[seq] - t_start),
                        secs(p->acked_at[seq] - t_start),
                        mark_ns_ == 0 ? ""
                        : p->sent_at[seq] >= mark_ns_ ? ", after the mark"
                        : ", before the mark",
                        missing, subs_.size());
            }
        }
    }
    std::sort(lat_us_.begin(), lat_us_.end());
    auto pct = [&](double q) -> double {
        if (lat_us_.empty()) {
            return 0;
        }
        size_t i = size_t(std::ceil(q * double(lat_us_.size()))) - 1;
        return lat_us_[std::min(i, lat_us_.size() - 1)] / 1000.0;
    };
    uint64_t span = (last_delivery_ns_ > t_start ? last_delivery_ns_
                                                 : t_end) - t_start;
    uint64_t ack_span = last_ack_ns_ > t_start ? last_ack_ns_ - t_start : 0;
    printf("transport %s\n", o_.tr_name);
    printf("subscribers %zu\n", subs_.size());
    printf("subscribers_ready %ld\n", ready_);
    printf("connect_s %.3f\n", secs(t_connect));
    printf("published %llu\n", (unsigned long long) sent_);
    printf("acked %llu\n", (unsigned long long) acked);
    printf("publish_errors %llu\n", (unsigned long long) pub_errors);
    printf("acks_per_s %.0f\n", ack_span ? double(acked) / secs(ack_span) : 0);
    printf("deliveries %llu\n", (unsigned long long) unique_);
    printf("expected %llu\n",
           (unsigned long long) (acked * subs_.size()));
    printf("deliveries_per_s %.0f\n",
           span ? double(unique_) / secs(span) : 0);
    printf("latency_p50_ms %.2f\n", pct(0.50));
    printf("latency_p99_ms %.2f\n", pct(0.99));
    printf("latency_max_ms %.2f\n", lat_us_.empty() ? 0 : lat_us_.back() / 1000.0);
    printf("lost %llu\n", (unsigned long long) lost);
    printf("duplicated %llu\n", (unsigned long long) dups_);
    printf("out_of_order %llu\n", (unsigned long long) out_of_order_);
    printf("gap_notices %llu\n", (unsigned long long) gaps_);
    printf("deleted_notices %llu\n", (unsigned long long) deleted_);
    if (gave_up_ != 0) {
        printf("publishes_given_up %llu\n", (unsigned long long) gave_up_);
    }
    if (mark_ns_ != 0) {
        printf("mark_s %.3f\n", secs(mark_ns_ - t_start));
        /* "-": nothing sent after the mark was acknowledged / delivered */
        auto since_mark = [&](const char *key, uint64_t t) {
            if (t == 0) {
                printf("%s -\n", key);
            } else {
                printf("%s %.1f\n", key, double(t - mark_ns_) / 1e6);
            }
        };
        since_mark("mark_to_ack_ms", mark_ack_ns_);
        since_mark("mark_to_delivery_ms", mark_delivery_ns_);
    }
    printf("unexpected %llu\n", (unsigned long long) other_);
    printf("subscriber_errors %llu\n", (unsigned long long) sub_errors_);
    printf("subscriber_closed %llu\n", (unsigned long long) sub_closed_);
    printf("reconnects %llu\n", (unsigned long long) reconnects_);
    printf("polls %llu\n", (unsigned long long) polls_);
    printf("duration_s %.3f\n", secs(t_end - t_start));
    printf("bench_cpu_s %.3f\n", double(cpu1 - cpu0) / 1e9);
    if (!o_.nginx.empty()) {
        double cpu_us = double(n1.cpu_ns - n0.cpu_ns) / 1000.0;
        printf("nginx_workers %d\n", n1.workers);
        printf("nginx_cpu_s %.3f\n", cpu_us / 1e6);
        printf("nginx_cpu_us_per_delivery %.3f\n",
               unique_ ? cpu_us / double(unique_) : 0);
        printf("nginx_cpu_us_per_publish %.3f\n",
               acked ? cpu_us / double(acked) : 0);
    }
    fflush(stdout);
}


int
bench::run()
{
    rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rlim_t(o_.subs + o_.publishers + 64) > rl.rlim_cur) {
        fprintf(stderr, "pushbench: %ld subscribers need more than %llu "
                "descriptors\n", o_.subs, (unsigned long long) rl.rlim_cur);
        return 2;
    }
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    per_pub_ = uint32_t((o_.messages + o_.publishers - 1) / o_.publishers);
    size_t bits = size_t(o_.publishers) * (per_pub_ + 1);
    lat_us_.reserve(size_t(o_.subs) * size_t(o_.messages));

    nginx_sample mem0 = sample_nginx(o_.nginx);
    uint64_t tc0 = now_ns();
    for (long i = 0; i < o_.subs; i++) {
        auto s = std::make_unique<subscriber>();
        s->idx = i;
        s->seen.assign(bits / 64 + 1, 0);
        s->last.assign(size_t(o_.publishers), 0);
        subs_.push_back(std::move(s));
    }
    if (o_.subs > 0
        && !wait_registered(tc0 + uint64_t(o_.connect_wait * 1e9))) {
        fprintf(stderr, "pushbench: %ld of %ld subscribers connected, "
                "the server counts %ld\n", ready_, o_.subs,
                channel_subscribers());
        report(tc0, now_ns(), 0, 0, mem0, mem0, now_ns() - tc0);
        return 1;
    }
    uint64_t t_connect = now_ns() - tc0;
    fprintf(stderr, "pushbench: %ld %s subscribers in %.2f s\n", o_.subs,
            o_.tr_name, secs(t_connect));

    if (o_.idle > 0) {
        uint64_t end = now_ns() + uint64_t(o_.idle * 1e9);
        while (now_ns() < end) {
            loop_once(100);
        }
        nginx_sample mem1 = sample_nginx(o_.nginx);
        long n = channel_subscribers();
        printf("transport %s\n", o_.tr_name);
        printf("subscribers %ld\n", o_.subs);
        printf("subscribers_counted %ld\n", n);
        printf("connect_s %.3f\n", secs(t_connect));
        printf("subscriber_closed %llu\n", (unsigned long long) sub_closed_);
        printf("rss_anon_kb_before %llu\n",
               (unsigned long long) mem0.rss_anon_kb);
        printf("rss_anon_kb_after %llu\n",
               (unsigned long long) mem1.rss_anon_kb);
        printf("rss_anon_bytes_per_subscriber %.0f\n",
               (double(mem1.rss_anon_kb) - double(mem0.rss_anon_kb)) * 1024.0
                   / double(o_.subs));
        fflush(stdout);
        return (n == o_.subs && sub_closed_ == 0) ? 0 : 1;
    }

    if (o_.settle > 0) {
        /* the subscriber's server may take its Redis subscription only
         * after it counts the subscribers */
        uint64_t end = now_ns() + uint64_t(o_.settle * 1e9);
        while (now_ns() < end) {
            loop_once(20);
        }
    }

    for (long i = 0; i < o_.publishers; i++) {
        auto p = std::make_unique<publisher>();
        p->is_pub = true;
        p->idx = i;
        p->quota = uint32_t(std::min<long>(per_pub_,
                                           o_.messages - i * long(per_pub_)));
        p->acked.assign(per_pub_ + 1, false);
        p->sent_at.assign(per_pub_ + 1, 0);
        p->acked_at.assign(per_pub_ + 1, 0);
        if (!open_pub(*p)) {
            fprintf(stderr, "pushbench: cannot connect a publisher\n");
            return 2;
        }
        pubs_.push_back(std::move(p));
    }

    nginx_sample n0 = sample_nginx(o_.nginx);
    uint64_t cpu0 = own_cpu_ns();
    t0_ = now_ns();
    last_progress_ns_ = t0_;
    publishing_ = true;
    uint64_t drain_until = 0;
    for (;;) {
        uint64_t now = now_ns();
        pump(now);
        bool pub_done = true;
        uint64_t acked = 0;
        for (auto &p : pubs_) {
            acked += p->acks;
            if ((p->state != cst::closed || o_.reconnect)
                && (p->next_seq <= p->quota || !p->inflight.empty())) {
                pub_done = false;
            }
        }
        if (!pub_done && now > last_progress_ns_ + uint64_t(o_.drain * 1e9)) {
            fprintf(stderr, "pushbench: publishes unanswered for %.0f s, "
                    "given up\n", o_.drain);
            give_up_publishing();
            continue;
        }
        if (pub_done) {
            if (unique_ >= acked * subs_.size()) {
                break;
            }
            if (drain_until == 0) {
                drain_until = now + uint64_t(o_.drain * 1e9);
            } else if (now > drain_until) {
                fprintf(stderr, "pushbench: deliveries still missing after "
                        "%.0f s\n", o_.drain);
                break;
            }
        }
        loop_once(o_.rate > 0 ? 1 : 50);
    }
    uint64_t t_end = now_ns();
    uint64_t cpu1 = own_cpu_ns();
    nginx_sample n1 = sample_nginx(o_.nginx);
    report(t0_, t_end, cpu0, cpu1, n0, n1, t_connect);
    for (auto &s : subs_) {
        close_conn(*s);
    }
    for (auto &p : pubs_) {
        close_conn(*p);
    }
    /* with -R publishes may be refused while a server is away: then
     * what counts is that no acknowledged one is missing */
    bool clean = dups_ == 0 && out_of_order_ == 0 && other_ == 0
                 && lost_ == 0
                 && (o_.reconnect || unique_ >= sent_ * subs_.size());
    return clean ? 0 : 1;
}


void
usage()
{
    fprintf(stderr,
        "usage: pushbench -t sse|ws|longpoll|stream -s SUB_PATH -p PUB_PATH\n"
        "         [-H HOST] [-P PORT] [-n SUBSCRIBERS] [-m MESSAGES]\n"
        "         [-r RATE|0] [-w WINDOW] [-c PUBLISHERS] [-b BYTES]\n"
        "         [-a SOURCES] [-x NGINX_MASTER_PID[,PID...]] [-d DRAIN_S]\n"
        "         [-i IDLE_S] [-S SEPARATOR] [-Q PUB_PORT] [-z SETTLE_S]\n"
        "         [-R] [-I INFO_PATH]\n");
}

}  // namespace


int
main(int argc, char **argv)
{
    options o;
    int c;
    while ((c = getopt(argc, argv, "t:s:p:H:P:n:m:r:w:c:b:a:x:d:i:S:Q:z:RI:")) != -1) {
        switch (c) {
        case 't':
            o.tr_name = optarg;
            if (strcmp(optarg, "sse") == 0) {
                o.tr = transport::sse;
            } else if (strcmp(optarg, "ws") == 0) {
                o.tr = transport::ws;
            } else if (strcmp(optarg, "longpoll") == 0) {
                o.tr = transport::longpoll;
            } else if (strcmp(optarg, "stream") == 0) {
                o.tr = transport::stream;
            } else {
                usage();
                return 2;
            }
            break;
        case 's': o.sub_path = optarg; break;
        case 'p': o.pub_path = optarg; break;
        case 'H': o.host = optarg; break;
        case 'P': o.port = atoi(optarg); break;
        case 'n': o.subs = atol(optarg); break;
        case 'm': o.messages = atol(optarg); break;
        case 'r': o.rate = atof(optarg); break;
        case 'w': o.window = atol(optarg); break;
        case 'c': o.publishers = atol(optarg); break;
        case 'b': o.size = size_t(atol(optarg)); break;
        case 'a': o.sources = atoi(optarg); break;
        case 'x':
            for (char *p = optarg; *p != '\0';) {
                char *end;
                long pid = strtol(p, &end, 10);
                if (end == p || pid <= 0) {
                    usage();
                    return 2;
                }
                o.nginx.push_back(pid_t(pid));
                p = *end == ',' ? end + 1 : end;
            }
            break;
        case 'Q': o.pub_port = atoi(optarg); break;
        case 'z': o.settle = atof(optarg); break;
        case 'R': o.reconnect = true; break;
        case 'I': o.info_path = optarg; break;
        case 'd': o.drain = atof(optarg); break;
        case 'i': o.idle = atof(optarg); break;
        case 'S': o.separator = optarg; break;
        default:
            usage();
            return 2;
        }
    }
    if (o.sub_path.empty() || o.pub_path.empty() || o.subs < 0
        || o.messages < 1 || o.publishers < 1 || o.window < 1
        || o.sources < 1 || o.size < 32 || o.separator.empty()) {
        usage();
        return 2;
    }
    if (o.pub_port == 0) {
        o.pub_port = o.port;
    }
    if (o.info_path.empty()) {
        o.info_path = o.pub_path;
    }
    struct sigaction sa{};
    sa.sa_handler = on_mark;
    sigaction(SIGUSR1, &sa, nullptr);
    bench b(o);
    return b.run();
}
