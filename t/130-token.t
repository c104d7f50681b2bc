# Signed subscriber URLs: push_subscriber_secret and push_subscriber_token,
# alone and together with auth_request; allow/deny on the publisher.
use lib 't/helpers';
use PushTest;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);
use Test::Nginx::Socket 'no_plan';

# What a backend does to let a browser in: the README's recipe.
sub token {
    my ($secret, $payload) = @_;
    return encode_base64url($payload) . '.'
           . encode_base64url(hmac_sha256($payload, $secret));
}

our $good = token('s3cret', '4102444800:news,user.42.*');
our $expired = token('s3cret', '1000000000:news');
our $other = token('not-it', '4102444800:news');
# a channel named "x*" alone, and one named "a,b": escaped in the grant
our $escaped = token('s3cret', '4102444800:x\\*,a\\,b');
our $tampered = encode_base64url('4102444800:sport') . '.'
                . (split /\./, $good)[1];

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a good token lets in the channels it grants, and only them
--- config
    location ~ ^/sub/(?<ch>[\w.]+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_subscriber_secret s3cret;
    }
--- request eval
["GET /sub/news?token=$::good", "GET /sub/user.42.inbox?token=$::good",
 "GET /sub/sport?token=$::good", "GET /sub/user.43.inbox?token=$::good"]
--- error_code eval
[304, 304, 403, 403]
--- response_body eval
["", "", "token does not grant this channel\n",
 "token does not grant this channel\n"]
--- no_error_log
[error]



=== TEST 2: missing, expired, tampered, foreign and garbage tokens are 403
--- config
    location ~ ^/sub/(?<ch>[\w.]+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_subscriber_secret s3cret;
    }
--- request eval
["GET /sub/news", "GET /sub/news?token=$::expired",
 "GET /sub/sport?token=$::tampered", "GET /sub/news?token=$::other",
 "GET /sub/news?token=%00%01.x"]
--- error_code eval
[403, 403, 403, 403, 403]
--- response_body eval
["a token is required\n", "token has expired\n",
 "token signature does not match\n", "token signature does not match\n",
 "token is malformed\n"]
--- no_error_log
[error]



=== TEST 2b: an expired token is logged
The error_log check runs after each request of an array on the lines that
request logged, so the line is checked in a block of one request.
--- config
    location ~ ^/sub/(?<ch>[\w.]+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_subscriber_secret s3cret;
    }
--- request eval
"GET /sub/news?token=$::expired"
--- error_code: 403
--- response_body
token has expired
--- error_log
token has expired
--- no_error_log
[error]



=== TEST 3: secret from a variable, token from a header, several channels
--- config
    location = /sub {
        set $secret s3cret;
        push_subscriber poll;
        push_channel news user.42.feed;
        push_subscriber_secret $secret;
        push_subscriber_token $http_x_push_token;
    }
--- more_headers eval
"X-Push-Token: $::good"
--- request
GET /sub
--- error_code: 304
--- no_error_log
[error]



=== TEST 4: one channel outside the grant refuses the whole subscription
--- config
    location = /sub {
        push_subscriber poll;
        push_channel news sport;
        push_subscriber_secret s3cret;
        push_subscriber_token $http_x_push_token;
    }
--- more_headers eval
"X-Push-Token: $::good"
--- request
GET /sub
--- error_code: 403
--- response_body
token does not grant this channel
--- no_error_log
[error]



=== TEST 5: with auth_request, both must agree
--- config
    location = /auth {
        internal;
        if ($request_uri !~ "[?&]user=") { return 401; }
        return 204;
    }
    location ~ ^/sub/(?<ch>[\w.]+)$ {
        auth_request /auth;
        push_subscriber poll;
        push_channel $ch;
        push_subscriber_secret s3cret;
    }
--- request eval
["GET /sub/news?user=ann&token=$::good", "GET /sub/news?token=$::good",
 "GET /sub/sport?user=ann&token=$::good"]
--- error_code eval
[304, 401, 403]
--- no_error_log
[error]



=== TEST 6: allow/deny guard the publisher, the subscriber side is apart
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        allow 10.0.0.1;
        deny all;
        push_publisher;
        push_channel $ch;
    }
    location ~ ^/open/(?<ch>\w+)$ {
        allow 127.0.0.1;
        deny all;
        push_publisher;
        push_channel $ch;
    }
--- request eval
["POST /pub/x\nhello", "POST /open/x\nhello"]
--- error_code eval
[403, 202]
--- no_error_log
[alert]



=== TEST 6b: a publish that allow/deny refuses is logged
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        allow 10.0.0.1;
        deny all;
        push_publisher;
        push_channel $ch;
    }
--- request
POST /pub/x
hello
--- error_code: 403
--- error_log
access forbidden by rule
--- no_error_log
[alert]



=== TEST 7: a backslash in a grant names a channel with "," or a final "*"
--- config
    location ~ ^/sub/(?<ch>.+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_subscriber_secret s3cret;
    }
--- request eval
["GET /sub/x*?token=$::escaped", "GET /sub/xy?token=$::escaped",
 "GET /sub/a,b?token=$::escaped", "GET /sub/a?token=$::escaped"]
--- error_code eval
[304, 403, 304, 403]
--- response_body eval
["", "token does not grant this channel\n", "",
 "token does not grant this channel\n"]
--- no_error_log
[error]
