# push_message_ttl: messages go at their age on every path into the zone,
# and the figures (gauges, the channel listing) do not count them after.
use lib 't/helpers';
use PushTest;
use Time::HiRes qw(sleep time);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: HTTP publish: past the TTL the listing, the figures, the info and a poll see no message
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_ttl 3s;
    }
    location ~ ^/old/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_first_message oldest;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 40s;
    }
--- init
PushTest::push_verdict(sub {
    PushTest::push_request('POST', '/pub/aging', "m$_") for 1 .. 3;
    my $before = PushTest::push_request('GET', '/stats')->{body};
    my ($had) = $before =~ /"messages":(\d+)/;
    # the listing must come down by itself: nothing else looks at the
    # channel meanwhile (a look would expire it)
    my ($list, $listed);
    my $deadline = time + 15;
    while (time < $deadline) {
        $list = PushTest::push_request('GET', '/stats?channels=aging')->{body};
        ($listed) = $list =~ /"messages":(\d+)/;
        last if $listed == 0;
        sleep 0.2;
    }
    my $stats = PushTest::push_request('GET', '/stats')->{body};
    my ($messages) = $stats =~ /"messages":(\d+)/;
    my ($bytes) = $stats =~ /"message_bytes":(\d+)/;
    my $info = PushTest::push_request('GET', '/pub/aging')->{body};
    my ($kept) = $info =~ /"messages":(\d+)/;
    my $poll = PushTest::push_request('GET', '/old/aging');
    $stats = PushTest::push_request('GET', '/stats')->{body};
    my ($expired) = $stats =~ /"expired_total":(\d+)/;
    return "had=$had gauge=$messages bytes=$bytes listed=$listed"
           . " info=$kept poll=$poll->{status} expired=$expired";
});
--- request
GET /result
--- response_body
had=3 gauge=0 bytes=0 listed=0 info=0 poll=304 expired=3
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 2: WebSocket publish: its messages age out too
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_publish on;
        push_message_ttl 3s;
    }
    location ~ ^/old/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_first_message oldest;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 40s;
    }
--- init
PushTest::push_verdict(sub {
    my ($ws, $head) = PushTest::push_ws_open('/ws/wsaging');
    $head =~ m{^HTTP/1.1 101} or return "no websocket: $head";
    PushTest::push_ws_send($ws, 1, "w$_") for 1 .. 2;
    # the sender gets its own messages back: both are stored; then the
    # gauges must come down by themselves
    my $echo = 0;
    for (1 .. 2) {
        my $f = PushTest::push_ws_frame($ws, 5) or last;
        $echo++ if $f->[1] =~ /^w\d$/;
    }
    close $ws;
    my ($stats, $messages);
    my $deadline = time + 15;
    while (time < $deadline) {
        $stats = PushTest::push_request('GET', '/stats')->{body};
        ($messages) = $stats =~ /"messages":(\d+)/;
        last if $messages == 0;
        sleep 0.2;
    }
    my $info = PushTest::push_request('GET', '/pub/wsaging')->{body};
    my ($kept) = $info =~ /"messages":(\d+)/;
    my ($last) = $info =~ /"last_message_id":"\w+:(\d+)"/;
    my $poll = PushTest::push_request('GET', '/old/wsaging');
    $stats = PushTest::push_request('GET', '/stats')->{body};
    my ($expired) = $stats =~ /"expired_total":(\d+)/;
    return "echo=$echo gauge=$messages info=$kept last=$last"
           . " poll=$poll->{status} expired=$expired";
});
--- request
GET /result
--- response_body
echo=2 gauge=0 info=0 last=2 poll=304 expired=2
--- timeout: 30
--- no_error_log
[error]
[alert]
