# The zone under pressure: old messages make room, control structures are
# never starved, 507 only when nothing can make room; and a zone cannot be
# resized by a reload.
use lib 't/helpers';
use PushTest;
use Time::HiRes qw(sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a full zone evicts the oldest messages instead of refusing
--- http_config
    push_zone small 128k;
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 1000;
    }
    location ~ ^/oldest/(?<ch>\w+)$ {
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
    my %status;
    my $p = PushTest::push_connect();
    for my $i (1 .. 300) {
        PushTest::push_send($p, 'POST', '/pub/c' . ($i % 10),
                  sprintf('%04d', $i) . 'x' x 996);
        my $r = PushTest::push_read($p, 2);
        $status{$r->{status}}++;
    }
    my $info = PushTest::push_request('GET', '/pub/c1');
    my ($kept) = $info->{body} =~ /"messages":(\d+)/;
    my ($last) = $info->{body} =~ /:(\d+)"/;
    # the survivors are the newest: c1's oldest kept message is the
    # (last - kept + 1)th published to it, its i = 10 * (seq - 1) + 1
    my $oldest = PushTest::push_request('GET', '/oldest/c1');
    my ($seq) = PushTest::push_etag($oldest) =~ /:(\d+)$/;
    my ($tag) = $oldest->{body} =~ /^(\d{4})/;
    my $newest = $kept > 0 && $seq == $last - $kept + 1
                 && $tag == 10 * ($seq - 1) + 1 ? 1 : 0;
    # new channels still find room among the messages
    my $fresh = 0;
    for my $i (1 .. 100) {
        $fresh++
            if PushTest::push_request('POST', "/pub/new$i", 'y')->{status}
               == 202;
    }
    PushTest::push_report('/pub/result',
                join(' ', map { "$_=$status{$_}" } sort keys %status)
                . " evicted=" . ($kept < 30 ? 1 : 0) . " last=$last"
                . " newest_kept=$newest fresh=$fresh");
});
--- request
GET /result
--- response_body
202=300 evicted=1 last=30 newest_kept=1 fresh=100
--- timeout: 10
--- no_error_log
[error]
[alert]
[crit]



=== TEST 2: a message too large for the zone is 507, and nothing kept is lost
--- http_config
    push_zone small 128k;
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        client_max_body_size 1m;
        push_publisher;
        push_channel $ch;
    }
--- request eval
["POST /pub/keep\nsmall", "POST /pub/keep\n" . ("z" x 70000), "GET /pub/keep"]
--- error_code eval
[202, 507, 200]
--- response_body_like eval
[qr/"messages":1/, qr/^message too large for the push zone\n\z/,
 qr/"messages":1,"subscribers":0,"last_message_id":"[0-9a-f]{8}:1"/]
--- no_error_log
[error]
[crit]



=== TEST 2b: a message too large for the zone is logged
The error_log check runs after each request of an array on the lines that
request logged, so the line is checked in a block of one request.
--- http_config
    push_zone small 128k;
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        client_max_body_size 1m;
        push_publisher;
        push_channel $ch;
    }
--- request eval
"POST /pub/keep\n" . ("z" x 70000)
--- error_code: 507
--- response_body
message too large for the push zone
--- error_log
is larger than half the push zone
--- no_error_log
[error]
[crit]



=== TEST 3: a reload that changes the zone's size is refused; the old zone serves on
--- http_config
    push_zone sized 1m;
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    push_request('POST', '/pub/stay', 'still here');
    my $conf = push_servroot() . '/conf/nginx.conf';
    open my $in, '<', $conf or die "$conf: $!\n";
    my $text = do { local $/; <$in> };
    close $in;
    $text =~ s/push_zone sized 1m;/push_zone sized 2m;/ or die "no zone\n";
    open my $out, '>', $conf or die "$conf: $!\n";
    print $out $text;
    close $out;
    kill 'HUP', push_master_pid();
    sleep 1;
    my $r = push_request('GET', '/pub/stay');
    return "$r->{status} " . ($r->{body} =~ /"messages":1/ ? 'kept' : $r->{body});
});
--- request
GET /result
--- response_body
200 kept
--- timeout: 10
--- error_log
push_zone "sized" cannot change size from 1048576 to 2097152 on reload
