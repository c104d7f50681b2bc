# 10,000 channels with one subscriber each, then one channel with 10,000
# subscribers, twice over: counts are exact and go back to 0, and the second
# time round the zone and the worker use no more memory than the first.
use lib 't/helpers';
use PushTest;
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

master_on();
workers(1);
worker_connections(12000);
log_level('info');          # a debug line per event would be 150 MB
no_shuffle();
run_tests();

__DATA__

=== TEST 1: 10,000 channels x 1 and 1 channel x 10,000: exact counts, back to 0, no leak
--- main_config
    worker_rlimit_nofile 20000;
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
our $N = 10000;

sub stats_now {
    return { push_request('GET', '/stats')->{body} =~ /"(\w+)":(\d+)/g };
}

sub wait_stat {
    my ($name, $want) = @_;
    my $deadline = time + 10;
    while (time < $deadline) {
        return 1 if stats_now()->{$name} == $want;
        sleep 0.05;
    }
    return 0;
}

sub rss_kb {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/status" or return -1;
    local $/;
    return <$fh> =~ /^VmRSS:\s*(\d+)/m ? $1 : -1;
}

sub sanitized {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/maps" or return 0;
    local $/;
    return <$fh> =~ /libasan/ ? 1 : 0;
}

# an abortive close: 40,000 client sockets in TIME_WAIT would use up the
# ephemeral ports
sub drop {
    for my $s (@_) {
        setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
        close $s;
    }
}

sub park {
    my ($path_of) = @_;
    my @socks;
    for my $i (1 .. $N) {
        my $s = push_connect();
        $s->syswrite("GET " . $path_of->($i) . " HTTP/1.1\r\nHost: x\r\n\r\n");
        push @socks, $s;
    }
    return @socks;
}

# one round of both shapes; returns what went wrong, or nothing
sub round {
    my ($n) = @_;
    my @bad;
    my @socks = park(sub { "/sub/c$_[0]" });
    # the block's own request is the one more subscriber
    push @bad, 'many: not all counted'
        unless wait_stat('subscribers', $N + 1);
    my $st = stats_now();
    # result, c1..cN, and "one" after the first round
    push @bad, "many: $st->{channels} channels"
        unless $st->{channels} == $N + 1 + ($n > 1);
    for my $i (1, 5000, $N) {
        push @bad, "c$i not 1" unless push_wait_subscribers("/pub/c$i", 1, 1);
    }
    drop(@socks);
    push @bad, 'many: not back to 0' unless wait_stat('subscribers', 1);

    @socks = park(sub { '/sub/one' });
    push @bad, 'one: not all counted'
        unless push_wait_subscribers('/pub/one', $N, 10);
    push_request('POST', '/pub/one', 'all');
    my $got = 0;
    for my $s (@socks) {
        my $r = push_read($s, 5);
        $got++ if $r && $r->{body} eq 'all';
    }
    push @bad, "one: $got delivered" unless $got == $N;
    push @bad, 'one: not back to 0'
        unless push_wait_subscribers('/pub/one', 0, 5);
    drop(@socks);
    return @bad;
}

push_in_background(sub {
    my ($worker) = keys %{ push_by_worker('/pid', 1) };
    my $t0 = time;
    # the first round grows what nginx and libc keep for reuse
    my @bad = round(1);
    my ($zone1, $rss1) = (stats_now()->{zone_used_bytes}, rss_kb($worker));
    push @bad, round(2);
    my ($zone2, $rss2) = (stats_now()->{zone_used_bytes}, rss_kb($worker));
    push @bad, "zone grew from $zone1 to $zone2" if $zone2 > $zone1;
    # AddressSanitizer keeps freed memory in quarantine on purpose: RSS
    # says nothing then
    push @bad, "rss grew from ${rss1}k to ${rss2}k"
        if $rss2 > $rss1 + 1024 && !sanitized($worker);
    push @bad, sprintf('slow: %.1fs', time - $t0) if time - $t0 > 40;
    push_report('/pub/result', @bad ? join('; ', @bad) : 'exact, no leak');
});
--- request
GET /result
--- response_body
exact, no leak
--- timeout: 60
--- no_error_log
[error]
[alert]
[crit]
