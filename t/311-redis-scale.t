# Several servers at scale (issue 15): readers of one channel share a
# history read, and the lease holder's subscriptions follow the channels
# that changed.  Server A is the runner's; server B the same configuration
# on $TEST_NGINX_SECOND_PORT (PushSecond); a Debian redis-server on
# 127.0.0.1:$TEST_NGINX_REDIS_PORT (PushRedis), stopped by its pid.
use lib 't/helpers';
use PushTest;
use PushRedis;
use PushSecond;
use IO::Select;
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;
$ENV{TEST_NGINX_REDIS_PORT} = redis_port();
$ENV{TEST_NGINX_SECOND_PORT} = second_port();

redis_start();

master_on();
workers(2);
worker_connections(4096);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: 50 subscribers arrive on B with one cursor of a channel B does not hold: a few history reads in Redis, not 50; each gets exactly the missed messages
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
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



=== TEST 2: 1,500 subscribers on 1,500 channels of B leave at once: every Redis subscription is dropped after the delay (one connection queues 1,024 commands)
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 2s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ { push_subscriber; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 90s;
    }
--- init
push_verdict(sub {
    my @out;
    second_start();
    my $ok = eval {
        both_up() or return "never up";
        my $count = sub {
            my $n = () = redis_cli('PUBSUB', 'CHANNELS', '{push:d*')
                         =~ /^\{push:d\d+\}:pubsub$/mg;
            return $n;
        };
        my @subs = on_second(sub {
            map { sse_open("/sub/d$_") } 1 .. 1500;
        });
        my $deadline = time + 20;
        sleep 0.1 while time < $deadline && $count->() < 1500;
        push @out, "subscribed=" . $count->();
        close $_ for @subs;
        my $t0 = time;
        sleep 3;
        push @out, "kept_3s=" . ($count->() == 1500 ? 'all' : $count->());
        $deadline = time + 20;
        sleep 0.1 while time < $deadline && $count->() > 0;
        printf STDERR "# TEST 2 figures: all 1500 dropped %.1f s after "
                      . "they left (%d left)\n", time - $t0, $count->();
        push @out, "later=" . $count->();
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
subscribed=1500 kept_3s=all later=0
--- timeout: 90
--- no_error_log
[error]
[alert]



=== TEST 3: B's lease holder killed (kill -9) while 2,600 channels have subscribers: the new holder subscribes every channel the other worker's subscribers are on, and delivery goes on
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 2s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ { push_subscriber; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 90s;
    }
--- init
push_verdict(sub {
    my @out;
    second_start();
    my $ok = eval {
        both_up() or return "never up";
        my $channels = sub {
            my %c = map { $_ => 1 }
                    redis_cli('PUBSUB', 'CHANNELS', '{push:k*')
                    =~ /^\{push:(k\d+)\}:pubsub$/mg;
            return \%c;
        };
        my %subs = on_second(sub {
            map { ("k$_" => sse_open("/sub/k$_")) } 1 .. 2600;
        });
        my $deadline = time + 20;
        sleep 0.1 while time < $deadline && keys %{ $channels->() } < 2600;
        push @out, "subscribed=" . scalar(keys %{ $channels->() });
        # every subscription connection has its liveness probe (sub=1);
        # the holder's has the channels too
        my $holder_now = sub {
            my ($pid, $most) = (undef, 1);
            for (split /\n/, redis_cli('CLIENT', 'LIST')) {
                next unless /name=push-subscription-(\d+) .*?\bsub=(\d+)/;
                ($pid, $most) = ($1, $2) if $2 > $most;
            }
            return $pid;
        };
        my $holder = $holder_now->() or return "holder not found";
        kill 'KILL', $holder;
        # the killed worker's subscribers see their connection closed
        sleep 1;
        my %closed;
        my %of = map { ($subs{$_} => $_) } keys %subs;
        my $sel = IO::Select->new(values %subs);
        while (my @r = $sel->can_read(0.5)) {
            for my $s (@r) {
                my $buf;
                next if $s->sysread($buf, 65536);
                $closed{$of{$s}} = 1;
                $sel->remove($s);
            }
        }
        my @alive = grep { !$closed{$_} } sort keys %subs;
        push @out, "survivors=" . (@alive > 1024 ? 'over_1024'
                                                 : scalar(@alive));
        $deadline = time + 20;
        my @missing;
        while (time < $deadline) {
            my $h = $holder_now->();
            my $have = $channels->();
            @missing = grep { !$have->{$_} } @alive;
            last if $h && $h != $holder && !@missing;
            sleep 0.2;
        }
        push @out, "missing=" . scalar(@missing);
        my $last = $alive[-1];
        push_request('POST', "/pub/$last", 'after');
        my $t = sse_more($subs{$last}, qr/data: after\n\n/, 3);
        push @out, "delivered=" . ($t =~ /data: after\n\n/ ? 'yes' : 'no');
        close $_ for values %subs;
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
subscribed=2600 survivors=over_1024 missing=0 delivered=yes
--- timeout: 90
--- no_error_log
[error]
[alert]
