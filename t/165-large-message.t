# push_subscriber_pending_max bounds what waits behind the write that is
# leaving: one message larger than the cap (push_websocket_max_message_size
# and the cap are both 1m by default) reaches a client that reads, whole;
# a client that does not read is still cut once more than the cap waits
# behind it.
use lib 't/helpers';
use PushTest;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_SLOW_PORT} ||= 1987;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a message larger than the cap reaches a reading SSE and WebSocket subscriber whole, then the next
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=4k;
        location ~ ^/sub/(?<ch>\w+)$ {
            push_subscriber sse websocket;
            push_channel $ch;
            push_subscriber_pending_max 64k;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        client_max_body_size 1m;
        client_body_buffer_size 1m;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
        push_longpoll_timeout 60s;
    }
--- init
sub slow_socket {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_SLOW_PORT})
        or die "slow: $!\n";
    setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096);
    return $s;
}
PushTest::push_in_background(sub {
    my $sse = slow_socket();
    PushTest::push_send($sse, 'GET', '/sub/big HTTP/1.0', undef,
                        ['Accept: text/event-stream']);
    my ($ws, $head) = PushTest::push_ws_open('/sub/big', [], '',
                                             slow_socket());
    die "ws: $head\n" unless $head =~ / 101 /;
    PushTest::push_wait_subscribers('/pub/big', 2)
        or die "subscribers did not arrive\n";
    my $r = PushTest::push_request('POST', '/pub/big', 'B' x 300000);
    my $r2 = PushTest::push_request('POST', '/pub/big', 'after');
    my ($got, $raw) = ('', ${*$ws}{push_rest} // '');
    my %buf = ($sse => \$got, $ws => \$raw);
    my $sel = IO::Select->new($sse, $ws);
    my $deadline = time + 40;
    while (time < $deadline && $sel->count) {
        for my $h ($sel->can_read(1)) {
            my $n = $h->sysread(${ $buf{$h} }, 16384, length ${ $buf{$h} });
            $sel->remove($h) unless $n;
        }
        last if $got =~ /data: after\n\n/ && $raw =~ /after\z/;
    }
    my $sse_big = $got =~ /^data: (B+)\n\n/m ? length $1 : 0;
    my $sse_after = $got =~ /data: after\n\n/ ? 1 : 0;
    my @ws;
    while (length $raw >= 2) {
        my ($b0, $b1) = unpack('CC', $raw);
        my ($len, $hl) = ($b1 & 0x7f, 2);
        if ($len == 126) {
            last if length $raw < 4;
            ($len, $hl) = (unpack('n', substr($raw, 2, 2)), 4);
        } elsif ($len == 127) {
            last if length $raw < 10;
            ($len, $hl) = (unpack('N', substr($raw, 6, 4)), 10);
        }
        last if length $raw < $hl + $len;
        push @ws, substr($raw, $hl, $len) if ($b0 & 0x0f) == 1;
        substr($raw, 0, $hl + $len) = '';
    }
    my $ws_big = (grep { /^B+\z/ } @ws) ? length((grep { /^B+\z/ } @ws)[0])
                                         : 0;
    my $ws_after = (grep { $_ eq 'after' } @ws) ? 1 : 0;
    PushTest::push_report('/pub/result',
        "published=$r->{status},$r2->{status} sse=$sse_big,$sse_after"
        . " ws=$ws_big,$ws_after");
});
--- request
GET /result
--- response_body
published=201,201 sse=300000,1 ws=300000,1
--- timeout: 50
--- no_error_log
[error]
over push_subscriber_pending_max



=== TEST 2: a client that does not read is still cut once more than the cap waits behind a large message
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=4k;
        location ~ ^/sub/(?<ch>\w+)$ {
            push_subscriber sse;
            push_channel $ch;
            push_subscriber_pending_max 64k;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        client_max_body_size 1m;
        client_body_buffer_size 1m;
    }
    location = /stats {
        push_stats;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
        push_longpoll_timeout 60s;
    }
--- init
PushTest::push_in_background(sub {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_SLOW_PORT})
        or die "slow: $!\n";
    setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096);
    PushTest::push_send($s, 'GET', '/sub/idle HTTP/1.0', undef,
                        ['Accept: text/event-stream']);
    PushTest::push_wait_subscribers('/pub/idle', 1)
        or die "subscriber did not arrive\n";
    PushTest::push_request('POST', '/pub/idle', 'B' x 300000);
    my $after_big = PushTest::push_request('GET', '/pub/idle');
    my $kept = $after_big->{body} =~ /"subscribers":1/ ? 'kept' : 'cut';
    # 20 x 8 KB: more than the cap waits behind the large one
    PushTest::push_request('POST', '/pub/idle', 's' x 8192) for 1 .. 20;
    my $cut = PushTest::push_wait_subscribers('/pub/idle', 0, 10)
        ? 'cut' : 'kept';
    my $st = PushTest::push_request('GET', '/stats');
    my ($slow) = $st->{body} =~ /"slow_closed_total":(\d+)/;
    close $s;
    PushTest::push_report('/pub/result',
        "after_big=$kept after_more=$cut slow_closed=" . ($slow // 'none'));
});
--- request
GET /result
--- response_body
after_big=kept after_more=cut slow_closed=1
--- timeout: 30
--- error_log
over push_subscriber_pending_max
--- no_error_log
[error]
