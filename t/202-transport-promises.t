# What the README promises about picking a transport and a cursor, and
# about the headers and framing of each transport's answers.
use lib 't/helpers';
use PushTest;
use POSIX ();
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: without a hint a request gets longpoll, else poll, sse, stream, in that order; hints pick
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/all/(?<ch>\w+)$ { push_subscriber; push_channel $ch; }
    location ~ ^/ps/(?<ch>\w+)$ { push_subscriber sse poll; push_channel $ch; }
    location ~ ^/ss/(?<ch>\w+)$ { push_subscriber stream sse; push_channel $ch; }
    location ~ ^/sw/(?<ch>\w+)$ { push_subscriber websocket stream; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
sub Test::Nginx::Util::audit_head {
    my ($path, @headers) = @_;
    my $s = PushTest::push_connect();
    PushTest::push_send($s, 'GET', $path, undef, \@headers);
    my $head = PushTest::push_read_until($s, qr/\r\n\r\n/, 5);
    my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
    my ($type) = $head =~ /^Content-Type: ([^;\r]+)/mi;
    return ($s, $status . ':' . ($type // '-'));
}
PushTest::push_in_background(sub {
    my @got;
    my $lp = PushTest::push_connect();
    PushTest::push_send($lp, 'GET', '/all/w');
    my $parked = PushTest::push_wait_subscribers('/pub/w', 1, 5);
    PushTest::push_request('POST', '/pub/w', 'hi', ['Content-Type: text/x-a']);
    my $r = PushTest::push_read($lp, 5);
    push @got, "all=" . ($parked ? 'waited' : 'answered') . ":$r->{status}";
    for my $case (['/ps/x'], ['/ss/x'], ['/sw/x'],
                  ['/all/x', 'Accept: text/event-stream'],
                  ['/all/x?transport=sse'], ['/all/x?transport=stream'],
                  ['/all/x?transport=poll'])
    {
        my ($s, $what) = Test::Nginx::Util::audit_head(@$case);
        push @got, $what;
        close $s;
    }
    my ($ws, $head) = PushTest::push_ws_open('/all/x');
    push @got, "ws=" . ($head =~ m{^HTTP/1\.1 (\d+)} ? $1 : 'none');
    PushTest::push_report('/pub/result', "@got");
});
--- request
GET /result
--- response_body
all=waited:200 304:- 200:text/event-stream 200:text/plain 200:text/event-stream 200:text/event-stream 200:text/plain 304:- ws=101
--- timeout: 10
--- no_error_log
[error]



=== TEST 2: the cursor is Last-Event-ID, else ?last_event_id=, else If-None-Match
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
    my $e;
    $e = PushTest::push_epoch(PushTest::push_request('POST', '/pub/c', "m$_"))
        for 1 .. 3;
    my @all = ("Last-Event-ID: $e:1", "If-None-Match: \"$e:0\"");
    my $hdr = PushTest::push_request('GET', "/poll/c?last_event_id=$e:2",
                                     undef, \@all);
    my $arg = PushTest::push_request('GET', "/poll/c?last_event_id=$e:2",
                                     undef, [$all[1]]);
    my $inm = PushTest::push_request('GET', '/poll/c', undef, [$all[1]]);
    PushTest::push_report('/pub/result',
                          "$hdr->{body} $arg->{body} $inm->{body}");
});
--- request
GET /result
--- response_body
m2 m3 m1
--- no_error_log
[error]



=== TEST 3: a subscriber takes HEAD: the poll's headers, no body
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    PushTest::push_request('POST', '/pub/h', 'payload');
    my $s = PushTest::push_connect();
    $s->syswrite("HEAD /poll/h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my $all = PushTest::push_read_until($s, undef, 5);
    my ($status) = $all =~ m{^HTTP/1\.1 (\d+)};
    my ($etag) = $all =~ /^Etag: ("[0-9a-f]{8}:1")\r$/mi;
    my ($body) = $all =~ /\r\n\r\n(.*)\z/s;
    PushTest::push_report('/pub/result', "status=$status etag="
                          . ($etag ? 'cursor' : 'none') . " body='$body'");
});
--- request
GET /result
--- response_body
status=200 etag=cursor body=''
--- no_error_log
[error]



