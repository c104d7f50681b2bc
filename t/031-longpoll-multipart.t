# push_longpoll_multipart: a long-poll that is behind gets every waiting
# message in one multipart/mixed answer, laid out as Nchan's is (its client,
# NchanSubscriber's longpoll, reads it), the Etag and Last-Modified of the
# last; one message alone is answered as usual.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_H2_PORT} ||= 1986;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: three waiting messages in one multipart/mixed answer: one part each, with its cursor, event and type
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_first_message oldest;
        push_longpoll_multipart on;
    }
--- init
push_request('POST', '/pub/mp', 'first', ['Content-Type: text/plain']);
push_request('POST', '/pub/mp', "two\r\nlines", ['Push-Event: ev',
                                                 'Content-Type: a/b']);
push_request('POST', '/pub/mp', '');
--- request
GET /sub/mp
--- response_headers_like
Content-Type: multipart/mixed; boundary=[0-9A-Za-z]{32}
Etag: "[0-9a-f]{8}:3"
Last-Modified: \w+, \d+ \w+ \d+ [\d:]+ GMT
Cache-Control: no-store
--- response_body_filters eval
sub { my $b = shift; $b =~ s/^--([0-9A-Za-z]{32})\r\n/--B\r\n/ and $b =~ s/\Q$1\E/B/g; $b =~ s/[0-9a-f]{8}:/E:/g; $b }
--- response_body eval
"--B\r\nEtag: \"E:1\"\r\nContent-Type: text/plain\r\n\r\nfirst"
. "\r\n--B\r\nEtag: \"E:2\"\r\nPush-Event: ev\r\nContent-Type: a/b\r\n\r\ntwo\r\nlines"
. "\r\n--B\r\nEtag: \"E:3\"\r\n\r\n"
. "\r\n--B--\r\n"
--- no_error_log
[error]



=== TEST 2: one waiting message alone is answered as without multipart
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_first_message oldest;
        push_longpoll_multipart on;
    }
--- init
push_request('POST', '/pub/one', 'alone', ['Content-Type: text/x-one']);
--- request
GET /sub/one
--- response_headers_like
Content-Type: text/x-one
Etag: "[0-9a-f]{8}:1"
--- response_body chomp
alone
--- no_error_log
[error]



=== TEST 3: without push_longpoll_multipart a long-poll that is behind gets one message, as before
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_first_message oldest;
    }
--- init
push_request('POST', '/pub/off', "m$_") for 1 .. 3;
--- request
GET /sub/off
--- response_headers_like
Etag: "[0-9a-f]{8}:1"
--- response_body chomp
m1
--- no_error_log
[error]



=== TEST 4: a multipart answer behind a gap still says so: Push-Gap, then the oldest kept
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 2;
    }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_longpoll_multipart on;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $r;
    $r = push_request('POST', '/pub/gap', "m$_") for 1 .. 5;
    my $epoch = push_epoch($r);
    my @out;
    for my $cursor ("$epoch:1", "0badcafe:1") {
        $r = push_get('/sub/gap', $cursor);
        my $b = $r->{body};
        $b =~ s/^--([0-9A-Za-z]{32})\r\n/--B\r\n/ and $b =~ s/\Q$1\E/B/g;
        push @out, "$r->{status} gap=" . ($r->{headers}{'push-gap'} // 'none')
                   . ' etag=' . push_etag($r) . " $b";
    }
    my $out = join "|", @out;
    $out =~ s/[0-9a-f]{8}:/E:/g;
    $out =~ s/\r/\\r/g;
    $out =~ s/\n/\\n/g;
    push_report('/pub/result', $out);
});
--- request
GET /result
--- response_body eval
"200 gap=2 etag=E:5 --B\\r\\nEtag: \"E:4\"\\r\\n\\r\\nm4\\r\\n--B\\r\\nEtag: \"E:5\"\\r\\n\\r\\nm5\\r\\n--B--\\r\\n"
. "|200 gap=unknown etag=E:5 --B\\r\\nEtag: \"E:4\"\\r\\n\\r\\nm4\\r\\n--B\\r\\nEtag: \"E:5\"\\r\\n\\r\\nm5\\r\\n--B--\\r\\n\n"
--- timeout: 10
--- no_error_log
[error]



=== TEST 5: a batch stops at push_longpoll_multipart_max_messages; the next poll goes on from its Etag
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_longpoll_multipart on;
        push_longpoll_multipart_max_messages 2;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $r;
    $r = push_request('POST', '/pub/cap', "m$_") for 1 .. 3;
    my $cursor = push_epoch($r) . ':0';
    my @out;
    for (1 .. 2) {
        $r = push_get('/sub/cap', $cursor);
        $cursor = push_etag($r);
        my @parts = $r->{body} =~ /\r\n\r\n(m\d)/g;
        @parts = ($r->{body}) unless @parts;
        push @out, join('+', @parts) . '@' . $cursor;
    }
    my $out = join ' ', @out;
    $out =~ s/[0-9a-f]{8}:/E:/g;
    push_report('/pub/result', $out);
});
--- request
GET /result
--- response_body
m1+m2@E:2 m3@E:3
--- timeout: 10
--- no_error_log
[error]



