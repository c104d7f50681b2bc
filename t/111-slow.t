# Clients that stop reading: an SSE stream and a WebSocket are closed at
# push_subscriber_pending_max, while fast subscribers of the same channel get
# every message at once and the zone does not grow for the slow ones.
use lib 't/helpers';
use PushTest;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_SLOW_PORT} ||= 1987;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a WebSocket and an SSE client that never read are cut; the others get all, zone flat
--- http_config
    push_zone slow 4m;
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=4k;
        location ~ ^/sub/(?<ch>\w+)$ {
            push_subscriber sse websocket;
            push_channel $ch;
            push_subscriber_pending_max 32k;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 10;
    }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber sse websocket;
        push_channel $ch;
        push_subscriber_pending_max 32k;
    }
    location = /stats { push_stats; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
sub slow_socket {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_SLOW_PORT})
        or die "slow: $!\n";
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4096);
    return $s;
}
sub used {
    my ($u) = push_request('GET', '/stats')->{body} =~ /"zone_used_bytes":(\d+)/;
    return $u;
}
push_in_background(sub {
    my $slow_sse = slow_socket();
    push_send($slow_sse, 'GET', '/sub/flood HTTP/1.0', undef,
              ['Accept: text/event-stream']);
    my ($slow_ws, $head) = push_ws_open('/sub/flood', [], '', slow_socket());
    die "slow ws: $head\n" unless $head =~ / 101 /;
    my ($fast_ws) = push_ws_open('/sub/flood');
    my $fast_sse = push_connect();
    push_send($fast_sse, 'GET', '/sub/flood HTTP/1.0', undef,
              ['Accept: text/event-stream']);
    push_wait_subscribers('/pub/flood', 4) or die "never subscribed\n";

    my $payload = 'x' x 4000;
    my $p = push_connect();
    my ($ws_got, $sse_got, $late, $used100) = (0, 0, 0, 0);
    for my $i (1 .. 400) {
        my $t0 = time;
        push_send($p, 'POST', '/pub/flood', "$i $payload");
        push_read($p, 2);
        my $f = push_ws_frame($fast_ws, 2);
        $ws_got++ if $f && $f->[1] eq "$i $payload";
        my $ev = push_read_until($fast_sse, qr/data: $i x+\n\n/, 2);
        $sse_got++ if $ev =~ /data: $i x+\n\n/;
        $late++ if time - $t0 > 0.5;
        $used100 = used() if $i == 100;
    }
    my $used400 = used();
    my $left = push_wait_subscribers('/pub/flood', 2, 3);
    push_report('/pub/result', "ws=$ws_got sse=$sse_got late=$late "
                . "slow_cut=$left flat=" . ($used400 <= $used100 ? 1 : 0));
});
--- request
GET /result
--- response_body
ws=400 sse=400 late=0 slow_cut=1 flat=1
--- timeout: 20
--- error_log
over push_subscriber_pending_max
--- no_error_log
[error]
[alert]
