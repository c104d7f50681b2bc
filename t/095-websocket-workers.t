# WebSocket over two workers: a client's message reaches SSE and long-poll
# subscribers on the other worker; a reload closes with 1001.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

master_on();
workers(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a WebSocket client publishes; SSE and long-poll on the other worker receive it
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_publish on;
    }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $a = push_by_worker('/pid', 2);
    my $b = push_by_worker('/pid', 2);
    my ($wa, $wb) = sort keys %$a;
    die "one worker only\n" unless $wb && $b->{$wa} && $b->{$wb};
    my ($ws) = push_ws_open('/ws/room', [], undef, $a->{$wa});
    push_send($a->{$wb}, 'GET', '/sub/room HTTP/1.0', undef,
              ['Accept: text/event-stream']);
    push_send($b->{$wb}, 'GET', '/sub/room');
    push_wait_subscribers('/pub/room', 3) or die "not all subscribed\n";
    push_ws_send($ws, 0x1, 'from-ws');
    my $sse = push_read_until($a->{$wb}, qr/data: from-ws\n\n/, 2);
    my $lp = push_read($b->{$wb}, 2);
    my $echo = push_ws_frame($ws, 2);
    push_report('/pub/result',
                ($sse =~ /id: \w+:1\ndata: from-ws\n\n/ ? 'sse ' : 'no-sse ')
                . "longpoll=$lp->{body} echo=$echo->[1]");
});
--- request
GET /result
--- response_body
sse longpoll=from-ws echo=from-ws
--- timeout: 10
--- no_error_log
[error]
[alert]



=== TEST 2: a reload closes WebSocket subscribers with 1001 so browsers reconnect
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my ($s) = push_ws_open('/ws/r');
    push_wait_subscribers('/pub/r', 1) or die "never subscribed\n";
    kill 'HUP', push_master_pid();
    my $f = push_ws_frame($s, 5);
    my $zero = push_wait_subscribers('/pub/r', 0, 3);
    return "$f->[0]:" . unpack('n', $f->[1]) . " zero=$zero";
});
--- request
GET /result
--- response_body
8:1001 zero=1
--- timeout: 10
--- no_error_log
[error]
[alert]
