# $push_channel, $push_transport, $push_message_id and $push_subscribers in
# an access log; a long-lived subscriber's line is written when it ends.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a publish and a poll log their channel, transport, id and count
--- http_config
    log_format push '$request_method $push_channel $push_transport '
                    '$push_message_id $push_subscribers';
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        access_log logs/push.log push;
        push_publisher;
        push_channel $ch;
    }
    location ~ ^/sub/(?<ch>\w+)$ {
        access_log logs/push.log push;
        push_subscriber poll;
        push_channel $ch;
    }
    location ~ ^/multi/(?<a>\w+)/(?<b>\w+)$ {
        access_log logs/push.log push;
        push_subscriber poll;
        push_channel $a $b;
        push_first_message oldest;
    }
    location = /log {
        access_log off;
        default_type text/plain;
        alias $TEST_NGINX_SERVER_ROOT/logs/push.log;
    }
--- request eval
["POST /pub/news\none", "POST /pub/news\ntwo", "GET /sub/news",
 "GET /multi/news/other", "GET /pub/news", "GET /log"]
--- error_code eval
[202, 202, 200, 200, 200, 200]
--- response_body_like eval
[qr/./, qr/./, qr/^two$/, qr/^one$/, qr/./,
 qr/\APOST news - ([0-9a-f]{8}):1 0
POST news - \1:2 0
GET news poll \1:2 -
GET news,other poll \1:1,0 -
GET news - - -
\z/]
--- no_error_log
[error]



=== TEST 2: a long-poll's line comes when it is answered, with its wait
--- http_config
    log_format push '$push_transport $push_message_id $status t=$request_time';
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        access_log logs/push.log push;
        push_subscriber longpoll sse;
        push_channel $ch;
    }
    location = /log {
        default_type text/plain;
        alias $TEST_NGINX_SERVER_ROOT/logs/push.log;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $lp = push_connect();
    push_send($lp, 'GET', '/sub/slow');
    my $sse = push_connect();
    push_send($sse, 'GET', '/sub/slow', undef, ['Accept: text/event-stream']);
    push_wait_subscribers('/pub/slow', 2) or die "never subscribed\n";
    select(undef, undef, undef, 0.6);
    my $before = push_get('/log')->{body};
    push_request('POST', '/pub/slow', 'x');
    push_read($lp, 5);
    push_read_until($sse, qr/data: x/, 5);
    close $sse;
    select(undef, undef, undef, 0.3);
    my $after = push_get('/log')->{body};
    my @lines = split /\n/, $after;
    my $ok = grep { /^longpoll \w+:1 200 t=(\d+\.\d+)$/ && $1 >= 0.5 } @lines;
    my $sse_ok = grep { /^sse \w+:1 200 t=(\d+\.\d+)$/ && $1 >= 0.5 } @lines;
    my $early = $before =~ /^(longpoll|sse) /m ? 'early' : 'none';
    push_report('/pub/result', "before=$early"
                . " longpoll=$ok sse=$sse_ok");
});
--- request
GET /result
--- response_body
before=none longpoll=1 sse=1
--- timeout: 10
--- no_error_log
[error]
