# The module loads into stock nginx, its directives parse, and bad values
# stop nginx with a clear emerg.
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the module loads with the default zone
--- config
    location = /pub { push_publisher; push_channel demo; }
--- request
GET /pub
--- error_code: 404
--- response_body
no such channel
--- no_error_log
[error]
[alert]



=== TEST 2: a declared zone serves a publish
--- http_config
    push_zone mine 4m;
--- config
    location = /pub {
        push_publisher;
        push_channel demo;
        push_message_buffer 10;
        push_message_ttl 10m;
        push_channel_id_max_length 64;
    }
--- request
POST /pub
hello
--- error_code: 202
--- response_body_like chomp
^\{"channel":"demo","messages":1,"subscribers":0,"last_message_id":"[0-9a-f]{8}:1"\}$
--- no_error_log
[error]



=== TEST 3: every subscriber directive parses
--- config
    location = /sub {
        push_subscriber poll longpoll;
        push_channel a b $arg_c;
        push_longpoll_timeout 10s;
        push_first_message 5;
    }
    location = /sub2 { push_subscriber; push_channel a; push_first_message oldest; }
    location = /sub3 { push_subscriber longpoll; push_channel a; push_first_message newest; }
--- request
GET /sub?c=x&transport=poll
--- error_code: 304
--- no_error_log
[error]



=== TEST 4: a zone too small is refused
--- http_config
    push_zone tiny 4k;
--- config
    location = /pub { push_publisher; push_channel demo; }
--- must_die
--- error_log
push_zone "tiny" is too small



=== TEST 5: two push_zone directives are refused
--- http_config
    push_zone one 1m;
    push_zone two 1m;
--- config
    location = /pub { push_publisher; push_channel demo; }
--- must_die
--- error_log
"push_zone" directive is duplicate



=== TEST 6: an unknown transport is refused
--- config
    location = /sub { push_subscriber poll telepathy; push_channel a; }
--- must_die
--- error_log
unknown push_subscriber transport "telepathy"



=== TEST 7: push_message_buffer 0 is refused
--- config
    location = /pub { push_publisher; push_channel a; push_message_buffer 0; }
--- must_die
--- error_log
push_message_buffer must be 1 to 1000000, not 0



=== TEST 8: a subscriber without a channel is refused
--- config
    location = /sub { push_subscriber; }
--- must_die
--- error_log
push_subscriber needs push_channel



=== TEST 9: publisher and subscriber in one location are refused
--- config
    location = /x { push_publisher; push_subscriber; push_channel a; }
--- must_die
--- error_log
push_publisher and push_subscriber cannot share a location



=== TEST 10: a publisher takes one channel
--- config
    location = /pub { push_publisher; push_channel a b; }
--- must_die
--- error_log
push_publisher takes one push_channel, not 2



=== TEST 11: push_first_message takes newest, oldest or a number
--- config
    location = /sub { push_subscriber; push_channel a; push_first_message latest; }
--- must_die
--- error_log
invalid push_first_message "latest", expected newest, oldest or a number



=== TEST 12: at most 16 channels per subscriber
--- config
    location = /sub {
        push_subscriber;
        push_channel a b c d e f g h i j k l m n o p q;
    }
--- must_die
--- error_log
push_channel takes at most 16 channels



=== TEST 13: push_channel_id_max_length has bounds
--- config
    location = /pub { push_publisher; push_channel a; push_channel_id_max_length 0; }
--- must_die
--- error_log
push_channel_id_max_length must be 1 to 4096, not 0



=== TEST 14: a malformed zone size is refused
--- http_config
    push_zone z lots;
--- config
    location = /pub { push_publisher; push_channel a; }
--- must_die
--- error_log
invalid push_zone "z lots"
