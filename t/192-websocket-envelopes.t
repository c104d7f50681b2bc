# WebSocket envelopes chosen by subprotocol (README, "WebSocket
# envelopes"): Nchan's meta frames (ws+meta.nchan) and one JSON object per
# message (push.v1.json), exact frames, ids, resume and gap notices.
use lib 't/helpers';
use PushTest;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes ();
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_SLOW_PORT} ||= 1987;

# A frame as text: "opcode:payload" with the epoch as E, LF as \n and
# other bytes outside ASCII as \xNN.
sub main::ws_shown {
    my ($f, $epoch) = @_;
    return 'none' unless $f;
    my $p = $f->[1];
    $p =~ s/\Q$epoch\E/E/g if defined $epoch;
    $p =~ s/\n/\\n/g;
    $p =~ s/([^ -~])/sprintf('\\x%02x', ord $1)/ge;
    return "$f->[0]:$p";
}

# Every frame that comes within a short while, one per line.
sub main::ws_all {
    my ($s, $epoch, $wait) = @_;
    my @out;
    while (my $f = PushTest::push_ws_frame($s, $wait || 1)) {
        push @out, main::ws_shown($f, $epoch);
    }
    return join("\n", @out);
}

sub main::ws_protocol {
    my ($head) = @_;
    return $head =~ /^Sec-WebSocket-Protocol:\s*(\S+)/mi ? $1 : 'none';
}

worker_connections(1024);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: ws+meta.nchan: Nchan's meta frames byte for byte, the subprotocol echoed
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
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
    my $epoch = PushTest::push_epoch(PushTest::push_request(
        'POST', '/pub/m', 'hello', ['Content-Type: text/plain']));
    PushTest::push_request('POST', '/pub/m', 'no type');
    PushTest::push_request('POST', '/pub/m', "\xff\x00\x01",
                           ['Content-Type: application/octet-stream']);
    PushTest::push_request('POST', '/pub/m', "caf\xe9",
                           ['Content-Type: text/plain; charset=latin1']);
    PushTest::push_request('POST', '/pub/m', '{"a":"b\nc"}',
                           ['Content-Type: application/json',
                            'Push-Event: named']);
    my ($s, $head) = PushTest::push_ws_open(
        '/ws/m', ['Sec-WebSocket-Protocol: ws+meta.nchan']);
    PushTest::push_report('/pub/result',
        "protocol=" . main::ws_protocol($head) . "\n"
        . main::ws_all($s, $epoch));
});
--- request
GET /result
--- timeout: 15
--- response_body
protocol=ws+meta.nchan
1:id: E:1\ncontent-type: text/plain\n\nhello
1:id: E:2\n\nno type
2:id: E:3\ncontent-type: application/octet-stream\n\n\xff\x00\x01
2:id: E:4\ncontent-type: text/plain; charset=latin1\n\ncaf\xe9
1:id: E:5\ncontent-type: application/json\n\n{"a":"b\nc"}
--- no_error_log
[error]



=== TEST 2: push.v1.json: one object per message, strings escaped, binary and non-UTF-8 data as base64
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
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
    my $epoch = PushTest::push_epoch(PushTest::push_request(
        'POST', '/pub/j', 'hello', ['Content-Type: text/plain']));
    PushTest::push_request('POST', '/pub/j', "say \"hi\"\\\n\t\x01 \xc3\xa9");
    PushTest::push_request('POST', '/pub/j', "\xff\x00\x01",
                           ['Content-Type: application/octet-stream']);
    PushTest::push_request('POST', '/pub/j', "caf\xe9",
                           ['Content-Type: text/plain; charset=latin1',
                            'Push-Event: myEvent']);
    PushTest::push_request('POST', '/pub/j', 'abc',
                           ['Content-Type: Application/Octet-Stream']);
    PushTest::push_request('POST', '/pub/j', '');
    my ($s, $head) = PushTest::push_ws_open(
        '/ws/j', ['Sec-WebSocket-Protocol: push.v1.json']);
    PushTest::push_report('/pub/result',
        "protocol=" . main::ws_protocol($head) . "\n"
        . main::ws_all($s, $epoch));
});
--- request
GET /result
--- timeout: 15
--- response_body
protocol=push.v1.json
1:{"id":"E:1","channel":"j","event":null,"type":"text/plain","data":"hello"}
1:{"id":"E:2","channel":"j","event":null,"type":null,"data":"say \"hi\"\\\n\t\u0001 \xc3\xa9"}
1:{"id":"E:3","channel":"j","event":null,"type":"application/octet-stream","base64":true,"data":"/wAB"}
1:{"id":"E:4","channel":"j","event":"myEvent","type":"text/plain; charset=latin1","base64":true,"data":"Y2Fm6Q=="}
1:{"id":"E:5","channel":"j","event":null,"type":"Application/Octet-Stream","base64":true,"data":"YWJj"}
1:{"id":"E:6","channel":"j","event":null,"type":null,"data":""}
--- no_error_log
[error]



