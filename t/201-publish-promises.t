# The publish endpoint's promises the older suites left loose: HEAD, the
# bounds of Push-Event, and every refusal logged at info with its reason.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: HEAD answers 200 with the channel info's headers and no body
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    PushTest::push_request('POST', '/pub/h', 'x');
    my $s = PushTest::push_connect();
    $s->syswrite("HEAD /pub/h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my $head = PushTest::push_read_until($s, undef, 5);
    my $t = PushTest::push_connect();
    $t->syswrite("HEAD /pub/none HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my $none = PushTest::push_read_until($t, undef, 5);
    my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
    my ($len) = $head =~ /^Content-Length: (\d+)/mi;
    my ($type) = $head =~ /^Content-Type: ([^\r]+)/mi;
    my ($body) = $head =~ /\r\n\r\n(.*)\z/s;
    my ($nstatus) = $none =~ m{^HTTP/1\.1 (\d+)};
    PushTest::push_report('/pub/result', "status=$status type=$type "
        . "length=" . ($len > 0 ? 'set' : 'none') . " body='$body' "
        . "unknown=$nstatus");
});
--- request
GET /result
--- response_body
status=200 type=application/json length=set body='' unknown=404
--- no_error_log
[error]



=== TEST 2: Push-Event takes 1 to 64 bytes without control characters
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
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
PushTest::push_in_background(sub {
    my $name = 'e' x 64;
    my $ok = PushTest::push_request('POST', '/pub/ev', 'x', ["Push-Event: $name"]);
    my $got = PushTest::push_get('/sub/ev');
    my $empty = PushTest::push_request('POST', '/pub/ev', 'y', ['Push-Event: ']);
    my $ctl = PushTest::push_request('POST', '/pub/ev', 'z',
                                     ["Push-Event: a\x1bb"]);
    my $del = PushTest::push_request('POST', '/pub/ev', 'z',
                                     ["Push-Event: a\x7fb"]);
    my $info = PushTest::push_request('GET', '/pub/ev');
    PushTest::push_report('/pub/result', join ' ',
        "64=$ok->{status}",
        "kept=" . (($got->{headers}{'push-event'} // '') eq $name ? 'yes' : 'no'),
        "empty=$empty->{status}", "esc=$ctl->{status}", "del=$del->{status}",
        ($info->{body} =~ /("messages":\d+)/)[0]);
});
--- request
GET /result
--- response_body
64=202 kept=yes empty=400 esc=400 del=400 "messages":1
--- no_error_log
[error]



=== TEST 3: every refusal of the module is logged at info with its reason
--- config
    location ~ ^/pub/(?<ch>[^/]+)$ {
        push_publisher;
        push_channel $ch;
        push_max_channels 2;
    }
    location ~ ^/sub/(?<ch>[^/]+)$ {
        push_subscriber poll longpoll;
        push_channel $ch;
        push_max_subscribers_per_channel 1;
    }
    location = /multi {
        push_subscriber poll;
        push_channel $arg_ch;
        push_channel_split ",";
        push_max_channels_per_subscriber 2;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my @st;
    push @st, PushTest::push_request('POST', '/pub/a%01b', 'x')->{status};
    push @st, PushTest::push_request('POST', '/pub/' . ('a' x 300), 'x')->{status};
    push @st, PushTest::push_request('POST', '/pub/ev', 'x',
                                     ['Push-Event: ' . ('e' x 65)])->{status};
    push @st, PushTest::push_request('PATCH', '/pub/ev')->{status};
    # "result" is the first channel: one more is all
    push @st, PushTest::push_request('POST', '/pub/two', 'x')->{status};
    push @st, PushTest::push_request('POST', '/pub/three', 'x')->{status};
    my $held = PushTest::push_connect();
    PushTest::push_send($held, 'GET', '/sub/two');
    PushTest::push_wait_subscribers('/pub/two', 1) or die "never parked\n";
    push @st, PushTest::push_request('GET', '/sub/two')->{status};
    push @st, PushTest::push_request('GET', '/multi?ch=a,b,c')->{status};
    push @st, PushTest::push_request('GET', '/sub/two?transport=stream')->{status};
    push @st, PushTest::push_get('/sub/two?transport=poll', 'bad')->{status};
    PushTest::push_report('/pub/result', "@st");
});
--- request
GET /result
--- response_body
400 400 400 405 202 429 429 403 400 400
--- error_log eval
[qr/\[info\] [^\n]*push: channel id has a control character/,
 qr/\[info\] [^\n]*push: channel id too long/,
 qr/\[info\] [^\n]*push: invalid Push-Event header/,
 qr/\[info\] [^\n]*push: method not allowed for the publisher/,
 qr/\[info\] [^\n]*push: too many channels \(push_max_channels\)/,
 qr/\[info\] [^\n]*push: channel has too many subscribers/,
 qr/\[info\] [^\n]*push: too many channels for one subscriber/,
 qr/\[info\] [^\n]*push: transport not served here/,
 qr/\[info\] [^\n]*push: invalid message id/]
--- no_error_log
[error]
[warn]



=== TEST 4: channel info is JSON whatever bytes the id has: quotes and backslashes are escaped
--- config
    location ~ ^/pub/(?<ch>[^/]+)$ { push_publisher; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    require JSON::PP;
    my @got;
    for my $req (['POST', '/pub/a%22b%5Cc', 'x'], ['GET', '/pub/a%22b%5Cc'],
                 ['DELETE', '/pub/a%22b%5Cc'])
    {
        my $r = PushTest::push_request(@$req);
        my $info = eval { JSON::PP->new->decode($r->{body}) };
        push @got, $info ? "$r->{status}:$info->{channel}:$info->{messages}"
                         : "$r->{status}:not JSON: $r->{body}";
    }
    PushTest::push_report('/pub/result', "@got");
});
--- request
GET /result
--- response_body
202:a"b\c:1 200:a"b\c:1 200:a"b\c:1
--- no_error_log
[error]
