# Several servers (issue 15): a publish that is retried, and a publish that
# races a data loss.  An Idempotency-Key makes a retry after "redis did not
# answer" find the first publish instead of storing the message twice; the
# scripts check the deployment's epoch key, so nothing is acknowledged under
# an epoch Redis no longer holds.  Server A is the runner's, server B the
# same configuration on $TEST_NGINX_SECOND_PORT; a real Debian redis-server
# on 127.0.0.1:$TEST_NGINX_REDIS_PORT, started and stopped here by its pid.
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

=== TEST 1: Redis stalls (SIGSTOP) during a publish: 503 with an Idempotency-Key; Redis runs it when it resumes; the retry with the key through A and B gets the same id and status, and the message is held once (A, B, Redis)
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_command_timeout 500ms;
    push_redis_connect_timeout 500ms;
    push_redis_reconnect 100ms 500ms;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ { push_subscriber; push_channel $ch; }
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
        my $subA = sse_open('/sub/t1');
        my $subB = on_second(sub { sse_open('/sub/t1') });
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t1}:pubsub')
                  !~ /\n2\s*$/)
        {
            sleep 0.01;
        }
        my $r = push_request('POST', '/pub/t1', 'a');
        my ($ida) = $r->{body} =~ /"last_message_id":"([^"]+)"/;
        (my $e = $ida) =~ s/:.*//;
        push @out, "first=$r->{status}";

        my $pid = redis_pid();
        kill 'STOP', $pid;
        $r = push_request('POST', '/pub/t1', 'b');
        kill 'CONT', $pid;
        my $key = $r->{headers}{'idempotency-key'} // '';
        push @out, "stalled=$r->{status}"
                   . " key=" . ($key =~ /^"[0-9a-f]{32}"$/ ? 'made' : "[$key]")
                   . " reason=" . ($r->{body} =~ /may have been done there: send it again with this answer's Idempotency-Key/
                                   ? 'says_retry_with_key' : "[$r->{body}]");

        # Redis read the script before it stopped: it runs it now
        $deadline = time + 5;
        my $len = 0;
        while (time < $deadline) {
            ($len) = redis_cli('XLEN', '{push:t1}:stream') =~ /(\d+)/;
            last if $len == 2;
            sleep 0.05;
        }
        push @out, "redis_ran_it=" . ($len == 2 ? 'yes' : "no($len)");

        # the retry, through A (once its link is back) and through B
        my @retry;
        for my $on (qw(A B)) {
            my $try = sub { push_request('POST', '/pub/t1', 'b',
                                         ["Idempotency-Key: $key"]) };
            $deadline = time + 5;
            while (time < $deadline) {
                $r = $on eq 'A' ? $try->() : on_second($try);
                last if $r->{status} != 503;
                sleep 0.1;
            }
            my ($id) = $r->{body} =~ /"last_message_id":"([^"]+)"/;
            (my $rel = $id // 'none') =~ s/^\Q$e\E:/E:/;
            push @retry, "$on=$r->{status},$rel,replayed="
                         . ($r->{headers}{'idempotent-replayed'} // 'none');
        }
        push @out, "retry=" . join(';', @retry);

        $r = push_request('POST', '/pub/t1', 'end');
        push @out, "next=" . ($r->{body} =~ /"last_message_id":"\Q$e\E:(\d+)"/
                              ? "E:$1" : "[$r->{body}]");
        for ([A => $subA], [B => $subB]) {
            my $t = sse_more($_->[1], qr/data: end\n\n/, 5);
            my @data = $t =~ /^data: (\w+)$/mg;
            push @out, "$_->[0]_got=" . join(',', @data);
        }
        ($len) = redis_cli('XLEN', '{push:t1}:stream') =~ /(\d+)/;
        push @out, "redis_stream=$len";
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
first=201 stalled=503 key=made reason=says_retry_with_key redis_ran_it=yes retry=A=201,E:2,replayed=true;B=201,E:2,replayed=true next=E:3 A_got=a,b,end B_got=a,b,end redis_stream=3
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 2: the publisher's own Idempotency-Key: a repeat stores nothing and answers as the first (status, id, Idempotent-Replayed); the same key for another message is refused 422; keys that are too long or of other characters 400
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
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
        my $uuid = '"8e03978e-40d5-43e8-bc93-6894a57f9324"';
        my $pub = sub {
            my ($body, $key, @h) = @_;
            my $r = push_request('POST', '/pub/t2', $body,
                                 [defined $key ? "Idempotency-Key: $key"
                                               : (), @h]);
            my ($seq) = $r->{body} =~ /"last_message_id":"\w+:(\d+)"/;
            return "$r->{status}," . ($seq // 'none')
                   . ($r->{headers}{'idempotent-replayed'} ? ',replayed'
                                                           : '');
        };
        push @out, "first=" . $pub->('one', $uuid);
        push @out, "other=" . $pub->('two');
        # by worker: both workers answer repeats alike (Connection: close
        # spreads the requests)
        push @out, "again=" . join('/', map { $pub->('one', $uuid) } 1 .. 4);
        push @out, "unquoted=" . $pub->('one',
                                        '8e03978e-40d5-43e8-bc93-6894a57f9324');
        my $r = push_request('POST', '/pub/t2', 'changed',
                             ["Idempotency-Key: $uuid"]);
        chomp(my $why = $r->{body});
        push @out, "reused=$r->{status} [$why]";
        $r = push_request('POST', '/pub/t2', 'one',
                          ["Idempotency-Key: $uuid", 'Push-Event: other']);
        push @out, "other_event=$r->{status}";
        my $info = push_request('GET', '/pub/t2');
        push @out, "messages=" . ($info->{body} =~ /"messages":(\d+)/)[0];
        for (['a b', 'space'], ['"x{y}"', 'brace'], ['"a\"b"', 'escape'],
             ['""', 'empty'], ['a' x 129, 'long'])
        {
            $r = push_request('POST', '/pub/t2', 'x',
                              ["Idempotency-Key: $_->[0]"]);
            chomp($why = $r->{body});
            push @out, "$_->[1]=$r->{status} [$why]";
        }
        push @out, "longest=" . ($pub->('x', 'a' x 128) =~ /^201|^202/
                                 ? 'ok' : 'no');
        $info = push_request('GET', '/pub/t2');
        push @out, "messages=" . ($info->{body} =~ /"messages":(\d+)/)[0];
        1;
    };
    return $ok eq '1' ? join(' ', @out) : ($ok // "died: $@");
});
--- request
GET /result
--- response_body
first=202,1 other=202,2 again=202,1,replayed/202,1,replayed/202,1,replayed/202,1,replayed unquoted=202,1,replayed reused=422 [Idempotency-Key already used for another message] other_event=422 messages=2 space=400 [invalid Idempotency-Key (a quoted string of A-Z a-z 0-9 - . _ ~ : + / =)] brace=400 [invalid Idempotency-Key (a quoted string of A-Z a-z 0-9 - . _ ~ : + / =)] escape=400 [invalid Idempotency-Key (a quoted string of A-Z a-z 0-9 - . _ ~ : + / =)] empty=400 [invalid Idempotency-Key (a quoted string of A-Z a-z 0-9 - . _ ~ : + / =)] long=400 [Idempotency-Key longer than 128 bytes] longest=ok messages=3
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 3: FLUSHALL, then at once a publish through a server that holds no copy of the channel (the periodic check 30 s away): acknowledged under the new epoch, and readable on the server that held the old copy
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 30s;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ { push_subscriber; push_channel $ch; }
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
        # B holds the channel (a subscriber, its subscription); A does not
        my $subB = on_second(sub { sse_open('/sub/t3') });
        my $deadline = time + 3;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:t3}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        my $r = on_second(sub { push_request('POST', '/pub/t3', 'old') });
        my ($old) = $r->{body} =~ /"last_message_id":"([^"]+)"/;
        (my $e1 = $old) =~ s/:.*//;
        sse_more($subB, qr/data: old\n\n/, 3);

        redis_cli('FLUSHALL');
        $r = push_request('POST', '/pub/t3', 'new');
        my ($new) = $r->{body} =~ /"last_message_id":"([^"]+)"/;
        (my $e2 = $new // '') =~ s/:.*//;
        push @out, "status=$r->{status}";
        push @out, "acked_under=" . ($e2 eq $e1 ? 'old_epoch'
                                     : $e2 ? 'new_epoch' : "[$r->{body}]");
        (my $in_redis = redis_cli('GET', '{push}:epoch')) =~ s/\s+$//;
        push @out, "redis_epoch_is_its=" . ($in_redis eq $e2 ? 'yes' : 'no');

        # B: its old copy ends; a client resuming there from the old id
        # gets the gap signal, then the new message, under the new epoch
        my $got = '';
        $deadline = time + 5;
        while (time < $deadline) {
            my $c = on_second(sub {
                sse_open('/sub/t3', "Last-Event-ID: $old") });
            $got = sse_more($c, qr/data: new\n\n/, 1);
            close $c;
            last if $got =~ /data: new\n\n/;
            sleep 0.1;
        }
        $got =~ s/^.*?\r\n\r\n(retry: \d+\n\n)?//s;
        $got =~ s/\Q$e2\E:/E2:/g if $e2;
        $got =~ s/\n/|/g;
        push @out, "B_resume=" . ($got =~ /data: new/ ? $got : 'never');
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
status=201 acked_under=new_epoch redis_epoch_is_its=yes B_resume=event: gap|data: unknown||id: E2:1|data: new||
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 4: FLUSHALL, then at once a cursor of the old epoch resumes on a server that holds no copy of the channel (the periodic check 30 s away): the history read finds the epoch gone; the gap signal comes with a cursor of the epoch Redis holds, not of the lost one
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_ping_interval 30s;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[\w.-]+)$ { push_subscriber; push_channel $ch; }
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
        my ($last, $r);
        for my $m (qw(m1 m2)) {
            $r = on_second(sub { push_request('POST', '/pub/t4', $m) });
            ($last) = $r->{body} =~ /"last_message_id":"([^"]+)"/;
        }
        redis_cli('FLUSHALL');
        my $p = push_get('/sub/t4?transport=poll', $last);
        push @out, "status=$p->{status}";
        push @out, "gap=" . ($p->{headers}{'push-gap'} // 'none');
        (my $e = push_etag($p)) =~ s/:.*//;
        (my $e1 = $last) =~ s/:.*//;
        (my $in_redis = redis_cli('GET', '{push}:epoch')) =~ s/\s+$//;
        push @out, "cursor_epoch=" . ($e eq $e1 ? 'old'
                                      : $e eq $in_redis ? 'redis_now'
                                      : "[$e]");
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
status=304 gap=unknown cursor_epoch=redis_now
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 5: one server, no Redis: the Idempotency-Key header is not read (README: it is for the Redis mode); two publishes with one key are two messages
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my @out;
    for my $key ('"k1"', '"k1"', 'not a key') {
        my $r = push_request('POST', '/pub/t5', 'same',
                             ["Idempotency-Key: $key"]);
        my ($seq) = $r->{body} =~ /"last_message_id":"\w+:(\d+)"/;
        push @out, "$r->{status}," . ($seq // 'none')
                   . ($r->{headers}{'idempotent-replayed'} ? ',replayed' : '');
    }
    return join ' ', @out;
});
--- request
GET /result
--- response_body
202,1 202,2 202,3
--- no_error_log
[error]
[alert]



=== TEST 6: a zero push_redis_idempotency_ttl is refused
--- http_config
    push_redis_idempotency_ttl 0;
--- config
--- must_die
--- error_log
push_redis_idempotency_ttl must be more than 0



=== TEST 7: push_redis_idempotency_ttl is the record's TTL in Redis
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    push_redis_idempotency_ttl 90s;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ { push_publisher; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 5)
        or return "never up";
    my $r = push_request('POST', '/pub/t7', 'x', ['Idempotency-Key: "k7"']);
    my ($ttl) = redis_cli('PTTL', '{push:t7}:idem:k7') =~ /(-?\d+)/;
    my ($rec) = redis_cli('GET', '{push:t7}:idem:k7') =~ /^(\d+ \d+) [0-9a-f]{40}$/m;
    return "status=$r->{status} record=" . ($rec // 'none') . " ttl="
           . ($ttl > 80000 && $ttl <= 90000 ? '90s' : $ttl);
});
--- request
GET /result
--- response_body
status=202 record=1 202 ttl=90s
--- no_error_log
[error]
[alert]
