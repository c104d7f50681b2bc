# The stats location: zone-wide figures as JSON and as Prometheus text.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: figures after known publishes (a full buffer is no eviction)
--- http_config
    push_zone counted 1m;
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 2;
    }
    location = /stats {
        push_stats;
    }
--- request eval
["POST /pub/a\none", "POST /pub/a\ntwo", "POST /pub/a\nthree",
 "POST /pub/b\nfour", "GET /stats"]
--- error_code eval
[202, 202, 202, 202, 200]
--- response_headers_like eval
["", "", "", "", "Content-Type: application/json"]
--- response_body_like eval
[qr/"messages":1/, qr/"messages":2/, qr/"messages":2/, qr/"messages":1/,
 qr/^\{"zone_size_bytes":1048576,"zone_used_bytes":\d+,"zone_free_bytes":\d+,"channels":2,"subscribers":0,"workers":1,"messages":3,"message_bytes":12,"published_total":4,"delivered_total":0,"slow_closed_total":0,"send_timeout_closed_total":0,"write_error_closed_total":0,"gaps_total":0,"evicted_total":0,"expired_total":0,"refused_total":0,"channels_evicted_total":0,"subscribers_by_transport":\{"poll":0,"longpoll":0,"stream":0,"sse":0,"websocket":0\},"worker_subscribers":\[\{"pid":\d+,"poll":0,"longpoll":0,"stream":0,"sse":0,"websocket":0\}\]\}\n\z/]
--- no_error_log
[error]
[alert]



=== TEST 2: used and free add up to the zone, in whole pages
--- http_config
    push_zone counted 1m;
--- config
    location = /stats {
        push_stats;
    }
--- request
GET /stats
--- response_body_filters eval
sub {
    my ($used) = $_[0] =~ /"zone_used_bytes":(\d+)/;
    my ($free) = $_[0] =~ /"zone_free_bytes":(\d+)/;
    return ($used + $free == 1048576 && $used % 4096 == 0 && $used > 0)
        ? "adds up\n" : "used=$used free=$free\n";
}
--- response_body
adds up
--- no_error_log
[error]



=== TEST 3: Prometheus text when asked with ?format=prometheus
--- http_config
    push_zone counted 1m;
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
    }
    location = /stats {
        push_stats;
    }
