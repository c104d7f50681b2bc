# A stream that resumes far behind (SSE, WebSocket) is sent its backlog as
# its client takes it, within push_subscriber_pending_max, from one copy of
# each message per worker: clients that never read cost one cap, not the
# backlog each; one that reads gets it all, then the live messages, in
# order and once.
use lib 't/helpers';
use PushTest;
use POSIX ();
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_SLOW_PORT} ||= 1987;
$ENV{TEST_NGINX_H2_PORT} ||= 1986;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: ten clients resuming from 0 over 10 x 1 MB that never read: worker memory flat; a reader gets all, then live
--- http_config
    push_zone big 48m;
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=4k;
        location ~ ^/sub/(?<ch>\w+)$ {
            push_subscriber sse;
            push_channel $ch;
        }
    }
--- config
    location = /pid { return 200 $pid; }
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 10;
        client_max_body_size 2m;
        client_body_buffer_size 2m;
    }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
        push_longpoll_timeout 60s;
    }
--- init
sub rss_kb {
    my ($pid) = @_;
    open my $st, '<', "/proc/$pid/status" or die "status: $!\n";
    my ($rss) = join('', <$st>) =~ /^RssAnon:\s+(\d+) kB/m;
    return $rss;
}
PushTest::push_in_background(sub {
    my $pid = PushTest::push_request('GET', '/pid')->{body};
    my $epoch;
    for my $i (1 .. 10) {
        my $r = PushTest::push_request('POST', '/pub/big',
                                       sprintf('%02d', $i) . ('b' x 1048574));
        $epoch = PushTest::push_epoch($r);
    }
    my $rss0 = rss_kb($pid);
    my @idle;
    for (1 .. 10) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $ENV{TEST_NGINX_SLOW_PORT})
            or die "slow: $!\n";
        setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096);
        PushTest::push_send($s, 'GET',
                            "/sub/big?last_event_id=$epoch:0 HTTP/1.0",
                            undef, ['Accept: text/event-stream']);
        push @idle, $s;
    }
    PushTest::push_wait_subscribers('/pub/big', 10, 10) or die "no 10\n";
    my $grew = rss_kb($pid) - $rss0;

    # a reader from 0: the backlog, then a message published meanwhile
    my $r = PushTest::push_connect();
    PushTest::push_send($r, 'GET', "/sub/big?last_event_id=$epoch:0 HTTP/1.0",
                        undef, ['Accept: text/event-stream']);
    my $got = PushTest::push_read_until($r, qr/data: 01b+\n\n/, 10);
    PushTest::push_request('POST', '/pub/big', 'live');
    $got .= PushTest::push_read_until($r, qr/data: live\n\n/, 20);
    my @ids = $got =~ /^id: \w+:(\d+)\ndata: (?:\d\db+|live)\n\n/mg;
    warn "backlog: worker RssAnon +${grew} kB for 10 idle clients\n";
    PushTest::push_report('/pub/result',
        "rss=" . ($grew < 8192 ? 'flat' : "+${grew}kB")
        . " ids=" . join(',', @ids));
});
--- request
GET /result
--- response_body
rss=flat ids=1,2,3,4,5,6,7,8,9,10,11
--- timeout: 70
--- no_error_log
[error]



=== TEST 2: a backlog five times push_subscriber_pending_max reaches an SSE and a WebSocket reader whole, uncut
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=4k;
        location ~ ^/sub/(?<ch>\w+)$ {
            push_subscriber sse websocket;
            push_channel $ch;
            push_subscriber_pending_max 256k;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 100;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
        push_longpoll_timeout 60s;
    }
