# push_websocket_client_heartbeat: a client's message answered, never
# published (browsers cannot send WebSocket pings), and a flood of them
# bounded as pings are (t/163-ping-flood.t).
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

=== TEST 1: the heartbeat is answered with a text frame and never published; other messages still are, a near miss included
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_publish on;
        push_websocket_client_heartbeat ping-hb pong-hb;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my ($peer) = PushTest::push_ws_open('/ws/h');
    my ($s) = PushTest::push_ws_open('/ws/h',
                                     ['Sec-WebSocket-Protocol: push.v1.json']);
    PushTest::push_wait_subscribers('/pub/h', 2, 10)
        or die "never subscribed\n";
    my @got;
    PushTest::push_ws_send($s, 0x1, 'ping-hb');
    my $f = PushTest::push_ws_frame($s, 5);
    push @got, $f ? "$f->[0]:$f->[1]" : 'none';
    # in two fragments, then a near miss and a longer one: those publish
    PushTest::push_ws_send($s, 0x1, 'ping', 0);
    PushTest::push_ws_send($s, 0x0, '-hb', 1);
    $f = PushTest::push_ws_frame($s, 5);
    push @got, $f ? "$f->[0]:$f->[1]" : 'none';
    PushTest::push_ws_send($s, 0x1, 'ping-h');
    PushTest::push_ws_send($s, 0x1, 'ping-hbx');
    my @peer;
    while (my $p = PushTest::push_ws_frame($peer, 2)) {
        push @peer, $p->[1];
    }
    my $info = PushTest::push_request('GET', '/pub/h')->{body};
    my ($n) = $info =~ /"messages":(\d+)/;
    PushTest::push_report('/pub/result',
        "answers=" . join(',', @got) . " peer=" . join(',', @peer)
        . " stored=$n");
});
--- request
GET /result
--- timeout: 20
--- response_body
answers=1:pong-hb,1:pong-hb peer=ping-h,ping-hbx stored=2
--- no_error_log
[error]



=== TEST 2: with publishing off the heartbeat is answered all the same, and an empty answer is a valid empty text frame
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_client_heartbeat hb "";
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my ($s) = PushTest::push_ws_open('/ws/e');
    PushTest::push_ws_send($s, 0x1, 'hb');
    my $f = PushTest::push_ws_frame($s, 5);
    PushTest::push_report('/pub/result',
        $f ? "op=$f->[0] len=" . length($f->[1]) : 'none');
});
--- request
GET /result
--- timeout: 15
--- response_body
op=1 len=0
--- no_error_log
[error]



=== TEST 3: a heartbeat of more than 125 bytes is refused when the configuration is read
--- config
    location = /ws {
        push_subscriber websocket;
        push_channel a;
        push_websocket_client_heartbeat "" pong;
    }
--- must_die
--- error_log
push_websocket_client_heartbeat "" "pong": the message must be 1 to 125 bytes and the answer at most 125



=== TEST 4: 70,000 heartbeats from a client that does not read: few answers, memory and CPU flat, others served, and the next heartbeat answered
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=4k;
        location ~ ^/ws/(?<ch>\w+)$ {
            push_subscriber websocket;
            push_channel $ch;
            push_websocket_client_heartbeat hb answer;
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
            $buf .= PushTest::ws_frame_bytes(0x1, 'hb');
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

    # then read what came, until a quiet while: few answers
    my $answers = 0;
    $deadline = Time::HiRes::time() + 90;
    while (Time::HiRes::time() < $deadline) {
        my $f = PushTest::push_ws_frame($s, 3) or last;
        $answers++ if $f->[0] == 0x1 && $f->[1] eq 'answer';
    }
    # and the connection still answers a heartbeat
    PushTest::push_ws_send($s, 0x1, 'hb');
    my $f = PushTest::push_ws_frame($s, 10);
    my $after = $f && $f->[0] == 0x1 && $f->[1] eq 'answer';
    my ($rss1, $cpu1) = worker_figures($pid);
    my $grew = $rss1 - $rss0;
    my $cpu = $cpu1 - $cpu0;
    my $stored = PushTest::push_request('GET', '/pub/flood')->{body}
                 =~ /"messages":0,/ ? 'none' : 'some';
    PushTest::push_report('/pub/result',
        "next=" . ($after ? 'answered' : 'no')
        . " answers=" . ($answers < 10000 ? 'few' : $answers)
        . " stored=$stored"
        . " rss=" . ($grew < 4096 ? 'flat' : "+${grew}kB")
        . " cpu=" . ($cpu < 1.5 ? 'low' : "${cpu}s")
        . " others=" . ($slowest < 1 ? 'prompt' : "${slowest}s"));
    warn "heartbeat flood: answers=$answers rss=+${grew}kB cpu=${cpu}s "
         . "slowest other request ${slowest}s\n";
});
--- request
GET /result
--- response_body
next=answered answers=few stored=none rss=flat cpu=low others=prompt
--- timeout: 200
--- no_error_log
[error]
