# Two workers: a message published in one reaches subscribers held by the
# other at once; counts are kept across workers; a killed worker's are
# dropped.
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

=== TEST 1: a publish through one worker wakes a long-poll held by the other
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $by = push_by_worker('/pid', 2);
    my ($w1, $w2) = sort keys %$by;
    die "one worker only\n" unless $w2;
    my @lat;
    for my $i (1 .. 20) {
        # subscribe on one worker, publish on the other, both ways
        my ($sw, $pw) = $i % 2 ? ($w1, $w2) : ($w2, $w1);
        push_send($by->{$sw}, 'GET', '/sub/x');
        push_wait_subscribers('/pub/x', 1) or die "never parked\n";
        my $t0 = time;
        push_send($by->{$pw}, 'POST', '/pub/x', "m$i");
        my $p = push_read($by->{$pw}, 2);
        my $r = push_read($by->{$sw}, 2);
        die "lost m$i\n" unless $r && $r->{body} eq "m$i";
        die "publish $p->{status}\n" unless $p->{status} == 201;
        push @lat, $r->{at} - $t0;
    }
    my ($max) = sort { $b <=> $a } @lat;
    push_report('/pub/result', $max < 0.05 ? "20 delivered across workers"
                                           : "slow: max ${max}s");
});
--- request
GET /result
--- response_body
20 delivered across workers
--- timeout: 10
--- no_error_log
[error]
[alert]



=== TEST 2: many subscribers on both workers all get every message, in order
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $n = 16;
    my @socks = map { push_connect() } 1 .. $n;
    my @cursor = (undef) x $n;
    my @got = map { [] } 1 .. $n;
    for my $m (1 .. 5) {
        for my $i (0 .. $n - 1) {
            push_send($socks[$i], 'GET', '/sub/fan', undef,
                      $cursor[$i] ? ["If-None-Match: \"$cursor[$i]\""] : []);
        }
        push_wait_subscribers('/pub/fan', $n) or die "not all parked\n";
        push_request('POST', '/pub/fan', "m$m");
        for my $i (0 .. $n - 1) {
            my $r = push_read($socks[$i], 2) or die "no answer\n";
            push @{ $got[$i] }, $r->{body};
            $cursor[$i] = push_etag($r);
        }
    }
    my %distinct = map { join(',', @$_) => 1 } @got;
    push_report('/pub/result', join(' | ', keys %distinct));
});
--- request
GET /result
--- response_body
m1,m2,m3,m4,m5
--- timeout: 10
--- no_error_log
[error]
[alert]



=== TEST 3: channel info counts subscribers of both workers
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $by = push_by_worker('/pid', 2);
    die "one worker only\n" unless keys %$by == 2;
    push_send($_, 'GET', '/sub/count') for values %$by;
    my $two = push_wait_subscribers('/pub/count', 2);
    close $_ for values %$by;
    my $zero = push_wait_subscribers('/pub/count', 0, 2);
    push_report('/pub/result', "two=$two zero=$zero");
});
--- request
GET /result
--- response_body
two=1 zero=1
--- no_error_log
[error]
[alert]



=== TEST 4: a killed worker's subscribers are dropped and its successor serves
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my ($runner) = @_;
    my $by = push_by_worker('/pid', 2);
    # never the worker that carries this block's own request
    my ($victim) = grep { $_ != $runner } keys %$by;
    my ($other) = grep { $_ == $runner } keys %$by;
    die "one worker only\n" unless $victim && $other;
    push_send($by->{$victim}, 'GET', '/sub/crash');
    push_send($by->{$other}, 'GET', '/sub/crash');
    push_wait_subscribers('/pub/crash', 2) or die "never parked\n";
    kill 'KILL', $victim;
    # the master respawns it; the new worker drops the dead one's count
    my $one = push_wait_subscribers('/pub/crash', 1, 5);
    my $p = push_request('POST', '/pub/crash', 'after');
    my $r = push_read($by->{$other}, 2);
    my $fresh = push_by_worker('/pid', 2);
    my $respawned = grep { $_ != $victim && $_ != $other } keys %$fresh;
    return "one=$one status=$p->{status} got=$r->{body} "
           . "respawned=$respawned";
});
--- request
GET /result
--- response_body
one=1 status=201 got=after respawned=1
--- timeout: 10
--- error_log
exited on signal 9
--- no_error_log
[crit]
[emerg]
was locked by