--- init
sub slow_socket {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_SLOW_PORT})
        or die "slow: $!\n";
    setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096);
    return $s;
}
PushTest::push_in_background(sub {
    my $epoch;
    for my $i (1 .. 20) {
        my $r = PushTest::push_request('POST', '/pub/back',
                                       sprintf('%02d', $i) . ('k' x 65536));
        $epoch = PushTest::push_epoch($r);
    }
    my $sse = slow_socket();
    PushTest::push_send($sse, 'GET',
                        "/sub/back?last_event_id=$epoch:0 HTTP/1.0",
                        undef, ['Accept: text/event-stream']);
    my ($ws, $head) = PushTest::push_ws_open(
        "/sub/back?last_event_id=$epoch:0", [], '', slow_socket());
    die "ws: $head\n" unless $head =~ / 101 /;
    # both read at once: a socket left unread behind a shrunk receive
    # buffer backs its sender off for long
    my ($got, $raw) = ('', ${*$ws}{push_rest} // '');
    my %buf = ($sse => \$got, $ws => \$raw);
    my $sel = IO::Select->new($sse, $ws);
    my $deadline = Time::HiRes::time() + 60;
    while (Time::HiRes::time() < $deadline && $sel->count) {
        for my $h ($sel->can_read(1)) {
            my $n = $h->sysread(${ $buf{$h} }, 65536, length ${ $buf{$h} });
            $sel->remove($h) unless $n;
        }
        last if $got =~ /data: 20k+\n\n/ && length $raw >= 20 * 65548;
    }
    my @sse;
    while ($got =~ /^data: (\d\d)(k+)\n\n/mg) {
        push @sse, $1 if length $2 == 65536;
    }
    my @ws;
    while (length $raw >= 10) {
        my ($b0, $b1) = unpack('CC', $raw);
        last unless ($b1 & 0x7f) == 127;
        my (undef, $len) = unpack('NN', substr($raw, 2, 8));
        last if length $raw < 10 + $len;
        my $payload = substr($raw, 10, $len);
        substr($raw, 0, 10 + $len) = '';
        push @ws, $1 if $payload =~ /^(\d\d)(k+)\z/ && length $2 == 65536;
    }
    PushTest::push_report('/pub/result',
        "sse=" . scalar(@sse) . ($sse[-1] // '') . " ws=" . scalar(@ws)
        . ($ws[-1] // ''));
});
--- request
GET /result
--- response_body
sse=2020 ws=2020
--- timeout: 70
--- no_error_log
[error]
over push_subscriber_pending_max



=== TEST 3: over HTTP/2, a backlog five times push_subscriber_pending_max arrives whole and in order, then live
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_H2_PORT http2;
        location ~ ^/ev/(?<ch>\w+)$ {
            push_subscriber sse;
            push_channel $ch;
            push_sse_retry off;
            push_subscriber_pending_max 256k;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 100;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
        push_longpoll_timeout 60s;
    }
--- init
PushTest::push_in_background(sub {
    my $epoch;
    for my $i (1 .. 20) {
        my $r = PushTest::push_request('POST', '/pub/h2back',
                                       sprintf('%02d', $i) . ('h' x 65536));
        $epoch = PushTest::push_epoch($r);
    }
    my $pid = open(my $curl, '-|', 'curl', '-sN', '--http2-prior-knowledge',
                   '-m', '60', "http://127.0.0.1:$ENV{TEST_NGINX_H2_PORT}"
                   . "/ev/h2back?last_event_id=$epoch:0")
        or die "curl: $!\n";
    PushTest::push_wait_subscribers('/pub/h2back', 1) or die "no sub\n";
    PushTest::push_request('POST', '/pub/h2back', 'live');
    my $got = PushTest::push_read_until($curl, qr/data: live\n\n/, 60);
    kill 'TERM', $pid;
    close $curl;
    my @seen;
    while ($got =~ /^id: \w+:(\d+)\ndata: (?:(\d\d)(h+)|live)\n\n/mg) {
        push @seen, $1 if !defined $3 || length $3 == 65536;
    }
    PushTest::push_report('/pub/result', join(',', @seen));
});
--- request
GET /result
--- response_body
1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21
--- timeout: 70
--- no_error_log
[error]
over push_subscriber_pending_max
