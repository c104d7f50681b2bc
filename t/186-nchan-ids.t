# A client coming from Nchan still holds an id Nchan gave it
# (<time>:<tag>, several channels <time>:<tag>,[<tag>],-; the tag alone in
# If-None-Match beside If-Modified-Since on Nchan's long-polls): it is
# started over as a cursor of another epoch is (gap "unknown", then one of
# our ids), on every transport and from every place a cursor is read, not
# refused for ever.  Text that is neither ours nor Nchan's stays 400.
# The last blocks run with push_last_event_id and with Redis (a throwaway
# redis-server on 127.0.0.1:$TEST_NGINX_REDIS_PORT, stopped by its pid).
use lib 't/helpers';
use PushTest;
use PushRedis;
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;
$ENV{TEST_NGINX_REDIS_PORT} = redis_port();

redis_start();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: an Nchan id on every transport and from every source: gap "unknown", then our ids
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber;
        push_channel $ch;
        push_longpoll_timeout 5s;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
PushTest::push_verdict(sub {
    my $r;
    $r = PushTest::push_request('POST', '/pub/n', "m$_") for 1 .. 2;
    my $epoch = PushTest::push_epoch($r) or die "no epoch\n";
    my $other = sprintf '%08x', hex($epoch) ^ 1;
    my $since = 'If-Modified-Since: Thu, 26 Nov 2020 14:13:20 GMT';
    my @out;

    my $line = sub {
        my ($name, $p) = @_;
        my $etag = $p->{headers}{etag} // '-';
        $etag =~ s/\Q$epoch\E/E/;
        my $body = $p->{body};
        chomp $body;
        push @out, "$name=$p->{status} gap="
                   . ($p->{headers}{'push-gap'} // '-')
                   . " etag=$etag body=$body";
    };
    my $get = sub {
        my ($path, @headers) = @_;
        return PushTest::push_request('GET', $path, undef, \@headers);
    };

    # poll and long-poll: the whole id in If-None-Match (Nchan's
    # nchan_subscriber_compound_etag_message_id), the tag alone beside
    # If-Modified-Since (Nchan's default), the query, encoded or not
    $line->('poll-inm', $get->('/sub/n?transport=poll',
                               'If-None-Match: 1606400000:0'));
    $line->('poll-inm-quoted', $get->('/sub/n?transport=poll',
                                      'If-None-Match: "1606400000:4"'));
    $line->('longpoll-tag-ims', $get->('/sub/n?transport=longpoll',
                                       'If-None-Match: 0', $since));
    $line->('longpoll-query', $get->('/sub/n?transport=longpoll'
                                     . '&last_event_id=1606400000%3A0'));
    $line->('poll-query', $get->('/sub/n?transport=poll'
                                 . '&last_event_id=1606400000:7'));
    $line->('poll-other-epoch', $get->('/sub/n?transport=poll',
                                       "If-None-Match: \"$other:1\""));

    # SSE: Last-Event-ID as EventSource sends it, and NchanSubscriber's
    # ?last_event_id= (encodeURIComponent)
    for my $case (['sse-header', '/sub/n HTTP/1.0',
                   'Last-Event-ID: 1606400000:3'],
                  ['sse-query',
                   '/sub/n?last_event_id=1606400000%3A3 HTTP/1.0'])
    {
        my ($name, $path, @h) = @$case;
        my $s = PushTest::push_connect();
        PushTest::push_send($s, 'GET', $path, undef,
                            ['Accept: text/event-stream', @h]);
        my $got = PushTest::push_read_until($s, qr/data: m2\n\n/, 10);
        close $s;
        my ($status) = $got =~ m{^HTTP/1\.\d (\d+)};
        $got =~ s/^.*?\r\n\r\n//s;
        $got =~ s/\Q$epoch\E/E/g;
        $got =~ s/\n/|/g;
        push @out, "$name=$status $got";
    }

    # HTTP stream
    {
        my $s = PushTest::push_connect();
        PushTest::push_send($s, 'GET',
            '/sub/n?transport=stream&last_event_id=1606400000:0 HTTP/1.0');
        my $got = PushTest::push_read_until($s, qr/m2\n/, 10);
        close $s;
        my ($status) = $got =~ m{^HTTP/1\.\d (\d+)};
        my ($gap) = $got =~ /^Push-Gap: (\S+)\r$/mi;
        $got =~ s/^.*?\r\n\r\n//s;
        $got =~ s/\n/|/g;
        push @out, "stream=$status gap=" . ($gap // '-') . " body=$got";
    }

    # WebSocket: bare frames, and Nchan's own ws+meta.nchan
    {
        my ($ws, $head) = PushTest::push_ws_open(
            '/sub/n?last_event_id=1606400000%3A0');
        my @frames;
        for (1 .. 3) {
            my $f = PushTest::push_ws_frame($ws, 10) or last;
            push @frames, $f->[1];
        }
        close $ws;
        my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
        push @out, "ws=$status " . join(',', @frames);

        ($ws, $head) = PushTest::push_ws_open(
            '/sub/n?last_event_id=1606400000%3A0',
            ['Sec-WebSocket-Protocol: ws+meta.nchan']);
        @frames = ();
        for (1 .. 3) {
            my $f = PushTest::push_ws_frame($ws, 10) or last;
            (my $p = $f->[1]) =~ s/\Q$epoch\E/E/g;
            $p =~ s/\n/|/g;
            push @frames, $p;
        }
        close $ws;
        ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
        push @out, "ws-meta=$status " . join(' / ', @frames);
    }

    return join("\n", @out);
});
--- request
GET /result
--- timeout: 60
--- response_body
poll-inm=200 gap=unknown etag="E:1" body=m1
poll-inm-quoted=200 gap=unknown etag="E:1" body=m1
longpoll-tag-ims=200 gap=unknown etag="E:1" body=m1
longpoll-query=200 gap=unknown etag="E:1" body=m1
poll-query=200 gap=unknown etag="E:1" body=m1
poll-other-epoch=200 gap=unknown etag="E:1" body=m1
sse-header=200 retry: 3000||event: gap|data: unknown||id: E:1|data: m1||id: E:2|data: m2||
sse-query=200 retry: 3000||event: gap|data: unknown||id: E:1|data: m1||id: E:2|data: m2||
stream=200 gap=unknown body=m1|m2|
ws=101 {"push_gap":"unknown"},m1,m2
ws-meta=101 id: E:0|content-type: application/vnd.push-gap+json||{"push_gap":"unknown"} / id: E:1||m1 / id: E:2||m2
--- no_error_log
[error]



=== TEST 2: several channels: Nchan's multi-channel ids (bracketed active tag, "-" for none) start over too
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /sub {
        push_subscriber poll longpoll;
        push_channel a b;
        push_longpoll_timeout 5s;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    PushTest::push_request('POST', '/pub/a', 'a1');
    my $r = PushTest::push_request('POST', '/pub/b', 'b1');
    my $epoch = PushTest::push_epoch($r) or die "no epoch\n";
    my @out;

    for my $case (
        ['tag-ims', '/sub?transport=poll', 'If-None-Match: [0],-',
         'If-Modified-Since: Thu, 26 Nov 2020 14:13:20 GMT'],
        ['whole-id', '/sub?transport=poll', 'If-None-Match: 1606400000:3,[1]'],
        ['query-encoded', '/sub?transport=longpoll'
                          . '&last_event_id=1606400000%3A%5B0%5D%2C-'],
        ['three-tags', '/sub?transport=poll&last_event_id=1606400000:0,-,[2]'])
    {
        my ($name, $path, @h) = @$case;
        my $p = PushTest::push_request('GET', $path, undef, \@h);
        my $etag = $p->{headers}{etag} // '-';
        $etag =~ s/\Q$epoch\E/E/;
        (my $body = $p->{body}) =~ s/\n//g;
        push @out, "$name=$p->{status} gap="
                   . ($p->{headers}{'push-gap'} // '-')
                   . " etag=$etag body=$body";
    }

    return join("\n", @out);
});
--- request
GET /result
--- timeout: 30
--- response_body
tag-ims=200 gap=unknown etag="E:1,0" body=a1
whole-id=200 gap=unknown etag="E:1,0" body=a1
query-encoded=200 gap=unknown etag="E:1,0" body=a1
three-tags=200 gap=unknown etag="E:1,0" body=a1
--- no_error_log
[error]



=== TEST 3: neither ours nor Nchan's stays 400 invalid message id, from every source
--- config
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber;
        push_channel $ch;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    my $since = 'If-Modified-Since: Thu, 26 Nov 2020 14:13:20 GMT';
    my @out;

    for my $case (
        # a bare tag is Nchan's only beside If-Modified-Since
        ['tag-alone', '/sub/g?transport=poll', 'If-None-Match: 0'],
        ['tag-bad', '/sub/g?transport=poll', 'If-None-Match: 0x', $since],
        ['two-active', '/sub/g?transport=poll',
         'If-None-Match: 1606400000:[0],[1]'],
        ['tag-too-big', '/sub/g?transport=longpoll'
                        . '&last_event_id=1606400000:123456'],
        ['no-time', '/sub/g?transport=longpoll&last_event_id=:0'],
        ['words', '/sub/g?transport=sse', 'Last-Event-ID: hello'],
        ['sign', '/sub/g?transport=sse', 'Last-Event-ID: -1:0'],
        ['other-escape', '/sub/g?transport=poll'
                         . '&last_event_id=1606400000%3B0'],
        ['ws', '/sub/g?last_event_id=1606400000:x',
         'Upgrade: websocket', 'Connection: Upgrade',
         'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
         'Sec-WebSocket-Version: 13'])
    {
        my ($name, $path, @h) = @$case;
        my $p = PushTest::push_request('GET', $path, undef, \@h);
        (my $body = $p->{body}) =~ s/\n//g;
        push @out, "$name=$p->{status} $body";
    }

    return join("\n", @out);
});
--- request
GET /result
--- timeout: 30
--- response_body
tag-alone=400 invalid message id
tag-bad=400 invalid message id
two-active=400 invalid message id
tag-too-big=400 invalid message id
no-time=400 invalid message id
words=400 invalid message id
sign=400 invalid message id
other-escape=400 invalid message id
ws=400 invalid message id
--- no_error_log
[error]



