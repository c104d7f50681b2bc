# WebSocket (RFC 6455): the handshake and its refusals, frames both ways,
# control frames, closes, limits and keepalive.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the handshake: 101 with the RFC's accept value
--- config
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
--- raw_request eval
"GET /ws/a HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: keep-alive, Upgrade\r
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
Sec-WebSocket-Version: 13\r
\r
"
--- abort
--- timeout: 0.5
--- error_code: 101
--- response_headers
Upgrade: websocket
Connection: upgrade
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
!Sec-WebSocket-Protocol
--- no_error_log
[error]



=== TEST 2: a wrong version is 426 with the version we speak
--- config
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
--- raw_request eval
"GET /ws/a HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: Upgrade\r
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
Sec-WebSocket-Version: 8\r
Connection: close\r
\r
"
--- error_code: 426
--- response_headers
Sec-WebSocket-Version: 13
--- response_body
unsupported WebSocket version, 13 expected
--- no_error_log
[error]



=== TEST 3: a bad key is 400
--- config
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
--- raw_request eval
"GET /ws/a HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: Upgrade, close\r
Sec-WebSocket-Key: short==\r
Sec-WebSocket-Version: 13\r
\r
"
--- error_code: 400
--- response_body
invalid Sec-WebSocket-Key
--- no_error_log
[error]



=== TEST 4: a plain GET on a WebSocket-only location is 400
--- config
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
--- request
GET /ws/a
--- error_code: 400
--- response_body
WebSocket upgrade required
--- no_error_log
[error]



=== TEST 5: an origin outside push_websocket_allow_origin is 403
--- config
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_allow_origin https://good.example;
    }
--- raw_request eval
"GET /ws/a HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: Upgrade, close\r
Origin: https://evil.example\r
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
Sec-WebSocket-Version: 13\r
\r
"
--- error_code: 403
--- response_body
WebSocket origin not allowed
--- no_error_log
[error]



=== TEST 6: published messages arrive as frames, exact bytes, text or binary by type
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
    location ~ ^/wsbin/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_frame binary;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my ($s) = push_ws_open('/ws/f');
    my ($b) = push_ws_open('/wsbin/f');
    push_wait_subscribers('/pub/f', 2) or die "never subscribed\n";
    push_request('POST', '/pub/f', 'hello', ['Content-Type: text/plain']);
    push_request('POST', '/pub/f', '{"a":1}',
                 ['Content-Type: application/json']);
    push_request('POST', '/pub/f', "\x00\x01", ['Content-Type: image/png']);
    push_request('POST', '/pub/f', "\xff", ['Content-Type: text/plain']);
    push_request('POST', '/pub/f', 'x' x 300);
    my $raw = push_read_until($s, qr/x{300}\z/, 2);
    my $out = join ' ', map { sprintf '%02x', ord } split //,
                  substr($raw, 0, 23);
    my $f = push_ws_frame($b, 2);
    push_report('/pub/result', "$out | len300="
                . (substr($raw, 23, 4) eq "\x81\x7e\x01\x2c" ? 1 : 0)
                . " forced=$f->[0]:$f->[1]");
});
--- request
GET /result
--- response_body
81 05 68 65 6c 6c 6f 81 07 7b 22 61 22 3a 31 7d 82 02 00 01 82 01 ff | len300=1 forced=2:hello
--- no_error_log
[error]



=== TEST 7: ping is answered with the same payload; a frame sent with the handshake is not lost
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my ($s) = push_ws_open('/ws/p', [], ws_frame_bytes(0x9, 'early'));
    my $f1 = push_ws_frame($s, 2);
    push_ws_send($s, 0x9, 'abc');
    my $f2 = push_ws_frame($s, 2);
    push_report('/pub/result', "$f1->[0]:$f1->[1] $f2->[0]:$f2->[1]");
});
--- request
GET /result
--- response_body
10:early 10:abc
--- no_error_log
[error]



=== TEST 8: a client close is echoed, then the connection ends
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my ($s) = push_ws_open('/ws/c');
    push_wait_subscribers('/pub/c', 1) or die "never subscribed\n";
    push_ws_send($s, 0x8, pack('n', 4000) . 'done');
    my $f = push_ws_frame($s, 2);
    my $eof = !defined push_ws_frame($s, 2);
    my $left = push_wait_subscribers('/pub/c', 0, 2);
    push_report('/pub/result', "$f->[0]:" . unpack('n', $f->[1])
                . " eof=$eof left=$left");
});
--- request
GET /result
--- response_body
8:4000 eof=1 left=1
--- no_error_log
[error]



