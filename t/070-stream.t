# Streams over two workers: HTTP streaming (one response, every message
# followed by a separator) and SSE fed from both workers.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

master_on();
workers(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: chunked stream with header, separator and footer
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/st/(?<ch>\w+)$ {
        push_subscriber stream;
        push_channel $ch;
        push_stream_content_type "application/x-ndjson";
        push_stream_header "[begin]\n";
        push_stream_separator "|";
        push_stream_footer "[end]\n";
    }
--- init
push_in_background(sub {
    push_wait_subscribers('/pub/s', 1) or die "never subscribed\n";
    push_request('POST', '/pub/s', $_) for qw(m1 m2 m3);
    push_request('DELETE', '/pub/s');
});
--- request
GET /st/s
--- response_headers
Content-Type: application/x-ndjson
Transfer-Encoding: chunked
!Content-Length
--- response_body eval
"[begin]\nm1|m2|m3|[end]\n"
--- no_error_log
[error]



=== TEST 2: HTTP/1.0 gets a plain stream, with the default separator
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber; push_channel $ch; }
--- init
push_in_background(sub {
    push_wait_subscribers('/pub/old', 1) or die "never subscribed\n";
    push_request('POST', '/pub/old', "line $_") for 1 .. 2;
    push_request('DELETE', '/pub/old');
});
--- request
GET /sub/old?transport=stream HTTP/1.0
--- response_headers
Content-Type: text/plain
!Transfer-Encoding
--- response_body eval
"line 1\nline 2\n"
--- no_error_log
[error]



=== TEST 3: messages published through both workers all reach one stream, in order
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/st/(?<ch>\w+)$ { push_subscriber stream; push_channel $ch; }
--- init
push_in_background(sub {
    my $by = push_by_worker('/pid', 2);
    my @w = values %$by;
    push_wait_subscribers('/pub/x', 1) or die "never subscribed\n";
    for my $i (1 .. 20) {
        my $s = $w[$i % @w];
        push_send($s, 'POST', '/pub/x', "m$i");
        push_read($s, 2);
    }
    push_request('DELETE', '/pub/x');
});
--- request
GET /st/x
--- response_body eval
CORE::join('', map { "m$_\n" } 1 .. 20)
--- timeout: 10
--- no_error_log
[error]
[alert]



=== TEST 4: push_stream_ping keeps an idle stream alive
The stream never ends and the runner's timeout is for silence, so a helper
reads it for 0.7 s and reports what came after the headers.
--- config
    location ~ ^/st/(?<ch>\w+)$ {
        push_subscriber stream;
        push_channel $ch;
        push_ping_interval 200ms;
        push_stream_ping ".";
    }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $s = push_connect();
    push_send($s, 'GET', '/st/idle HTTP/1.0');
    my $got = push_read_until($s, undef, 0.7);
    close $s;
    $got =~ s/\A.*?\r\n\r\n//s or $got = "no headers: $got";
    push_report('/pub/result', $got);
});
--- request
GET /result
--- timeout: 10
--- response_body_like chomp
\A\.\.\.?\n\z
--- no_error_log
[error]



=== TEST 5: the stream starts with what was buffered after the cursor
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/st/(?<ch>\w+)$ {
        push_subscriber stream;
        push_channel $ch;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/back', "old$_") for 1 .. 2;
    push_wait_subscribers('/pub/back', 1) or die "never subscribed\n";
    push_request('POST', '/pub/back', 'new');
    push_request('DELETE', '/pub/back');
});
--- request
GET /st/back
--- response_body eval
"old1\nold2\nnew\n"
--- no_error_log
[error]



=== TEST 6: SSE: events published through both workers reach one EventSource, in order
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry off;
    }
--- init
push_in_background(sub {
    my $by = push_by_worker('/pid', 2);
    my @w = values %$by;
    push_wait_subscribers('/pub/e', 1) or die "never subscribed\n";
    for my $i (1 .. 10) {
        my $s = $w[$i % @w];
        push_send($s, 'POST', '/pub/e', "m$i");
        push_read($s, 2);
    }
    push_request('DELETE', '/pub/e');
});
--- request
GET /ev/e
--- response_body_like chomp
\A(id: [0-9a-f]{8}:(\d+)\ndata: m\2\n\n){10}event: deleted\ndata: \n\n\z
--- timeout: 10
--- no_error_log
[error]
[alert]
