# A WebSocket client that floods pings and never reads: pongs are
# coalesced (RFC 6455 5.5.3: a pong may answer only the most recent ping),
# so the worker holds one pong, not one per ping, spends little CPU on the
# flood and keeps serving its other connections.
use lib 't/helpers';
use PushTest;
use POSIX ();
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_SLOW_PORT} ||= 1987;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: 70,000 pings from a client that does not read: few pongs, the last one for the last ping, memory and CPU flat
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=4k;
        location ~ ^/ws/(?<ch>\w+)$ {
            push_subscriber websocket;
            push_channel $ch;
        }
    }
--- config
    location = /pid { return 200 $pid; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
        push_longpoll_timeout 120s;
    }
--- init
sub worker_figures {
    my ($pid) = @_;
    open my $st, '<', "/proc/$pid/status" or die "status: $!\n";
    my ($rss) = join('', <$st>) =~ /^RssAnon:\s+(\d+) kB/m;
    open my $fh, '<', "/proc/$pid/stat" or die "stat: $!\n";
    my @f = split ' ', (split /\) /, scalar <$fh>)[1];
    # utime and stime, fields 14 and 15 of stat(5)
    my $cpu = ($f[11] + $f[12]) / POSIX::sysconf(POSIX::_SC_CLK_TCK());
    return ($rss, $cpu);
}
PushTest::push_in_background(sub {
    my $pid = PushTest::push_request('GET', '/pid')->{body};
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_SLOW_PORT})
        or die "slow: $!\n";
    setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096);
    my (undef, $head) = PushTest::push_ws_open('/ws/flood', [], '', $s);
    die "ws: $head\n" unless $head =~ / 101 /;
    PushTest::push_wait_subscribers('/pub/flood', 1) or die "no sub\n";
    my ($rss0, $cpu0) = worker_figures($pid);

    my $n = 70000;
    my $writer = fork // die "fork: $!\n";
    if ($writer == 0) {
        my $buf = '';
        for my $i (1 .. $n) {
            $buf .= PushTest::ws_frame_bytes(0x9, sprintf('p%06d', $i));
            if (length $buf > 65536 || $i == $n) {
                $s->syswrite($buf) == length $buf or POSIX::_exit(1);
                $buf = '';
            }
        }
        POSIX::_exit(0);
    }

    # other requests while the worker reads the flood
    my ($slowest, $deadline) = (0, Time::HiRes::time() + 90);
    while (waitpid($writer, POSIX::WNOHANG()) == 0
           && Time::HiRes::time() < $deadline)
    {
        my $t0 = Time::HiRes::time();
        my $r = PushTest::push_request('GET', '/pid');
        my $took = $r ? Time::HiRes::time() - $t0 : 99;
        $slowest = $took if $took > $slowest;
        Time::HiRes::sleep(0.05);
    }

    # then read: the pong for the last ping must come, with few before it
    my ($pongs, $last) = (0, '');
    $deadline = Time::HiRes::time() + 90;
    while ($last ne sprintf('p%06d', $n)
           && Time::HiRes::time() < $deadline)
    {
        my $f = PushTest::push_ws_frame($s, 10) or last;
        next unless $f->[0] == 0xA;
        $pongs++;
        $last = $f->[1];
    }
    my ($rss1, $cpu1) = worker_figures($pid);
    my $grew = $rss1 - $rss0;
    my $cpu = $cpu1 - $cpu0;
    PushTest::push_report('/pub/result',
        "last=" . ($last eq sprintf('p%06d', $n) ? 'answered' : $last)
        . " pongs=" . ($pongs < 10000 ? 'few' : $pongs)
        . " rss=" . ($grew < 4096 ? 'flat' : "+${grew}kB")
        . " cpu=" . ($cpu < 1.5 ? 'low' : "${cpu}s")
        . " others=" . ($slowest < 1 ? 'prompt' : "${slowest}s"));
    warn "ping flood: pongs=$pongs rss=+${grew}kB cpu=${cpu}s "
         . "slowest other request ${slowest}s\n";
});
--- request
GET /result
--- response_body
last=answered pongs=few rss=flat cpu=low others=prompt
--- timeout: 200
--- no_error_log
[error]
