# The backend decides the channel, for SSE and WebSocket each: an app
# answers X-Accel-Redirect to an internal subscriber location, or an
# auth_request sets the channel from the app's header.  X-Accel-Redirect
# replaces the query, so ?last_event_id= is carried across it by
# push_last_event_id (or by the app, in the redirect's own query); the
# client then gets exactly the messages after its cursor.
#
# The app is a second server of the same nginx, on TEST_NGINX_RP_PORT.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_RP_PORT} ||= 1990;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: SSE through X-Accel-Redirect resumes from ?last_event_id= kept by push_last_event_id
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RP_PORT;
        # the app: user ann reads channel room_ann
        location ~ ^/app/(?<user>\w+)$ {
            add_header X-Accel-Redirect /internal/sse/room_$user;
            return 200;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<user>\w+)$ {
        # the redirect replaces the query: keep the cursor before it
        set $push_cursor $arg_last_event_id;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RP_PORT/app/$user;
    }
    location ~ ^/internal/sse/(?<ch>\w+)$ {
        internal;
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry off;
        push_last_event_id $push_cursor;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/room_ann', "m$_") for 1 .. 3;
    push_request('POST', '/pub/room_bob', "bob");
    my $epoch = push_epoch(push_request('GET', '/pub/room_ann'));
    my $s = push_connect();
    push_send($s, 'GET', "/sub/ann?last_event_id=$epoch%3A1 HTTP/1.0");
    my $got = push_read_until($s, qr/data: m3\n\n/, 3);
    $got =~ s/^.*?\r\n\r\n//s;
    $got =~ s/$epoch/E/g;
    push_report('/pub/result', $got);
});
--- request
GET /result
--- response_body eval
"id: E:2\ndata: m2\n\nid: E:3\ndata: m3\n\n\n"
--- no_error_log
[error]
[warn]



=== TEST 2: SSE through X-Accel-Redirect: the app puts the cursor in the redirect's query
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RP_PORT;
        # nginx splits a query off the X-Accel-Redirect URI: it becomes
        # the query of the internal location
        location ~ ^/app/(?<user>\w+)$ {
            add_header X-Accel-Redirect /internal/sse/room_$user$is_args$args;
            return 200;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<user>\w+)$ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RP_PORT/app/$user$is_args$args;
    }
    location ~ ^/internal/sse/(?<ch>\w+)$ {
        internal;
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
push_in_background(sub {
    push_request('POST', '/pub/room_ann', "m$_") for 1 .. 4;
    my $epoch = push_epoch(push_request('GET', '/pub/room_ann'));
    my $s = push_connect();
    push_send($s, 'GET', "/sub/ann?last_event_id=$epoch:2 HTTP/1.0");
    my $got = push_read_until($s, qr/data: m4\n\n/, 3);
    $got =~ s/^.*?\r\n\r\n//s;
    $got =~ s/$epoch/E/g;
    push_report('/pub/result', $got);
});
--- request
GET /result
--- response_body eval
"id: E:3\ndata: m3\n\nid: E:4\ndata: m4\n\n\n"
--- no_error_log
[error]
[warn]



=== TEST 3: SSE through X-Accel-Redirect: Last-Event-ID, a header, crosses the redirect as it is
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RP_PORT;
        location ~ ^/app/(?<user>\w+)$ {
            add_header X-Accel-Redirect /internal/sse/room_$user;
            return 200;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<user>\w+)$ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RP_PORT/app/$user;
    }
    location ~ ^/internal/sse/(?<ch>\w+)$ {
        internal;
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
push_in_background(sub {
    push_request('POST', '/pub/room_ann', "m$_") for 1 .. 3;
    my $epoch = push_epoch(push_request('GET', '/pub/room_ann'));
    my $s = push_connect();
    push_send($s, 'GET', '/sub/ann HTTP/1.0', undef,
              ["Last-Event-ID: $epoch:1"]);
    my $got = push_read_until($s, qr/data: m3\n\n/, 3);
    $got =~ s/^.*?\r\n\r\n//s;
    $got =~ s/$epoch/E/g;
    push_report('/pub/result', $got);
});
--- request
GET /result
--- response_body eval
"id: E:2\ndata: m2\n\nid: E:3\ndata: m3\n\n\n"
--- no_error_log
[error]



=== TEST 4: WebSocket through X-Accel-Redirect resumes from ?last_event_id= kept by push_last_event_id
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RP_PORT;
        location ~ ^/app/(?<user>\w+)$ {
            add_header X-Accel-Redirect /internal/ws/room_$user;
            return 200;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<user>\w+)$ {
        set $push_cursor $arg_last_event_id;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RP_PORT/app/$user;
    }
    location ~ ^/internal/ws/(?<ch>\w+)$ {
        internal;
        push_subscriber websocket;
        push_channel $ch;
        push_last_event_id $push_cursor;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/room_ann', "m$_") for 1 .. 3;
    my $epoch = push_epoch(push_request('GET', '/pub/room_ann'));
    my ($s, $head) = push_ws_open("/sub/ann?last_event_id=$epoch:1");
    my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
    my @got = ("status $status");
    for (1 .. 2) {
        my $f = push_ws_frame($s, 3) or last;
        push @got, "op $f->[0] $f->[1]";
    }
    # and nothing more: m1 is not sent again
    my $more = push_ws_frame($s, 0.5);
    push @got, $more ? "extra $more->[1]" : 'no more';
    push_report('/pub/result', join(', ', @got));
});
--- request
GET /result
--- response_body
status 101, op 1 m2, op 1 m3, no more
--- no_error_log
[error]
[warn]



