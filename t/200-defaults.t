# The README's defaults and bounds, each pinned where it shows: the zone
# made when none is declared, the smallest zone, the buffer, the id length,
# the channels per subscriber, the stream ping, the WebSocket limits and
# origins, the retry in milliseconds.
use lib 't/helpers';
use PushTest;
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: without push_zone a zone "push" of 32m is made
--- config
    location = /stats { push_stats; }
--- request
GET /stats
--- response_body_like chomp
^\{"zone_size_bytes":33554432,
--- no_error_log
[error]



=== TEST 2: a zone of 32k (the least) is taken
--- http_config
    push_zone small 32k;
--- config
    location = /pub { push_publisher; push_channel demo; }
--- request
POST /pub
hello
--- error_code: 202
--- response_body_like chomp
"messages":1
--- no_error_log
[error]



=== TEST 3: a zone under 32k is refused with the least it takes
--- http_config
    push_zone small 28k;
--- config
    location = /pub { push_publisher; push_channel demo; }
--- must_die
--- error_log
push_zone "small" is too small: 28k, at least 32k



=== TEST 4: push_message_buffer keeps 100 messages by default
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/poll/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_first_message oldest;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $s = PushTest::push_connect();
    for my $i (1 .. 101) {
        PushTest::push_send($s, 'POST', '/pub/hundred', "m$i");
        PushTest::push_read($s, 5) or die "no answer to publish $i\n";
    }
    my $info = PushTest::push_request('GET', '/pub/hundred')->{body};
    my $first = PushTest::push_get('/poll/hundred');
    my ($n) = $info =~ /"messages":(\d+)/;
    PushTest::push_report('/pub/result', "messages=$n oldest=$first->{body}");
});
--- request
GET /result
--- response_body
messages=100 oldest=m2
--- timeout: 15
--- no_error_log
[error]



=== TEST 5: push_message_buffer takes up to 1,000,000
--- config
    location = /pub { push_publisher; push_channel a; push_message_buffer 1000000; }
--- request
POST /pub
x
--- error_code: 202
--- no_error_log
[error]



=== TEST 6: push_message_buffer over 1,000,000 is refused
--- config
    location = /pub { push_publisher; push_channel a; push_message_buffer 1000001; }
--- must_die
--- error_log
push_message_buffer must be 1 to 1000000, not 1000001



=== TEST 7: push_message_buffer is the publisher location's, not the subscriber's that made the channel
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_message_buffer 1;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $s = PushTest::push_connect();
    PushTest::push_send($s, 'GET', '/sub/made');
    PushTest::push_wait_subscribers('/pub/made', 1) or die "never parked\n";
    PushTest::push_request('POST', '/pub/made', "m$_") for 1 .. 3;
    my $info = PushTest::push_request('GET', '/pub/made')->{body};
    my ($n) = $info =~ /"messages":(\d+)/;
    PushTest::push_report('/pub/result', "messages=$n");
});
--- request
GET /result
--- response_body
messages=3
--- no_error_log
[error]



=== TEST 8: push_channel_id_max_length takes up to 4096
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_channel_id_max_length 4096;
    }
--- request eval
"POST /pub/" . ("a" x 4096) . "\nx"
--- error_code: 202
--- no_error_log
[error]



=== TEST 9: push_channel_id_max_length over 4096 is refused
--- config
    location = /pub { push_publisher; push_channel a; push_channel_id_max_length 4097; }
--- must_die
--- error_log
push_channel_id_max_length must be 1 to 4096, not 4097



=== TEST 10: push_max_channels_per_subscriber is 16 by default
--- config
    location = /poll {
        push_subscriber poll;
        push_channel $arg_ch;
        push_channel_split ",";
    }
--- request eval
["GET /poll?ch=" . CORE::join(',', 'a' .. 'p'),
 "GET /poll?ch=" . CORE::join(',', 'a' .. 'q')]
--- error_code eval
[304, 403]
--- response_body eval
["", "too many channels for one subscriber\n"]
--- no_error_log eval
["[error]", "[error]"]



=== TEST 11: an HTTP stream gets no ping unless push_stream_ping says one
--- config
    location ~ ^/st/(?<ch>\w+)$ {
        push_subscriber stream;
        push_channel $ch;
        push_ping_interval 200ms;
    }
