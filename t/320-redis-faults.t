# Several servers, one Redis, and a bad path to it (issue 15, items 5
# and 6): server A (the runner's) reaches Redis only through a stalling
# proxy (t/helpers/PushStall.pm, on 127.0.0.1:$TEST_NGINX_STALL_PORT),
# server B (t/helpers/PushSecond.pm, $TEST_NGINX_SECOND_PORT) reaches it
# directly.  The proxy holds bytes (a Redis that stops answering, seen
# from A), holds only Redis's replies (commands run, nobody is told), or
# delays them (a slow Redis).  TEST 5 swaps them: there B goes through
# the proxy, since a worker of B is killed and A's carry the verdict.
# redis-server, the proxy and B are started and stopped here, by their
# pids.
use lib 't/helpers';
use PushTest;
use PushRedis;
use PushSecond;
use PushStall;
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;
$ENV{TEST_NGINX_REDIS_PORT} = redis_port();
$ENV{TEST_NGINX_SECOND_PORT} = second_port();
$ENV{TEST_NGINX_STALL_PORT} = stall_port();

redis_start();
stall_start(redis_port());

# B's configuration: A's, with Redis reached directly.
sub direct {
    my ($conf) = @_;
    my ($stall, $redis) = (stall_port(), redis_port());
    $conf =~ s/127\.0\.0\.1:$stall\b/127.0.0.1:$redis/g;
    return $conf;
}

# The other way round: A's configuration reaches Redis directly, B's
# goes through the proxy.
sub via_proxy {
    my ($conf) = @_;
    my ($stall, $redis) = (stall_port(), redis_port());
    $conf =~ s/127\.0\.0\.1:$redis\b/127.0.0.1:$stall/g;
    return $conf;
}

# The SSE events read so far on a stream, as "id=data" strings.
sub events {
    my ($s) = @_;
    my $t = ${*$s}{sse_text};
    my @e;
    push @e, "$1=$2" while $t =~ /id: (\S+)\ndata: ([^\n]*)\n\n/g;
    return @e;
}

# A GET on a connection made first, timed from the request on: what nginx
# takes to answer, not what the kernel takes to connect on a busy machine
# (connect is timed apart, into figures only).  Returns the socket, the
# seconds to answer (for a stream: until its text matches re), and for a
# plain request its response.
sub timed_get {
    my ($path, $headers, $re) = @_;
    my $c0 = time;
    my $s = push_connect();
    my $connect = time - $c0;
    my $t0 = time;
    push_send($s, 'GET', $path, undef, $headers);
    my $r;
    if ($re) {
        ${*$s}{sse_text} = '';
        sse_more($s, $re, 8);
    } else {
        $r = push_read($s, 8);
    }
    return ($s, time - $t0, $r, $connect);
}

# Whether the events' seqs follow each other without a hole (one epoch).
sub consecutive {
    my @e = @_;
    my ($epoch, $seq);
    for (@e) {
        my ($ep, $s) = /^(\w+):(\d+)=/ or return 0;
        return 0 if defined $seq && ($ep ne $epoch || $s != $seq + 1);
        ($epoch, $seq) = ($ep, $s);
    }
    return 1;
}

# Until n servers subscribe the channel in Redis (3 s at most).
sub wait_numsub {
    my ($ch, $n) = @_;
    my $deadline = time + 3;
    while (time < $deadline) {
        return 1 if redis_cli('PUBSUB', 'NUMSUB', "{push:$ch}:pubsub")
                    =~ /\n$n\s*$/;
        sleep 0.01;
    }
    return 0;
}

# The pid of the worker whose subscription connection holds the channel
# besides its probe (sub=2), among pids.
sub sub_holder {
    my @pids = @_;
    my $list = redis_cli('CLIENT', 'LIST');
    for my $pid (@pids) {
        return $pid if $list =~ /name=push-subscription-$pid .*?sub=2 /;
    }
    return undef;
}

