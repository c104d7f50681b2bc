# Subscribers cut by the server, each for its own reason: over
# push_subscriber_pending_max, or nothing written for send_timeout (counted
# from the last byte that left, so a slow but steady reader is never cut).
# Separate counters (JSON and Prometheus) and log lines.
use lib 't/helpers';
use PushTest;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_SLOW_PORT} ||= 1987;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: send_timeout counts from the last progress: a steady reader at ~100 KB/s is never cut
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=4k;
        location ~ ^/sub/(?<ch>\w+)$ {
            push_subscriber sse;
            push_channel $ch;
            push_subscriber_pending_max 8m;
            send_timeout 2s;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 100;
    }
    location = /stats { push_stats; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
        push_longpoll_timeout 70s;
    }
--- init
PushTest::push_in_background(sub {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_SLOW_PORT})
        or die "slow: $!\n";
    setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096);
    PushTest::push_send($s, 'GET', '/sub/steady HTTP/1.0', undef,
                        ['Accept: text/event-stream']);
    PushTest::push_wait_subscribers('/pub/steady', 1)
        or die "never subscribed\n";
    my $p = PushTest::push_connect();
    for my $i (1 .. 20) {
        PushTest::push_send($p, 'POST', '/pub/steady',
                            "$i " . ('x' x 32768));
        PushTest::push_read($p, 5);
    }
    # about 100 KB/s, never a pause near send_timeout: 6 s or more for
    # all, three times send_timeout
    my ($buf, $eof, $t0) = ('', 0, Time::HiRes::time());
    my $sel = IO::Select->new($s);
    while ($buf !~ /data: 20 x+\n\n/
           && Time::HiRes::time() - $t0 < 60)
    {
        next unless $sel->can_read(1);
        my $n = $s->sysread($buf, 16384, length $buf);
        if (!$n) { $eof = 1; last; }
        Time::HiRes::sleep($n / 100000);
    }
    my $got = () = $buf =~ /data: \d+ x+\n\n/g;
    my $secs = Time::HiRes::time() - $t0 > 5 ? 'over5s' : 'under5s';
    my ($to) = PushTest::push_request('GET', '/stats')->{body}
               =~ /"send_timeout_closed_total":(\d+)/;
    PushTest::push_report('/pub/result', "got=$got eof=$eof $secs "
                          . "send_timeout_closed=" . ($to // 'none'));
});
--- request
GET /result
--- response_body
got=20 eof=0 over5s send_timeout_closed=0
--- timeout: 70
--- no_error_log
[error]
nothing sent for send_timeout



=== TEST 2: over the cap and send_timeout: two counters, two log lines, in JSON and Prometheus
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=4k;
        location ~ ^/cap/(?<ch>\w+)$ {
            push_subscriber sse;
            push_channel $ch;
            push_subscriber_pending_max 32k;
        }
        location ~ ^/still/(?<ch>\w+)$ {
            push_subscriber sse;
            push_channel $ch;
            push_subscriber_pending_max 8m;
            send_timeout 1s;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 100;
    }
    location = /stats { push_stats; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
        push_longpoll_timeout 70s;
    }
--- init
PushTest::push_in_background(sub {
    my @keep;
    for my $path ('/cap/one', '/still/two') {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $ENV{TEST_NGINX_SLOW_PORT})
            or die "slow: $!\n";
        setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096);
        PushTest::push_send($s, 'GET', "$path HTTP/1.0", undef,
                            ['Accept: text/event-stream']);
        push @keep, $s;
    }
    PushTest::push_wait_subscribers('/pub/one', 1) or die "one\n";
    PushTest::push_wait_subscribers('/pub/two', 1) or die "two\n";
    my $p = PushTest::push_connect();
    for my $i (1 .. 20) {
        for my $ch ('one', 'two') {
            PushTest::push_send($p, 'POST', "/pub/$ch", 'y' x 8192);
            PushTest::push_read($p, 5);
        }
    }
    my $gone = PushTest::push_wait_subscribers('/pub/one', 0, 10)
               && PushTest::push_wait_subscribers('/pub/two', 0, 10);
    my $json = PushTest::push_request('GET', '/stats')->{body};
    my %j = $json =~ /"(\w+_closed_total)":(\d+)/g;
    my $prom = PushTest::push_request('GET', '/stats?format=prometheus')
               ->{body};
    my %p = $prom =~ /^nginx_push_(\w+_closed_total) (\d+)$/mg;
    PushTest::push_report('/pub/result', "gone=" . ($gone ? 1 : 0)
        . join('', map { " $_=" . ($j{"${_}_closed_total"} // 'none') . '/'
                         . ($p{"${_}_closed_total"} // 'none') }
                   qw(slow send_timeout write_error)));
});
--- request
GET /result
--- response_body
gone=1 slow=1/1 send_timeout=1/1 write_error=0/0
--- timeout: 30
--- error_log
over push_subscriber_pending_max
nothing sent for send_timeout
--- no_error_log
[error]
