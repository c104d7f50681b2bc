# Hostile and broken clients: each gets its documented status or close code
# and an info line, and none of them crashes nginx, holds up other clients
# or causes an [alert].
use lib 't/helpers';
use PushTest;
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: wrong methods are 405 with Allow, logged at info
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber; push_channel $ch; }
--- request eval
["PATCH /pub/x", "PUT /sub/x\nbody", "DELETE /sub/x"]
--- error_code eval
[405, 405, 405]
--- response_headers_like eval
["Allow: GET, HEAD, POST, PUT, DELETE", "Allow: GET, HEAD", "Allow: GET, HEAD"]
--- no_error_log
[error]
[alert]



=== TEST 1b: wrong methods are logged at info
The error_log check runs after each request of an array on the lines
that request logged, so the lines are checked in a block of one request.
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber; push_channel $ch; }
--- init
push_request('PATCH', '/pub/x')->{status} == 405 or die "PATCH not 405\n";
--- request
PUT /sub/x
body
--- error_code: 405
--- error_log
push: method not allowed for the publisher
push: method not allowed for subscribers
--- no_error_log
[error]
[alert]



=== TEST 2: channel ids with control characters, NUL or too many bytes are 400
--- config
    location ~ ^/pub/(?<ch>[^/]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[^/]+)$ { push_subscriber; push_channel $ch; }
--- request eval
["POST /pub/a%01b\nx", "POST /pub/a%7Fb\nx", "POST /pub/a%0D%0Ab\nx",
 "POST /pub/" . ("a" x 256) . "\nx", "GET /sub/a%1Bb?transport=poll",
 "GET /sub/" . ("b" x 256) . "?transport=poll", "POST /pub/a%00b\nx",
 "POST /pub/" . ("a" x 255) . "\nx"]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 202]
--- response_body_like eval
["^channel id has a control character\n\\z",
 "^channel id has a control character\n\\z",
 "^channel id has a control character\n\\z",
 "^channel id too long\n\\z",
 "^channel id has a control character\n\\z",
 "^channel id too long\n\\z",
 "400 Bad Request", '"messages":1']
--- no_error_log
[error]
[alert]



=== TEST 2b: channel ids with control characters, NUL or too many bytes are logged
The error_log check runs after each request of an array on the lines
that request logged, so the lines are checked in a block of one request.
--- config
    location ~ ^/pub/(?<ch>[^/]+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>[^/]+)$ { push_subscriber; push_channel $ch; }
--- init
for my $path ('/pub/a%01b', '/pub/' . ('a' x 256)) {
    push_request('POST', $path, 'x')->{status} == 400
        or die "POST $path not 400\n";
}
push_request('GET', '/sub/' . ('b' x 256) . '?transport=poll')->{status}
    == 400 or die "GET of a long id not 400\n";
--- request
POST /pub/a%00b
x
--- error_code: 400
--- error_log
push: channel id has a control character
push: channel id too long
client sent invalid request
--- no_error_log
[error]
[alert]



=== TEST 3: cursors naming too many channels, or the wrong number, are 400
--- config
    location = /multi { push_subscriber poll sse; push_channel a b c; }
--- request eval
["GET /multi?last_event_id=0badcafe:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
 "GET /multi?last_event_id=0badcafe:1,2",
 "GET /multi?transport=sse&last_event_id=0badcafe:" . ('9' x 5000),
 "GET /multi?last_event_id=0badcafe:1,2,3"]
--- error_code eval
[400, 400, 400, 304]
--- response_body_like eval
["^invalid message id\n\\z", "^message id does not match the channels\n\\z",
 "^invalid message id\n\\z", "^\\z"]
--- no_error_log
[error]
[alert]



=== TEST 3b: cursors naming too many channels, or the wrong number, are logged
The error_log check runs after each request of an array on the lines
that request logged, so the lines are checked in a block of one request.
--- config
    location = /multi { push_subscriber poll sse; push_channel a b c; }
--- init
push_request('GET', '/multi?last_event_id=0badcafe:'
             . join(',', 1 .. 17))->{status} == 400
    or die "17 channels not 400\n";
--- request
GET /multi?last_event_id=0badcafe:1,2
--- error_code: 400
--- error_log
push: invalid message id
push: message id does not match the channels
--- no_error_log
[error]
[alert]



