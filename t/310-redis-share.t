# Several servers, one set of channels (issue 15): two nginx servers on
# one Redis.  Server A is the runner's; server B is the same configuration
# on its own port ($TEST_NGINX_SECOND_PORT, 30005) and prefix, started and
# stopped by each block's helper.  A real Debian redis-server runs on
# 127.0.0.1:$TEST_NGINX_REDIS_PORT, started and stopped here by its pid.
# Ids in the answers are written E:<seq>, E being the deployment's epoch.
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
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a message published through A reaches SSE, WebSocket and long-poll subscribers on B with A's id, pushed (< 1 s)
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ { push_subscriber; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    second_start();
    my $ok = eval {
        both_up() or return "never up";
        my ($sse, $ws, $lp) = on_second(sub {
            my $sse = sse_open('/sub/t1');
            my ($ws) = push_ws_open('/sub/t1');
            my $lp = push_connect();
            push_send($lp, 'GET', '/sub/t1');
            return ($sse, $ws, $lp);
        });
        # B's subscription to the channel is in Redis: then publish
        my $deadline = time + 3;
        while (time < $deadline) {
            last if redis_cli('PUBSUB', 'NUMSUB', '{push:t1}:pubsub')
                    =~ /\n1\s*$/;
            sleep 0.01;
        }
        my $t0 = time;
        my $r = push_request('POST', '/pub/t1', 'hello');
        my ($id) = $r->{body} =~ /"last_message_id":"([^"]+)"/;
        my $text = sse_more($sse, qr/data: hello\n\n/, 2);
        my $t_sse = time - $t0;
        my $frame = push_ws_frame($ws, 2);
        my $t_ws = time - $t0;
        my $lr = push_read($lp, 2);
        my $t_lp = time - $t0;
        push @out, "published=$r->{status}";
        push @out, "sse=" . ($text =~ /id: \Q$id\E\ndata: hello\n\n/
                             ? 'same_id' : "none($text)");
        push @out, "ws=" . ($frame ? $frame->[1] : 'none');
        push @out, "longpoll=" . ($lr ? "$lr->{body} etag="
                                  . (push_etag($lr) eq $id ? 'same_id'
                                     : push_etag($lr)) : 'none');
        push @out, "fast=" . ($t_sse < 1 && $t_ws < 1 && $t_lp < 1
                              ? 'yes' : "no($t_sse,$t_ws,$t_lp)");
        print STDERR sprintf "# TEST 1 figures: A->B sse %.1f ms, ws "
                             . "%.1f ms, long-poll %.1f ms\n",
                             1000 * $t_sse, 1000 * $t_ws, 1000 * $t_lp;
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
published=201 sse=same_id ws=hello longpoll=hello etag=same_id fast=yes
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 2: ids strictly increase across publishes interleaved through A and B; subscribers on both see them in order
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 3;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_message_buffer 3;
    }
    location = /pid { return 200 "$pid"; }
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
        my $subA = sse_open('/sub/t2');
        my $subB = on_second(sub { sse_open('/sub/t2') });
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t2}:pubsub')
                  !~ /\n2\s*$/)
        {
            sleep 0.01;
        }
        my (@ids, $epoch);
        for my $i (1 .. 10) {
            my $r = $i % 2 ? push_request('POST', '/pub/t2', "m$i")
                           : on_second(sub {
                                 push_request('POST', '/pub/t2', "m$i") });
            my ($e, $seq) = $r->{body} =~ /"last_message_id":"(\w+):(\d+)"/;
            $epoch //= $e;
            push @ids, $e eq $epoch ? $seq : "other-epoch";
        }
        push @out, "seqs=" . join(',', @ids);
        my $want = join '', map { "id: $epoch:$_\ndata: m$_\n\n" } 1 .. 10;
        for ([A => $subA], [B => $subB]) {
            my $t = sse_more($_->[1], qr/data: m10\n\n/, 3);
            $t =~ s/^.*?\r\n\r\n(retry: \d+\n\n)?//s;
            push @out, "$_->[0]=" . ($t eq $want ? 'all_in_order' : "[$t]");
        }

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
seqs=1,2,3,4,5,6,7,8,9,10 A=all_in_order B=all_in_order
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 3: a cursor from A resumes on B, with messages B never held
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 3;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_message_buffer 3;
    }
    location = /pid { return 200 "$pid"; }
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
        push_request('POST', '/pub/t3', "m$_") for 1 .. 2;
        my $p = push_get('/sub/t3?transport=poll', undef);
        my $cursor = push_etag($p);
        push @out, "A_poll=$p->{body}";
        push_request('POST', '/pub/t3', "m$_") for 3 .. 4;
        (my $e = $cursor) =~ s/:.*//;
        my ($lp, $sse) = on_second(sub {
            my $lp = push_get('/sub/t3', $cursor);
            my $sse = sse_open('/sub/t3', "Last-Event-ID: $cursor");
            return ($lp, $sse);
        });
        (my $et = push_etag($lp)) =~ s/^\Q$e\E:/E:/;
        push @out, "B_longpoll=$lp->{body} etag=$et";
        my $t = sse_more($sse, qr/data: m4\n\n/, 2);
        $t =~ s/^.*?\r\n\r\n(retry: \d+\n\n)?//s;
        $t =~ s/\Q$e\E:/E:/g;
        $t =~ s/\n/|/g;
        push @out, "B_sse=$t";

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
A_poll=m2 B_longpoll=m3 etag=E:3 B_sse=id: E:3|data: m3||id: E:4|data: m4||
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 4: SSE reconnecting to the other server with Last-Event-ID gets exactly the missed messages, or the gap signal when they are gone (buffer 3, publish 6)
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 3;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_message_buffer 3;
    }
    location = /pid { return 200 "$pid"; }
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
        my $a = sse_open('/sub/t4');
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t4}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        push_request('POST', '/pub/t4', "m$_") for 1 .. 2;
        my $t = sse_more($a, qr/data: m2\n\n/, 2);
        my ($last) = $t =~ /id: (\S+)\ndata: m2\n/;
        close $a;
        push_request('POST', '/pub/t4', "m$_") for 3 .. 4;
        (my $e = $last) =~ s/:.*//;
        my $norm = sub {
            my $x = shift;
            $x =~ s/^.*?\r\n\r\n(retry: \d+\n\n)?//s;
            $x =~ s/\Q$e\E:/E:/g;
            $x =~ s/\n/|/g;
            return $x;
        };
        my $b = on_second(sub { sse_open('/sub/t4', "Last-Event-ID: $last") });
        push @out, "missed=" . $norm->(sse_more($b, qr/data: m4\n\n/, 2));
        close $b;
        push_request('POST', '/pub/t4', "m$_") for 5 .. 6;
        my $g = on_second(sub { sse_open('/sub/t4', "Last-Event-ID: $e:1") });
        push @out, "gone=" . $norm->(sse_more($g, qr/data: m6\n\n/, 2));

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
missed=id: E:3|data: m3||id: E:4|data: m4|| gone=event: gap|data: 2||id: E:4|data: m4||id: E:5|data: m5||id: E:6|data: m6||
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 5: Redis killed: 503 with Retry-After and a reason; back (with its data): publishes work, a subscriber that stayed gets every acknowledged message once
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 3;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_message_buffer 3;
    }
    location = /pid { return 200 "$pid"; }
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
        my $b = on_second(sub { sse_open('/sub/t5') });
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t5}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        my @acked;
        my $r = push_request('POST', '/pub/t5', 'm1');
        push @acked, 'm1' if $r->{status} =~ /^20[12]$/;
        redis_cli('SAVE');
        redis_stop();
        my $down = push_request('POST', '/pub/t5', 'lost');
        push @out, "down=$down->{status} retry_after="
                   . ($down->{headers}{'retry-after'} // 'none')
                   . " reason=" . ($down->{body} =~ /^[^\n]+\n?$/
                                   ? 'one_line' : "[$down->{body}]");
        redis_start();
        # the workers reconnect with a backoff: publishes are refused
        # (503) until then, and only acknowledged ones count
        my $n = 2;
        $deadline = time + 6;
        while (time < $deadline && @acked < 4) {
            my $w = @acked % 2 ? push_request('POST', '/pub/t5', "m$n")
                               : on_second(sub {
                                     push_request('POST', '/pub/t5', "m$n")
                                 });
            if ($w->{status} =~ /^20[12]$/) {
                push @acked, "m$n";
                $n++;
            } else {
                sleep 0.05;
            }
        }
        push @out, "acked=" . scalar(@acked);
        my $t = sse_more($b, qr/data: $acked[-1]\n\n/, 4);
        my @got = $t =~ /data: (m\d+)\n/g;
        push @out, "stayed_got=" . (join(',', @got) eq join(',', @acked)
                                    ? 'each_once' : join(',', @got)
                                      . ' of ' . join(',', @acked));
        push @out, "closed=" . (${*$b}{sse_closed} ? 'yes' : 'no');

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
down=503 retry_after=1 reason=one_line acked=4 stayed_got=each_once closed=no
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 6: FLUSHALL: a new epoch is made, subscribers of the old one get the gap signal
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 3;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_message_buffer 3;
    }
    location = /pid { return 200 "$pid"; }
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
        my $b = on_second(sub { sse_open('/sub/t6') });
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t6}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        my $r = push_request('POST', '/pub/t6', 'old');
        my ($old) = $r->{body} =~ /"last_message_id":"([^"]+)"/;
        (my $e1 = $old) =~ s/:.*//;
        sse_more($b, qr/data: old\n\n/, 2);
        redis_cli('FLUSHALL');
        # the stream of the old life ends (within a probe interval)
        sse_more($b, qr/(?!)/, 4);
        push @out, "old_stream_ended=" . (${*$b}{sse_closed} ? 'yes' : 'no');
        my ($new, $e2);
        $deadline = time + 4;
        while (time < $deadline) {
            $r = push_request('POST', '/pub/t6', 'new');
            ($new) = $r->{body} =~ /"last_message_id":"([^"]+)"/;
            ($e2 = $new // '') =~ s/:.*//;
            last if $e2 && $e2 ne $e1;
            sleep 0.1;
        }
        push @out, "new_epoch=" . ($e2 ne $e1 ? 'yes' : 'no');
        (my $seq = $new) =~ s/^.*://;
        push @out, "new_seq=$seq";
        my $c = on_second(sub { sse_open('/sub/t6', "Last-Event-ID: $old") });
        my $t = sse_more($c, qr/data: new\n\n/, 2);
        $t =~ s/^.*?\r\n\r\n(retry: \d+\n\n)?//s;
        $t =~ s/\Q$e2\E:/E2:/g;
        $t =~ s/\n/|/g;
        push @out, "resume=$t";

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
old_stream_ended=yes new_epoch=yes new_seq=1 resume=event: gap|data: unknown||id: E2:1|data: new||
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 7: CLIENT KILL TYPE pubsub: subscriptions are made again and the channel caught up, nothing lost, nothing twice
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 3;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_message_buffer 3;
    }
    location = /pid { return 200 "$pid"; }
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
        my $b = on_second(sub { sse_open('/sub/t7') });
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t7}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        push_request('POST', '/pub/t7', 'm1');
        sse_more($b, qr/data: m1\n\n/, 2);
        my $c0 = on_second(sub { redis_stats() })->{catchups_total};
        redis_cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
        # published while B has no subscription: only a catch-up brings them
        my @st = map { push_request('POST', '/pub/t7', "m$_")->{status} }
                     2 .. 3;
        push @out, "published=" . join(',', @st);
        my $t = sse_more($b, qr/data: m3\n\n/, 4);
        my @got = $t =~ /data: (m\d+)\n/g;
        push @out, "got=" . join(',', @got);
        $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t7}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        push_request('POST', '/pub/t7', 'm4');
        $t = sse_more($b, qr/data: m4\n\n/, 2);
        @got = $t =~ /data: (m\d+)\n/g;
        push @out, "then=" . join(',', @got);
        my $c1 = on_second(sub { redis_stats() })->{catchups_total};
        push @out, "catchups_counted=" . ($c1 > $c0 ? 'yes' : 'no');
        my $prom = on_second(sub {
            push_request('GET', '/stats?format=prometheus') });
        push @out, "prometheus=" . ($prom->{body}
            =~ /^# TYPE nginx_push_redis_catchups_total counter\nnginx_push_redis_catchups_total $c1\n/m
            ? 'same' : 'missing');

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
published=202,202 got=m1,m2,m3 then=m1,m2,m3,m4 catchups_counted=yes prometheus=same
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 8: DELETE through A ends B's subscribers (SSE ends, long-poll 410)
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 3;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_message_buffer 3;
    }
    location = /pid { return 200 "$pid"; }
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
        push_request('POST', '/pub/t8', 'm1');
        my ($sse, $lp) = on_second(sub {
            my $sse = sse_open('/sub/t8');
            my $lp = push_connect();
            push_send($lp, 'GET', '/sub/t8', undef,
                      ['If-None-Match: "' . '00000000:0' . '"']);
            return ($sse, $lp);
        });
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t8}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        # the long-poll got the old-epoch answer at once; ask again
        my $first = push_read($lp, 2);
        close $lp;
        $lp = on_second(sub {
            my $s = push_connect();
            push_send($s, 'GET', '/sub/t8', undef,
                      ['If-None-Match: "' . push_etag($first) . '"']);
            return $s;
        });
        sleep 0.2;
        my $d = push_request('DELETE', '/pub/t8');
        push @out, "deleted=$d->{status}";
        my $st = sse_more($sse, qr/(?!)/, 3);
        push @out, "sse_ended=" . (${*$sse}{sse_closed} ? 'yes' : "no[$st]");
        my $lr = push_read($lp, 3);
        push @out, "longpoll=" . ($lr ? $lr->{status} : 'none');
        my $info = on_second(sub { push_request('GET', '/pub/t8') });
        push @out, "info_on_B=$info->{status}";

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
deleted=200 sse_ended=yes longpoll=410 info_on_B=404
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 9: the worker holding B's subscription lease is killed (kill -9): another takes it over and delivery goes on
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 3;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_message_buffer 3;
    }
    location = /pid { return 200 "$pid"; }
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
        my $by = on_second(sub { push_by_worker('/pid', 2) });
        keys %$by == 2 or return "not two workers";
        my %sse;
        for my $pid (keys %$by) {
            my $s = $by->{$pid};
            push_send($s, 'GET', '/sub/t9 HTTP/1.0', undef,
                      ['Accept: text/event-stream']);
            ${*$s}{sse_text} = '';
            $sse{$pid} = $s;
        }
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t9}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        # the holder's subscription connection has the channel (sub=2)
        my ($holder) = redis_cli('CLIENT', 'LIST')
            =~ /name=push-subscription-(\d+) .*?sub=2 /;
        $holder && $sse{$holder} or return "holder not found";
        my ($other) = grep { $_ != $holder } keys %sse;
        push_request('POST', '/pub/t9', 'before');
        sse_more($sse{$other}, qr/data: before\n\n/, 2);
        kill 'KILL', $holder;
        # another worker subscribes again (a tick or two)
        $deadline = time + 5;
        my $again = 0;
        while (time < $deadline) {
            my ($h) = redis_cli('CLIENT', 'LIST')
                =~ /name=push-subscription-(\d+) .*?sub=2 /;
            if ($h && $h != $holder) { $again = 1; last }
            sleep 0.02;
        }
        push @out, "taken_over=" . ($again ? 'yes' : 'no');
        push_request('POST', '/pub/t9', 'after');
        my $t = sse_more($sse{$other}, qr/data: after\n\n/, 2);
        my @got = $t =~ /data: (\w+)\n/g;
        push @out, "survivor_got=" . join(',', @got);
        my $n = redis_cli('PUBSUB', 'NUMSUB', '{push:t9}:pubsub');
        push @out, "subscriptions=" . ($n =~ /\n(\d+)\s*$/ ? $1 : '?');

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
taken_over=yes survivor_got=before,after subscriptions=1
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 10: one Redis subscription per server and channel, dropped a few seconds after the last subscriber left
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 1s;
    push_redis_reconnect 100ms 500ms;
    push_redis_command_timeout 1s;
    push_redis_connect_timeout 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 3;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_message_buffer 3;
    }
    location = /pid { return 200 "$pid"; }
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
        my @subs = map { sse_open('/sub/t10') } 1 .. 3;
        push @subs, on_second(sub { map { sse_open('/sub/t10') } 1 .. 3 });
        my $count = sub {
            my $n = redis_cli('PUBSUB', 'NUMSUB', '{push:t10}:pubsub');
            return $n =~ /\n(\d+)\s*$/ ? $1 : -1;
        };
        my $deadline = time + 3;
        while (time < $deadline && $count->() != 2) {
            sleep 0.01;
        }
        sleep 0.3;
        push @out, "six_subscribers=" . $count->();
        my @ch = grep { /t10/ } split /\n/, redis_cli('PUBSUB', 'CHANNELS');
        push @out, "channels=" . scalar(@ch);
        push_request('POST', '/pub/t10', 'x');
        my $all = grep { sse_more($_, qr/data: x\n\n/, 2) =~ /data: x\n\n/ }
                       @subs;
        push @out, "delivered=$all";
        close $_ for @subs;
        sleep 1;
        push @out, "just_after=" . $count->();
        $deadline = time + 8;
        while (time < $deadline && $count->() != 0) {
            sleep 0.1;
        }
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
six_subscribers=2 channels=1 delivered=6 just_after=2 later=0
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 11: without a cursor, push_first_message means the same on a server that never held the channel (newest, oldest, 2)
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 3;
    }
    location ~ ^/new/(?<ch>[\w.-]+)$ {
        push_subscriber poll; push_channel $ch; push_message_buffer 3;
    }
    location ~ ^/old/(?<ch>[\w.-]+)$ {
        push_subscriber longpoll; push_channel $ch; push_message_buffer 3;
        push_first_message oldest;
    }
    location ~ ^/two/(?<ch>[\w.-]+)$ {
        push_subscriber sse; push_channel $ch; push_message_buffer 3;
        push_first_message 2;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    second_start();
    my $ok = eval {
        both_up() or return "never up";
        push_request('POST', '/pub/t11', "m$_") for 1 .. 4;
        for my $where (['B', 1], ['A', 0]) {
            my @r = $where->[1]
                ? on_second(sub {
                      (push_get('/new/t11'), push_get('/old/t11'),
                       sse_open('/two/t11')) })
                : (push_get('/new/t11'), push_get('/old/t11'),
                   sse_open('/two/t11'));
            my $t = sse_more($r[2], qr/data: m4\n\n/, 2);
            my @sse = $t =~ /data: (m\d)\n/g;
            push @out, "$where->[0]:newest=$r[0]{body},oldest=$r[1]{body},"
                       . "two=" . join('+', @sse);
        }
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
B:newest=m4,oldest=m2,two=m3+m4 A:newest=m4,oldest=m2,two=m3+m4
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 12: Redis away: subscribers stay (pings go on), a new stream is accepted; back: both get what is published, once
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
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
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    second_start();
    my $ok = eval {
        both_up() or return "never up";
        my $old = on_second(sub { sse_open('/sub/t12') });
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t12}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        push_request('POST', '/pub/t12', 'm1');
        sse_more($old, qr/data: m1\n\n/, 2);
        redis_cli('SAVE');
        redis_stop();
        on_second(sub {
            redis_wait_stats(sub { $_[0]{workers_down} == 2 }, 3) });
        my $before = length ${*$old}{sse_text};
        my $new = on_second(sub { sse_open('/sub/t12') });
        my $head = sse_more($new, qr/\r\n\r\n/, 2);
        push @out, "new_accepted=" . ($head =~ m{^HTTP/1\.\d 200} ? 'yes'
                                      : "no[$head]");
        my $t = sse_more($old, qr/(?!)/, 1);
        push @out, "old_pinged=" . (substr($t, $before) =~ /^:\n/m
                                    ? 'yes' : 'no');
        redis_start();
        my $acked = 0;
        $deadline = time + 6;
        while (time < $deadline) {
            my $r = push_request('POST', '/pub/t12', 'm2');
            if ($r->{status} =~ /^20[12]$/) { $acked = 1; last }
            sleep 0.05;
        }
        push @out, "acked=$acked";
        for ([old => $old], [new => $new]) {
            my $x = sse_more($_->[1], qr/data: m2\n\n/, 3);
            my @got = $x =~ /data: (m\d)\n/g;
            push @out, "$_->[0]=" . join('+', @got);
        }
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
new_accepted=yes old_pinged=yes acked=1 old=m1+m2 new=m2
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 13: B reloaded while A publishes: the lease passes to a new worker, a client that resumes on B gets every acknowledged message once
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ { push_subscriber; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    my $master = second_start();
    my $ok = eval {
        both_up() or return "never up";
        my $s = on_second(sub { sse_open('/sub/t13') });
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t13}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        my (@acked, @got, $last);
        my $publish = sub {
            for my $i (@_) {
                my $r = push_request('POST', '/pub/t13', "m$i");
                push @acked, "m$i" if $r && $r->{status} =~ /^20[12]$/;
                sleep 0.02;
            }
        };
        my $take = sub {
            my $t = ${*$s}{sse_text};
            while ($t =~ /id: (\S+)\ndata: (m\d+)\n\n/g) {
                push @got, $2;
                $last = $1;
            }
        };
        $publish->(1 .. 5);
        sse_more($s, qr/data: m5\n\n/, 2);
        kill 'HUP', $master;
        $publish->(6 .. 15);
        # the old worker ends its streams: read to the end, resume on B
        sse_more($s, qr/(?!)/, 5);
        push @out, "ended_by_reload=" . (${*$s}{sse_closed} ? 'yes' : 'no');
        $take->();
        $s = on_second(sub { sse_open('/sub/t13', "Last-Event-ID: $last") });
        $publish->(16 .. 20);
        sse_more($s, qr/data: m20\n\n/, 3);
        $take->();
        push @out, "acked=" . scalar(@acked);
        push @out, "got=" . (join(',', @got) eq join(',', @acked)
                             ? 'each_once_in_order'
                             : join(',', @got));
        my @holders = second_log_lines(qr/holds the server's redis/);
        push @out, "lease_taken=" . (@holders >= 2 ? 'again' : scalar(@holders));
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
ended_by_reload=yes acked=20 got=each_once_in_order lease_taken=again
--- timeout: 40
--- no_error_log
[error]
[alert]



=== TEST 14: a subscriber that stays connected while what it missed is trimmed in Redis gets the gap signal, then what is kept (buffer 3)
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_reconnect 1s 2s;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 3;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_message_buffer 3;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    second_start();
    my $ok = eval {
        both_up() or return "never up";
        my $b = on_second(sub { sse_open('/sub/t14') });
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t14}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        push_request('POST', '/pub/t14', 'm1');
        my $t = sse_more($b, qr/data: m1\n\n/, 2);
        my ($e) = $t =~ /id: (\w+):1\n/;
        # B resubscribes after at least half a second: meanwhile m2..m6,
        # of which Redis keeps m4..m6
        redis_cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
        push_request('POST', '/pub/t14', "m$_") for 2 .. 6;
        $t = sse_more($b, qr/data: m6\n\n/, 4);
        $t =~ s/^.*?data: m1\n\n//s;
        $t =~ s/\Q$e\E:/E:/g;
        $t =~ s/\n/|/g;
        push @out, "after=$t";
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
after=event: gap|data: 2||id: E:4|data: m4||id: E:5|data: m5||id: E:6|data: m6||
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 15: a Redis that stops answering (SIGSTOP): publishes get 503 after push_redis_command_timeout; answering again: they work
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_command_timeout 500ms;
    push_redis_connect_timeout 500ms;
    push_redis_reconnect 100ms 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    my $ok = eval {
        redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 5)
            or return "never up";
        push @out, "before=" . push_request('POST', '/pub/t15', 'a')->{status};
        my $pid = redis_pid();
        kill 'STOP', $pid;
        my $t0 = time;
        my $r = push_request('POST', '/pub/t15', 'b');
        my $took = time - $t0;
        push @out, "stalled=$r->{status} retry_after="
                   . ($r->{headers}{'retry-after'} // 'none')
                   . " reason=" . ($r->{body} =~ /may have been done/
                                   ? 'maybe_done' : "[$r->{body}]")
                   . " within=" . ($took >= 0.4 && $took < 2 ? 'timeout'
                                   : $took);
        kill 'CONT', $pid;
        my $st = 0;
        my $deadline = time + 5;
        while (time < $deadline) {
            $st = push_request('POST', '/pub/t15', 'c')->{status};
            last if $st == 202;
            sleep 0.05;
        }
        push @out, "after=$st";
        my $info = push_request('GET', '/pub/t15');
        # the stalled publish went out before Redis stopped reading: it
        # may run when Redis resumes (its answer said so)
        my ($n) = $info->{body} =~ /"messages":(\d+)/;
        push @out, "stored=" . ($n == 2 || $n == 3 ? 'acked_ones' : $n);
        1;
    };
    return $ok eq '1' ? join(' ', @out) : ($ok // "died: $@");
});
--- request
GET /result
--- response_body
before=202 stalled=503 retry_after=1 reason=maybe_done within=timeout after=202 stored=acked_ones
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 16: Debian's Nchan (with its own hiredis) loaded in both servers: a message still crosses from A to B with A's id
--- main_config
    load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ { push_subscriber; push_channel $ch; }
    location = /nchan_stats { nchan_stub_status; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    second_start();
    my $ok = eval {
        both_up() or return "never up";
        my $n = on_second(sub { push_request('GET', '/nchan_stats') });
        push @out, "nchan_on_B=" . ($n->{body} =~ /total published messages/
                                    ? 'yes' : 'no');
        my $sse = on_second(sub { sse_open('/sub/t16') });
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t16}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        my $r = push_request('POST', '/pub/t16', 'hello');
        my ($id) = $r->{body} =~ /"last_message_id":"([^"]+)"/;
        my $t = sse_more($sse, qr/data: hello\n\n/, 2);
        push @out, "sse=" . ($t =~ /id: \Q$id\E\ndata: hello\n\n/
                             ? 'same_id' : 'none');
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
nchan_on_B=yes sse=same_id
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 17: FLUSHALL between two publishes: the second is not given an id of the old epoch again, and is kept
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 30s;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ { push_subscriber; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    my $ok = eval {
        redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 5)
            or return "never up";
        my @ids;
        for my $m (qw(m1 m2)) {
            my $r = push_request('POST', '/pub/t17', $m);
            push @ids, $r->{body} =~ /"last_message_id":"([^"]+)"/;
        }
        (my $e1 = $ids[0]) =~ s/:.*//;
        redis_cli('FLUSHALL');
        # the same worker as m1 and m2 or the other: both hold the copy
        my $r = push_request('POST', '/pub/t17', 'm3');
        my ($id) = $r->{body} =~ /"last_message_id":"([^"]+)"/;
        (my $e2 = $id) =~ s/:.*//;
        push @out, "status=$r->{status}";
        push @out, "reused=" . (grep({ $_ eq $id } @ids) ? 'yes' : 'no');
        push @out, "new_epoch=" . ($e2 ne $e1 ? 'yes' : 'no');
        my $p = push_get('/sub/t17?transport=poll', $ids[1]);
        push @out, "resume=" . ($p->{headers}{'push-gap'} // 'none')
                   . ",$p->{body}";
        my $info = push_request('GET', '/pub/t17');
        push @out, "kept=" . ($info->{body} =~ /"messages":1,/ ? 'yes' : 'no');
        1;
    };
    return $ok eq '1' ? join(' ', @out) : ($ok // "died: $@");
});
--- request
GET /result
--- response_body
status=202 reused=no new_epoch=yes resume=unknown,m3 kept=yes
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 18: a message too large to be announced inline (100 KB) is read from the stream by the other server and delivered whole
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    client_body_buffer_size 1m;
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ { push_subscriber; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    second_start();
    my $ok = eval {
        both_up() or return "never up";
        my $lp = on_second(sub {
            my $s = push_connect();
            push_send($s, 'GET', '/sub/t18');
            return $s;
        });
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t18}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        my $big = join '', map { chr(65 + $_ % 26) } 1 .. 102400;
        my $t0 = time;
        my $r = push_request('POST', '/pub/t18', $big);
        my ($id) = $r->{body} =~ /"last_message_id":"([^"]+)"/;
        my $got = push_read($lp, 3);
        push @out, "published=$r->{status}";
        push @out, "B_got=" . ($got && $got->{body} eq $big ? 'whole' : 'no')
                   . " etag=" . ($got && push_etag($got) eq $id
                                 ? 'same_id' : 'other');
        push @out, "fast=" . (time - $t0 < 1 ? 'yes' : 'no');
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
published=201 B_got=whole etag=same_id fast=yes
--- timeout: 30
--- no_error_log
[error]
[alert]
