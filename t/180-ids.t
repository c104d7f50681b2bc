# Message ids are never reused: a channel deleted or evicted and made again
# starts above every seq the gone one gave out, so a cursor from before
# gets the gap signal on every transport, and a cursor from the new channel
# does not.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a channel deleted and made again: an old cursor gets "unknown" on every transport
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber;
        push_channel $ch;
        push_longpoll_timeout 5s;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    my $r;
    $r = PushTest::push_request('POST', '/pub/re', "old$_") for 1 .. 3;
    my ($epoch, $old) = $r->{body} =~ /"last_message_id":"(\w+):(\d+)"/;
    my $cursor = "$epoch:$old";
    PushTest::push_request('DELETE', '/pub/re')->{status} == 200
        or die "no delete\n";
    PushTest::push_request('POST', '/pub/re', "new$_") for 1 .. 5;
    my @out;

    for my $t ('poll', 'longpoll') {
        my $p = PushTest::push_get("/sub/re?transport=$t", $cursor);
        push @out, "$t=$p->{status} gap=" . ($p->{headers}{'push-gap'} // '-')
                   . " body=$p->{body}";
    }

    my $s = PushTest::push_connect();
    PushTest::push_send($s, 'GET', '/sub/re',
                        undef, ['Accept: text/event-stream',
                                "Last-Event-ID: $cursor"]);
    my $sse = PushTest::push_read_until($s, qr/data: new5\n/, 10);
    close $s;
    my @ev = $sse =~ /^(?:event: (\w+)\n)?data: (\w+)\n/mg;
    my @seen;
    while (@ev) {
        my ($event, $data) = splice @ev, 0, 2;
        push @seen, defined $event ? "$event:$data" : $data;
    }
    push @out, "sse=" . join(',', @seen);

    my ($ws, $head) = PushTest::push_ws_open("/sub/re?last_event_id=$cursor");
    my @frames;
    for (1 .. 2) {
        my $f = PushTest::push_ws_frame($ws, 10) or last;
        push @frames, $f->[1];
    }
    close $ws;
    push @out, "ws=" . join(',', @frames);

    return join("\n", @out);
});
--- request
GET /result
--- response_body
poll=200 gap=unknown body=new1
longpoll=200 gap=unknown body=new1
sse=gap:unknown,new1,new2,new3,new4,new5
ws={"push_gap":"unknown"},new1
--- timeout: 20
--- no_error_log
[error]
[alert]



=== TEST 2: a channel evicted and made again: an old cursor gets "unknown"
--- http_config
    push_zone small 128k;
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 10;
    }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    my $r;
    $r = PushTest::push_request('POST', '/pub/ev', "old$_") for 1 .. 3;
    my ($cursor) = $r->{body} =~ /"last_message_id":"(\w+:\d+)"/;
    # other channels' publishes fill the zone until "ev", the idlest
    # channel once the messages are gone, is evicted
    my $gone = 0;
    my $c = PushTest::push_connect();
    for my $i (1 .. 20000) {
        PushTest::push_send($c, 'POST', "/pub/filler$i", 'x' x 200);
        PushTest::push_read($c, 5) or die "no answer\n";
        next if $i % 50;
        if (PushTest::push_request('GET', '/pub/ev')->{status} == 404) {
            $gone = $i;
            last;
        }
    }
    close $c;
    $gone or return "ev never evicted";
    my $stats = PushTest::push_request('GET', '/stats')->{body};
    my ($evicted) = $stats =~ /"channels_evicted_total":(\d+)/;
    PushTest::push_request('POST', '/pub/ev', "new$_") for 1 .. 5;
    my $p = PushTest::push_get('/sub/ev', $cursor);
    return "evicted=" . ($evicted > 0 ? 'yes' : 'no')
           . " poll=$p->{status} gap=" . ($p->{headers}{'push-gap'} // '-')
           . " body=$p->{body}";
});
--- request
GET /result
--- response_body
evicted=yes poll=200 gap=unknown body=new1
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 3: a cursor of the new channel, even before its first message, resumes without a gap
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber;
        push_channel $ch;
        push_longpoll_timeout 1s;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    PushTest::push_request('POST', '/pub/fresh', "old$_") for 1 .. 3;
    PushTest::push_request('DELETE', '/pub/fresh');
    # a long-poll on the empty new channel times out with its cursor
    my $t = PushTest::push_get('/sub/fresh?transport=longpoll');
    my $cursor = PushTest::push_etag($t);
    PushTest::push_request('POST', '/pub/fresh', "new$_") for 1 .. 2;
    my @out = ("timeout=$t->{status}");
    for (1 .. 3) {
        my $p = PushTest::push_get('/sub/fresh?transport=poll', $cursor);
        push @out, "$p->{status}:" . ($p->{headers}{'push-gap'} // '-')
                   . ":$p->{body}";
        $cursor = PushTest::push_etag($p);
    }
    # a channel that never had a message gave out no id: made again, a
    # cursor of it needs no gap
    my $e = PushTest::push_get('/sub/empty?transport=longpoll');
    my $ecur = PushTest::push_etag($e);
    PushTest::push_request('DELETE', '/pub/empty');
    PushTest::push_request('POST', '/pub/empty', 'e1');
    my $ep = PushTest::push_get('/sub/empty?transport=poll', $ecur);
    push @out, "empty=$e->{status},$ep->{status}:"
               . ($ep->{headers}{'push-gap'} // '-') . ":$ep->{body}";
    # a short poll on a channel that does not exist yet
    my $none = PushTest::push_get('/sub/later?transport=poll');
    my $later = PushTest::push_etag($none);
    PushTest::push_request('POST', '/pub/later', 'first');
    my $p = PushTest::push_get('/sub/later?transport=poll', $later);
    push @out, "later=$none->{status},$p->{status}:"
               . ($p->{headers}{'push-gap'} // '-') . ":$p->{body}";
    return join(' ', @out);
});
--- request
GET /result
--- response_body
timeout=304 200:-:new1 200:-:new2 304:-: empty=304,200:-:e1 later=304,200:-:first
--- timeout: 20
--- no_error_log
[error]
[alert]
