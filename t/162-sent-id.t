# $push_message_id of a stream is the last message that left, not the last
# one queued: a subscriber cut at push_subscriber_pending_max is logged
# with the id its client really got.
use lib 't/helpers';
use PushTest;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_SLOW_PORT} ||= 1987;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: an SSE subscriber cut at the cap is logged with the id of the last event it received
--- http_config
    log_format ids "$push_transport $push_channel $push_message_id";
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=4k;
        location ~ ^/sub/(?<ch>\w+)$ {
            push_subscriber sse websocket;
            push_channel $ch;
            push_subscriber_pending_max 32k;
            access_log html/ids.log ids;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 100;
    }
    location = /ids.log { root html; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
sub cut_client {
    my ($ws) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_SLOW_PORT})
        or die "slow: $!\n";
    setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096);
    return $s;
}
PushTest::push_in_background(sub {
    # a channel of this run only: the log may hold lines of earlier runs
    my $ch = "cut$$";
    my $sse = cut_client();
    PushTest::push_send($sse, 'GET', "/sub/$ch HTTP/1.0", undef,
                        ['Accept: text/event-stream']);
    my ($ws, $head) = PushTest::push_ws_open("/sub/$ch", [], '',
                                             cut_client());
    die "ws: $head\n" unless $head =~ / 101 /;
    PushTest::push_wait_subscribers("/pub/$ch", 2) or die "never subscribed\n";
    my $p = PushTest::push_connect();
    for my $i (1 .. 40) {
        PushTest::push_send($p, 'POST', "/pub/$ch", "$i " . ('z' x 4000));
        PushTest::push_read($p, 5);
    }
    PushTest::push_wait_subscribers("/pub/$ch", 0, 10) or die "not cut\n";
    # what the clients really got: every complete event or frame
    my $got = PushTest::push_read_until($sse, undef, 10);
    my @ids = $got =~ /^id: (\w+:\d+)\n(?:.*\n)*?\n/mg;
    my $last_sse = $ids[-1] // 'none';
    my ($epoch) = $last_sse =~ /^(\w+):/;
    my $last_ws = 0;
    while (my $f = PushTest::push_ws_frame($ws, 3)) {
        $last_ws = $1 if $f->[1] =~ /^(\d+) z+$/ && length $f->[1] > 4000;
    }
    my $log;
    for (1 .. 50) {
        my $r = PushTest::push_request('GET', '/ids.log');
        $log = $r->{body} if $r && $r->{status} == 200;
        last if $log && $log =~ /^sse $ch /m && $log =~ /^websocket $ch /m;
        select undef, undef, undef, 0.1;
    }
    my ($sse_logged) = ($log // '') =~ /^sse $ch (\S+)$/m;
    my ($ws_logged) = ($log // '') =~ /^websocket $ch (\S+)$/m;
    my $few = $last_sse =~ /:(\d+)$/ && $1 < 40 ? 'cut' : 'all';
    PushTest::push_report('/pub/result',
        "$few sse=" . ($sse_logged eq $last_sse ? 'same'
                                                : "$sse_logged/$last_sse")
        . " ws=" . ($ws_logged eq "$epoch:$last_ws" ? 'same'
                                    : "$ws_logged/$epoch:$last_ws"));
});
--- request
GET /result
--- response_body
cut sse=same ws=same
--- timeout: 30
--- error_log
over push_subscriber_pending_max
--- no_error_log
[error]