# Publishes until one is acknowledged (timeout seconds): its status.
sub publish_acked {
    my ($path, $body, $timeout) = @_;
    my $deadline = time + $timeout;
    my $st = 0;
    while (time < $deadline) {
        my $r = push_request('POST', $path, $body);
        $st = $r ? $r->{status} : 0;
        return $st if $st =~ /^20[12]$/;
        sleep 0.05;
    }
    return $st;
}

master_on();
workers(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: only A's path to Redis stalls: A's publishes 503 after the command timeout, A's link is found dead without a close and replaced after; what B took meanwhile reaches A's subscriber after it, once each, in order, pings meanwhile
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_STALL_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_ping_interval 300ms;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
push_verdict(sub {
    my @out;
    stall_set('pass');
    second_start(\&main::direct);
    my $ok = eval {
        both_up() or return "never up";
        my $subA = sse_open('/sub/f1');
        my $subB = on_second(sub { sse_open('/sub/f1') });
        main::wait_numsub('f1', 2) or return "not subscribed";
        on_second(sub { push_request('POST', '/pub/f1', 'm0') });
        sse_more($subA, qr/data: m0\n\n/, 2) =~ /data: m0\n/
            or return "m0 did not reach A";
        my $reconnects = redis_stats()->{reconnects_total};

        stall_set('stall');
        my $t0 = time;
        my $r = push_request('POST', '/pub/f1', 'a1');
        my $took = time - $t0;
        push @out, "A_publish=$r->{status} retry_after="
                   . ($r->{headers}{'retry-after'} // 'none')
                   . " within=" . ($took >= 0.8 && $took < 3 ? 'timeout'
                                   : sprintf('%.2f', $took));
        my @acked;
        for my $i (1 .. 5) {
            my $rb = on_second(sub { push_request('POST', '/pub/f1', "b$i") });
            push @acked, "b$i" if $rb->{status} =~ /^20[12]$/;
        }
        push @out, "B_acked=" . scalar(@acked);
        # nothing closes A's connections: A's probes find them dead
        my $down = redis_wait_stats(sub { $_[0]{workers_down} == 2 }, 8);
        push @out, "A_down=" . ($down ? 'yes' : 'no');
        my @why = redis_log_lines(qr/is down: .*no reply within /);
        push @out, "A_why=" . (@why ? 'no_reply' : 'other');
        my $before = length ${*$subA}{sse_text};
        sse_more($subA, qr/(?!)/, 1);
        my $during = substr(${*$subA}{sse_text}, $before);
        push @out, "A_sub_during=" . ($during =~ /^:/m && $during !~ /data:/
                                      && !${*$subA}{sse_closed}
                                      ? 'pings' : "[$during]");

        stall_set('resume');
        my $up = redis_wait_stats(sub { $_[0]{workers_up} == 2
                                  && $_[0]{reconnects_total} > $reconnects },
                                  8);
        push @out, "A_replaced=" . ($up ? 'yes' : 'no');
        my $st = on_second(sub { main::publish_acked('/pub/f1', 'end', 5) });
        sse_more($_, qr/data: end\n\n/, 5) for $subA, $subB;
        my @a = main::events($subA);
        my @b = main::events($subB);
        push @out, "same_on_both=" . ("@a" eq "@b" ? 'yes' : "no[@a][@b]");
        # A's stalled publish was sent: it may have run when the proxy let
        # it through (its answer said so); nothing else may be there
        my @data = map { /=(.*)/ } @a;
        my @others = grep { $_ ne 'a1' } @data;
        my $a1 = grep { $_ eq 'a1' } @data;
        push @out, "A_got=" . ("@others" eq "m0 @acked end" && $a1 <= 1
                               ? 'each_once_in_order' : "[@data]");
        push @out, "ids=" . (main::consecutive(@a) ? 'no_gap' : 'gap');
        push @out, "A_sub_open=" . (${*$subA}{sse_closed} ? 'no' : 'yes');
        1;
    };
    my $err = $@;
    stall_set('pass');
    second_stop();
    my @bad = second_log_problems();
    push @out, "B_log: $bad[0]" if @bad;
    return $ok eq '1' ? join(' ', @out) : ($ok // "died: $err");
});
--- request
GET /result
--- response_body
A_publish=503 retry_after=1 within=timeout B_acked=5 A_down=yes A_why=no_reply A_sub_during=pings A_replaced=yes same_on_both=yes A_got=each_once_in_order ids=no_gap A_sub_open=yes
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 2: replies held, commands run ("may have been done"): what subscribers on either server get afterwards has no duplicate and no gap, with the same ids on both; a cursor resumes on either
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_STALL_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_ping_interval 300ms;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
push_verdict(sub {
    my @out;
    stall_set('pass');
    second_start(\&main::direct);
    my $ok = eval {
        both_up() or return "never up";
        my $subA = sse_open('/sub/f2');
        my $subB = on_second(sub { sse_open('/sub/f2') });
        main::wait_numsub('f2', 2) or return "not subscribed";
        push_request('POST', '/pub/f2', 'm0');
        sse_more($_, qr/data: m0\n\n/, 2) for $subA, $subB;
        my ($m0) = main::events($subB);
        $m0 =~ s/=.*//;

        stall_set('replies');
        my $r = push_request('POST', '/pub/f2', 'a1');
        push @out, "A_publish=$r->{status} reason="
                   . ($r->{body} =~ /may have been done/ ? 'maybe_done'
                                                        : "[$r->{body}]");
        on_second(sub { push_request('POST', '/pub/f2', 'b1') });
        push_request('POST', '/pub/f2', 'a2');
        on_second(sub { push_request('POST', '/pub/f2', 'b2') });
        # a1 ran in Redis: B's subscriber has it
        my $bt = sse_more($subB, qr/data: a1\n\n/, 2);
        push @out, "a1_done=" . ($bt =~ /data: a1\n/ ? 'yes' : 'no');

        stall_set('resume');
        my $st = main::publish_acked('/pub/f2', 'end', 8);
        push @out, "A_after=$st";
        sse_more($_, qr/data: end\n\n/, 5) for $subA, $subB;
        my @a = main::events($subA);
        my @b = main::events($subB);
        push @out, "same_on_both=" . ("@a" eq "@b" ? 'yes' : "no[@a][@b]");
        my @data = map { /=(.*)/ } @a;
        my %n;
        $n{$_}++ for @data;
        push @out, "once_each=" . ((grep { $_ > 1 } values %n) ? "no[@data]"
                                                               : 'yes');
        push @out, "ids=" . (main::consecutive(@a) ? 'no_gap' : "gap[@a]");
        push @out, "in_order=" . ("@data" =~ /^m0 a1 b1 .*b2 end$/
                                  ? 'yes' : "no[@data]");
        # a cursor from before resumes on either server the same way
        for (['A', sub { $_[0]->() }], ['B', \&on_second]) {
            my ($name, $on) = @$_;
            my $s = $on->(sub { sse_open('/sub/f2', "Last-Event-ID: $m0") });
            sse_more($s, qr/data: end\n\n/, 3);
            my @r = main::events($s);
            push @out, "resume_$name=" . ("@r" eq "@a[1 .. $#a]" ? 'same'
                                                                 : "[@r]");
        }
        1;
    };
    my $err = $@;
    stall_set('pass');
    second_stop();
    my @bad = second_log_problems();
    push @out, "B_log: $bad[0]" if @bad;
    return $ok eq '1' ? join(' ', @out) : ($ok // "died: $err");
});
--- request
GET /result
--- response_body
A_publish=503 reason=maybe_done a1_done=yes A_after=201 same_on_both=yes once_each=yes ids=no_gap in_order=yes resume_A=same resume_B=same
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 3: a stalled Redis never stalls what is local: on A, an SSE client with Last-Event-ID and a long-poll with a cursor A's copy holds are served at once, a WebSocket gets its pong, a plain location and push_stats answer; before and after the link is found dead
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_STALL_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 3s;
    push_redis_connect_timeout 3s;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_ping_interval 300ms;
        push_websocket_timeout 60s;
    }
    location = /plain { return 200 "plain"; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
push_verdict(sub {
    my @out;
    stall_set('pass');
    my $ok = eval {
        redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 5)
            or return "never up";
        # a subscriber keeps the channel subscribed and A's copy live
        my $keep = sse_open('/sub/f3');
        main::wait_numsub('f3', 1) or return "not subscribed";
        push_request('POST', '/pub/f3', "m$_") for 1 .. 3;
        sse_more($keep, qr/data: m3\n\n/, 2);
        my ($e) = ${*$keep}{sse_text} =~ /id: (\w+):1\n/ or return "no m1";
        my ($ws) = push_ws_open('/sub/f3');

        stall_set('stall');
        # a Redis that stalls takes 3 s to be found out: what is local
        # is served well within that, before and after
        for my $phase ('stalled', 'dead') {
            if ($phase eq 'dead') {
                redis_wait_stats(sub { $_[0]{workers_down} == 2 }, 12)
                    or return "never found dead";
            }
            my (%t, %c, $x, $lp, $plain, $stats);
            ($x, $t{sse}, undef, $c{sse}) = main::timed_get(
                '/sub/f3 HTTP/1.0', ['Accept: text/event-stream',
                                     "Last-Event-ID: $e:1"],
                qr/data: m3\n\n/);
            my @got = ${*$x}{sse_text} =~ /data: (m\d)\n/g;
            (undef, $t{longpoll}, $lp, $c{longpoll}) = main::timed_get(
                '/sub/f3', ["If-None-Match: \"$e:2\""]);
            my $t0 = time;
            push_ws_send($ws, 0x9, "p$phase");
            my $pong;
            while (my $f = push_ws_frame($ws, 6)) {
                if ($f->[0] == 0xA) { $pong = $f->[1]; last }
            }
            $t{ws_pong} = time - $t0;
            (undef, $t{plain}, $plain, $c{plain}) = main::timed_get('/plain');
            (undef, $t{stats}, $stats, $c{stats}) = main::timed_get('/stats');
            my $cmax = (sort { $b <=> $a } values %c)[0];
            printf STDERR "# TEST 3 %s: %s (slowest connect %.1f ms)\n",
                $phase, join(', ', map { sprintf "%s %.1f ms", $_,
                                         1000 * $t{$_} } sort keys %t),
                1000 * $cmax;
            my @slow = grep { $t{$_} >= 1 } sort keys %t;
            push @out, "$phase:"
                . " sse=" . join('+', @got)
                . " longpoll=" . ($lp ? "$lp->{status}/$lp->{body}" : 'none')
                . " pong=" . ($pong // 'none')
                . " plain=" . ($plain ? $plain->{body} : 'none')
                . " stats=" . ($stats ? $stats->{status} : 'none')
                . " fast=" . (@slow ? "no(@slow)" : 'yes');
        }
        stall_set('resume');
        my $st = main::publish_acked('/pub/f3', 'm4', 10);
        my $x = sse_more($keep, qr/data: m4\n\n/, 3);
        push @out, "after=$st kept=" . join('+', $x =~ /data: (m\d)\n/g);
        1;
    };
    my $err = $@;
    stall_set('pass');
    return $ok eq '1' ? join(' ', @out) : ($ok // "died: $err");
});
--- request
GET /result
--- response_body
stalled: sse=m2+m3 longpoll=200/m3 pong=pstalled plain=plain stats=200 fast=yes dead: sse=m2+m3 longpoll=200/m3 pong=pdead plain=plain stats=200 fast=yes after=201 kept=m1+m2+m3+m4
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 4: a slow Redis never stalls what is local: while A's subscriptions are being made again over a slow path (1 s each way), a cursor A's copy holds is served at once; nothing is doubled after
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_STALL_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 5s;
    push_redis_connect_timeout 8s;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_ping_interval 300ms;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
push_verdict(sub {
    my @out;
    stall_set('pass');
    my $ok = eval {
        redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 5)
            or return "never up";
        my $keep = sse_open('/sub/f4');
        main::wait_numsub('f4', 1) or return "not subscribed";
        push_request('POST', '/pub/f4', "m$_") for 1 .. 3;
        sse_more($keep, qr/data: m3\n\n/, 2);
        my ($e) = ${*$keep}{sse_text} =~ /id: (\w+):1\n/ or return "no m1";

        stall_set('delay', 1);
        # the subscription connections are cut: A's copy is not live
        # until they are made again and caught up, over the slow path,
        # while the command connection stays up (slow)
        redis_cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
        redis_wait_stats(sub { $_[0]{workers_up} < 2 }, 5)
            or return "the cut was not seen";
        my (%t, $s, $lp);
        ($s, $t{sse}) = main::timed_get(
            '/sub/f4 HTTP/1.0', ['Accept: text/event-stream',
                                 "Last-Event-ID: $e:1"], qr/data: m3\n\n/);
        my @got = ${*$s}{sse_text} =~ /data: (m\d)\n/g;
        (undef, $t{longpoll}, $lp) = main::timed_get(
            '/sub/f4', ["If-None-Match: \"$e:2\""]);
        print STDERR "# TEST 4 slow: " . join(', ', map {
            sprintf "%s %.1f ms", $_, 1000 * $t{$_} } sort keys %t) . "\n";
        my @slow = grep { $t{$_} >= 1 } sort keys %t;
        push @out, "sse=" . join('+', @got)
                   . " longpoll=" . ($lp ? "$lp->{status}/$lp->{body}" : 'none')
                   . " fast=" . (@slow ? "no(@slow)" : 'yes');
        stall_set('resume');
        redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 10)
            or return "not up again";
        my $st = main::publish_acked('/pub/f4', 'm4', 10);
        for ([kept => $keep], [resumed => $s]) {
            my $y = sse_more($_->[1], qr/data: m4\n\n/, 3);
            push @out, "$_->[0]=" . join('+', $y =~ /data: (m\d)\n/g);
        }
        push @out, "after=$st";
        1;
    };
    my $err = $@;
    stall_set('pass');
    return $ok eq '1' ? join(' ', @out) : ($ok // "died: $err");
});
--- request
GET /result
--- response_body
sse=m2+m3 longpoll=200/m3 fast=yes kept=m1+m2+m3+m4 resumed=m2+m3+m4 after=201
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 5: B's path stalls this time (A's workers carry the verdict): the worker holding B's subscription lease is killed (kill -9) while it catches up after the stall; another takes over and catches up at once; nothing acknowledged is lost or doubled
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 4s;
    push_redis_connect_timeout 6s;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_ping_interval 300ms;
    }
    location = /pid { return 200 "$pid"; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 90s;
    }
--- init
push_verdict(sub {
    my @out;
    stall_set('pass');
    second_start(\&main::via_proxy);
    my $ok = eval {
        both_up() or return "never up";
        my $by = on_second(sub { push_by_worker('/pid', 2) });
        keys %$by == 2 or return "not two workers";
        my %sse;
        for my $pid (keys %$by) {
            my $s = $by->{$pid};
            push_send($s, 'GET', '/sub/f5 HTTP/1.0', undef,
                      ['Accept: text/event-stream']);
            ${*$s}{sse_text} = '';
            $sse{$pid} = $s;
        }
        my $subA = sse_open('/sub/f5');
        main::wait_numsub('f5', 2) or return "not subscribed";
        my $holder = main::sub_holder(keys %sse) or return "no holder";
        my ($survivor) = grep { $_ != $holder } keys %sse;
        my $s = $sse{$survivor};
        push_request('POST', '/pub/f5', 'm0');
        sse_more($s, qr/data: m0\n\n/, 2) =~ /data: m0\n/
            or return "m0 did not reach B";
        my $list = redis_cli('CLIENT', 'LIST');
        my ($old) = $list
            =~ /id=(\d+) [^\n]*name=push-subscription-$holder [^\n]*sub=2 /;
        my ($aholder) = grep { $_ != $holder }
            $list =~ /name=push-subscription-(\d+) [^\n]*sub=2 /g;

        stall_set('stall');
        my @acked;
        for my $i (1 .. 10) {
            my $r = push_request('POST', '/pub/f5', "a$i");
            push @acked, "a$i" if $r->{status} =~ /^20[12]$/;
        }
        on_second(sub {
            redis_wait_stats(sub { $_[0]{workers_down} == 2 }, 15) })
            or return "B never found its link dead";
        # back, slowly (1 s each way): the holder subscribes again; its
        # catch-up goes out when Redis's confirmation reaches it (1 s
        # after Redis sees the subscription) and is answered a round trip
        # (2 s) later: kill it in between
        stall_set('delay', 1);
        my $deadline = time + 15;
        my $seen;
        while (time < $deadline) {
            my ($id) = redis_cli('CLIENT', 'LIST')
                =~ /id=(\d+) [^\n]*name=push-subscription-$holder [^\n]*sub=2 /;
            if ($id && $id != $old) { $seen = 1; last }
            sleep 0.02;
        }
        $seen or return "the holder never subscribed again";
        sleep 1.6;
        my $mid = sse_more($s, qr/data: a1\n/, 0.01) !~ /data: a1\n/;
        kill 'KILL', $holder;
        my $killed = time;
        stall_set('pass');
        push @out, "killed_mid_catch_up=" . ($mid ? 'yes' : 'no');
        $deadline = time + 5;
        my $taken;
        while (time < $deadline && !$taken) {
            my $l = redis_cli('CLIENT', 'LIST');
            while ($l =~ /name=push-subscription-(\d+) [^\n]*sub=2 /g) {
                $taken = 1 if $1 != $holder && $1 != $aholder;
            }
            sleep 0.05;
        }
        push @out, "taken_over=" . ($taken ? 'yes' : 'no');
        # what A took while B was stalled reaches the survivor, without
        # any publish to set it off
        my $t = sse_more($s, qr/data: a10\n\n/, 8);
        printf STDERR "# TEST 5: the survivor had a10 %.2f s after the "
                      . "kill\n", time - $killed if $t =~ /data: a10\n/;
        push @out, "caught_up=" . ($t =~ /data: a10\n/ ? 'yes' : 'no');
        my $st = on_second(sub { main::publish_acked('/pub/f5', 'end', 10) });
        sse_more($_, qr/data: end\n\n/, 5) for $s, $subA;
        my @b = main::events($s);
        my @a = main::events($subA);
        my @data = map { /=(.*)/ } @b;
        push @out, "acked=" . scalar(@acked) . " end=$st";
        push @out, "survivor=" . ("@data" eq "m0 @acked end"
                                  ? 'each_once_in_order' : "[@data]");
        push @out, "same_as_A=" . ("@a" eq "@b" ? 'yes' : "no[@a]");
        my ($m0) = $b[0] =~ /^(\S+)=/;
        my $r = on_second(sub { sse_open('/sub/f5', "Last-Event-ID: $m0") });
        sse_more($r, qr/data: end\n\n/, 3);
        my @r = main::events($r);
        push @out, "resumed=" . ("@r" eq "@b[1 .. $#b]" ? 'same' : "[@r]");
        1;
    };
    my $err = $@;
    stall_set('pass');
    second_stop();
    my @bad = second_log_problems();
    push @out, "B_log: $bad[0]" if @bad;
    return $ok eq '1' ? join(' ', @out) : ($ok // "died: $err");
});
--- request
GET /result
--- response_body
killed_mid_catch_up=yes taken_over=yes caught_up=yes acked=10 end=201 survivor=each_once_in_order same_as_A=yes resumed=same
--- timeout: 90
--- no_error_log
[error]
[alert]
