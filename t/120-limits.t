# Limits on subscribers and channels: each refusal is the documented status
# with a one-line reason, and nothing already there is disturbed.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: push_channel_split makes a list, push_max_channels_per_subscriber bounds it
--- config
    location = /poll {
        push_subscriber poll;
        push_channel $arg_ch;
        push_channel_split ",";
        push_max_channels_per_subscriber 3;
    }
--- request eval
["GET /poll?ch=a,b,c", "GET /poll?ch=a,b,c,d", "GET /poll?ch=a,,b",
 "GET /poll?ch=a,b,a", "GET /poll?ch=solo"]
--- error_code eval
[304, 403, 400, 400, 304]
--- response_body eval
["", "too many channels for one subscriber\n", "channel id is empty\n",
 "channel id given twice\n", ""]
--- response_headers_like eval
['Etag: "[0-9a-f]{8}:0,0,0"', "", "", "", 'Etag: "[0-9a-f]{8}:0"']
--- no_error_log
[error]



=== TEST 1b: too many channels for one subscriber is logged
The error_log check runs after each request of an array on the lines that
request logged, so the line is checked in a block of one request.
--- config
    location = /poll {
        push_subscriber poll;
        push_channel $arg_ch;
        push_channel_split ",";
        push_max_channels_per_subscriber 3;
    }
--- request
GET /poll?ch=a,b,c,d
--- error_code: 403
--- response_body
too many channels for one subscriber
--- error_log
too many channels for one subscriber
--- no_error_log
[error]



=== TEST 2: a split list in a publisher location is one channel or 400
--- config
    location = /pub {
        push_publisher;
        push_channel $arg_ch;
        push_channel_split ",";
    }
--- request eval
["POST /pub?ch=one\nx", "POST /pub?ch=one,two\nx"]
--- error_code eval
[202, 400]
--- response_body_like eval
[qr/"channel":"one"/, qr/^a publisher takes one channel\n\z/]
--- no_error_log
[error]



=== TEST 3: push_max_subscribers_per_channel refuses the one too many with 429
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_max_subscribers_per_channel 2;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my @held = map { my $s = push_connect(); push_send($s, 'GET', '/sub/full'); $s } 1 .. 2;
    push_wait_subscribers('/pub/full', 2) or die "never subscribed\n";
    my $third = push_request('GET', '/sub/full');
    # the two held ones still get the next message
    push_request('POST', '/pub/full', 'hello');
    my @got = map { push_read($_, 5)->{body} } @held;
    push_report('/pub/result', "third=$third->{status} $third->{body}"
                . "held=@got");
});
--- request
GET /result
--- response_body
third=429 channel has too many subscribers (push_max_subscribers_per_channel)
held=hello hello
--- timeout: 10
--- no_error_log
[error]



=== TEST 4: push_max_channels: no new channel past it, old ones still work
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_max_channels 2;
    }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
    }
    location ~ ^/wait/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_max_channels 2;
    }
--- request eval
["POST /pub/one\n1", "POST /pub/two\n2", "POST /pub/three\n3",
 "POST /pub/one\n4", "GET /sub/one", "GET /wait/three"]
--- error_code eval
[202, 202, 429, 202, 200, 429]
--- response_body eval
[qr/^\{"channel":"one","messages":1,/, qr/^\{"channel":"two","messages":1,/,
 "too many channels (push_max_channels)\n",
 qr/^\{"channel":"one","messages":2,/, "4",
 "too many channels (push_max_channels)\n"]
--- no_error_log
[error]



=== TEST 5: limits are checked at configuration time
--- config
    location = /poll {
        push_subscriber poll;
        push_channel $arg_ch;
        push_max_channels_per_subscriber 17;
    }
--- must_die
--- error_log
push_max_channels_per_subscriber must be 1 to 16, not 17