--- request
GET /st/idle HTTP/1.0
--- timeout: 1
--- abort
--- error_code: 200
--- response_body eval
""
--- no_error_log
[error]



=== TEST 12: push_sse_retry is sent in milliseconds
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry 10s;
    }
    location ~ ^/ev2/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry 1500ms;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my @got;
    for my $path ('/ev/r', '/ev2/r') {
        my $s = PushTest::push_connect();
        PushTest::push_send($s, 'GET', "$path HTTP/1.0");
        my $text = PushTest::push_read_until($s, qr/\r\n\r\n.*\n\n/s, 5);
        push @got, $text =~ /\r\n\r\n(retry: \d+)\n\n/ ? $1 : 'none';
    }
    PushTest::push_report('/pub/result', join ' | ', @got);
});
--- request
GET /result
--- response_body
retry: 10000 | retry: 1500
--- no_error_log
[error]



=== TEST 13: push_websocket_max_message_size is 1m by default: 1m passes, one byte more is 1009
--- config
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_publish on;
    }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/poll/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_first_message oldest;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my ($s) = PushTest::push_ws_open('/ws/big');
    PushTest::push_ws_send($s, 0x2, 'a' x 1048576);
    my $echo;
    for (1 .. 500) {
        $echo = PushTest::push_get('/poll/big');
        last if $echo && $echo->{status} == 200;
        Time::HiRes::sleep(0.02);
    }
    my ($t) = PushTest::push_ws_open('/ws/big');
    # a frame that announces one byte more than 1m: the server need not
    # wait for it all to refuse it
    $t->syswrite("\x82\xff" . pack('NN', 0, 1048577) . "\x01\x02\x03\x04"
                 . ('b' x 100));
    my $f = PushTest::push_ws_frame($t, 10);
    my $info = PushTest::push_request('GET', '/pub/big')->{body};
    my ($n) = $info =~ /"messages":(\d+)/;
    PushTest::push_report('/pub/result',
        "published=" . ($echo ? length $echo->{body} : 'none')
        . " over=" . ($f ? unpack('n', $f->[1]) : 'none')
        . " messages=$n");
});
--- request
GET /result
--- response_body
published=1048576 over=1009 messages=1
--- timeout: 30
--- error_log
closing with 1009
--- no_error_log
[error]



=== TEST 14: push_websocket_timeout is twice push_ping_interval by default
--- config
    push_ping_interval 400ms;
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $t0 = Time::HiRes::time();
    my ($s) = PushTest::push_ws_open('/ws/quiet');
    # never answers the pings: read frames until the server lets go
    my $pings = 0;
    while (my $f = PushTest::push_ws_frame($s, 5)) {
        $pings++ if $f->[0] == 9;
        last if $f->[0] == 8;
    }
    PushTest::push_read_until($s, undef, 5);
    my $took = Time::HiRes::time() - $t0;
    PushTest::push_report('/pub/result',
        "dropped=" . ($took >= 0.75 && $took < 6 ? 'after 2 intervals' : $took)
        . " pinged=" . ($pings >= 1 ? 'yes' : 'no'));
});
--- request
GET /result
--- response_body
dropped=after 2 intervals pinged=yes
--- timeout: 10
--- error_log
push: WebSocket client did not answer pings
--- no_error_log
[error]



=== TEST 15: without push_websocket_allow_origin any Origin may open a WebSocket
--- config
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
--- raw_request eval
"GET /ws/a HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: Upgrade\r
Origin: https://elsewhere.example\r
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
Sec-WebSocket-Version: 13\r
\r
"
--- abort
--- timeout: 0.5
--- error_code: 101
--- response_headers
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
--- no_error_log
[error]



=== TEST 16: push_zone belongs to the http level
--- config
    push_zone inner 1m;
    location = /pub { push_publisher; push_channel a; }
--- must_die
--- error_log
"push_zone" directive is not allowed here



=== TEST 17: push_publisher belongs to a location
--- config
    push_publisher;
    location = /pub { push_channel a; }
--- must_die
--- error_log
"push_publisher" directive is not allowed here



=== TEST 18: push_subscriber belongs to a location
--- config
    push_subscriber;
    push_channel a;
    location = /stats { push_stats; }
--- must_die
--- error_log
"push_subscriber" directive is not allowed here
