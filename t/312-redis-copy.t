# Several servers (issue 15): each server's copy of a channel is the one
# Redis holds.  Server A is the runner's; server B the same configuration
# on $TEST_NGINX_SECOND_PORT (t/helpers/PushSecond.pm); a real Debian
# redis-server on 127.0.0.1:$TEST_NGINX_REDIS_PORT, started and stopped
# here by its pid.  Publishes go through A only, so the channel's cap and
# TTL are those of A's publisher location; B holds only subscribers.
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

=== TEST 1: push_message_buffer 2000 set only in the publisher location: B's copy holds 2000 as Redis does, and an SSE on B 300 messages behind gets all 300, no gap
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 2000;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ { push_subscriber; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 120s;
    }
--- init
push_verdict(sub {
    my @out;
    second_start();
    my $ok = eval {
        both_up() or return "never up";
        # B follows the channel: a subscriber there, before any message
        my $follow = on_second(sub { sse_open('/sub/c1') });
        my $deadline = time + 5;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:c1}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        my $bad = 0;
        for my $i (1 .. 3000) {
            my $r = push_request('POST', '/pub/c1', "m$i");
            $bad++ unless $r->{status} == 201 || $r->{status} == 202;
            # keep the follower drained, so it stays a reader
            sse_more($follow, qr/^\z/, 0.001) if $i % 200 == 0;
        }
        push @out, "refused=$bad";
        my $t = sse_more($follow, qr/data: m3000\n\n/, 60);
        my $n = () = $t =~ /^data: m\d+$/mg;
        my $g = () = $t =~ /^event: gap$/mg;
        push @out, "follower=$n gaps=$g";
        my ($e) = $t =~ /id: (\w+):3000\n/;
        $e //= 'none';
        close $follow;

        my $redis = redis_cli('XLEN', '{push:c1}:stream');
        $redis =~ s/\s+//g;
        my $s = on_second(sub { push_request('GET', '/stats') });
        my ($zone) = $s->{body} =~ /"messages":(\d+)/;
        push @out, "redis=$redis zone_B=" . ($zone // 'none');

        my $b = on_second(sub {
            sse_open('/sub/c1', "Last-Event-ID: $e:2700") });
        my $r = sse_more($b, qr/data: m3000\n\n/, 10);
        close $b;
        my @ids = $r =~ /^id: \w+:(\d+)$/mg;
        my $gap = $r =~ /^event: gap\ndata: (\w+)$/m ? $1 : 'none';
        my $inorder = join(',', @ids) eq join(',', 2701 .. 3000)
                      ? 'yes' : 'no';
        push @out, "resumed=" . scalar(@ids) . " first=" . ($ids[0] // 0)
                   . " in_order=$inorder gap=$gap";
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
refused=0 follower=3000 gaps=0 redis=2000 zone_B=2000 resumed=300 first=2701 in_order=yes gap=none
--- timeout: 150
--- no_error_log
[error]
[alert]



=== TEST 2: channel info of a channel with subscribers and no message yet: 200 with this server's subscribers, as on one server
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
        my $a = sse_open('/sub/c2');
        my $b = on_second(sub { sse_open('/sub/c2') });
        my $b2 = on_second(sub { sse_open('/sub/c2') });
        sse_more($_, qr/retry: \d+\n\n/, 2) for $a, $b, $b2;
        my $ia = push_request('GET', '/pub/c2');
        my $ib = on_second(sub { push_request('GET', '/pub/c2') });
        my $in = push_request('GET', '/pub/c2-none');
        my $norm = sub {
            my $x = shift;
            (my $body = $x->{body})
                =~ s/"last_message_id":"\w+:/"last_message_id":"E:/;
            $body =~ s/\s+$//;
            return "$x->{status} $body";
        };
        push @out, "A=" . $norm->($ia), "B=" . $norm->($ib),
                   "none=$in->{status}";
        close $_ for $a, $b, $b2;
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
A=200 {"channel":"c2","messages":0,"subscribers":1,"last_message_id":"E:0"} B=200 {"channel":"c2","messages":0,"subscribers":2,"last_message_id":"E:0"} none=404
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 3: the same, on a server that does not follow the channel: SSEs on B 300 and 1,500 messages behind (B's location keeps 100; a read is 256 entries) get all of them, no gap
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_buffer 2000;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ { push_subscriber; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 120s;
    }
--- init
push_verdict(sub {
    my @out;
    second_start();
    my $ok = eval {
        both_up() or return "never up";
        my ($bad, $e) = (0, 'none');
        for my $i (1 .. 3000) {
            my $r = push_request('POST', '/pub/c3', "m$i");
            $bad++ unless $r->{status} == 202;
            ($e) = $r->{body} =~ /"last_message_id":"(\w+):/ if $i == 1;
        }
        push @out, "refused=$bad";
        my $b = on_second(sub {
            sse_open('/sub/c3', "Last-Event-ID: $e:2700") });
        my $r = sse_more($b, qr/data: m3000\n\n/, 10);
        close $b;
        my @ids = $r =~ /^id: \w+:(\d+)$/mg;
        my $gap = $r =~ /^event: gap\ndata: (\w+)$/m ? $1 : 'none';
        my $inorder = join(',', @ids) eq join(',', 2701 .. 3000)
                      ? 'yes' : 'no';
        push @out, "resumed=" . scalar(@ids) . " first=" . ($ids[0] // 0)
                   . " in_order=$inorder gap=$gap";
        # 1,500 behind: several reads (256 entries each)
        $b = on_second(sub {
            sse_open('/sub/c3', "Last-Event-ID: $e:1500") });
        $r = sse_more($b, qr/data: m3000\n\n/, 10);
        close $b;
        @ids = $r =~ /^id: \w+:(\d+)$/mg;
        $gap = $r =~ /^event: gap\ndata: (\w+)$/m ? $1 : 'none';
        $inorder = join(',', @ids) eq join(',', 1501 .. 3000) ? 'yes' : 'no';
        push @out, "resumed=" . scalar(@ids) . " first=" . ($ids[0] // 0)
                   . " in_order=$inorder gap=$gap";
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
refused=0 resumed=300 first=2701 in_order=yes gap=none resumed=1500 first=1501 in_order=yes gap=none
--- timeout: 150
--- no_error_log
[error]
[alert]



=== TEST 4: push_message_ttl set only where A publishes (1h; B's subscriber location 2s): what B's copy holds lives as long as in Redis
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location ~ ^/pub/(?<ch>[\w.-]+)$ {
        push_publisher; push_channel $ch; push_message_ttl 1h;
    }
    location ~ ^/sub/(?<ch>[\w.-]+)$ {
        push_subscriber; push_channel $ch; push_message_ttl 2s;
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
        my $follow = on_second(sub { sse_open('/sub/c4') });
        my $deadline = time + 5;
        while (time < $deadline
               && redis_cli('PUBSUB', 'NUMSUB', '{push:c4}:pubsub')
                  !~ /\n1\s*$/)
        {
            sleep 0.01;
        }
        push_request('POST', '/pub/c4', "m$_") for 1 .. 10;
        my $t = sse_more($follow, qr/data: m10\n\n/, 5);
        my ($e) = $t =~ /id: (\w+):10\n/;
        $e //= 'none';
        # past the subscriber location's 2 s, well within the channel's 1 h
        sleep 3.5;
        my $s = on_second(sub { push_request('GET', '/stats') });
        my ($zone) = $s->{body} =~ /"messages":(\d+)/;
        my $b = on_second(sub {
            sse_open('/sub/c4', "Last-Event-ID: $e:5") });
        my $r = sse_more($b, qr/data: m10\n\n/, 5);
        close $b;
        close $follow;
        my @ids = $r =~ /^id: \w+:(\d+)$/mg;
        my $gap = $r =~ /^event: gap\ndata: (\w+)$/m ? $1 : 'none';
        push @out, "zone_B=" . ($zone // 'none') . " resumed="
                   . join(',', @ids) . " gap=$gap";
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
zone_B=10 resumed=6,7,8,9,10 gap=none
--- timeout: 60
--- no_error_log
[error]
[alert]
