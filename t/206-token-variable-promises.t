# Signed subscriber URLs where the README says they work (a WebSocket's
# URL, a cookie) and their refusals logged at info; the $push_* variables of
# the long-lived transports, written when they end.
use lib 't/helpers';
use PushTest;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);
use Test::Nginx::Socket 'no_plan';

# The README's recipe, as a backend would run it.
sub Test::Nginx::Util::audit_token {
    my ($secret, $payload) = @_;
    return encode_base64url($payload) . '.'
           . encode_base64url(hmac_sha256($payload, $secret));
}

our $good = Test::Nginx::Util::audit_token('s3cret', '4102444800:news');
our $expired = Test::Nginx::Util::audit_token('s3cret', '1000000000:news');

no_shuffle();
run_tests();

__DATA__

=== TEST 1: an expired token is 403 with its reason, logged at info
--- config
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_subscriber_secret s3cret;
    }
--- request eval
"GET /sub/news?token=$::expired"
--- error_code: 403
--- response_body
token has expired
--- error_log eval
[qr/\[info\] [^\n]*push: token has expired/]
--- no_error_log
[error]
[warn]



=== TEST 2: a WebSocket opens with the same signed URL, and not without it
--- config
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber websocket;
        push_channel $ch;
        push_subscriber_secret s3cret;
    }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my ($s, $head) = PushTest::push_ws_open("/sub/news?token=$::good");
    my ($t, $none) = PushTest::push_ws_open('/sub/news');
    my ($u, $bad) = PushTest::push_ws_open("/sub/news?token=$::expired");
    my @st = map { m{^HTTP/1\.1 (\d+)} ? $1 : 'none' } $head, $none, $bad;
    PushTest::push_report('/pub/result', "@st");
});
--- request
GET /result
--- response_body
101 403 403
--- no_error_log
[error]



=== TEST 3: push_subscriber_token can read the token from a cookie
--- config
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_subscriber_secret s3cret;
        push_subscriber_token $cookie_push;
    }
--- request eval
["GET /sub/news", "GET /sub/news?token=$::good"]
--- more_headers eval
"Cookie: other=1; push=$::good"
--- error_code eval
[304, 304]
--- no_error_log eval
["[error]", "[error]"]



=== TEST 4: stream, SSE and WebSocket log their transport, channel and last id when they end
--- http_config
    log_format audit '$push_transport $push_channel $push_message_id $status';
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        access_log logs/audit.log audit;
        push_subscriber stream sse websocket;
        push_channel $ch;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $root = $Test::Nginx::Util::ServRoot // $Test::Nginx::Socket::ServRoot;
    my $sse = PushTest::push_connect();
    PushTest::push_send($sse, 'GET', '/sub/v?transport=sse');
    my ($ws) = PushTest::push_ws_open('/sub/v');
    my $st = PushTest::push_connect();
    PushTest::push_send($st, 'GET', '/sub/v?transport=stream');
    PushTest::push_wait_subscribers('/pub/v', 3) or die "never subscribed\n";
    my $e;
    $e = PushTest::push_epoch(PushTest::push_request('POST', '/pub/v', "m$_"))
        for 1 .. 2;
    PushTest::push_read_until($sse, qr/data: m2\n/, 5);
    PushTest::push_ws_frame($ws, 5) for 1 .. 2;
    PushTest::push_read_until($st, qr/m2\n/, 5);
    close $sse;
    PushTest::push_ws_send($ws, 0x8, pack('n', 1000));
    PushTest::push_ws_frame($ws, 5);
    close $ws;
    PushTest::push_wait_subscribers('/pub/v', 1) or die "never left\n";
    PushTest::push_request('DELETE', '/pub/v');
    PushTest::push_read_until($st, undef, 5);
    my $log = '';
    for (1 .. 100) {
        open my $fh, '<', "$root/logs/audit.log" or die "no log: $!\n";
        $log = do { local $/; <$fh> };
        last if ($log =~ tr/\n//) >= 3;
        Time::HiRes::sleep(0.05);
    }
    $log =~ s/$e/E/g;
    PushTest::push_report('/pub/result', join ' | ', sort split /\n/, $log);
});
--- request
GET /result
--- response_body
sse v E:2 200 | stream v E:2 200 | websocket v E:2 101
--- timeout: 10
--- no_error_log
[error]



=== TEST 5: $push_subscribers is how many subscribers a publish was sent to
--- http_config
    log_format audit '$request_method $push_channel $push_subscribers';
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        access_log logs/audit.log audit;
        push_publisher;
        push_channel $ch;
    }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll sse; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $root = $Test::Nginx::Util::ServRoot // $Test::Nginx::Socket::ServRoot;
    my $lp = PushTest::push_connect();
    PushTest::push_send($lp, 'GET', '/sub/n');
    my $sse = PushTest::push_connect();
    PushTest::push_send($sse, 'GET', '/sub/n?transport=sse');
    PushTest::push_wait_subscribers('/pub/n', 2) or die "never subscribed\n";
    PushTest::push_request('POST', '/pub/n', 'to two');
    PushTest::push_read($lp, 5);
    PushTest::push_request('POST', '/pub/n', 'to one');
    PushTest::push_read_until($sse, qr/data: to one\n/, 5);
    close $sse;
    PushTest::push_wait_subscribers('/pub/n', 0) or die "never left\n";
    PushTest::push_request('POST', '/pub/n', 'to none');
    my $log = '';
    for (1 .. 100) {
        open my $fh, '<', "$root/logs/audit.log" or die "no log: $!\n";
        $log = do { local $/; <$fh> };
        my $lines = () = $log =~ /^POST n \d+$/mg;
        last if $lines >= 3;
        Time::HiRes::sleep(0.05);
    }
    my @n = $log =~ /^POST n (\d+)$/mg;
    PushTest::push_report('/pub/result', "@n");
});
--- request
GET /result
--- response_body
2 1 0
--- no_error_log
[error]
