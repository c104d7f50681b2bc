# The default timers, in real time (about 35 s): push_longpoll_timeout 30s
# and push_ping_interval 25s on SSE, HTTP streams and WebSockets; "off" sends
# no ping at all.
use lib 't/helpers';
use PushTest;
use IO::Select;
use Time::HiRes ();
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a long-poll waits 30 s by default; idle streams are pinged every 25 s, never with off
--- config
    location ~ ^/off/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_ping_interval off;
    }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber;
        push_channel $ch;
        push_stream_ping ".";
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
        push_longpoll_timeout 60s;
    }
--- init
PushTest::push_in_background(sub {
    my $t0 = Time::HiRes::time();
    my $lp = PushTest::push_connect();
    PushTest::push_send($lp, 'GET', '/sub/idle');
    my $sse = PushTest::push_connect();
    PushTest::push_send($sse, 'GET', '/sub/idle?transport=sse');
    my $st = PushTest::push_connect();
    PushTest::push_send($st, 'GET', '/sub/idle?transport=stream HTTP/1.0');
    my ($ws) = PushTest::push_ws_open('/sub/idle');
    my $off = PushTest::push_connect();
    PushTest::push_send($off, 'GET', '/off/idle HTTP/1.0');
    my %at;
    my %want = ($lp => [lp => qr/\r\n\r\n/], $sse => [sse => qr/\n:\n/],
                $st => [stream => qr/\r\n\r\n\./], $ws => [ws => qr/\x89\x00/]);
    my %buf = map { ($_ => '') } keys %want;
    $buf{$ws} = ${*$ws}{push_rest} // '';
    my $sel = IO::Select->new($lp, $sse, $st, $ws);
    while (keys %at < 4 && Time::HiRes::time() - $t0 < 40) {
        for my $s ($sel->can_read(1)) {
            my $n = $s->sysread($buf{$s}, 4096, length $buf{$s});
            my ($name, $re) = @{ $want{$s} };
            if (!$n) {
                $at{$name} //= 'closed';
                $sel->remove($s);
            } elsif (!defined $at{$name} && $buf{$s} =~ $re) {
                $at{$name} = Time::HiRes::time() - $t0;
            }
        }
    }
    my ($status) = $buf{$lp} =~ m{^HTTP/1\.1 (\d+)};
    # 30 s on, the stream without pings has had its retry line only
    my $quiet = PushTest::push_read_until($off, qr/\n:\n/, 0.5);
    $quiet =~ s/\A.*?\r\n\r\n//s;
    my $in = sub {
        my ($v, $lo, $hi) = @_;
        return $v =~ /^[\d.]+$/ && $v >= $lo && $v < $hi ? 'on time' : $v // 'never';
    };
    PushTest::push_report('/pub/result', join ' ',
        "longpoll=$status:" . $in->($at{lp}, 29.5, 38),
        "sse=" . $in->($at{sse}, 24.5, 33),
        "stream=" . $in->($at{stream}, 24.5, 33),
        "websocket=" . $in->($at{ws}, 24.5, 33),
        "off=" . ($quiet eq "retry: 3000\n\n" ? 'silent' : $quiet));
});
--- request
GET /result
--- response_body
longpoll=304:on time sse=on time stream=on time websocket=on time off=silent
--- timeout: 50
--- no_error_log
[error]
