# Short polling: answers at once, one message after the cursor or 304.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: an empty channel answers 304 with a cursor
--- config
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
--- request
GET /poll/quiet
--- error_code: 304
--- response_headers_like
Etag: "[0-9a-f]{8}:0"
--- response_body chomp
--- no_error_log
[error]



=== TEST 2: without a cursor a poll gets the newest message
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', "/pub/news", $_) for qw(m1 m2);
    my $r = push_get('/poll/news');
    my $h = $r->{headers};
    push_report('/pub/result', "$r->{status} $r->{body} $h->{etag} "
                . "$h->{'cache-control'} $h->{'last-modified'}");
});
--- request
GET /result
--- response_body_like chomp
^200 m2 "[0-9a-f]{8}:2" no-store \w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT\n\z
--- no_error_log
[error]



=== TEST 3: polls walk the buffer with If-None-Match, one message each
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
push_in_background(sub {
    push_request('POST', "/pub/walk", $_) for qw(a b c);
    my ($cursor, @seen);
    for (1 .. 4) {
        my $r = push_get('/poll/walk', $cursor);
        push @seen, "$r->{status}:$r->{body}";
        $cursor = push_etag($r);
    }
    push_report('/pub/result', join(' ', @seen) . " $cursor");
});
--- request
GET /result
--- response_body_like chomp
^200:a 200:b 200:c 304: [0-9a-f]{8}:3\n\z
--- no_error_log
[error]



=== TEST 4: ?last_event_id= is a cursor too, percent-encoded or not
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', "/pub/arg", $_) for qw(a b c);
    my $epoch = (push_etag(push_get('/poll/arg')) =~ /^(\w+):/)[0];
    my $r1 = push_request('GET', "/poll/arg?last_event_id=$epoch:1");
    my $r2 = push_request('GET', "/poll/arg?last_event_id=$epoch%3A2");
    push_report('/pub/result', "$r1->{body} $r2->{body}");
});
--- request
GET /result
--- response_body
b c
--- no_error_log
[error]



=== TEST 5: a cursor older than the buffer gets the oldest kept and Push-Gap
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 2;
    }
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', "/pub/gap", "m$_") for 1 .. 5;
    my $epoch = (push_etag(push_get('/poll/gap')) =~ /^(\w+):/)[0];
    my $r = push_get('/poll/gap', "$epoch:1");
    push_report('/pub/result', "$r->{status} $r->{body} gap=$r->{headers}{'push-gap'} "
                . push_etag($r));
});
--- request
GET /result
--- response_body_like chomp
^200 m4 gap=2 [0-9a-f]{8}:4\n\z
--- no_error_log
[error]



=== TEST 6: a cursor from another zone gets everything kept and Push-Gap: unknown
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', "/pub/ep", $_) for qw(m1 m2);
    my $r = push_get('/poll/ep', '00000000:7');
    push_report('/pub/result', "$r->{status} $r->{body} "
                . "gap=$r->{headers}{'push-gap'}");
});
--- request
GET /result
--- response_body
200 m1 gap=unknown
--- no_error_log
[error]



=== TEST 7: a malformed cursor is 400
--- config
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
--- request
GET /poll/x
--- more_headers
If-None-Match: "not-a-cursor"
--- error_code: 400
--- response_body
invalid message id
--- error_log
push: invalid message id
--- no_error_log
[error]



=== TEST 8: a cursor for another number of channels is 400
--- config
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch other; }
--- request
GET /poll/x
--- more_headers
If-None-Match: "0badcafe:1"
--- error_code: 400
--- response_body
message id does not match the channels
--- no_error_log
[error]



=== TEST 9: one poll over two channels; the cursor joins their positions
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /poll {
        push_subscriber poll;
        push_channel a b;
        push_first_message oldest;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', "/pub/b", 'from-b');
    my $r = push_get('/poll');
    my $again = push_get('/poll', push_etag($r));
    push_report('/pub/result', "$r->{status} $r->{body} $r->{headers}{etag} "
                . "$again->{status}");
});
--- request
GET /result
--- response_body_like chomp
^200 from-b "[0-9a-f]{8}:0,1" 304\n\z
--- no_error_log
[error]



=== TEST 10: subscribers take GET and HEAD only
--- config
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
--- request
POST /poll/x
body
--- error_code: 405
--- response_headers
Allow: GET, HEAD
--- response_body
method not allowed for subscribers
--- no_error_log
[error]



=== TEST 11: a transport the location does not serve is 400
--- config
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
--- request
GET /poll/x?transport=longpoll
--- error_code: 400
--- response_body
transport not served here
--- no_error_log
[error]



=== TEST 12: ?transport=poll picks short polling where both are served
--- config
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber; push_channel $ch; }
--- request
GET /sub/x?transport=poll
--- error_code: 304
--- no_error_log
[error]