=== TEST 4: more than 16 channels in one subscription is a configuration error
--- config
    location = /multi {
        push_subscriber;
        push_channel a b c d e f g h i j k l m n o p q;
    }
--- must_die
--- error_log
push_channel takes at most 16 channels



=== TEST 5: a header larger than nginx's buffers is 400, logged at info
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
--- more_headers eval
"X-Big: " . ("a" x 20000)
--- request
POST /pub/x
x
--- error_code: 400
--- error_log
client sent too long header line
--- no_error_log
[error]
[alert]



=== TEST 6: a body over client_max_body_size is 413 (nginx's own check, logged by nginx at error)
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        client_max_body_size 1k;
        push_publisher;
        push_channel $ch;
    }
--- request eval
["POST /pub/x\n" . ("a" x 5000), "GET /pub/x"]
--- error_code eval
[413, 404]
--- no_error_log
[alert]
[crit]



=== TEST 6b: a body over client_max_body_size is logged by nginx at error
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        client_max_body_size 1k;
        push_publisher;
        push_channel $ch;
    }
--- request eval
"POST /pub/x\n" . ("a" x 5000)
--- error_code: 413
--- error_log
client intended to send too large body
--- no_error_log
[alert]
[crit]



=== TEST 7: a subscriber's request body is read and dropped, never taken for the next request
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber poll sse;
        push_channel $ch;
        push_first_message oldest;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/body', 'kept');
    # a poll with a body that looks like a request, then a real one
    my $s = push_connect();
    my $smuggled = "GET /pub/evil HTTP/1.1\r\nHost: x\r\n\r\n";
    push_send($s, 'GET', '/sub/body?transport=poll', $smuggled);
    push_send($s, 'GET', '/pub/body');
    my $a = push_read($s, 2);
    my $b = push_read($s, 2);
    my $c = push_read($s, 0.5);
    # SSE with a body, and with a chunked body: served, body ignored
    my $sse = push_connect();
    push_send($sse, 'GET', '/sub/body?transport=sse HTTP/1.0', 'some body');
    my $ev = push_read_until($sse, qr/data: kept\n\n/, 2);
    my $ch = push_connect();
    $ch->syswrite("GET /sub/body?transport=sse HTTP/1.1\r\nHost: x\r\n"
                  . "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    my $ev2 = push_read_until($ch, qr/data: kept\n\n/, 2);
    push_report('/pub/result', join ' ',
        "poll=$a->{status}:$a->{body}",
        "next=$b->{status}:" . ($b->{body} =~ /"channel":"body"/ ? 'body' : $b->{body}),
        "extra=" . ($c ? $c->{status} : 'none'),
        "sse=" . ($ev =~ /data: kept\n\n/ ? 'kept' : 'no'),
        "chunked=" . ($ev2 =~ /data: kept\n\n/ ? 'kept' : 'no'));
});
--- request
GET /result
--- response_body
poll=200:kept next=200:body extra=none sse=kept chunked=kept
--- timeout: 10
--- no_error_log
[error]
[alert]