--- request eval
["POST /pub/p\nx", "GET /stats?format=prometheus"]
--- error_code eval
[202, 200]
--- response_headers_like eval
["", "Content-Type: text/plain; version=0.0.4"]
--- response_body_like eval
[qr/./, qr/\A# HELP nginx_push_zone_size_bytes Size of the shared memory zone\.\n# TYPE nginx_push_zone_size_bytes gauge\nnginx_push_zone_size_bytes 1048576\n.*^# TYPE nginx_push_published_total counter\nnginx_push_published_total 1\n/ms]
--- no_error_log
[error]



=== TEST 4: the Prometheus output parses: HELP, TYPE, then one sample each
--- http_config
    push_zone counted 1m;
--- config
    location = /stats {
        push_stats;
    }
--- more_headers
Accept: text/plain; version=0.0.4
--- request
GET /stats
--- response_body_filters eval
sub {
    my @lines = split /\n/, $_[0];
    my (%help, %type, %seen, %names, @bad);
    for my $l (@lines) {
        if ($l =~ /^# HELP (nginx_push_[a-z_]+) \S.*$/) { $help{$1} = 1; next }
        if ($l =~ /^# TYPE (nginx_push_[a-z_]+) (gauge|counter)$/) {
            my ($name, $type) = ($1, $2);
            push @bad, "TYPE before HELP: $name" unless $help{$name};
            push @bad, "counter without _total: $name"
                if $type eq 'counter' && $name !~ /_total$/;
            $type{$name} = $type;
            next;
        }
        if ($l =~ /^(nginx_push_[a-z_]+)(\{(?:[a-z_]+="[^"\\]*",?)*\})? (\d+)$/) {
            my ($name, $labels) = ($1, $2 // '');
            push @bad, "sample without TYPE: $name" unless $type{$name};
            push @bad, "sample twice: $name$labels" if $seen{"$name$labels"}++;
            $names{$name} = 1;
            next;
        }
        push @bad, "bad line: $l";
    }
    push @bad, "no samples" unless %seen;
    return @bad ? CORE::join("\n", @bad) . "\n" : scalar(keys %names) . " metrics\n";
}
--- response_body
19 metrics
--- no_error_log
[error]



=== TEST 5: other methods are 405 with Allow
--- config
    location = /stats {
        push_stats;
    }
--- request
POST /stats
hello
--- error_code: 405
--- response_headers
Allow: GET, HEAD
--- response_body
the stats location takes GET and HEAD



=== TEST 6: ?channels=PREFIX* lists matching channels, page by page
--- config
    location ~ ^/pub/(?<ch>[\w.]+)$ { push_publisher; push_channel $ch; }
    location = /stats {
        push_stats;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    push_request('POST', "/pub/$_", 'x') for qw(room.1 room.2 room.3 lobby);
    push_request('POST', '/pub/room.2', 'y');
    my (@seen, $pages, $after);
    do {
        my $q = '/stats?channels=room.*&limit=1'
                . (defined $after ? "&after=$after" : '');
        my $body = push_get($q)->{body};
        $pages++;
        while ($body =~ /\{"channel":"([^"]+)","messages":(\d+),"subscribers":0,"last_message_id":"\w+:(\d+)"\}/g) {
            push @seen, "$1=$2/$3";
        }
        ($after) = $body =~ /"next":"([^"]+)"/;
    } while (defined $after && $pages < 10);
    my $exact = push_get('/stats?channels=lobby')->{body};
    my $none = push_get('/stats?channels=nothing*')->{body};
    my $bad = push_get('/stats?channels=room.*&limit=0');
    push_report('/pub/result', join(' ', sort @seen)
                . ($pages >= 3 ? ' paged' : " pages=$pages")
                . ($exact =~ /^\{"channels":\[\{"channel":"lobby",/ ? ' exact' : ' no-exact')
                . ($none eq qq({"channels":[]}\n) ? ' none' : " none=$none")
                . " bad=$bad->{status}");
});
--- request
GET /result
--- response_body
room.1=1/1 room.2=2/2 room.3=1/1 paged exact none bad=400
--- timeout: 10
--- no_error_log
[error]



=== TEST 7: subscribers are counted by transport (the test's own /result long-poll too)
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber; push_channel $ch; }
    location = /stats {
        push_stats;
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $lp = push_connect();
    push_send($lp, 'GET', '/sub/count');
    my $sse = push_connect();
    push_send($sse, 'GET', '/sub/count', undef, ['Accept: text/event-stream']);
    push_wait_subscribers('/pub/count', 2) or die "never subscribed\n";
    # the block's own request may come after the helper's two
    push_wait_subscribers('/pub/result', 1) or die "no /result long-poll\n";
    my $during = push_get('/stats')->{body};
    push_request('POST', '/pub/count', 'm');
    push_read($lp, 5);
    close $lp;
    close $sse;
    push_wait_subscribers('/pub/count', 0);
    my $after = push_get('/stats')->{body};
    my ($by) = $during =~ /"subscribers_by_transport":(\{[^}]*\})/;
    my ($sum) = $during =~ /"subscribers":(\d+)/;
    my ($zero) = $after =~ /"subscribers":(\d+)/;
    my ($delivered) = $after =~ /"delivered_total":(\d+)/;
    push_report('/pub/result', "during=$sum $by after=$zero delivered=$delivered");
});
--- request
GET /result
--- response_body
during=3 {"poll":0,"longpoll":2,"stream":0,"sse":1,"websocket":0} after=1 delivered=2
--- timeout: 10
--- no_error_log
[error]
