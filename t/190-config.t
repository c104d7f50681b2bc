# The operator's side: what the push_* directives inherit, how they live
# beside nginx's own if, limit_except and content handlers, and which
# combinations nginx -t refuses, naming the conflict.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: push_first_message newest overrides an inherited oldest
--- config
    push_first_message oldest;
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/old/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
    location ~ ^/new/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_first_message newest;
    }
--- request eval
["POST /pub/a\nm1", "POST /pub/a\nm2", "GET /old/a", "GET /new/a"]
--- error_code eval
[202, 202, 200, 200]
--- response_body_like eval
[qr/"messages":1,/, qr/"messages":2,/, qr/^m1\z/, qr/^m2\z/]
--- no_error_log
[error]



=== TEST 2: a second push_first_message in one place is refused, newest first too
--- config
    location = /sub {
        push_subscriber poll;
        push_channel a;
        push_first_message newest;
        push_first_message oldest;
    }
--- must_die
--- error_log
"push_first_message" directive is duplicate



=== TEST 3: push_channel at server level is inherited by the locations
--- config
    push_channel $arg_ch;
    location = /pub { push_publisher; }
    location = /sub { push_subscriber poll; push_first_message oldest; }
--- request eval
["POST /pub?ch=srv\nhello", "GET /sub?ch=srv"]
--- error_code eval
[202, 200]
--- response_body_like eval
[qr/^\{"channel":"srv","messages":1,/, qr/^hello\z/]
--- no_error_log
[error]



=== TEST 4: push_channel at http level is inherited, a location's own wins
--- http_config
    push_channel fromhttp;
--- config
    location = /pub { push_publisher; }
    location = /own { push_publisher; push_channel mine; }
--- request eval
["POST /pub\nx", "POST /own\ny"]
--- error_code eval
[202, 202]
--- response_body_like eval
[qr/^\{"channel":"fromhttp",/, qr/^\{"channel":"mine",/]
--- no_error_log
[error]



=== TEST 5: a push_allow_origin from a variable answers with Vary: Origin
--- config
    location ~ ^/var/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_allow_origin $http_origin;
    }
    location ~ ^/fix/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_allow_origin *;
    }
--- more_headers
Origin: https://app.example
--- request eval
["GET /var/a", "OPTIONS /var/a", "GET /fix/a"]
--- error_code eval
[304, 204, 304]
--- response_headers eval
["Vary: Origin\nAccess-Control-Allow-Origin: https://app.example",
 "Vary: Origin\nAccess-Control-Allow-Origin: https://app.example",
 "!Vary\nAccess-Control-Allow-Origin: *"]
--- no_error_log
[error]



=== TEST 6: Vary: Origin also when the variable gives no origin
--- config
    location ~ ^/var/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_allow_origin $http_origin;
    }
--- request
GET /var/a
--- error_code: 304
--- response_headers
Vary: Origin
!Access-Control-Allow-Origin
--- no_error_log
[error]



=== TEST 7: an if block inside a publisher or subscriber location keeps it working
--- config
    location ~ ^/ifpub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        add_header X-Push-Channel $push_channel always;
        if ($arg_x) { set $foo 1; }
    }
    location ~ ^/ifsub/(?<ch>\w+)$ {
        push_subscriber poll longpoll;
        push_channel $ch;
        push_first_message oldest;
        add_header X-Push-Transport $push_transport always;
        if ($arg_x) { set $foo 1; }
    }
--- request eval
["POST /ifpub/a?x=1\nm1", "GET /ifpub/a?x=1",
 "GET /ifsub/a?transport=poll&x=1", "GET /ifsub/a?transport=poll"]
--- error_code eval
[202, 200, 200, 200]
--- response_headers eval
["X-Push-Channel: a", "X-Push-Channel: a", "X-Push-Transport: poll",
 "X-Push-Transport: poll"]
--- response_body_like eval
[qr/^\{"channel":"a","messages":1,/, qr/^\{"channel":"a","messages":1,/,
 qr/^m1\z/, qr/^m1\z/]
--- no_error_log
[error]



=== TEST 8: an if block with its own proxy_pass still proxies, the rest still subscribes
--- config
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        if ($arg_p) {
            rewrite ^ /other break;
            proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
        }
    }
    location = /other { return 200 "proxied\n"; }
--- request eval
["GET /sub/a?p=1", "GET /sub/a"]
--- error_code eval
[200, 304]
--- response_body eval
["proxied\n", ""]
--- no_error_log
[error]



=== TEST 9: limit_except protects a publisher: allowed methods still publish and delete
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        limit_except GET { allow 127.0.0.1; deny all; }
    }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_allow_origin https://app.example;
        limit_except GET { allow 127.0.0.1; deny all; }
    }
--- request eval
["POST /pub/a\nm1", "GET /pub/a", "DELETE /pub/a", "GET /pub/a",
 "OPTIONS /sub/a"]
--- error_code eval
[202, 200, 200, 404, 204]
--- response_body_like eval
[qr/^\{"channel":"a","messages":1,/, qr/^\{"channel":"a","messages":1,/,
 qr/^\{"channel":"a",/, qr/^no such channel\n\z/, qr/^\z/]
--- no_error_log
[error]



=== TEST 10: limit_except still denies what it denies
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        limit_except GET { deny all; }
    }
--- request
POST /pub/b
m1
--- error_code: 403
--- error_log
access forbidden by rule



=== TEST 11: push_subscriber_secret off turns an inherited secret off
--- config
    push_subscriber_secret s3cret;
    location ~ ^/open/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_subscriber_secret off;
    }
    location ~ ^/closed/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
--- request eval
["GET /open/a", "GET /closed/a"]
--- error_code eval
[304, 403]
--- response_body eval
["", "a token is required\n"]
--- no_error_log
[error]



=== TEST 12: push_subscriber and proxy_pass in one location are refused
--- config
    location = /sub {
        push_subscriber;
        push_channel a;
        proxy_pass http://127.0.0.1:9;
    }
--- must_die
--- error_log
push_subscriber cannot share a location with another content handler



=== TEST 13: proxy_pass then push_subscriber is refused as well
--- config
    location = /sub {
        proxy_pass http://127.0.0.1:9;
        push_subscriber;
        push_channel a;
    }
--- must_die
--- error_log
push_subscriber cannot share a location with another content handler



=== TEST 14: push_subscriber and push_stats in one location are refused
--- config
    location = /x { push_subscriber; push_channel a; push_stats; }
--- must_die
--- error_log
push_subscriber and push_stats cannot share a location



=== TEST 15: push_stats and push_publisher in one location are refused
--- config
    location = /x { push_stats; push_publisher; push_channel a; }
--- must_die
--- error_log
push_stats and push_publisher cannot share a location



=== TEST 16: push_publisher and push_stats in one location are refused
--- config
    location = /x { push_publisher; push_channel a; push_stats; }
--- must_die
--- error_log
push_publisher and push_stats cannot share a location



=== TEST 17: push_subscriber_pending_max 0 is refused
--- config
    location = /sub { push_subscriber; push_channel a; push_subscriber_pending_max 0; }
--- must_die
--- error_log
push_subscriber_pending_max must be more than 0



=== TEST 18: push_websocket_timeout 0 is refused
--- config
    location = /sub { push_subscriber; push_channel a; push_websocket_timeout 0; }
--- must_die
--- error_log
push_websocket_timeout must be more than 0
