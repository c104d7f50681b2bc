# Wake-up rounds: a round visits several channels and any delivery may end
# the subscriber it was given; a message at a subscriber's cursor is never
# sent again.
use lib 't/helpers';
use PushTest;
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

master_on();
workers(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a subscriber of two channels answered during a round that visits both
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /multi {
        push_subscriber longpoll sse;
        push_channel $arg_a $arg_b;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    my ($runner) = @_;
    my @out;
    # the scenario runs in the worker that does not carry this request,
    # so that a crash there cannot take the verdict with it
    for my $round (1 .. 3) {
        my $by = PushTest::push_by_worker('/pid', 2);
        my ($w) = grep { $_ != $runner } keys %$by;
        die "one worker only\n" unless $w;
        my $c = $by->{$w};
        my ($x, $y) = ("x$round", "y$round");
        PushTest::push_send($c, 'GET', "/multi?a=$x&b=$y");
        PushTest::push_wait_subscribers("/pub/$x", 1)
            or die "never parked\n";
        PushTest::push_wait_subscribers("/pub/$y", 1)
            or die "never parked\n";
        # both stored before this worker's round, which visits both
        my $req = '';
        for my $ch ($x, $y) {
            $req .= "POST /pub/$ch HTTP/1.1\r\nHost: localhost\r\n"
                    . "Content-Length: 2\r\n\r\nm$round";
        }
        my $p = PushTest::push_connect();
        # the publishes must reach the subscriber's worker
        my $pw;
        for (1 .. 64) {
            PushTest::push_send($p, 'GET', '/pid');
            my $r = PushTest::push_read($p, 5) or die "no pid\n";
            ($pw = $r->{body}) =~ s/\s+//g;
            last if $pw == $w;
            close $p;
            $p = PushTest::push_connect();
        }
        die "never reached worker $w\n" unless $pw == $w;
        $p->syswrite($req);
        my @st = map { my $r = PushTest::push_read($p, 5);
                       $r ? $r->{status} : 'none' } 1 .. 2;
        my $r = PushTest::push_read($c, 5);
        # the same connection is served on by the same worker after it
        PushTest::push_send($c, 'GET', '/pid');
        my $q = PushTest::push_read($c, 5);
        my $alive = $q && $q->{body} =~ /^\s*$w\s*$/ ? 'alive' : 'gone';
        push @out, "round $round: publish @st, long-poll "
                   . ($r ? "$r->{status} $r->{body}" : 'none')
                   . ", worker $alive";
    }
    return join "\n", @out;
});
--- request
GET /result
--- response_body
round 1: publish 201 201, long-poll 200 m1, worker alive
round 2: publish 201 201, long-poll 200 m2, worker alive
round 3: publish 201 201, long-poll 200 m3, worker alive
--- timeout: 30
--- no_error_log
[error]
[alert]
