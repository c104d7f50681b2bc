# The link to Redis (push_redis_server): each worker's connections come
# up, survive Redis being killed, restarted, paused and cutting the
# subscription connections, back off instead of looping, log once per
# outage, and are shown in push_stats.  A real Debian redis-server runs on
# 127.0.0.1:$TEST_NGINX_REDIS_PORT (29379), started and stopped here by
# its pid.
use lib 't/helpers';
use PushTest;
use PushRedis;
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;
$ENV{TEST_NGINX_REDIS_PORT} = redis_port();

redis_start();

master_on();
workers(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: both workers' links come up, with a round-trip latency
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /stats { push_stats; }
--- init
redis_wait_stats(sub { $_[0]{workers_up} == 2
                       && $_[0]{latency_count} > 0 }, 5)
    or die "the link did not come up\n";
--- request
GET /stats
--- response_body_like eval
qr/"redis":\{"state":"up","workers_up":2,"workers_connecting":0,"workers_down":0,"reconnects_total":0,"commands_total":[1-9]\d*,"in_flight":\d+,"errors_total":0,"latency_last_ms":\d+\.\d{3},"latency_sum_ms":\d+\.\d{3},"latency_count":[1-9]\d*,"workers":\[\{"pid":\d+,"state":"up","in_flight":\d+,"latency_last_ms":\d+\.\d{3}\},\{"pid":\d+,"state":"up",/
--- no_error_log
[warn]
[error]



=== TEST 2: Prometheus has the link's figures
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /stats { push_stats; }
--- init
redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 5)
    or die "the link did not come up\n";
--- request
GET /stats?format=prometheus
--- response_body_like eval
qr/^nginx_push_redis_workers\{state="up"\} 2\n.*^# TYPE nginx_push_redis_reconnects_total counter\n.*^nginx_push_redis_commands_total [1-9]\d*\n.*^# TYPE nginx_push_redis_in_flight gauge\n.*^nginx_push_redis_latency_samples_total [1-9]\d*\n.*^nginx_push_redis_worker_up\{pid="\d+"\} 1\n/ms
--- no_error_log
[error]



=== TEST 3: Redis killed: down at once, backoff not a loop, one warn per worker, nginx serves; restarted: up again
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
    push_redis_reconnect 100ms 1s;
    push_redis_ping_interval 1s;
--- config
    location = /pid { return 200 "$pid"; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 5)
        or return "never up";
    my $before = redis_stats();
    my $t0 = time;
    redis_stop();
    my $down = redis_wait_stats(sub { $_[0]{workers_down} == 2 }, 5);
    my $down_s = time - $t0;
    push @out, sprintf "down=%s in_time=%s", $down ? 'yes' : 'no',
        $down && $down_s < 1.5 ? 'yes' : 'no';
    my $served = push_request('GET', '/pid');
    push @out, "served=" . ($served ? $served->{status} : 'none');
    # 3 s of outage: 2 workers x 2 connections, backing off from 100 ms
    # to 1 s, try a few times each, not thousands
    my $r0 = redis_stats()->{reconnects_total};
    sleep 3;
    my $s3 = redis_stats();
    my $tries = $s3->{reconnects_total} - $r0;
    push @out, "tries_3s=$tries bounded=" . ($tries >= 4 && $tries <= 40
                                             ? 'yes' : 'no');
    push @out, "errors_grew=" . ($s3->{errors_total}
                                 > $before->{errors_total} ? 'yes' : 'no');
    redis_start();
    my $t1 = time;
    my $up = redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 5);
    push @out, sprintf "up_again=%s", $up ? 'yes' : 'no';
    push @out, "reconnects_counted=" . ($up && $up->{reconnects_total}
                                        > $before->{reconnects_total}
                                        ? 'yes' : 'no');
    my @warn = redis_log_lines(qr/\[warn\].*push: redis .* is down/);
    my %per;
    $per{$_}++ for map { /\[warn\] (\d+)#/ ? $1 : () } @warn;
    push @out, "warns=" . scalar(@warn) . " per_worker="
               . join(',', sort values %per);
    my @up = redis_log_lines(qr/\[notice\].*push: redis .* is up again/);
    push @out, "notices=" . scalar(@up);
    print STDERR sprintf "# TEST 3 figures: down after %.3f s, %d tries "
                         . "in 3 s, up %.3f s after the restart\n",
                         $down_s, $tries, time - $t1;
    return join ' ', @out;
});
--- request
GET /result
--- response_body
down=yes in_time=yes served=200 tries_3s=OK errors_grew=yes up_again=yes reconnects_counted=yes warns=2 per_worker=1,1 notices=2
--- response_body_filters eval
sub { my $t = $_[0]; $t =~ s/tries_3s=\d+ bounded=yes/tries_3s=OK/; $t }
--- timeout: 25
--- no_error_log
[error]
[alert]



=== TEST 4: CLIENT KILL TYPE pubsub: new subscription connections, every channel subscribed again
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_reconnect 100ms 1s;
--- config
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 5)
        or return "never up";
    my $subs = sub {
        my %id;
        for (split /\n/, redis_cli('CLIENT', 'LIST')) {
            $id{$2} = $1 if /^id=(\d+) .*name=(push-subscription-\d+)/;
        }
        return \%id;
    };
    my $channels = sub {
        join ',', sort grep { /:probe:/ } split /\n/,
            redis_cli('PUBSUB', 'CHANNELS', '*');
    };
    my $before = $subs->();
    my $chans = $channels->();
    my $r0 = redis_stats()->{reconnects_total};
    push @out, "subscribed_before=" . scalar(split /,/, $chans);
    my $killed = redis_cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
    chomp $killed;
    push @out, "killed=$killed";
    my ($after, $again) = ({}, '');
    my $deadline = time + 5;
    while (time < $deadline) {
        $after = $subs->();
        $again = $channels->();
        last if keys %$after == 2 && $again eq $chans
                && !grep { $after->{$_} == ($before->{$_} // -1) }
                        keys %$after;
        sleep 0.05;
    }
    push @out, "new_connections=" . (keys %$after == 2
        && !grep({ $after->{$_} == ($before->{$_} // -1) } keys %$after)
        ? 'yes' : 'no');
    push @out, "same_channels=" . ($again eq $chans ? 'yes' : 'no');
    my $s = redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 3);
    push @out, "up=" . ($s ? 'yes' : 'no');
    push @out, "reconnects=" . ($s ? $s->{reconnects_total} - $r0 : -1);
    return join ' ', @out;
});
--- request
GET /result
--- response_body
subscribed_before=2 killed=2 new_connections=yes same_channels=yes up=yes reconnects=2
--- timeout: 20
--- no_error_log
[error]
[alert]



=== TEST 5: a Redis that stops answering (SIGSTOP) is found by the probe and replaced after SIGCONT
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
    push_redis_reconnect 100ms 1s;
    push_redis_ping_interval 1s;
--- config
    location = /pid { return 200 "$pid"; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 5)
        or return "never up";
    my $ids = sub {
        join ',', sort map { /^id=(\d+) .*name=push-/ ? $1 : () }
            split /\n/, redis_cli('CLIENT', 'LIST');
    };
    my $before = $ids->();
    my $pid = redis_pid();
    kill 'STOP', $pid;
    my $t0 = time;
    # silent: no FIN, no RST; only the probes can tell (ping_interval 1s
    # + command_timeout 1s, and nginx's timers may be up to 300 ms lazy)
    my $down = redis_wait_stats(sub { $_[0]{workers_down} == 2 }, 6);
    my $took = time - $t0;
    push @out, "found=" . ($down ? 'yes' : 'no')
               . " in_time=" . ($down && $took <= 3 ? 'yes' : 'no');
    my $served = push_request('GET', '/pid');
    push @out, "served=" . ($served ? $served->{status} : 'none');
    kill 'CONT', $pid;
    my $up = redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 6);
    push @out, "up_again=" . ($up ? 'yes' : 'no');
    my $after = $ids->();
    my %old = map { $_ => 1 } split /,/, $before;
    push @out, "replaced=" . ((grep { $old{$_} } split /,/, $after)
                              ? 'no' : 'yes');
    print STDERR sprintf "# TEST 5 figures: silence found after %.3f s\n",
                         $took;
    return join ' ', @out;
});
--- request
GET /result
--- response_body
found=yes in_time=yes served=200 up_again=yes replaced=yes
--- timeout: 25
--- no_error_log
[error]
[alert]