=== TEST 4: push_last_event_id holding an Nchan id starts over too
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_last_event_id $http_x_cursor;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    PushTest::push_request('POST', '/pub/v', 'v1');
    my @out;

    for my $case (['nchan', 'X-Cursor: 1606400000%3A%5B0%5D%2C-'],
                  ['garbage', 'X-Cursor: 1606400000:0x'])
    {
        my ($name, @h) = @$case;
        my $p = PushTest::push_request('GET', '/sub/v', undef, \@h);
        (my $body = $p->{body}) =~ s/\n//g;
        push @out, "$name=$p->{status} gap="
                   . ($p->{headers}{'push-gap'} // '-') . " body=$body";
    }

    return join("\n", @out);
});
--- request
GET /result
--- timeout: 30
--- response_body
nchan=200 gap=unknown body=v1
garbage=400 gap=- body=invalid message id
--- no_error_log
[error]



=== TEST 5: with Redis (push_redis_server): an Nchan id starts over as one of another epoch
--- http_config
    push_redis_server redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
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
    # the first publish may come before the link to Redis is up: retry,
    # bounded
    for my $m ('r1', 'r2') {
        my $deadline = time + 10;
        while (1) {
            $r = PushTest::push_request('POST', '/pub/rd', $m);
            last if $r->{status} =~ /^20[12]$/ || time > $deadline;
            select(undef, undef, undef, 0.1);
        }
    }
    my $epoch = PushTest::push_epoch($r) or die "no epoch: $r->{body}\n";
    my $other = sprintf '%08x', hex($epoch) ^ 1;
    my @out;

    for my $case (
        ['nchan-poll', '/sub/rd?transport=poll',
         'If-None-Match: 1606400000:0'],
        ['nchan-longpoll', '/sub/rd?transport=longpoll'
                           . '&last_event_id=1606400000%3A0'],
        ['other-epoch', '/sub/rd?transport=longpoll', "Last-Event-ID: $other:1"])
    {
        my ($name, $path, @h) = @$case;
        my $p = PushTest::push_request('GET', $path, undef, \@h);
        my $etag = $p->{headers}{etag} // '-';
        $etag =~ s/\Q$epoch\E/E/;
        (my $body = $p->{body}) =~ s/\n//g;
        push @out, "$name=$p->{status} gap="
                   . ($p->{headers}{'push-gap'} // '-')
                   . " etag=$etag body=$body";
    }

    my $s = PushTest::push_connect();
    PushTest::push_send($s, 'GET', '/sub/rd HTTP/1.0', undef,
                        ['Accept: text/event-stream',
                         'Last-Event-ID: 1606400000:[1],-']);
    my $got = PushTest::push_read_until($s, qr/data: r2\n\n/, 10);
    close $s;
    $got =~ s/^.*?\r\n\r\n//s;
    $got =~ s/\Q$epoch\E/E/g;
    $got =~ s/\n/|/g;
    push @out, "sse=$got";

    return join("\n", @out);
});
--- request
GET /result
--- timeout: 30
--- response_body
nchan-poll=200 gap=unknown etag="E:1" body=r1
nchan-longpoll=200 gap=unknown etag="E:1" body=r1
other-epoch=200 gap=unknown etag="E:1" body=r1
sse=retry: 3000||event: gap|data: unknown||id: E:1|data: r1||id: E:2|data: r2||
--- no_error_log
[error]