=== TEST 4: poll and long-poll answers carry the type, event, Etag, Last-Modified and no-store
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber poll longpoll;
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
    my $t0 = time;
    PushTest::push_request('POST', '/pub/hd', '{"k":1}',
                           ['Content-Type: application/json', 'Push-Event: ev']);
    my $t1 = time;
    my %ok = map {
        (POSIX::strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime $_) => 1)
    } $t0 - 1 .. $t1 + 1;
    my @got;
    for my $t ('poll', 'longpoll') {
        my $r = PushTest::push_get("/sub/hd?transport=$t");
        my $h = $r->{headers};
        push @got, join ',', $t, $r->{status}, $r->{body}, $h->{'content-type'},
            $h->{'push-event'}, $h->{'cache-control'},
            ($ok{$h->{'last-modified'} // ''} ? 'published-at' : 'lm?'),
            ($h->{etag} =~ /^"[0-9a-f]{8}:1"$/ ? 'etag' : 'etag?');
    }
    PushTest::push_report('/pub/result', join ' ', @got);
});
--- request
GET /result
--- response_body
poll,200,{"k":1},application/json,ev,no-store,published-at,etag longpoll,200,{"k":1},application/json,ev,no-store,published-at,etag
--- no_error_log
[error]



=== TEST 5: SSE and HTTP streams: headers at once, chunked on HTTP/1.1, nosniff
--- config
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber sse stream; push_channel $ch; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my @got;
    for my $t ('sse', 'stream') {
        my $s = PushTest::push_connect();
        PushTest::push_send($s, 'GET', "/sub/quiet?transport=$t");
        # nothing is published: the headers must come on their own
        my $head = PushTest::push_read_until($s, qr/\r\n\r\n/, 5);
        push @got, join ',', $t,
            ($head =~ /\r\n\r\n/ ? 'head' : 'nothing'),
            ($head =~ /^Transfer-Encoding: chunked\r$/mi ? 'chunked' : 'unchunked'),
            ($head =~ /^X-Content-Type-Options: nosniff\r$/mi ? 'nosniff' : 'sniff');
    }
    PushTest::push_report('/pub/result', join ' ', @got);
});
--- request
GET /result
--- response_body
sse,head,chunked,nosniff stream,head,chunked,nosniff
--- no_error_log
[error]



=== TEST 6: a stream over several channels gets its backlog in the order it was published
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /st {
        push_subscriber stream;
        push_channel left right;
        push_first_message oldest;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    PushTest::push_request('POST', "/pub/$_->[0]", $_->[1])
        for [left => 'l1'], [right => 'r1'], [right => 'r2'], [left => 'l2'],
            [right => 'r3'];
    my $s = PushTest::push_connect();
    PushTest::push_send($s, 'GET', '/st HTTP/1.0');
    my $got = PushTest::push_read_until($s, qr/r3\n/, 5);
    $got =~ s/\A.*?\r\n\r\n//s;
    $got =~ s/\n/ /g;
    PushTest::push_report('/pub/result', $got);
});
--- request
GET /result
--- response_body
l1 r1 r2 l2 r3 
--- no_error_log
[error]



=== TEST 7: messages stored before one delivery round reach a stream as one chunk
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry off;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $s = PushTest::push_connect();
    PushTest::push_send($s, 'GET', '/ev/round');
    PushTest::push_read_until($s, qr/\r\n\r\n/, 5);
    PushTest::push_wait_subscribers('/pub/round', 1) or die "never subscribed\n";
    # pipelined: the worker stores all three before it runs a round
    my $p = PushTest::push_connect();
    $p->syswrite(join '', map {
        "POST /pub/round HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nm$_"
    } 1 .. 3);
    my $raw = PushTest::push_read_until($s, qr/data: m3\n\n\r\n/, 5);
    my @chunks = $raw =~ /(?:\A|\r\n)([0-9a-f]+)\r\nid: /g;
    my @events = $raw =~ /data: (m\d)/g;
    PushTest::push_report('/pub/result', scalar(@chunks) . " chunk(s): @events");
});
--- request
GET /result
--- response_body
1 chunk(s): m1 m2 m3
--- no_error_log
[error]