=== TEST 6: a batch stops at push_longpoll_multipart_max_size (each message counted with 64 bytes of framing), one message at least
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_first_message oldest;
        push_longpoll_multipart on;
        push_longpoll_multipart_max_size 150;
    }
    location ~ ^/tiny/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_first_message oldest;
        push_longpoll_multipart on;
        push_longpoll_multipart_max_size 1;
    }
--- init
push_request('POST', '/pub/size', sprintf('m%07d', $_)) for 1 .. 3;
--- request eval
["GET /sub/size", "GET /tiny/size"]
--- response_body_filters eval
sub { my $b = shift; $b =~ s/^--([0-9A-Za-z]{32})\r\n/--B\r\n/ and $b =~ s/\Q$1\E/B/g; $b =~ s/[0-9a-f]{8}:/E:/g; $b }
--- response_body eval
["--B\r\nEtag: \"E:1\"\r\n\r\nm0000001\r\n--B\r\nEtag: \"E:2\"\r\n\r\nm0000002\r\n--B--\r\n",
 "m0000001"]
--- no_error_log
[error]



=== TEST 7: polling from each Etag gets all 30 messages in batches, in order, none lost or repeated, then waits for the next
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_longpoll_multipart on;
        push_longpoll_multipart_max_messages 7;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $r;
    $r = push_request('POST', '/pub/all', "m$_") for 1 .. 30;
    my $cursor = push_epoch($r) . ':0';
    my (@got, @sizes);
    my $live = push_in_background(sub {
        push_wait_subscribers('/pub/all', 1) or die "never parked\n";
        push_request('POST', '/pub/all', 'm31');
    });
    while (@got < 31) {
        $r = push_get('/sub/all', $cursor) or last;
        last unless $r->{status} == 200;
        my @parts = ($r->{headers}{'content-type'} // '') =~ /^multipart/
                    ? $r->{body} =~ /\r\n\r\n(m\d+)/g : ($r->{body});
        push @got, @parts;
        push @sizes, scalar @parts;
        $cursor = push_etag($r);
    }
    waitpid $live, 0;
    push_report('/pub/result', join(',', @got) . ' in ' . join('+', @sizes));
});
--- request
GET /result
--- response_body eval
CORE::join(',', map { "m$_" } 1 .. 31) . " in 7+7+7+7+2+1\n"
--- timeout: 20
--- no_error_log
[error]



=== TEST 8: a multipart answer over HTTP/2
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_H2_PORT http2;
        location ~ ^/sub/(?<ch>\w+)$ {
            push_subscriber longpoll;
            push_channel $ch;
            push_first_message oldest;
            push_longpoll_multipart on;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/h2', "h$_") for 1 .. 2;
    my $pid = open(my $curl, '-|', 'curl', '-s', '--http2-prior-knowledge',
                   '-m', '10', '-w', '|%{http_version}|%{content_type}',
                   "http://127.0.0.1:$ENV{TEST_NGINX_H2_PORT}/sub/h2")
        or die "curl: $!\n";
    local $/;
    my $out = <$curl>;
    close $curl;
    $out =~ s/^--([0-9A-Za-z]{32})\r\n/--B\r\n/ and $out =~ s/\Q$1\E/B/g;
    $out =~ s/[0-9a-f]{8}:/E:/g;
    $out =~ s/\r/\\r/g;
    $out =~ s/\n/\\n/g;
    push_report('/pub/result', $out);
});
--- request
GET /result
--- response_body eval
"--B\\r\\nEtag: \"E:1\"\\r\\n\\r\\nh1\\r\\n--B\\r\\nEtag: \"E:2\"\\r\\n\\r\\nh2\\r\\n--B--\\r\\n|2|multipart/mixed; boundary=B\n"
--- timeout: 15
--- no_error_log
[error]



=== TEST 9: push_longpoll_multipart_max_messages 0 is refused
--- config
    location = /sub {
        push_subscriber longpoll;
        push_channel a;
        push_longpoll_multipart_max_messages 0;
    }
--- must_die
--- error_log
push_longpoll_multipart_max_messages must be 1 to 10000, not 0



=== TEST 10: a subscriber of several channels gets their messages in publish order, each part with the whole cursor after it
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /sub {
        push_subscriber longpoll;
        push_channel ma mb;
        push_first_message oldest;
        push_longpoll_multipart on;
    }
--- init
push_request('POST', '/pub/ma', 'a1');
push_request('POST', '/pub/mb', 'b1');
push_request('POST', '/pub/ma', 'a2');
--- request
GET /sub
--- response_headers_like
Etag: "[0-9a-f]{8}:2,1"
--- response_body_filters eval
sub { my $b = shift; $b =~ s/^--([0-9A-Za-z]{32})\r\n/--B\r\n/ and $b =~ s/\Q$1\E/B/g; $b =~ s/[0-9a-f]{8}:/E:/g; $b }
--- response_body eval
"--B\r\nEtag: \"E:1,0\"\r\n\r\na1\r\n--B\r\nEtag: \"E:1,1\"\r\n\r\nb1\r\n--B\r\nEtag: \"E:2,1\"\r\n\r\na2\r\n--B--\r\n"
--- no_error_log
[error]
