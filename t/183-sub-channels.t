# Channels that subscribers make: they never push published data out of
# the zone, a client cannot make the module log an alert, and
# push_subscribe_existing_only lets subscribers join only channels a
# publisher made.
use lib 't/helpers';
use PushTest;
use Time::HiRes qw(sleep time);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: subscribers filling the zone with channels: published data stays, refusals are 503 without an alert
--- http_config
    push_zone small 128k;
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 1000;
    }
    location = /sub {
        push_subscriber;
        push_channel $arg_ch;
        push_channel_split ",";
        push_longpoll_timeout 1s;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
PushTest::push_verdict(sub {
    for my $i (1 .. 20) {
        my $r = PushTest::push_request('POST', '/pub/data' . ($i % 4),
                                       sprintf('%03d', $i) . 'd' x 497);
        $r->{status} == 202 or die "publish $i: $r->{status}\n";
    }
    # 20 connections of 16 new channels each, with long ids, then 100
    # more subscribers on channels of their own
    my (@sse, %status);
    for my $c (1 .. 20) {
        my $ids = join ',', map { "c$c.$_." . ('x' x 180) } 1 .. 16;
        my $s = PushTest::push_connect();
        PushTest::push_send($s, 'GET', "/sub?ch=$ids", undef,
                            ['Accept: text/event-stream']);
        my $head = PushTest::push_read_until($s, qr/\r\n\r\n/, 5);
        my ($st) = $head =~ m{^HTTP/1.1 (\d+)};
        $status{$st // 'none'}++;
        push @sse, $s;
    }
    my ($why) = ('');
    for my $n (1 .. 100) {
        my $s = PushTest::push_connect();
        PushTest::push_send($s, 'GET', "/sub?ch=more$n." . ('y' x 200),
                            undef, ['Accept: text/event-stream']);
        my $head = PushTest::push_read_until($s, qr/\r\n\r\n/, 5);
        my ($st) = $head =~ m{^HTTP/1.1 (\d+)};
        $status{$st // 'none'}++;
        if (($st // 0) == 503) {
            ($why) = $head =~ /\r\n\r\n(.*)\n/s ? $1 : '';
            close $s;
        } else {
            push @sse, $s;
        }
    }
    my $stats = PushTest::push_request('GET', '/stats')->{body};
    my ($messages) = $stats =~ /"messages":(\d+)/;
    my ($evicted) = $stats =~ /"evicted_total":(\d+)/;
    # publishing goes on, to old channels and new ones
    my $old = PushTest::push_request('POST', '/pub/data1', 'more')->{status};
    my $new = PushTest::push_request('POST', '/pub/fresh', 'new')->{status};
    close $_ for @sse;
    # once those subscribers are gone, their channels make room again
    my $again = 0;
    my $deadline = time + 10;
    while (time < $deadline) {
        my $r = PushTest::push_get('/sub?ch=later.' . ('z' x 200)
                                   . '&transport=longpoll');
        $again = $r->{status};
        last if $again == 304;
        sleep 0.2;
    }
    # when the zone is full, the channels subscribers made and left go
    # before any message
    my $before = PushTest::push_request('GET', '/stats')->{body};
    my ($ch0) = $before =~ /"channels_evicted_total":(\d+)/;
    my ($m0) = $before =~ /"evicted_total":(\d+)/;
    my $first = 'none';
    for my $i (1 .. 300) {
        PushTest::push_request('POST', '/pub/late', sprintf('%03d', $i)
                                                    . 'l' x 800);
        my $st = PushTest::push_request('GET', '/stats')->{body};
        my ($ch) = $st =~ /"channels_evicted_total":(\d+)/;
        my ($m) = $st =~ /"evicted_total":(\d+)/;
        if ($m > $m0) {
            $first = 'message';
            last;
        }
        if ($ch > $ch0) {
            $first = 'channel';
            last;
        }
    }
    return "ok=" . ($status{200} > 0 ? 'some' : 'none')
           . " refused=" . ($status{503} > 0 ? 'some' : 'none')
           . " other=" . join(',', grep { $_ ne '200' && $_ ne '503' }
                                   keys %status)
           . " why=$why messages=$messages evicted=$evicted"
           . " publish=$old,$new again=$again first_evicted=$first";
});
--- request
GET /result
--- response_body
ok=some refused=some other= why=too many channels made by subscribers wait for a publisher messages=20 evicted=0 publish=202,202 again=304 first_evicted=channel
--- timeout: 60
--- no_error_log
[error]
[alert]
[crit]



=== TEST 2: push_subscribe_existing_only: 403 for a channel no publisher made, every transport; then it works
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber;
        push_channel $ch;
        push_subscribe_existing_only on;
        push_longpoll_timeout 1s;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    my @out;
    for my $t ('poll', 'longpoll', 'sse', 'stream') {
        my $r = PushTest::push_get("/sub/nobody?transport=$t");
        chomp(my $why = $r->{body});
        push @out, "$t=$r->{status} $why";
    }
    my ($ws, $head) = PushTest::push_ws_open('/sub/nobody');
    push @out, 'ws=' . ($head =~ m{^HTTP/1.1 (\d+)} ? $1 : 'none');
    close $ws;
    my $info = PushTest::push_request('GET', '/pub/nobody');
    push @out, "made=$info->{status}";
    PushTest::push_request('POST', '/pub/news', 'one');
    my $p = PushTest::push_get('/sub/news?transport=poll');
    push @out, "after=$p->{status} $p->{body}";
    return join("\n", @out);
});
--- request
GET /result
--- response_body
poll=403 channel does not exist (push_subscribe_existing_only)
longpoll=403 channel does not exist (push_subscribe_existing_only)
sse=403 channel does not exist (push_subscribe_existing_only)
stream=403 channel does not exist (push_subscribe_existing_only)
ws=403
made=404
after=200 one
--- timeout: 20
--- error_log
channel does not exist (push_subscribe_existing_only)
--- no_error_log
[error]
[alert]



=== TEST 3: by default a subscriber may come first: it makes the channel and gets what is published later
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
--- init
PushTest::push_in_background(sub {
    PushTest::push_wait_subscribers('/pub/first', 1)
        or die "never subscribed\n";
    PushTest::push_request('POST', '/pub/first', 'hello');
});
--- request
GET /sub/first
--- response_body chomp
hello
--- no_error_log
[error]
[alert]
