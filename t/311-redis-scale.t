# Several servers at scale (issue 15): readers of one channel share a
# history read, and the lease holder's subscriptions follow the channels
# that changed.  Server A is the runner's; server B the same configuration
# on $TEST_NGINX_SECOND_PORT (PushSecond); a Debian redis-server on
# 127.0.0.1:$TEST_NGINX_REDIS_PORT (PushRedis), stopped by its pid.
use lib 't/helpers';
use PushTest;
use PushRedis;
use PushSecond;
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;
$ENV{TEST_NGINX_REDIS_PORT} = redis_port();
$ENV{TEST_NGINX_SECOND_PORT} = second_port();

redis_start();

master_on();
workers(2);
worker_connections(1024);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: 50 subscribers arrive on B with one cursor of a channel B does not hold: a few history reads in Redis, not 50; each gets exactly the missed messages
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_experimental on;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 2s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 10;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_message_buffer 10;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
push_verdict(sub {
    my @out;
    second_start();
    my $ok = eval {
        both_up() or return "never up";
        my $r = push_request('POST', '/pub/s1', 'm1');
        $r = push_request('POST', '/pub/s1', 'm2');
        my ($cursor) = $r->{body} =~ /"last_message_id":"([^"]+)"/;
        (my $e = $cursor) =~ s/:.*//;
        push_request('POST', '/pub/s1', "m$_") for 3 .. 5;
        my $evals = sub {
            my $t = redis_cli('INFO', 'commandstats');
            my $n = 0;
            # the scripts run: a NOSCRIPT (failed) EVALSHA is sent again
            # as EVAL, which runs it
            while ($t =~ /^cmdstat_eval(?:sha)?:calls=(\d+)\S*?failed_calls=(\d+)/mg) {
                $n += $1 - $2;
            }
            return $n;
        };
        redis_cli('CONFIG', 'RESETSTAT');
        my $before = $evals->();
        # all connected first, then the 50 requests written back to back
        my @subs = on_second(sub { map { PushTest::push_connect() } 1 .. 50 });
        for my $s (@subs) {
            PushTest::push_send($s, 'GET', '/sub/s1 HTTP/1.0', undef,
                                ['Accept: text/event-stream',
                                 "Last-Event-ID: $cursor"]);
            ${*$s}{sse_text} = '';
        }
        my %got;
        for my $s (@subs) {
            my $t = sse_more($s, qr/data: m5\n\n/, 10);
            # a little longer: nothing more may come
            $t = sse_more($s, qr/data: m6\n\n/, 0.05);
            $t =~ s/^.*?\r\n\r\n(retry: \d+\n\n)?//s;
            $t =~ s/^:[^\n]*\n//mg;
            $t =~ s/\Q$e\E:/E:/g;
            $t =~ s/\n/|/g;
            $got{$t}++;
        }
        my $reads = $evals->() - $before;
        my $st = on_second(sub { redis_stats() }) || {};
        my $catchups = $st->{catchups_total} // 0;
        my $fetches = $st->{history_reads_total} // 0;
        print STDERR "# TEST 1 figures: 50 subscribers, scripts run in "
                     . "Redis $reads, of which B's catch-ups $catchups, "
                     . "B's history reads for cursors $fetches\n";
        push @out, join(' ', map { "$got{$_}x[$_]" } sort keys %got);
        push @out, "cursor_reads=" . ($reads - $catchups <= 2
                                      ? 'few' : $reads - $catchups);
        push @out, "b_reads=" . ($fetches <= 2 ? 'few' : $fetches);
        close $_ for @subs;
        1;
    };
    my $err = $@;
    second_stop();
    my @bad = second_log_problems();
    push @out, "B_log: $bad[0]" if @bad;
    return $ok eq '1' ? join(' ', @out) : ($ok // "died: $err");
});
--- request
GET /result
--- response_body
50x[id: E:3|data: m3||id: E:4|data: m4||id: E:5|data: m5||] cursor_reads=few b_reads=few
--- timeout: 60
--- no_error_log
[error]
[alert]
