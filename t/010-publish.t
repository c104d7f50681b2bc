# The publish endpoint: publish, channel info, delete, and every refusal.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: POST publishes and answers 202 with channel info when nobody listens
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
--- request eval
["POST /pub/news\nfirst", "PUT /pub/news\nsecond", "GET /pub/news"]
--- error_code eval
[202, 202, 200]
--- response_body_like eval
[qr/^\{"channel":"news","messages":1,"subscribers":0,"last_message_id":"[0-9a-f]{8}:1"\}\n\z/,
 qr/^\{"channel":"news","messages":2,"subscribers":0,"last_message_id":"[0-9a-f]{8}:2"\}\n\z/,
 qr/^\{"channel":"news","messages":2,"subscribers":0,"last_message_id":"[0-9a-f]{8}:2"\}\n\z/]
--- no_error_log
[error]



=== TEST 2: channel info as text when asked
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
--- request eval
["POST /pub/news\nfirst", "GET /pub/news"]
--- more_headers
Accept: text/plain
--- response_headers eval
["Content-Type: text/plain", "Content-Type: text/plain"]
--- response_body_like eval
[qr/^channel: news\nmessages: 1\nsubscribers: 0\nlast_message_id: [0-9a-f]{8}:1\n\z/,
 qr/^channel: news\nmessages: 1\nsubscribers: 0\nlast_message_id: [0-9a-f]{8}:1\n\z/]
--- error_code eval
[202, 200]
--- no_error_log
[error]



=== TEST 3: an unknown channel is 404
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
--- request
GET /pub/nothing
--- error_code: 404
--- response_body
no such channel
--- no_error_log
[error]



=== TEST 4: DELETE removes the channel
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
--- request eval
["POST /pub/gone\nx", "DELETE /pub/gone", "GET /pub/gone", "DELETE /pub/gone"]
--- error_code eval
[202, 200, 404, 404]
--- response_body_like eval
[qr/"messages":1/, qr/^\{"channel":"gone","messages":1,"subscribers":0,/,
 qr/^no such channel\n\z/, qr/^no such channel\n\z/]
--- no_error_log
[error]



=== TEST 4b: DELETE logs what it ended
The error_log check runs after each request of an array on the lines that
request logged, so the line is checked in a block of one request.
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
--- init
push_request('POST', '/pub/gone', 'x')->{status} == 202
    or die "the publish was refused\n";
--- request
DELETE /pub/gone
--- error_code: 200
--- response_body_like chomp
^\{"channel":"gone","messages":1,"subscribers":0,
--- error_log
channel "gone" deleted, 0 subscribers ended
--- no_error_log
[error]



=== TEST 5: other methods are 405 with Allow
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
--- request
PATCH /pub/news
--- error_code: 405
--- response_headers
Allow: GET, HEAD, POST, PUT, DELETE
--- response_body
method not allowed for the publisher
--- no_error_log
[error]



=== TEST 6: a body over client_max_body_size is 413 and stores nothing
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        client_max_body_size 10;
        push_publisher;
        push_channel $ch;
    }
--- request eval
["POST /pub/big\n0123456789abcdef", "GET /pub/big"]
--- error_code eval
[413, 404]
--- response_body_like eval
[qr/413/, qr/^no such channel\n\z/]



=== TEST 6b: a body over client_max_body_size is logged
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        client_max_body_size 10;
        push_publisher;
        push_channel $ch;
    }
--- request
POST /pub/big
0123456789abcdef
--- error_code: 413
--- response_body_like chomp
413
--- error_log
client intended to send too large body



=== TEST 7: a channel id with a control character is 400
--- config
    location /raw/ { push_publisher; push_channel $uri; }
--- request
POST /raw/a%01b
x
--- error_code: 400
--- response_body
channel id has a control character
--- error_log
push: channel id has a control character
--- no_error_log
[error]



=== TEST 8: a channel id over push_channel_id_max_length is 400
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_channel_id_max_length 5;
    }
--- request eval
["POST /pub/abcde\nok", "POST /pub/abcdef\nno"]
--- error_code eval
[202, 400]
--- response_body_like eval
[qr/"channel":"abcde"/, qr/^channel id too long\n\z/]
--- no_error_log
[error]



=== TEST 9: an empty channel id is 400
--- config
    location = /pub { push_publisher; push_channel $arg_ch; }
--- request
POST /pub
x
--- error_code: 400
--- response_body
channel id is empty
--- no_error_log
[error]



=== TEST 10: a bad Push-Event header is 400
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
--- request
POST /pub/ev
x
--- more_headers eval
"Push-Event: " . ("e" x 65)
--- error_code: 400
--- response_body
invalid Push-Event header
--- no_error_log
[error]



=== TEST 11: the content type and event name travel with the message
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/typed', '{"a":1}',
                 ['Content-Type: application/json', 'Push-Event: myEvent']);
});
--- request
GET /sub/typed
--- response_headers
Content-Type: application/json
Push-Event: myEvent
--- response_body chomp
{"a":1}
--- no_error_log
[error]



=== TEST 12: an empty body is a message with an empty payload
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_first_message oldest;
    }
--- init
push_in_background(sub { push_request('POST', '/pub/empty', ''); });
--- request
GET /sub/empty
--- response_headers
Content-Length: 0
--- response_body chomp
--- no_error_log
[error]



=== TEST 13: a body nginx spilled to a temp file is published whole
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        client_body_buffer_size 1k;
        push_publisher;
        push_channel $ch;
    }
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
--- request eval
["POST /pub/big\n" . ("0123456789" x 500), "GET /poll/big"]
--- error_code eval
[202, 200]
--- response_body_like eval
[qr/"messages":1/, qr/^(0123456789){500}\z/]
--- no_error_log
[error]



=== TEST 14: 201 when a subscriber got the message
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /result { push_subscriber longpoll; push_channel result; push_first_message oldest; }
--- init
push_in_background(sub {
    my $s = push_connect();
    push_send($s, 'GET', '/sub/live');
    push_wait_subscribers('/pub/live', 1) or die "not parked";
    my $p = push_request('POST', '/pub/live', 'hi');
    my $got = push_read($s, 2);
    push_report('/pub/result', "publish $p->{status} $p->{body}"
                . "subscriber $got->{status} $got->{body}");
});
--- request
GET /result
--- response_body_like chomp
^publish 201 \{"channel":"live","messages":1,"subscribers":1,"last_message_id":"[0-9a-f]{8}:1"\}\nsubscriber 200 hi\n\z
--- no_error_log
[error]



=== TEST 15: messages published just before a DELETE still reach the subscribers
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber sse; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $sse = push_connect();
    push_send($sse, 'GET', '/sub/last', undef, ['Accept: text/event-stream']);
    push_wait_subscribers('/pub/last', 1) or die "never subscribed\n";
    # pipelined: the worker stores both, then the delete, before it runs
    # a delivery round
    my $p = push_connect();
    $p->syswrite("POST /pub/last HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nm1"
                 . "POST /pub/last HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nm2"
                 . "DELETE /pub/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my $all = push_read_until($sse, qr/event: deleted/, 5);
    my @got = $all =~ /^(data: \S+|event: \w+)$/mg;
    push_report('/pub/result', join(' ', @got));
});
--- request
GET /result
--- response_body
data: m1 data: m2 event: deleted
--- timeout: 10
--- no_error_log
[error]
