# Server-Sent Events: the event format, resuming, gaps, pings, endings.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_H2_PORT} ||= 1986;
$ENV{TEST_NGINX_SLOW_PORT} ||= 1987;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: headers at once, retry, then one event per message
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ev/(?<ch>\w+)$ { push_subscriber sse; push_channel $ch; }
--- init
push_in_background(sub {
    push_wait_subscribers('/pub/fmt', 1) or die "never subscribed\n";
    push_request('POST', '/pub/fmt', "one line", ['Content-Type: text/plain']);
    push_request('POST', '/pub/fmt', "a\nb\r\nc\rd", ['Push-Event: myEvent']);
    push_request('POST', '/pub/fmt', '');
    push_request('POST', '/pub/fmt', "\n tail\n");
    push_request('DELETE', '/pub/fmt');
});
--- request
GET /ev/fmt
--- response_headers
Content-Type: text/event-stream; charset=utf-8
Cache-Control: no-cache
X-Accel-Buffering: no
!Content-Length
--- response_body_like chomp
\Aretry: 3000

id: ([0-9a-f]{8}):1
data: one line

id: \1:2
event: myEvent
data: a
data: b
data: c
data: d

id: \1:3
data: 

id: \1:4
data: 
data:  tail
data: 

event: deleted
data: 

\z
--- no_error_log
[error]



=== TEST 2: Last-Event-ID resumes after that event, with exact ids
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry off;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/res', "m$_") for 1 .. 3;
    my $epoch = push_epoch(push_request('GET', '/pub/res'));
    my $s = push_connect();
    push_send($s, 'GET', '/ev/res HTTP/1.0', undef,
              ["Last-Event-ID: $epoch:1"]);
    my $got = push_read_until($s, qr/data: m3\n\n/, 2);
    $got =~ s/^.*?\r\n\r\n//s;
    $got =~ s/$epoch/E/g;
    push_report('/pub/result', $got);
});
--- request
GET /result
--- response_body eval
"id: E:2\ndata: m2\n\nid: E:3\ndata: m3\n\n\n"

--- no_error_log
[error]



=== TEST 3: a cursor from another zone gets "event: gap" first, then what is kept
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 2;
    }
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry off;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/gap', "m$_") for 1 .. 5;
    my $s = push_connect();
    push_send($s, 'GET', '/ev/gap?last_event_id=00000000:1 HTTP/1.0');
    my $got = push_read_until($s, qr/data: m5\n\n/, 2);
    $got =~ s/^.*?\r\n\r\n//s;
    $got =~ s/[0-9a-f]{8}:/E:/g;
    push_report('/pub/result', $got);
});
--- request
GET /result
--- response_body eval
"event: gap\ndata: unknown\n\nid: E:4\ndata: m4\n\nid: E:5\ndata: m5\n\n\n"
--- no_error_log
[error]



=== TEST 4: a known gap says how many messages were missed
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 2;
    }
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry off;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $epoch;
    $epoch = push_epoch(push_request('POST', '/pub/gap', "m$_")) for 1 .. 6;
    my $s = push_connect();
    push_send($s, 'GET', "/ev/gap?last_event_id=$epoch%3A1 HTTP/1.0");
    my $got = push_read_until($s, qr/data: m6\n\n/, 2);
    push_report('/pub/result', $got =~ /event: gap\ndata: (\d+)\n\nid: \w+:5\n/
                               ? "gap $1" : "no gap: $got");
});
--- request
GET /result
--- response_body
gap 3
--- no_error_log
[error]



=== TEST 5: an idle stream gets a comment every push_ping_interval
The stream never ends and the runner's timeout is for silence, so a helper
reads it for 0.7 s and reports what came after the headers.
--- config
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_ping_interval 200ms;
        push_sse_retry off;
    }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $s = push_connect();
    push_send($s, 'GET', '/ev/idle HTTP/1.0');
    my $got = push_read_until($s, undef, 0.7);
    close $s;
    $got =~ s/\A.*?\r\n\r\n//s or $got = "no headers: $got";
    push_report('/pub/result', $got);
});
--- request
GET /result
--- timeout: 10
--- response_body_like chomp
\A:\n:\n(:\n)?\n\z
--- no_error_log
[error]



=== TEST 6: Accept: text/event-stream picks SSE where several transports are served
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber; push_channel $ch; }
--- init
push_in_background(sub {
    push_wait_subscribers('/pub/pick', 1) or die "never subscribed\n";
    push_request('DELETE', '/pub/pick');
});
--- request
GET /sub/pick
--- more_headers
Accept: text/event-stream
--- response_body eval
"retry: 3000\n\nevent: deleted\ndata: \n\n"
--- no_error_log
[error]



=== TEST 7: one stream over two channels; each id holds both positions
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /mux {
        push_subscriber sse;
        push_channel left right;
        push_sse_retry off;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $s = push_connect();
    push_send($s, 'GET', '/mux HTTP/1.0');
    push_wait_subscribers('/pub/left', 1) or die "never subscribed\n";
    push_request('POST', '/pub/left', 'l1');
    push_request('POST', '/pub/right', 'r1');
    push_request('POST', '/pub/left', 'l2');
    my $live = push_read_until($s, qr/data: l2\n/, 2);
    my @ids = $live =~ /id: \w+:([\d,]+)\n/g;
    my $epoch = push_epoch(push_request('GET', '/pub/left'));
    my $again = push_connect();
    push_send($again, 'GET', '/mux HTTP/1.0', undef,
              ["Last-Event-ID: $epoch:1,0"]);
    my $resumed = push_read_until($again, qr/data: l2\n/, 2);
    my @data = $resumed =~ /data: (\w+)\n/g;
    push_report('/pub/result', "@ids | @data");
});
--- request
GET /result
--- response_body
1,0 1,1 2,1 | r1 l2
--- no_error_log
[error]