=== TEST 9: bad frames close with 1002, oversized messages with 1009
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_max_message_size 16;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my ($s) = push_ws_open('/ws/bad');
    $s->syswrite("\x81\x02hi");                  # not masked
    my $f1 = push_ws_frame($s, 2);
    my ($t) = push_ws_open('/ws/bad');
    push_ws_send($t, 0x2, 'x' x 17);
    my $f2 = push_ws_frame($t, 2);
    my ($u) = push_ws_open('/ws/bad');
    push_ws_send($u, 0x1, "\xc0\x80");          # overlong: not UTF-8
    my $f3 = push_ws_frame($u, 2);
    push_report('/pub/result', join ' ', map { "$_->[0]:" . unpack('n', $_->[1]) }
                                         $f1, $f2, $f3);
});
--- request
GET /result
--- response_body
8:1002 8:1009 8:1007
--- error_log
client sent a bad WebSocket frame, closing with 1002
--- no_error_log
[error]



=== TEST 10: with push_websocket_publish on, a client's message is published to its channel
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_publish on;
    }
    location ~ ^/quiet/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my ($q) = push_ws_open('/quiet/chat');
    push_ws_send($q, 0x1, 'ignored');
    my ($s) = push_ws_open('/ws/chat');
    push_ws_send($s, 0x1, 'hel', 0);
    push_ws_send($s, 0x9, 'between');
    push_ws_send($s, 0x0, 'lo', 1);
});
--- request
GET /sub/chat
--- response_headers
Content-Type: text/plain; charset=utf-8
--- response_body chomp
hello
--- no_error_log
[error]



=== TEST 11: DELETE closes with 1000
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my ($s) = push_ws_open('/ws/d');
    push_wait_subscribers('/pub/d', 1) or die "never subscribed\n";
    push_request('DELETE', '/pub/d');
    my $f = push_ws_frame($s, 2);
    push_ws_send($s, 0x8, $f->[1]);
    my $eof = !defined push_ws_frame($s, 2);
    push_report('/pub/result', "$f->[0]:" . unpack('n', $f->[1]) . ":"
                . substr($f->[1], 2) . " eof=$eof");
});
--- request
GET /result
--- response_body
8:1000:channel deleted eof=1
--- no_error_log
[error]



=== TEST 12: a client that stops answering pings is closed and removed
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_ping_interval 200ms;
        push_websocket_timeout 500ms;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my ($s) = push_ws_open('/ws/t');
    my $in = push_wait_subscribers('/pub/t', 1);
    my $ping = push_ws_frame($s, 1);
    my $gone = push_wait_subscribers('/pub/t', 0, 3);
    push_report('/pub/result', "in=$in ping=$ping->[0] gone=$gone");
});
--- request
GET /result
--- response_body
in=1 ping=9 gone=1
--- timeout: 5
--- error_log
push: WebSocket client did not answer pings
--- no_error_log
[error]



=== TEST 13: the first subprotocol offered that we accept is echoed
--- config
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_subprotocols chat.v2 chat.v1;
    }
--- raw_request eval
"GET /ws/a HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: Upgrade\r
Sec-WebSocket-Protocol: other, chat.v1, chat.v2\r
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
Sec-WebSocket-Version: 13\r
\r
"
--- abort
--- timeout: 0.5
--- error_code: 101
--- response_headers
Sec-WebSocket-Protocol: chat.v1
--- no_error_log
[error]



=== TEST 14: ?last_event_id= resumes a WebSocket; a cursor behind the buffer gets the gap frame first
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 3;
    }
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $epoch;
    $epoch = push_epoch(push_request('POST', '/pub/back', "m$_")) for 1 .. 6;
    my ($near) = push_ws_open("/ws/back?last_event_id=$epoch:5");
    my $n1 = push_ws_frame($near, 2);
    my ($far) = push_ws_open("/ws/back?last_event_id=$epoch:1");
    my @far = map { push_ws_frame($far, 2)->[1] } 1 .. 4;
    push_report('/pub/result', "near=$n1->[1] far=@far");
});
--- request
GET /result
--- response_body
near=m6 far={"push_gap":2} m4 m5 m6
--- no_error_log
[error]
