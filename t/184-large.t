# Large messages in a zone with pages that cannot move: stored whenever
# evicting can make room, whatever the fragmentation, and refused before
# anything is evicted when it cannot.
use lib 't/helpers';
use PushTest;
use Digest::MD5 ();
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a page held by a subscriber in the middle does not keep a 130,000-byte message out
--- http_config
    push_zone small 256k;
--- config
    push_channel_id_max_length 4096;
    location ~ ^/pub/(?<ch>\w+)$ {
        client_max_body_size 1m;
        push_publisher;
        push_channel $ch;
    }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber;
        push_channel $ch;
        push_first_message oldest;
        push_longpoll_timeout 30s;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    my $body = join '', map { sprintf "%07d\n", $_ } 1 .. 16250;  # 130,000
    my $first = PushTest::push_request('POST', '/pub/first', 'f' x 110000);
    # a long-poll on a channel whose 2,100-byte id takes a page of its own
    my $id = 'q' x 2100;
    my $lp = PushTest::push_connect();
    PushTest::push_send($lp, 'GET', "/sub/$id?transport=longpoll");
    PushTest::push_wait_subscribers("/pub/$id", 1) or die "no long-poll\n";
    my $big = PushTest::push_request('POST', '/pub/second', $body);
    my $got = PushTest::push_request('GET', '/sub/second?transport=poll');
    my $info = PushTest::push_request('GET', "/pub/$id");
    my ($subs) = $info->{body} =~ /"subscribers":(\d+)/;
    close $lp;
    return "first=$first->{status} big=$big->{status} got=$got->{status}"
           . " len=" . length($got->{body})
           . " same=" . (Digest::MD5::md5_hex($got->{body})
                         eq Digest::MD5::md5_hex($body) ? 1 : 0)
           . " waiting=$subs";
});
--- request
GET /result
--- response_body
first=202 big=202 got=200 len=130000 same=1 waiting=1
--- timeout: 20
--- no_error_log
[error]
[alert]



=== TEST 2: a message that cannot fit beside what subscribers hold is refused, and nothing stored is evicted
--- http_config
    push_zone small 256k;
--- config
    push_channel_id_max_length 4096;
    location ~ ^/pub/(?<ch>\w+)$ {
        client_max_body_size 1m;
        push_publisher;
        push_channel $ch;
    }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber longpoll;
        push_channel $ch;
        push_longpoll_timeout 30s;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    PushTest::push_request('POST', '/pub/keep', "k$_") for 1 .. 3;
    # 42 channels with a page each, all with a waiting subscriber
    my @lp;
    for my $i (1 .. 42) {
        my $id = sprintf('w%02d', $i) . ('w' x 2100);
        PushTest::push_request('POST', "/pub/$id", 'x')->{status} == 202
            or die "channel $i not made\n";
        my $s = PushTest::push_connect();
        PushTest::push_send($s, 'GET', "/sub/$id");
        push @lp, $s;
    }
    my $last = sprintf('w%02d', 42) . ('w' x 2100);
    PushTest::push_wait_subscribers("/pub/$last", 1) or die "no long-poll\n";
    my $big = PushTest::push_request('POST', '/pub/big', 'b' x 120000);
    chomp(my $why = $big->{body});
    my $keep = PushTest::push_request('GET', '/pub/keep')->{body};
    my ($kept) = $keep =~ /"messages":(\d+)/;
    my $stats = PushTest::push_request('GET', '/stats')->{body};
    my ($evicted) = $stats =~ /"evicted_total":(\d+)/;
    my ($refused) = $stats =~ /"refused_total":(\d+)/;
    close $_ for @lp;
    return "big=$big->{status} $why kept=$kept evicted=$evicted"
           . " refused=$refused";
});
--- request
GET /result
--- response_body
big=507 push zone is full kept=3 evicted=0 refused=1
--- timeout: 30
--- error_log
push: zone full, a message of 120000 bytes to "big" refused
--- no_error_log
[error]