=== TEST 5: WebSocket through X-Accel-Redirect: the cursor in the redirect's query
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RP_PORT;
        location ~ ^/app/(?<user>\w+)$ {
            add_header X-Accel-Redirect /internal/ws/room_$user$is_args$args;
            return 200;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<user>\w+)$ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RP_PORT/app/$user$is_args$args;
    }
    location ~ ^/internal/ws/(?<ch>\w+)$ {
        internal;
        push_subscriber websocket;
        push_channel $ch;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/room_ann', "m$_") for 1 .. 4;
    my $epoch = push_epoch(push_request('GET', '/pub/room_ann'));
    my ($s, $head) = push_ws_open("/sub/ann?last_event_id=$epoch%3A2");
    my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
    my @got = ("status $status");
    for (1 .. 2) {
        my $f = push_ws_frame($s, 3) or last;
        push @got, "op $f->[0] $f->[1]";
    }
    my $more = push_ws_frame($s, 0.5);
    push @got, $more ? "extra $more->[1]" : 'no more';
    push_report('/pub/result', join(', ', @got));
});
--- request
GET /result
--- response_body
status 101, op 1 m3, op 1 m4, no more
--- no_error_log
[error]
[warn]



=== TEST 6: SSE with auth_request: the app's X-Channel header is the channel, the query the cursor
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RP_PORT;
        # the app: the original URI tells the user; bob may not subscribe
        location ~ ^/auth/asub/bob { return 403; }
        location ~ ^/auth/asub/(?<user>\w+) {
            add_header X-Channel room_$user;
            return 200;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /auth {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RP_PORT/auth$request_uri;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
    }
    location ~ ^/asub/ {
        auth_request /auth;
        auth_request_set $ch $upstream_http_x_channel;
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
push_in_background(sub {
    push_request('POST', '/pub/room_ann', "m$_") for 1 .. 3;
    my $epoch = push_epoch(push_request('GET', '/pub/room_ann'));
    my $bob = push_request('GET', '/asub/bob', undef,
                           ['Accept: text/event-stream']);
    my $s = push_connect();
    push_send($s, 'GET', "/asub/ann?last_event_id=$epoch:1 HTTP/1.0");
    my $got = push_read_until($s, qr/data: m3\n\n/, 3);
    $got =~ s/^.*?\r\n\r\n//s;
    $got =~ s/$epoch/E/g;
    push_report('/pub/result', "bob $bob->{status}\n$got");
});
--- request
GET /result
--- response_body eval
"bob 403\nid: E:2\ndata: m2\n\nid: E:3\ndata: m3\n\n\n"
--- no_error_log
[error]



=== TEST 7: WebSocket with auth_request: the app's X-Channel header is the channel, the query the cursor
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RP_PORT;
        location ~ ^/auth/asub/(?<user>\w+) {
            add_header X-Channel room_$user;
            return 200;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /auth {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RP_PORT/auth$request_uri;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
    }
    location ~ ^/asub/ {
        auth_request /auth;
        auth_request_set $ch $upstream_http_x_channel;
        push_subscriber websocket;
        push_channel $ch;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/room_ann', "m$_") for 1 .. 3;
    my $epoch = push_epoch(push_request('GET', '/pub/room_ann'));
    my ($s, $head) = push_ws_open("/asub/ann?last_event_id=$epoch:1");
    my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
    my @got = ("status $status");
    for (1 .. 2) {
        my $f = push_ws_frame($s, 3) or last;
        push @got, "op $f->[0] $f->[1]";
    }
    my $more = push_ws_frame($s, 0.5);
    push @got, $more ? "extra $more->[1]" : 'no more';
    push_report('/pub/result', join(', ', @got));
});
--- request
GET /result
--- response_body
status 101, op 1 m2, op 1 m3, no more
--- no_error_log
[error]



=== TEST 8: push_last_event_id comes first; an empty value falls back to the query
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry off;
        push_last_event_id $http_x_cursor;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', '/pub/pre', "m$_") for 1 .. 3;
    my $epoch = push_epoch(push_request('GET', '/pub/pre'));
    my @got;
    for my $h (["X-Cursor: $epoch:2"], []) {
        my $s = push_connect();
        push_send($s, 'GET', "/ev/pre?last_event_id=$epoch:1 HTTP/1.0",
                  undef, $h);
        my $got = push_read_until($s, qr/data: m3\n\n/, 3);
        $got =~ s/^.*?\r\n\r\n//s;
        $got =~ s/$epoch/E/g;
        push @got, $got;
    }
    push_report('/pub/result', join('--', @got));
});
--- request
GET /result
--- response_body eval
"id: E:3\ndata: m3\n\n--id: E:2\ndata: m2\n\nid: E:3\ndata: m3\n\n\n"
--- no_error_log
[error]



=== TEST 9: a bad id from push_last_event_id is 400, as one in the query
--- config
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_last_event_id $http_x_cursor;
    }
--- request
GET /ev/bad?last_event_id=0
--- more_headers
Accept: text/event-stream
X-Cursor: not-an-id
--- error_code: 400
--- response_body
invalid message id
--- no_error_log
[error]



=== TEST 10: push_last_event_id off reads the cursor as without it
--- config
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_last_event_id off;
    }
--- request
GET /ev/x
--- error_code: 304
--- no_error_log
[error]
