# WebSocket promises of the README the older suites left loose: every
# 1002 case of the close table, 1007 for a close reason, the handshake's
# refusals, what a client's publish is stored as, the forced text frame,
# and the wait for the client's close after a DELETE.
use lib 't/helpers';
use PushTest;
use Time::HiRes ();
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: reserved bits, unknown opcodes, bad control frames, bad continuations and bad closes are 1002
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    local $SIG{PIPE} = 'IGNORE';
    my $mask = "\x01\x02\x03\x04";
    my @cases = (
        [rsv1 => "\xc1\x82${mask}hj"],
        [rsv3 => "\x91\x82${mask}hj"],
        [opcode3 => PushTest::ws_frame_bytes(0x3, 'x')],
        [opcode11 => PushTest::ws_frame_bytes(0xb, 'x')],
        [long_ping => PushTest::ws_frame_bytes(0x9, 'p' x 126)],
        [split_ping => PushTest::ws_frame_bytes(0x9, 'p', 0)],
        [lone_continuation => PushTest::ws_frame_bytes(0x0, 'x')],
        [new_message_mid_way => PushTest::ws_frame_bytes(0x1, 'a', 0)
                                . PushTest::ws_frame_bytes(0x1, 'b')],
        [close_1_byte => PushTest::ws_frame_bytes(0x8, "\x03")],
        [close_code_999 => PushTest::ws_frame_bytes(0x8, pack('n', 999))],
        [close_code_1005 => PushTest::ws_frame_bytes(0x8, pack('n', 1005))],
        [close_bad_utf8 => PushTest::ws_frame_bytes(0x8, pack('n', 1000)
                                                    . "\xc0\x80")],
    );
    my @out;
    for my $c (@cases) {
        my ($s) = PushTest::push_ws_open('/ws/bad');
        $s->syswrite($c->[1]);
        my $f = PushTest::push_ws_frame($s, 3);
        push @out, "$c->[0]=" . ($f && $f->[0] == 8 ? unpack('n', $f->[1])
                                                     : 'none');
    }
    PushTest::push_report('/pub/result', "@out");
});
--- request
GET /result
--- response_body
rsv1=1002 rsv3=1002 opcode3=1002 opcode11=1002 long_ping=1002 split_ping=1002 lone_continuation=1002 new_message_mid_way=1002 close_1_byte=1002 close_code_999=1002 close_code_1005=1002 close_bad_utf8=1007
--- timeout: 15
--- error_log eval
[qr/\[info\] [^\n]*closing with 1002/, qr/\[info\] [^\n]*closing with 1007/]
--- no_error_log
[error]
[warn]



=== TEST 2: a handshake without Connection: Upgrade is 400 with the reason
--- config
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
--- raw_request eval
"GET /ws/a HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: close\r
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
Sec-WebSocket-Version: 13\r
\r
"
--- error_code: 400
--- response_body
WebSocket handshake without Connection: Upgrade
--- no_error_log
[error]



=== TEST 3: a handshake without Sec-WebSocket-Version is 426 with the version we speak
--- config
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
--- raw_request eval
"GET /ws/a HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: Upgrade, close\r
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
\r
"
--- error_code: 426
--- response_headers
Sec-WebSocket-Version: 13
--- no_error_log
[error]



=== TEST 4: an origin listed in push_websocket_allow_origin is let in
--- config
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_allow_origin https://one.example https://good.example;
    }
--- raw_request eval
"GET /ws/a HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: Upgrade\r
Origin: https://good.example\r
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
Sec-WebSocket-Version: 13\r
\r
"
--- abort
--- timeout: 0.5
--- error_code: 101
--- no_error_log
[error]



=== TEST 5: a client's binary message is stored as application/octet-stream, under the location's buffer
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_publish on;
        push_message_buffer 2;
    }
    location ~ ^/poll/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_first_message oldest;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my ($s) = PushTest::push_ws_open('/ws/bin');
    PushTest::push_ws_send($s, 0x2, "b$_\x00") for 1 .. 3;
    # the sender gets its own three back once they are stored
    PushTest::push_ws_frame($s, 5) for 1 .. 3;
    my $r = PushTest::push_get('/poll/bin');
    my $info = PushTest::push_request('GET', '/pub/bin')->{body};
    my ($n) = $info =~ /"messages":(\d+)/;
    (my $body = $r->{body}) =~ s/\x00/\\0/g;
    PushTest::push_report('/pub/result',
        "$r->{headers}{'content-type'} oldest=$body messages=$n");
});
--- request
GET /result
--- response_body
application/octet-stream oldest=b2\0 messages=2
--- no_error_log
[error]



=== TEST 6: push_websocket_frame text sends text frames whatever the stored type
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_frame text;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my ($s) = PushTest::push_ws_open('/ws/t');
    PushTest::push_wait_subscribers('/pub/t', 1) or die "never subscribed\n";
    PushTest::push_request('POST', '/pub/t', 'pixels',
                           ['Content-Type: image/png']);
    PushTest::push_request('POST', '/pub/t', 'bytes',
                           ['Content-Type: application/octet-stream']);
    my @f = map { PushTest::push_ws_frame($s, 3) } 1 .. 2;
    PushTest::push_report('/pub/result',
                          join ' ', map { "$_->[0]:$_->[1]" } @f);
});
--- request
GET /result
--- response_body
1:pixels 1:bytes
--- no_error_log
[error]



=== TEST 7: after a DELETE's close 1000 the server waits about 1 s for the client's close, then lets go
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my ($s) = PushTest::push_ws_open('/ws/d');
    PushTest::push_wait_subscribers('/pub/d', 1) or die "never subscribed\n";
    PushTest::push_request('DELETE', '/pub/d');
    my $f = PushTest::push_ws_frame($s, 3);
    my $t0 = Time::HiRes::time();
    # no close frame back: the server must end it on its own
    my $rest = PushTest::push_read_until($s, undef, 5);
    my $waited = Time::HiRes::time() - $t0;
    PushTest::push_report('/pub/result', "close=" . unpack('n', $f->[1])
        . " ended=" . ($waited >= 0.8 && $waited < 4 ? 'after about 1s'
                                                    : $waited));
});
--- request
GET /result
--- response_body
close=1000 ended=after about 1s
--- timeout: 10
--- no_error_log
[error]



=== TEST 8: without push_websocket_subprotocols no subprotocol is echoed
--- config
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
--- raw_request eval
"GET /ws/a HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: Upgrade\r
Sec-WebSocket-Protocol: chat.v1\r
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
Sec-WebSocket-Version: 13\r
\r
"
--- abort
--- timeout: 0.5
--- error_code: 101
--- response_headers
!Sec-WebSocket-Protocol
--- no_error_log
[error]



=== TEST 9: with push_websocket_publish on, a message goes to each channel of the subscription
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /ws {
        push_subscriber websocket;
        push_channel one two;
        push_websocket_publish on;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my ($s) = PushTest::push_ws_open('/ws');
    PushTest::push_ws_send($s, 0x1, 'both');
    # the sender is on both channels: it gets both copies
    my @f = map { PushTest::push_ws_frame($s, 5) } 1 .. 2;
    my @n = map {
        (PushTest::push_request('GET', "/pub/$_")->{body} =~ /"messages":(\d+)/)[0]
            // 'none'
    } qw(one two);
    PushTest::push_report('/pub/result', "one=$n[0] two=$n[1] echoes="
                          . join(',', map { $_ ? $_->[1] : 'none' } @f));
});
--- request
GET /result
--- response_body
one=1 two=1 echoes=both,both
--- timeout: 10
--- no_error_log
[error]