=== TEST 8: a stream whose cursor is behind the buffer gets Push-Gap on its headers, then the oldest kept
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 2;
    }
    location ~ ^/st/(?<ch>\w+)$ { push_subscriber stream; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $e;
    $e = PushTest::push_epoch(PushTest::push_request('POST', '/pub/g', "m$_"))
        for 1 .. 5;
    my $s = PushTest::push_connect();
    PushTest::push_send($s, 'GET', "/st/g?last_event_id=$e:1 HTTP/1.0");
    my $got = PushTest::push_read_until($s, qr/m5\n/, 5);
    my ($gap) = $got =~ /^Push-Gap: (\S+)\r$/mi;
    $got =~ s/\A.*?\r\n\r\n//s;
    $got =~ s/\n/ /g;
    PushTest::push_report('/pub/result', "gap=" . ($gap // 'none') . " $got");
});
--- request
GET /result
--- response_body
gap=2 m4 m5 
--- no_error_log
[error]



=== TEST 9: a DELETE right after a publish: the long-poll, stream and WebSocket get the message first
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll stream websocket;
        push_channel $ch;
        push_stream_footer "[end]";
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $lp = PushTest::push_connect();
    PushTest::push_send($lp, 'GET', '/sub/last');
    my $st = PushTest::push_connect();
    PushTest::push_send($st, 'GET', '/sub/last?transport=stream HTTP/1.0');
    my ($ws) = PushTest::push_ws_open('/sub/last');
    PushTest::push_wait_subscribers('/pub/last', 3) or die "never subscribed\n";
    # pipelined: the worker stores the message and deletes the channel
    # before it runs a delivery round
    my $p = PushTest::push_connect();
    $p->syswrite("POST /pub/last HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nm1"
                 . "DELETE /pub/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my $r = PushTest::push_read($lp, 5);
    my $stream = PushTest::push_read_until($st, undef, 5);
    $stream =~ s/\A.*?\r\n\r\n//s;
    $stream =~ s/\n/ /g;
    my $f1 = PushTest::push_ws_frame($ws, 5);
    my $f2 = PushTest::push_ws_frame($ws, 5);
    PushTest::push_report('/pub/result', join ' ',
        "longpoll=$r->{status}:$r->{body}", "stream=$stream",
        "ws=$f1->[0]:$f1->[1]," . ($f2 && $f2->[0] == 8 ? unpack('n', $f2->[1])
                                                        : 'none'));
});
--- request
GET /result
--- response_body
longpoll=200:m1 stream=m1 [end] ws=1:m1,1000
--- timeout: 10
--- no_error_log
[error]



=== TEST 10: without a cursor SSE, streams and WebSockets start after the newest message
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber sse stream websocket;
        push_channel $ch;
        push_sse_retry off;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    PushTest::push_request('POST', '/pub/nw', 'old');
    my $sse = PushTest::push_connect();
    PushTest::push_send($sse, 'GET', '/sub/nw?transport=sse HTTP/1.0');
    my $st = PushTest::push_connect();
    PushTest::push_send($st, 'GET', '/sub/nw?transport=stream HTTP/1.0');
    my ($ws) = PushTest::push_ws_open('/sub/nw');
    PushTest::push_wait_subscribers('/pub/nw', 3) or die "never subscribed\n";
    PushTest::push_request('POST', '/pub/nw', 'new');
    my $a = PushTest::push_read_until($sse, qr/data: new\n/, 5);
    my $b = PushTest::push_read_until($st, qr/new\n/, 5);
    my $f = PushTest::push_ws_frame($ws, 5);
    my @first = (($a =~ /data: (\w+)/)[0], ($b =~ /\r\n\r\n(\w+)/)[0], $f->[1]);
    PushTest::push_report('/pub/result', "@first");
});
--- request
GET /result
--- response_body
new new new
--- no_error_log
[error]



=== TEST 11: a long-poll's timeout gives back the cursor it was sent; no Push-Event when none was named
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber poll longpoll;
        push_channel $ch;
        push_longpoll_timeout 300ms;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $e;
    $e = PushTest::push_epoch(PushTest::push_request('POST', '/pub/k', "m$_"))
        for 1 .. 2;
    my $r = PushTest::push_get('/sub/k', "$e:2");
    my $p = PushTest::push_get('/sub/k?transport=poll', "$e:1");
    PushTest::push_report('/pub/result', "$r->{status} "
        . ($r->{headers}{etag} eq "\"$e:2\"" ? 'same cursor' : $r->{headers}{etag})
        . " | $p->{status} $p->{body} event="
        . ($p->{headers}{'push-event'} // 'none'));
});
--- request
GET /result
--- response_body
304 same cursor | 200 m2 event=none
--- no_error_log
[error]
