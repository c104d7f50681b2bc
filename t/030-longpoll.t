# Long polling: parked until a message, a timeout, a delete or a disconnect.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a parked long-poll is released by a publish
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
--- init
push_in_background(sub {
    push_wait_subscribers('/pub/lp', 1) or die "subscriber never parked";
    push_request('POST', '/pub/lp', 'hello');
});
--- request
GET /sub/lp
--- response_headers_like
Etag: "[0-9a-f]{8}:1"
--- response_body chomp
hello
--- no_error_log
[error]



=== TEST 2: a long-poll that waits push_longpoll_timeout gets 304 and its cursor back
--- config
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_longpoll_timeout 300ms;
    }
--- request
GET /sub/quiet
--- more_headers
If-None-Match: "0badcafe:0"
--- error_code: 304
--- response_headers_like
Etag: "[0-9a-f]{8}:0"
--- no_error_log
[error]



=== TEST 3: consecutive long-polls with the cursor lose and repeat nothing
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $publisher = push_in_background(sub {
        push_wait_subscribers('/pub/seq', 1) or die "never parked";
        push_request('POST', '/pub/seq', "m$_") for 1 .. 30;
    });
    my ($cursor, @got);
    while (@got < 30) {
        my $r = push_get('/sub/seq', $cursor) or last;
        last unless $r->{status} == 200;
        push @got, $r->{body};
        $cursor = push_etag($r);
    }
    waitpid $publisher, 0;
    push_report('/pub/result', join(',', @got));
});
--- request
GET /result
--- response_body eval
CORE::join(',', map { "m$_" } 1 .. 30) . "\n"
--- timeout: 10
--- no_error_log
[error]



=== TEST 4: a long-poll behind the buffer gets the oldest kept and Push-Gap at once
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 3;
    }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/gap', "m$_") for 1 .. 10;
    my $epoch = (push_etag(push_get('/poll/gap')) =~ /^(\w+):/)[0];
    my $r = push_get('/sub/gap', "$epoch:1");
    push_report('/pub/result', "$r->{status} $r->{body} "
                . "gap=$r->{headers}{'push-gap'}");
});
--- request
GET /result
--- response_body
200 m8 gap=6
--- no_error_log
[error]



=== TEST 5: a client that disconnects while parked leaves at once
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my @socks;
    for (1 .. 3) {
        my $s = push_connect();
        push_send($s, 'GET', '/sub/gone');
        push @socks, $s;
    }
    my $parked = push_wait_subscribers('/pub/gone', 3);
    close $_ for @socks;
    my $left = push_wait_subscribers('/pub/gone', 0, 2);
    push_report('/pub/result', "parked=$parked left=$left");
});
--- request
GET /result
--- response_body
parked=1 left=1
--- no_error_log
[error]



=== TEST 6: DELETE answers a parked long-poll with 410
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
--- init
push_in_background(sub {
    push_wait_subscribers('/pub/del', 1) or die "never parked";
    push_request('DELETE', '/pub/del');
});
--- request
GET /sub/del
--- error_code: 410
--- response_body
channel deleted
--- error_log
channel "del" deleted, 1 subscribers ended
--- no_error_log
[error]



=== TEST 7: one long-poll over two channels is released by either
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /sub { push_subscriber longpoll; push_channel left right; }
--- init
push_in_background(sub {
    push_wait_subscribers('/pub/right', 1) or die "never parked";
    push_request('POST', '/pub/right', 'from-right');
});
--- request
GET /sub
--- response_headers_like
Etag: "[0-9a-f]{8}:0,1"
--- response_body chomp
from-right
--- no_error_log
[error]



=== TEST 8: push_first_message N starts N messages back
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_first_message 2;
    }
--- request eval
["POST /pub/n\nm1", "POST /pub/n\nm2", "POST /pub/n\nm3", "GET /sub/n"]
--- error_code eval
[202, 202, 202, 200]
--- response_body_like eval
[qr/"messages":1/, qr/"messages":2/, qr/"messages":3/, qr/^m2\z/]
--- no_error_log
[error]



=== TEST 9: the seed's long-poll loop: no cursor, each request waits for the next message
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/seed', 'old');
    my @got;
    for my $i (1 .. 2) {
        my $pub = push_in_background(sub {
            push_wait_subscribers('/pub/seed', 1) or die "never parked";
            push_request('POST', '/pub/seed', "new$i");
        });
        my $r = push_get('/sub/seed');
        push @got, $r->{body};
        waitpid $pub, 0;
    }
    push_report('/pub/result', join(' ', @got));
});
--- request
GET /result
--- response_body
new1 new2
--- no_error_log
[error]