=== TEST 3: each envelope resumes with ?last_event_id= (as NchanSubscriber sends it, percent-encoded) and with Last-Event-ID: nothing lost or repeated
--- config
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
    my @out;
    for my $p ('ws+meta.nchan', 'push.v1.json') {
        my $ch = $p eq 'push.v1.json' ? 'rj' : 'rm';
        my ($s) = PushTest::push_ws_open("/ws/$ch",
                                         ["Sec-WebSocket-Protocol: $p"]);
        PushTest::push_wait_subscribers("/pub/$ch", 1, 10)
            or die "never subscribed\n";
        PushTest::push_request('POST', "/pub/$ch", "m$_") for 1 .. 2;
        my $f = PushTest::push_ws_frame($s, 5);
        $f = PushTest::push_ws_frame($s, 5);
        close $s;
        my ($id) = $f->[1] =~ /^(?:id: |\{"id":")([0-9a-f]+:\d+)/
            or die "no id in $f->[1]\n";
        PushTest::push_request('POST', "/pub/$ch", "m$_") for 3 .. 4;
        (my $enc = $id) =~ s/:/%3A/;
        my ($q) = PushTest::push_ws_open("/ws/$ch?last_event_id=$enc",
                                         ["Sec-WebSocket-Protocol: $p"]);
        my ($h) = PushTest::push_ws_open("/ws/$ch",
                                         ["Sec-WebSocket-Protocol: $p",
                                          "Last-Event-ID: $id"]);
        my $got = sub {
            my ($s) = @_;
            my @d;
            while (my $f = PushTest::push_ws_frame($s, 1)) {
                push @d, $f->[1] =~ /(m\d)/ ? $1 : $f->[1];
            }
            return join(',', @d);
        };
        push @out, "$p second=" . ($f->[1] =~ /m2/ ? 'm2' : $f->[1])
                   . " query=" . $got->($q) . " header=" . $got->($h);
    }
    PushTest::push_report('/pub/result', join("\n", @out));
});
--- request
GET /result
--- timeout: 20
--- response_body
ws+meta.nchan second=m2 query=m3,m4 header=m3,m4
push.v1.json second=m2 query=m3,m4 header=m3,m4
--- no_error_log
[error]



=== TEST 4: a gap comes in the subscriber's envelope, its id the cursor before the next message: counted, unknown, and nothing more lost when resumed from it
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 2;
    }
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
    my $epoch = PushTest::push_epoch(PushTest::push_request(
        'POST', '/pub/g', 'm1'));
    PushTest::push_request('POST', '/pub/g', "m$_") for 2 .. 4;
    my $other = sprintf '%08x', hex($epoch) ^ 1;
    my @out;
    for my $p ('ws+meta.nchan', 'push.v1.json') {
        for my $from ("$epoch:1", "$other:1") {
            my ($s) = PushTest::push_ws_open("/ws/g?last_event_id=$from",
                                             ["Sec-WebSocket-Protocol: $p"]);
            push @out, main::ws_all($s, $epoch);
        }
    }
    # resumed from a gap notice's id: the messages after it, no new gap
    my ($s) = PushTest::push_ws_open("/ws/g?last_event_id=$epoch:2",
                                     ['Sec-WebSocket-Protocol: push.v1.json']);
    push @out, main::ws_all($s, $epoch);
    PushTest::push_report('/pub/result', join("\n", @out));
});
--- request
GET /result
--- timeout: 30
--- response_body
1:id: E:2\ncontent-type: application/vnd.push-gap+json\n\n{"push_gap":1}
1:id: E:3\n\nm3
1:id: E:4\n\nm4
1:id: E:2\ncontent-type: application/vnd.push-gap+json\n\n{"push_gap":"unknown"}
1:id: E:3\n\nm3
1:id: E:4\n\nm4
1:{"id":"E:2","gap":1}
1:{"id":"E:3","channel":"g","event":null,"type":null,"data":"m3"}
1:{"id":"E:4","channel":"g","event":null,"type":null,"data":"m4"}
1:{"id":"E:2","gap":"unknown"}
1:{"id":"E:3","channel":"g","event":null,"type":null,"data":"m3"}
1:{"id":"E:4","channel":"g","event":null,"type":null,"data":"m4"}
1:{"id":"E:3","channel":"g","event":null,"type":null,"data":"m3"}
1:{"id":"E:4","channel":"g","event":null,"type":null,"data":"m4"}
--- no_error_log
[error]



