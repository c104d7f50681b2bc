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
 qr/^\{"zone_size_bytes":1048576,"zone_used_bytes":\d+,"zone_free_bytes":\d+,"channels":2,"subscribers":0,"workers":1,"messages":3,"message_bytes":12,"published_total":4,"evicted_total":0,"expired_total":0,"refused_total":0,"channels_evicted_total":0\}\n\z/]
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
    my (%help, %type, %seen, @bad);
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
        if ($l =~ /^(nginx_push_[a-z_]+) (\d+)$/) {
            push @bad, "sample without TYPE: $1" unless $type{$1};
            push @bad, "sample twice: $1" if $seen{$1}++;
            next;
        }
        push @bad, "bad line: $l";
    }
    push @bad, "no samples" unless %seen;
    return @bad ? CORE::join("\n", @bad) . "\n" : scalar(keys %seen) . " metrics\n";
}
--- response_body
13 metrics
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
