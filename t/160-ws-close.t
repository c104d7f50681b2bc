# WebSocket closes we start: the linger timer after our close frame works
# without pings (its event is set up whole, log included: a debug nginx
# logs through it), and a client message too large for the zone is the
# client's fault: 1009, "too large", at info.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: with push_ping_interval off, DELETE closes a WebSocket with 1000 and the linger timer ends it
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_ping_interval off;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my ($s) = PushTest::push_ws_open('/ws/gone');
    PushTest::push_wait_subscribers('/pub/gone', 1)
        or die "never subscribed\n";
    PushTest::push_request('DELETE', '/pub/gone');
    my $f = PushTest::push_ws_frame($s, 5);
    my $close = $f && $f->[0] == 8 ? unpack('n', $f->[1]) : 'none';
    # we never answer the close: the server's linger timer must end it
    my $eof = PushTest::push_read_until($s, undef, 10) eq '' ? 'eof' : 'data';
    my $alive = PushTest::push_request('GET', '/pub/gone');
    PushTest::push_report('/pub/result', "close=$close $eof alive="
                          . ($alive ? $alive->{status} : 'none'));
});
--- request
GET /result
--- response_body
close=1000 eof alive=404
--- timeout: 15
--- no_error_log
[error]
[alert]
exited on signal



=== TEST 2: a client message too large for the zone: 1009, "too large" at info, no alert
--- http_config
    push_zone tiny 64k;
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_publish on;
        push_ping_interval off;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my ($s) = PushTest::push_ws_open('/ws/big');
    PushTest::push_wait_subscribers('/pub/big', 1)
        or die "never subscribed\n";
    PushTest::push_ws_send($s, 0x2, 'x' x 40960);
    my $f = PushTest::push_ws_frame($s, 5);
    my $close = $f && $f->[0] == 8 ? unpack('n', $f->[1]) : 'none';
    my $why = $f && $f->[0] == 8 ? substr($f->[1], 2) : '';
    my $eof = PushTest::push_read_until($s, undef, 10) eq '' ? 'eof' : 'data';
    my $info = PushTest::push_request('GET', '/pub/big');
    my ($n) = $info && $info->{body} =~ /"messages":(\d+)/;
    PushTest::push_report('/pub/result', "close=$close why=$why $eof "
                          . "messages=" . ($n // 'none'));
});
--- request
GET /result
--- response_body
close=1009 why=message too large for the push zone eof messages=0
--- timeout: 15
--- error_log eval
[qr/\[info\] .*push: client sent a WebSocket message of 40960 bytes to "big", too large for the push zone/]
--- no_error_log
[error]
[alert]
zone full