=== TEST 5: several channels: every id is the subscriber's whole cursor; one gap notice before the next message counts what any channel missed
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 2;
    }
    location = /ws {
        push_subscriber websocket;
        push_channel a b;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $epoch = PushTest::push_epoch(PushTest::push_request(
        'POST', '/pub/a', 'a1', ['Content-Type: text/plain']));
    PushTest::push_request('POST', '/pub/b', "b$_") for 1 .. 3;
    my @out;
    for my $p ('ws+meta.nchan', 'push.v1.json') {
        my ($s) = PushTest::push_ws_open("/ws?last_event_id=$epoch:0,0",
                                         ["Sec-WebSocket-Protocol: $p"]);
        push @out, main::ws_all($s, $epoch);
    }
    PushTest::push_report('/pub/result', join("\n", @out));
});
--- request
GET /result
--- timeout: 15
--- response_body
1:id: E:0,1\ncontent-type: application/vnd.push-gap+json\n\n{"push_gap":1}
1:id: E:1,1\ncontent-type: text/plain\n\na1
1:id: E:1,2\n\nb2
1:id: E:1,3\n\nb3
1:{"id":"E:0,1","gap":1}
1:{"id":"E:1,1","channel":"a","event":null,"type":"text/plain","data":"a1"}
1:{"id":"E:1,2","channel":"b","event":null,"type":null,"data":"b2"}
1:{"id":"E:1,3","channel":"b","event":null,"type":null,"data":"b3"}
--- no_error_log
[error]



=== TEST 6: which subprotocol is picked: the first offered that we know; unknown ones alone get no Sec-WebSocket-Protocol and bare frames
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_first_message oldest;
        push_websocket_subprotocols chat;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $epoch = PushTest::push_epoch(PushTest::push_request(
        'POST', '/pub/o', 'hi', ['Content-Type: text/plain']));
    my @out;
    for my $offer ('foo, push.v1.json', 'ws+meta.nchan, push.v1.json',
                   ' push.v1.json ,ws+meta.nchan', 'chat, push.v1.json',
                   'foo, bar', 'WS+META.NCHAN', '')
    {
        my ($s, $head) = PushTest::push_ws_open(
            '/ws/o', $offer eq '' ? [] : ["Sec-WebSocket-Protocol: $offer"]);
        my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
        push @out, "[$offer] $status " . main::ws_protocol($head) . ' '
                   . main::ws_all($s, $epoch);
    }
    PushTest::push_report('/pub/result', join("\n", @out));
});
--- request
GET /result
--- timeout: 20
--- response_body
[foo, push.v1.json] 101 push.v1.json 1:{"id":"E:1","channel":"o","event":null,"type":"text/plain","data":"hi"}
[ws+meta.nchan, push.v1.json] 101 ws+meta.nchan 1:id: E:1\ncontent-type: text/plain\n\nhi
[ push.v1.json ,ws+meta.nchan] 101 push.v1.json 1:{"id":"E:1","channel":"o","event":null,"type":"text/plain","data":"hi"}
[chat, push.v1.json] 101 chat 1:hi
[foo, bar] 101 none 1:hi
[WS+META.NCHAN] 101 none 1:hi
[] 101 none 1:hi
--- no_error_log
[error]



