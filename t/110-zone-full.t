# A full zone under a publisher that never stops: old messages are evicted
# and counted, subscribers that needed them are told (every transport), new
# channels and subscribers still find room, and 507 only for what can never
# fit, with nothing else lost.
use lib 't/helpers';
use PushTest;
use Time::HiRes qw(sleep);
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: evicted messages: counted, announced as a gap on every transport, room for new channels
--- http_config
    push_zone small 128k;
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 1000;
    }
    location ~ ^/poll/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
    location ~ ^/lp/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location ~ ^/ev/(?<ch>\w+)$ { push_subscriber sse; push_channel $ch; }
    location ~ ^/ws/(?<ch>\w+)$ { push_subscriber websocket; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
sub stats_of {
    my $r = push_request('GET', '/stats');
    return { $r->{body} =~ /"(\w+)":(\d+)/g };
}
push_in_background(sub {
    my $epoch = push_epoch(push_request('POST', '/pub/watched', 'first'));
    my $p = push_connect();
    my %status;
    for my $i (1 .. 300) {
        push_send($p, 'POST', '/pub/c' . ($i % 10), 'x' x 1000);
        $status{push_read($p, 2)->{status}}++;
    }
    my $kept = push_request('GET', '/pub/watched')->{body} =~ /"messages":0/
               ? 'first-evicted' : 'first-kept';
    push_request('POST', '/pub/watched', 'after');

    # each transport resumes from before "first": it must be told
    my $poll = push_get('/poll/watched', "$epoch:0");
    my $poll_out = ($poll->{headers}{'push-gap'} // 'none')
                   . ",$poll->{body}";

    my $sse = push_connect();
    push_send($sse, 'GET', '/ev/watched HTTP/1.0', undef,
              ["Last-Event-ID: $epoch:0"]);
    my $ev = push_read_until($sse, qr/data: after\n\n/, 3);
    my $sse_out = $ev =~ /event: gap\ndata: (\d+)\n\n.*data: after\n\n/s
                  ? "gap$1,after" : "bad";

    my ($ws) = push_ws_open("/ws/watched?last_event_id=$epoch:0");
    my @f = map { push_ws_frame($ws, 2) } 1 .. 2;
    my $ws_out = join ',', map { $_ ? $_->[1] : 'none' } @f;

    # the zone is full of messages: subscribers on new channels still fit
    my @subs;
    for my $i (1 .. 40) {
        my $s = push_connect();
        push_send($s, 'GET', "/lp/new$i");
        push @subs, $s;
    }
    sleep 0.2;
    my $st = stats_of();
    my $consistent = $st->{messages} == $st->{published_total}
                     - $st->{evicted_total} - $st->{expired_total} ? 1 : 0;
    push_report('/pub/result', join ' ',
        (map { "$_=$status{$_}" } sort keys %status), $kept,
        "poll=$poll_out", "sse=$sse_out", "ws=$ws_out",
        "evicted=" . ($st->{evicted_total} > 0 ? 'yes' : 'no'),
        "consistent=$consistent", "refused=$st->{refused_total}",
        "subscribers=$st->{subscribers}");
});
--- request
GET /result
--- response_body
202=300 first-evicted poll=1,after sse=gap1,after ws={"push_gap":1},after evicted=yes consistent=1 refused=0 subscribers=43
--- timeout: 10
--- no_error_log
[error]
[alert]
[crit]



=== TEST 2: 507 for a message that cannot fit: counted, and channels, subscribers and messages stay
--- http_config
    push_zone small 128k;
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        client_max_body_size 1m;
        push_publisher;
        push_channel $ch;
    }
    location ~ ^/lp/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $a = push_request('POST', '/pub/keep', 'small');
    my $s = push_connect();
    push_send($s, 'GET', '/lp/keep');
    push_wait_subscribers('/pub/keep', 1) or die "never parked\n";
    my $big = push_request('POST', '/pub/keep', 'z' x 70000);
    my $info = push_request('GET', '/pub/keep');
    # the parked subscriber is still there and gets the next message
    my $next = push_request('POST', '/pub/keep', 'next');
    my $got = push_read($s, 2);
    my $st = push_request('GET', '/stats')->{body};
    my ($refused) = $st =~ /"refused_total":(\d+)/;
    push_report('/pub/result', "$a->{status} $big->{status} "
        . ($info->{body} =~ /"messages":1,"subscribers":1/ ? 'intact' : 'lost')
        . " $next->{status} got=" . ($got ? $got->{body} : 'nothing')
        . " refused=$refused");
});
--- request
GET /result
--- response_body
202 507 intact 201 got=next refused=1
--- timeout: 10
--- error_log
is larger than half the push zone
--- no_error_log
[error]
[crit]