=== TEST 8: slowloris requests and stalled WebSocket frames hold up nobody and are dropped
--- config
    client_header_timeout 1s;
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll sse websocket;
        push_channel $ch;
        push_ping_interval 1s;
        push_websocket_timeout 1s;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    local $SIG{PIPE} = 'IGNORE';        # nginx drops them as we write
    my @slow;
    for (1 .. 20) {
        my $s = push_connect();
        $s->syswrite("GET /sub/slow HTTP/1.1\r\nHost: x\r\n");
        push @slow, $s;
    }
    for (1 .. 5) {
        # a frame that announces 200 bytes and sends 10
        my ($w) = push_ws_open('/sub/slow');
        $w->syswrite("\x82\xfe\x00\xc8\x01\x02\x03\x04" . ('a' x 10));
        push @slow, $w;
    }
    my $epoch = push_epoch(push_request('POST', '/pub/slow', 'start'));
    my $sse = push_connect();
    push_send($sse, 'GET', '/sub/slow HTTP/1.0', undef,
              ['Accept: text/event-stream']);
    my $t0 = time;
    my ($worst, $got) = (0, 0);
    while (time - $t0 < 2.5) {
        # the slowloris ones keep trickling headers
        $_->syswrite("X-a: b\r\n") for @slow[0 .. 19];
        # "start" is seq 1, so m0 is seq 2
        my $lp = push_connect();
        push_send($lp, 'GET', '/sub/slow', undef,
                  ["If-None-Match: \"$epoch:" . ($got + 1) . '"']);
        sleep 0.05;
        my $t = time;
        push_request('POST', '/pub/slow', "m$got");
        my $r = push_read($lp, 1);
        $worst = time - $t if time - $t > $worst;
        last unless $r && $r->{body} eq "m$got";
        $got++;
        sleep 0.15;
    }
    my $ev = push_read_until($sse, qr/data: m@{[$got - 1]}\n\n/, 1);
    my $sse_all = () = $ev =~ /data: m\d+\n\n/g;
    # by now every slow connection has been dropped by the server
    my $dropped = 0;
    for my $s (@slow) {
        my $sel = IO::Select->new($s);
        next unless $sel->can_read(3);
        my $buf = '';
        1 while $s->sysread($buf, 4096, length $buf);
        $dropped++;
    }
    push_report('/pub/result', "served=" . ($got >= 5 ? 'yes' : $got)
        . " sse=" . ($sse_all == $got ? 'all' : $sse_all)
        . " latency=" . ($worst < 0.2 ? 'ok' : $worst)
        . " dropped=$dropped");
});
--- request
GET /result
--- response_body
served=yes sse=all latency=ok dropped=25
--- timeout: 15
--- error_log
client timed out
push: WebSocket client did not answer pings
--- no_error_log
[error]
[alert]



=== TEST 9: WebSocket garbage gets its close code; a healthy client on the channel is unaffected
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_websocket_max_message_size 16k;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
sub close_code {
    my ($s) = @_;
    my $f = push_ws_frame($s, 2);
    my $code = $f && $f->[0] == 8 ? unpack('n', $f->[1]) : 'none';
    my $rest = push_read_until($s, undef, 2);
    return $code . ($rest eq '' ? '' : '+more');
}
push_in_background(sub {
    my ($healthy) = push_ws_open('/ws/g');
    my @out;
    srand(6455);
    my ($s) = push_ws_open('/ws/g');
    $s->syswrite(join '', map { chr int rand 256 } 1 .. 4000);
    push @out, 'random=' . close_code($s);
    ($s) = push_ws_open('/ws/g');
    # says 5 bytes, sends 30: the rest is taken as a frame header
    $s->syswrite("\x82\x85\x01\x02\x03\x04" . ('a' x 30));
    push @out, 'long_lie=' . close_code($s);
    ($s) = push_ws_open('/ws/g');
    $s->syswrite("\x82\xff\x80\0\0\0\0\0\0\x05\x01\x02\x03\x04abcde");
    push @out, 'top_bit=' . close_code($s);
    ($s) = push_ws_open('/ws/g');
    $s->syswrite("\x82\xff\0\0\0\x01\0\0\0\0\x01\x02\x03\x04abcde");
    push @out, 'huge=' . close_code($s);
    ($s) = push_ws_open('/ws/g');
    push_ws_send($s, 1, 'a' x 1000, 0);
    push_ws_send($s, 0, 'a' x 1000, 0) for 1 .. 20;
    push @out, 'fragments=' . close_code($s);
    ($s) = push_ws_open('/ws/g');
    push_ws_send($s, 1, '', 0);
    push_ws_send($s, 0, '', 0) for 1 .. 10000;
    push_ws_send($s, 0, '', 1);
    push_ws_send($s, 9, 'still');
    my $pong = push_ws_frame($s, 2);
    push @out, 'empty_fragments=' . ($pong && $pong->[0] == 10 ? $pong->[1] : 'none');
    push_request('POST', '/pub/g', 'fine');
    my $f = push_ws_frame($healthy, 2);
    push @out, 'healthy=' . ($f ? $f->[1] : 'none');
    push_report('/pub/result', "@out");
});
--- request
GET /result
--- response_body
random=1002 long_lie=1002 top_bit=1002 huge=1009 fragments=1009 empty_fragments=still healthy=fine
--- timeout: 15
--- error_log
closing with 1002
closing with 1009
--- no_error_log
[error]
[alert]