=== TEST 7: push.v1.json: a client cannot forge the gap notice any more, its bytes come as data
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
        PushTest::push_request('POST', '/pub/f', 'm1'));
    my $other = sprintf '%08x', hex($epoch) ^ 1;
    my ($told) = PushTest::push_ws_open("/ws/f?last_event_id=$other:1",
                                        ['Sec-WebSocket-Protocol: push.v1.json']);
    my $notice = PushTest::push_ws_frame($told, 10) or die "no notice\n";
    my ($peer) = PushTest::push_ws_open('/ws/f',
                                        ['Sec-WebSocket-Protocol: push.v1.json']);
    my ($sender) = PushTest::push_ws_open('/ws/f');
    PushTest::push_wait_subscribers('/pub/f', 3, 10)
        or die "never subscribed\n";
    PushTest::push_ws_send($sender, 0x1, '{"push_gap":"unknown"}');
    PushTest::push_ws_send($sender, 0x1, '{"id":"x","channel":"f","gap":1}');
    my $a = PushTest::push_ws_frame($peer, 10);
    my $b = PushTest::push_ws_frame($peer, 10);
    PushTest::push_report('/pub/result', join("\n",
        map { main::ws_shown($_, $epoch) } $notice, $a, $b));
});
--- request
GET /result
--- timeout: 15
--- response_body
1:{"id":"E:0","gap":"unknown"}
1:{"id":"E:2","channel":"f","event":null,"type":"text/plain; charset=utf-8","data":"{\"push_gap\":\"unknown\"}"}
1:{"id":"E:3","channel":"f","event":null,"type":"text/plain; charset=utf-8","data":"{\"id\":\"x\",\"channel\":\"f\",\"gap\":1}"}
--- no_error_log
[error]



=== TEST 8: an envelope is made once per worker and message: 100 subscribers that do not read hold one copy of a 1 MB message's JSON, not 100, and one that reads gets it whole
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=4k;
        location ~ ^/ws/(?<ch>\w+)$ {
            push_subscriber websocket;
            push_channel $ch;
        }
    }
--- config
    location = /pid { return 200 $pid; }
    location ~ ^/ws/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
    }
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        client_max_body_size 2m;
        client_body_buffer_size 2m;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $rss = sub {
        my ($pid) = @_;
        open my $st, '<', "/proc/$pid/status" or die "status: $!\n";
        my ($kb) = join('', <$st>) =~ /^RssAnon:\s+(\d+) kB/m;
        return $kb;
    };
    my $pid = PushTest::push_request('GET', '/pid')->{body};
    my @subs;
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $ENV{TEST_NGINX_SLOW_PORT})
            or die "slow: $!\n";
        setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096);
        my (undef, $head) = PushTest::push_ws_open(
            '/ws/big', ['Sec-WebSocket-Protocol: push.v1.json'], '', $s);
        die "ws: $head\n" unless $head =~ / 101 /;
        push @subs, $s;
    }
    # and one that reads, with ordinary socket buffers (tiny windows on
    # both sides make a megabyte crawl through delayed acknowledgements)
    my ($reader) = PushTest::push_ws_open(
        '/ws/big', ['Sec-WebSocket-Protocol: push.v1.json']);
    PushTest::push_wait_subscribers('/pub/big', 101, 20)
        or die "never subscribed\n";
    my $before = $rss->($pid);
    my $r = PushTest::push_request('POST', '/pub/big', 'a' x (1 << 20),
                                   ['Content-Type: text/plain']);
    die "publish: $r->{status}\n" unless $r && $r->{status} == 201;
    Time::HiRes::sleep(1);
    my $grew = $rss->($pid) - $before;
    # the reader gets it whole and as expected
    my $f = PushTest::push_ws_frame($reader, 20);
    my $want = '","channel":"big","event":null,"type":"text/plain","data":"'
               . ('a' x (1 << 20)) . '"}';
    my $ok = $f && $f->[1] =~ /^\{"id":"\w+:1/
             && substr($f->[1], -length $want) eq $want
             && length($f->[1]) == length($want) + 17 ? 'whole'
             : $f ? 'broken: ' . length($f->[1]) . ' bytes, ' . substr($f->[1], 0, 40)
             : 'none';
    warn "100 JSON subscribers of a 1 MB message: worker RSS +${grew} kB\n";
    PushTest::push_report('/pub/result',
        # one copy per subscriber would be 100 MB and more (103,832 kB
        # seen with the envelope cache off); one copy is about 2 MB, and
        # up to about 31 MB in an AddressSanitizer build (redzones and
        # the quarantine of freed buffers)
        "frame=$ok rss=" . ($grew < 51200 ? 'one copy' : "+${grew}kB"));
});
--- request
GET /result
--- timeout: 60
--- response_body
frame=whole rss=one copy
--- no_error_log
[error]
