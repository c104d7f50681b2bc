# A reload (HUP) keeps channels and messages; old workers let go of their
# long-polls at once instead of holding the reload for their timeout.
use lib 't/helpers';
use PushTest;
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

master_on();
workers(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: channels, messages and ids survive a reload
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/poll/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_first_message oldest;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    push_request('POST', '/pub/keep', $_) for qw(a b c);
    my $before = push_by_worker('/pid', 2);
    my $first = push_get('/poll/keep');
    kill 'HUP', push_master_pid();
    # wait for workers that were not there before
    my $deadline = time + 5;
    my $new = 0;
    while (time < $deadline && !$new) {
        my $r = push_request('GET', '/pid');
        $new = 1 if $r && !$before->{$r->{body}};
        sleep 0.05;
    }
    my ($cursor, @seen) = (undef);
    for (1 .. 4) {
        my $r = push_get('/poll/keep', $cursor);
        push @seen, "$r->{status}:$r->{body}";
        $cursor = push_etag($r);
    }
    my $same = push_etag($first) =~ /^(\w+):/ && $cursor =~ /^$1:/ ? 1 : 0;
    return "new=$new same_epoch=$same @seen";
});
--- request
GET /result
--- response_body
new=1 same_epoch=1 200:a 200:b 200:c 304:
--- timeout: 10
--- no_error_log
[error]
[alert]



=== TEST 2: a long-poll parked in an old worker is let go at once on reload
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my $s = push_connect();
    push_send($s, 'GET', '/sub/held');
    push_wait_subscribers('/pub/held', 1) or die "never parked\n";
    my $t0 = time;
    kill 'HUP', push_master_pid();
    my $sel = IO::Select->new($s);
    my $closed = 0;
    if ($sel->can_read(5)) {
        my $buf;
        1 while $s->sysread($buf, 4096);
        $closed = 1;
    }
    my $fast = time - $t0 < 3 ? 1 : 0;
    my $zero = push_wait_subscribers('/pub/held', 0, 3);
    return "closed=$closed fast=$fast zero=$zero";
});
--- request
GET /result
--- response_body
closed=1 fast=1 zero=1
--- timeout: 10
--- no_error_log
[error]
[alert]



=== TEST 3: SSE and HTTP streams in an old worker end properly on reload
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber sse stream;
        push_channel $ch;
        push_stream_footer "bye\n";
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my $sse = push_connect();
    push_send($sse, 'GET', '/sub/ends', undef, ['Accept: text/event-stream']);
    my $stream = push_connect();
    push_send($stream, 'GET', '/sub/ends?transport=stream');
    push_wait_subscribers('/pub/ends', 2) or die "never subscribed\n";
    push_request('POST', '/pub/ends', 'before');
    kill 'HUP', push_master_pid();
    my @out;
    for my $s ($sse, $stream) {
        # everything up to the close: the last chunk must be there
        my $all = push_read_until($s, undef, 5);
        my $tail = $all =~ /\r\n0\r\n\r\n\z/ ? 'last-chunk' : 'cut';
        my $msg = $all =~ /before/ ? 'msg' : 'no-msg';
        my $footer = $all =~ /4\r\nbye\n\r\n0\r\n\r\n\z/ ? ' footer' : '';
        push @out, "$msg $tail$footer";
    }
    return join ', ', @out;
});
--- request
GET /result
--- response_body
msg last-chunk, msg last-chunk footer
--- timeout: 15
--- no_error_log
[error]
[alert]
