# WebSocket notices and client-published data: what a subscriber can and
# cannot tell apart today (see README, "WebSocket").
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a client can publish the bytes of a gap notice; other subscribers get the same frame
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_publish on;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $epoch = PushTest::push_epoch(
        PushTest::push_request('POST', '/pub/g', 'm1'));
    my $other = sprintf '%08x', hex($epoch) ^ 1;

    # the module's own notice: a cursor from another epoch
    my ($told) = PushTest::push_ws_open("/ws/g?last_event_id=$other:1");
    my $notice = PushTest::push_ws_frame($told, 10) or die "no notice\n";
    my $m1 = PushTest::push_ws_frame($told, 10) or die "no m1\n";

    # a client's message with the same bytes
    my ($peer) = PushTest::push_ws_open('/ws/g');
    my ($sender) = PushTest::push_ws_open('/ws/g');
    PushTest::push_wait_subscribers('/pub/g', 3, 10)
        or die "never subscribed\n";
    PushTest::push_ws_send($sender, 0x1, '{"push_gap":"unknown"}');
    my $forged = PushTest::push_ws_frame($peer, 10) or die "no frame\n";

    my $same = join(',', @$notice) eq join(',', @$forged) ? 1 : 0;
    PushTest::push_report('/pub/result',
                          "notice=$notice->[0]:$notice->[1] then=$m1->[1] "
                          . "forged=$forged->[0]:$forged->[1] same=$same");
});
--- request
GET /result
--- timeout: 15
--- response_body
notice=1:{"push_gap":"unknown"} then=m1 forged=1:{"push_gap":"unknown"} same=1
--- no_error_log
[error]