=== TEST 8: a subscriber that disconnects leaves at once
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ev/(?<ch>\w+)$ { push_subscriber sse; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $s = push_connect();
    push_send($s, 'GET', '/ev/bye');
    my $in = push_wait_subscribers('/pub/bye', 1);
    shutdown $s, 1;
    my $half = push_wait_subscribers('/pub/bye', 0, 2);
    push_report('/pub/result', "in=$in half_closed_left=$half");
});
--- request
GET /result
--- response_body
in=1 half_closed_left=1
--- no_error_log
[error]



=== TEST 9: a client that stops reading is closed at push_subscriber_pending_max; others get everything
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=4k;
        location ~ ^/ev/(?<ch>\w+)$ {
            push_subscriber sse;
            push_channel $ch;
            push_subscriber_pending_max 32k;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 1000;
    }
    location ~ ^/ev/(?<ch>\w+)$ { push_subscriber sse; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    use Socket qw(SOL_SOCKET SO_RCVBUF);
    my $slow = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $ENV{TEST_NGINX_SLOW_PORT})
        or die "slow: $!\n";
    setsockopt($slow, SOL_SOCKET, SO_RCVBUF, 4096);
    push_send($slow, 'GET', '/ev/flood HTTP/1.0');
    my $fast = push_connect();
    push_send($fast, 'GET', '/ev/flood HTTP/1.0');
    push_wait_subscribers('/pub/flood', 2) or die "never subscribed\n";
    my $payload = 'x' x 4000;
    my $p = push_connect();
    my $seen = '';
    for my $i (1 .. 400) {
        push_send($p, 'POST', "/pub/flood", "$i $payload");
        push_read($p, 2);
        # the fast one reads as it goes
        $seen .= push_read_until($fast, qr/\Q$i $payload\E/, 0.5)
            if $i % 50 == 0;
        $seen = substr($seen, -10000);
    }
    my $left = push_wait_subscribers('/pub/flood', 1, 3);
    $seen .= push_read_until($fast, qr/data: 400 x+\n\n/, 3)
        unless $seen =~ /data: 400 x+\n\n/;
    push_report('/pub/result', "slow_closed=$left fast_got_last="
                . ($seen =~ /data: 400 x+\n\n/ ? 1 : 0));
});
--- request
GET /result
--- response_body
slow_closed=1 fast_got_last=1
--- timeout: 15
--- error_log
over push_subscriber_pending_max
--- no_error_log
[error]



=== TEST 10: SSE over HTTP/2
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_H2_PORT http2;
        location ~ ^/ev/(?<ch>\w+)$ {
            push_subscriber sse;
            push_channel $ch;
            push_sse_retry off;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $pid = open(my $curl, '-|', 'curl', '-sN', '--http2-prior-knowledge',
                   '-m', '5', '-w', '%{http_version}',
                   "http://127.0.0.1:$ENV{TEST_NGINX_H2_PORT}/ev/h2")
        or die "curl: $!\n";
    push_wait_subscribers('/pub/h2', 1) or die "never subscribed\n";
    push_request('POST', '/pub/h2', 'over h2');
    push_request('DELETE', '/pub/h2');
    local $/;
    my $out = <$curl>;
    close $curl;
    $out =~ s/[0-9a-f]{8}:/E:/;
    push_report('/pub/result', $out);
});
--- request
GET /result
--- response_body eval
"id: E:1\ndata: over h2\n\nevent: deleted\ndata: \n\n2\n"
--- no_error_log
[error]



=== TEST 11: push_allow_origin answers a preflight and marks responses
--- config
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_allow_origin https://app.example;
    }
--- request
OPTIONS /ev/x
--- more_headers
Origin: https://app.example
Access-Control-Request-Method: GET
--- error_code: 204
--- response_headers
Access-Control-Allow-Origin: https://app.example
Access-Control-Allow-Methods: GET, HEAD, OPTIONS
Access-Control-Allow-Headers: If-None-Match, Last-Event-ID, Cache-Control
Access-Control-Expose-Headers: Etag, Push-Gap, Push-Event
--- no_error_log
[error]



=== TEST 12: an EventSource made with ?last_event_id= that reconnects by itself resumes from its Last-Event-ID, the newer of the two
A browser keeps the URL it was given (with the cursor of the first
connect) and adds Last-Event-ID, the last id it saw, on its own
reconnects: the header must win, or the client gets m2 and m3 twice.
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry off;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $epoch;
    $epoch = push_epoch(push_request('POST', '/pub/both', "m$_")) for 1 .. 4;
    my $s = push_connect();
    push_send($s, 'GET', "/ev/both?last_event_id=$epoch%3A1 HTTP/1.0", undef,
              ["Last-Event-ID: $epoch:3"]);
    my $got = push_read_until($s, qr/data: m4\n\n/, 3);
    close $s;
    push_report('/pub/result', join ' ', $got =~ /^data: (\S+)$/mg);
});
--- request
GET /result
--- response_body
m4
--- no_error_log
[error]