=== TEST 6: Debian's Nchan (with its own hiredis) in the same nginx: the link still works
--- main_config
    load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /stats { push_stats; }
    location = /nchan_stats { nchan_stub_status; }
--- init
redis_wait_stats(sub { $_[0]{workers_up} == 2 && $_[0]{latency_count} > 0 },
                 5)
    or die "the link did not come up beside nchan\n";
my $so = (split ' ', $ENV{TEST_NGINX_LOAD_MODULES} || '')[0] // '';
my $undef = `nm -D --undefined-only '$so' 2>/dev/null`;
die "our module needs a redis symbol from somewhere\n"
    if $undef =~ /redis/i;
--- request eval
["GET /nchan_stats", "GET /stats"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/total published messages/, qr/"redis":\{"state":"up","workers_up":2,/]
--- no_error_log
[error]
[alert]



=== TEST 7: a wrong password: one clear warn per worker, retries backed off
--- http_config
    push_redis_server redis://pushtest:wrong@127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_reconnect 200ms 1s;
--- config
    location = /stats { push_stats; }
--- init
redis_cli('ACL', 'SETUSER', 'pushtest', 'on', '>right', '~*', '&*', '+@all')
    =~ /OK/ or die "cannot make the ACL user\n";
my $s0 = redis_wait_stats(sub { $_[0]{workers_down} == 2 }, 5)
    or die "not down\n";
sleep 2;
--- request
GET /stats
--- response_body_filters eval
sub {
    my ($errors) = $_[0] =~ /"errors_total":(\d+)/;
    my ($state) = $_[0] =~ /"redis":\{"state":"(\w+)"/;
    return "state=$state errors_bounded="
           . ($errors >= 4 && $errors <= 30 ? 'yes' : "no ($errors)") . "\n";
}
--- response_body
state=down errors_bounded=yes
--- error_log eval
[qr/\[warn\] \d+#\d+: push: redis 127\.0\.0\.1:\d+ is down: \w+ connection: AUTH refused: WRONGPASS/]
--- no_error_log
[error]



=== TEST 8: the right password: up
--- http_config
    push_redis_server redis://pushtest:right@127.0.0.1:$TEST_NGINX_REDIS_PORT/3;
--- config
    location = /stats { push_stats; }
--- init
redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 5)
    or die "not up with the right password\n";
--- request
GET /stats
--- response_body_like eval
qr/"redis":\{"state":"up","workers_up":2,/
--- no_error_log
[warn]
[error]



=== TEST 9: push_redis_experimental, no longer needed, still starts with a warning saying to remove it
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_experimental on;
--- config
    location = /t { return 200 "started\n"; }
--- request
GET /t
--- response_body
started
--- error_log
push_redis_experimental is no longer needed and does nothing



=== TEST 9b: push_redis_experimental takes on or off only
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_experimental yes;
--- config
--- must_die
--- error_log
invalid value "yes" in "push_redis_experimental", it must be "on" or "off"



=== TEST 10: a URL that is not redis:// is refused
--- http_config
    push_redis_server http://127.0.0.1:6379;
--- config
--- must_die
--- error_log
invalid push_redis_server "http://127.0.0.1:6379": expected redis://



=== TEST 11: rediss:// (TLS) is refused, saying why
--- http_config
    push_redis_server rediss://127.0.0.1:6379;
--- config
--- must_die
--- error_log
rediss:// (TLS) is not supported



=== TEST 12: a database that is not a number is refused
--- http_config
    push_redis_server redis://127.0.0.1:6379/x;
--- config
--- must_die
--- error_log
the database must be a number



=== TEST 13: a bad port is refused by nginx's own URL parser
--- http_config
    push_redis_server redis://127.0.0.1:99999;
--- config
--- must_die
--- error_log
invalid push_redis_server "redis://127.0.0.1:99999": invalid port



=== TEST 14: a prefix with a brace is refused
--- http_config
    push_redis_prefix "a{b";
--- config
--- must_die
--- error_log
invalid push_redis_prefix "a{b"



=== TEST 15: a reconnect backoff whose minimum is above its maximum is refused
--- http_config
    push_redis_reconnect 5s 100ms;
--- config
--- must_die
--- error_log
invalid push_redis_reconnect "5s 100ms"



=== TEST 16: a zero command timeout is refused
--- http_config
    push_redis_command_timeout 0;
--- config
--- must_die
--- error_log
push_redis_command_timeout must be more than 0



=== TEST 17: push_redis_max_reply below 4k is refused
--- http_config
    push_redis_max_reply 1k;
--- config
--- must_die
--- error_log
push_redis_max_reply must be 4k to 512m, not 1024



=== TEST 18: a second push_redis_server is refused (one node today)
--- http_config
    push_redis_server redis://127.0.0.1:6379;
    push_redis_server redis://127.0.0.1:6380;
--- config
--- must_die
--- error_log
"push_redis_server" directive is duplicate
