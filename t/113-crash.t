# kill -9 of a worker that holds subscribers of every transport while a
# publisher publishes steadily: the zone stays sound, the survivor's
# subscribers get every message, the dead worker's counts go, and its
# successor serves.
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

=== TEST 1: a worker killed under load: delivery and publishing go on, counts and stats are right
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 1000;
    }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber sse websocket longpoll stream;
        push_channel $ch;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my ($runner) = @_;
    my $epoch = push_epoch(push_request('POST', '/pub/crash', 'm0'));
    my (%sub, $victim);
    for my $kind (qw(sse ws lp stream)) {
        my $by = push_by_worker('/pid', 2);
        ($victim) = grep { $_ != $runner } keys %$by;
        die "one worker only\n" unless $victim && $by->{$runner};
        my $path = $kind eq 'stream' ? '/sub/crash?transport=stream'
                                     : '/sub/crash';
        for my $pid ($victim, $runner) {
            my $s = $by->{$pid};
            if ($kind eq 'ws') {
                push_ws_open('/sub/crash', [], '', $s);
            } else {
                push_send($s, 'GET', $path, undef,
                          $kind eq 'sse' ? ['Accept: text/event-stream']
                                         : []);
            }
            $sub{"$kind-$pid"} = $s;
        }
    }
    push_wait_subscribers('/pub/crash', 8) or die "not all subscribed\n";

    # publish through the surviving worker, steadily; kill in the middle
    my $p = push_by_worker('/pid', 2)->{$runner};
    my %status;
    for my $i (1 .. 100) {
        kill 'KILL', $victim if $i == 30;
        push_send($p, 'POST', '/pub/crash', "m$i");
        my $r = push_read($p, 2);
        $status{$r ? $r->{status} : 'none'}++;
        sleep 0.005;
    }
    my @out = (join ',', map { "$_=$status{$_}" } sort keys %status);

    # the survivor's SSE subscriber has every message, with exact ids
    my $ev = push_read_until($sub{"sse-$runner"}, qr/data: m100\n\n/, 3);
    my @ids = $ev =~ /^id: \w+:(\d+)\ndata: m(\d+)$/mg;
    my $ok = @ids == 200;
    for (my $k = 0; $k < @ids; $k += 2) {
        $ok = 0 unless $ids[$k] == $ids[$k + 1] + 1
                       && $ids[$k + 1] == $k / 2 + 1;
    }
    push @out, "survivor_sse=" . ($ok ? 'all' : scalar(@ids) / 2);

    # the survivor's SSE, WebSocket and stream stay (its long-poll was
    # answered); the dead worker's are dropped
    push @out, "three=" . push_wait_subscribers('/pub/crash', 3, 5);

    # the zone adds up
    my $st = push_request('GET', '/stats')->{body};
    my %st = $st =~ /"(\w+)":(\d+)/g;
    push @out, "stats=" . ($st{messages} == 101 && $st{channels} == 1
                           && $st{published_total} == 101
                           && $st{subscribers} == 3 ? 'right' : $st);

    # the successor serves a resuming subscriber
    my $fresh = push_by_worker('/pid', 2);
    my ($new) = grep { $_ != $runner && $_ != $victim } keys %$fresh;
    my $r;
    if ($new) {
        push_send($fresh->{$new}, 'GET', '/sub/crash', undef,
                  ["If-None-Match: \"$epoch:100\""]);
        $r = push_read($fresh->{$new}, 2);
    }
    push @out, "successor=" . ($r ? $r->{body} : 'none');
    return "@out";
});
--- request
GET /result
--- response_body
201=100 survivor_sse=all three=1 stats=right successor=m100
--- timeout: 20
--- error_log
exited on signal 9
--- no_error_log eval
# nginx's own alert for the kill is the only one
[qr/\[alert\](?!.* exited on signal 9$)/m, qr/\[error\]/, qr/\[crit\]/,
 qr/\[emerg\]/, "was locked by"]
