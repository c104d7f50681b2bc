# CORS on ordinary subscriber answers, and the stats location's promises
# the older suites left loose: the channel listing's default page, "*",
# the per-worker Prometheus samples, gap notices counted.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: push_allow_origin marks ordinary answers and exposes Etag, Push-Gap, Push-Event
--- config
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_allow_origin https://app.example;
    }
--- request
GET /sub/x
--- more_headers
Origin: https://app.example
--- error_code: 304
--- response_headers
Access-Control-Allow-Origin: https://app.example
Access-Control-Expose-Headers: Etag, Push-Gap, Push-Event
--- no_error_log
[error]



=== TEST 2: push_allow_origin takes variables; an empty value is off
--- config
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber poll;
        push_channel $ch;
        push_allow_origin $arg_o;
    }
--- request eval
["GET /sub/x?o=https://a.example", "GET /sub/x", "OPTIONS /sub/x"]
--- error_code eval
[304, 304, 405]
--- response_headers eval
["Access-Control-Allow-Origin: https://a.example",
 "!Access-Control-Allow-Origin",
 "!Access-Control-Allow-Origin\nAllow: GET, HEAD"]
--- no_error_log eval
["[error]", "[error]", "[error]"]



=== TEST 3: without push_allow_origin OPTIONS is 405 and answers carry no CORS header
--- config
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber poll; push_channel $ch; }
--- request eval
["OPTIONS /sub/x", "GET /sub/x"]
--- more_headers
Origin: https://app.example
Access-Control-Request-Method: GET
--- error_code eval
[405, 304]
--- response_headers eval
["Allow: GET, HEAD", "!Access-Control-Allow-Origin"]
--- no_error_log eval
["[error]", "[error]"]



=== TEST 4: ?channels=* lists every channel; a page is 100 by default, ?limit= up to 1000
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $s = PushTest::push_connect();
    for my $i (1 .. 150) {
        PushTest::push_send($s, 'POST', "/pub/c$i", 'x');
        PushTest::push_read($s, 5) or die "no answer to publish $i\n";
    }
    my $count = sub { scalar(() = $_[0] =~ /\{"channel":"/g) };
    my $page = PushTest::push_get('/stats?channels=*')->{body};
    my ($next) = $page =~ /"next":"([^"]+)"/;
    my $rest = PushTest::push_get("/stats?channels=*&after=$next")->{body};
    my $big = PushTest::push_get('/stats?channels=*&limit=1000')->{body};
    my $over = PushTest::push_get('/stats?channels=*&limit=1001');
    PushTest::push_report('/pub/result', join ' ',
        "first=" . $count->($page), "next=" . ($next ? 'yes' : 'no'),
        "rest=" . $count->($rest),
        "rest_next=" . ($rest =~ /"next"/ ? 'yes' : 'no'),
        "limit1000=" . $count->($big),
        "limit1001=$over->{status}:" . ($over->{body} eq "limit must be 1 to 1000\n"
                                         ? 'reason' : $over->{body}));
});
--- request
GET /result
--- response_body
first=100 next=yes rest=51 rest_next=no limit1000=151 limit1001=400:reason
--- timeout: 15
--- no_error_log
[error]



=== TEST 5: Prometheus has a sample per worker and transport; gap notices are counted
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 1;
    }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
PushTest::push_in_background(sub {
    my $e;
    $e = PushTest::push_epoch(PushTest::push_request('POST', '/pub/g', "m$_"))
        for 1 .. 3;
    my $sse = PushTest::push_connect();
    PushTest::push_send($sse, 'GET', '/sub/g', undef,
                        ['Accept: text/event-stream', "Last-Event-ID: $e:1"]);
    PushTest::push_read_until($sse, qr/data: m3\n\n/, 5);
    my $poll = PushTest::push_get('/sub/g?transport=poll', "$e:1");
    my $prom = PushTest::push_get('/stats?format=prometheus')->{body};
    my $json = PushTest::push_get('/stats')->{body};
    my ($pid) = $json =~ /"worker_subscribers":\[\{"pid":(\d+)/;
    my ($sample) = $prom =~ /^(nginx_push_worker_subscribers\{pid="$pid",transport="sse"\} \d+)$/m;
    my ($gaps) = $json =~ /"gaps_total":(\d+)/;
    $sample =~ s/$pid/PID/ if $sample;
    PushTest::push_report('/pub/result', "poll_gap=$poll->{headers}{'push-gap'} "
                          . "gaps_total=$gaps " . ($sample // 'no sample'));
});
--- request
GET /result
--- response_body
poll_gap=1 gaps_total=2 nginx_push_worker_subscribers{pid="PID",transport="sse"} 1
--- no_error_log
[error]



=== TEST 6: a listing page looks at no more than 20,000 channels: it may be empty and still have a next
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
        push_longpoll_timeout 60s;
    }
--- init
PushTest::push_in_background(sub {
    # pipelined in batches: 20,050 channels without waiting on each answer
    # (a new connection per batch: keep-alive ends at 1000 requests)
    for (my $i = 1; $i <= 20050; $i += 50) {
        my $s = PushTest::push_connect();
        $s->syswrite(join '', map {
            "POST /pub/c$_ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx"
        } $i .. $i + 49);
        for (1 .. 50) {
            my $r = PushTest::push_read($s, 10) or die "no answer near $i\n";
            die "publish near $i: $r->{status}\n" unless $r->{status} == 202;
        }
    }
    my ($pages, $empty_with_next, $found, $after) = (0, 0, 0, undef);
    do {
        my $q = '/stats?channels=last*'
                . (defined $after ? "&after=$after" : '');
        my $body = PushTest::push_get($q)->{body};
        $pages++;
        my $n = () = $body =~ /\{"channel":"/g;
        $found += $n;
        ($after) = $body =~ /"next":"([^"]+)"/;
        $empty_with_next++ if $n == 0 && defined $after;
    } while (defined $after && $pages < 10);
    PushTest::push_report('/pub/result', "pages=$pages found=$found "
                          . "empty_with_next=$empty_with_next");
});
--- request
GET /result
--- response_body
pages=2 found=0 empty_with_next=1
--- timeout: 60
--- no_error_log
[error]
