# Finding channels: an exact id is looked up directly, and every answer is
# valid JSON whatever bytes a client put in a channel id.
use lib 't/helpers';
use PushTest;
use JSON::PP ();
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: an exact id among more channels than a page looks at: found at once, no next
--- config
    location ~ ^/pub/(?<ch>[\w.]+)$ { push_publisher; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
PushTest::push_verdict(sub {
    # more channels than the 20,000 one page of a listing walks
    my $n = 20100;
    my $c;
    for (my $i = 1; $i <= $n; $i += 100) {
        # a fresh connection before keepalive_requests (1000) ends one
        $c = PushTest::push_connect() if $i % 500 == 1;
        my $last = $i + 99 > $n ? $n : $i + 99;
        PushTest::push_send($c, 'POST', "/pub/room.$_", 'x') for $i .. $last;
        for ($i .. $last) {
            my $r = PushTest::push_read($c, 10) or die "no answer\n";
            $r->{status} == 202 or die "publish: $r->{status}\n";
        }
    }
    close $c;
    my @out;
    for my $id ('room.1', 'room.9999', "room.$n", 'room.none') {
        my $r = PushTest::push_request('GET', "/stats?channels=$id");
        my $page = JSON::PP::decode_json($r->{body});
        push @out, "$id:" . join('+', map { $_->{channel} }
                                          @{ $page->{channels} })
                   . (exists $page->{next} ? ':next' : '');
    }
    return join(' ', @out);
});
--- request
GET /result
--- response_body
room.1:room.1 room.9999:room.9999 room.20100:room.20100 room.none:
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 2: a channel id that is not UTF-8 is refused, UTF-8 ones list as valid JSON
--- config
    location ~ ^/pub/(?<ch>.+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>.+)$ {
        push_subscriber;
        push_channel $ch;
        push_longpoll_timeout 1s;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    my @out;
    my $sub = PushTest::push_request('GET', '/sub/%FFbad');
    chomp(my $why = $sub->{body});
    push @out, "sub=$sub->{status} $why";
    my $pub = PushTest::push_request('POST', '/pub/x%C3%28y', 'm');
    chomp($why = $pub->{body});
    push @out, "pub=$pub->{status} $why";
    my $ok = PushTest::push_request('POST', '/pub/caf%C3%A9', 'm');
    push @out, "utf8=$ok->{status}";
    my $list = PushTest::push_request('GET', '/stats?channels=*')->{body};
    my $page = eval { JSON::PP->new->utf8->decode($list) };
    push @out, $page
        ? 'list=' . join('+', map { sprintf '%vX', $_->{channel} }
                              @{ $page->{channels} })
        : "list=bad JSON: $list";
    return join("\n", @out);
});
--- request
GET /result
--- response_body
sub=400 channel id is not UTF-8
pub=400 channel id is not UTF-8
utf8=202
list=63.61.66.E9
--- timeout: 20
--- error_log
channel id is not UTF-8
--- no_error_log
[error]
[alert]
