# kill -9 of a worker while it holds the zone's lock.  gdb stops the worker
# inside the slab allocator (only ever called with the lock held) and kills
# it there; nginx's master then force-unlocks the mutex of the dead pid
# (ngx_shmtx_force_unlock) with one [alert].  Nothing may stay stuck.
use lib 't/helpers';
use PushTest;
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket;

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

my ($gdb) = grep { -x "$_/gdb" } split /:/, $ENV{PATH};
if ($gdb) {
    plan('no_plan');
} else {
    plan(skip_all => 'gdb is not installed');
}

master_on();
workers(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a worker killed with the zone locked: the lock is freed, publishing and delivery go on
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber sse longpoll;
        push_channel $ch;
    }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my ($runner) = @_;
    push_request('POST', '/pub/live', 'm0');
    my $by = push_by_worker('/pid', 2);
    my ($victim) = grep { $_ != $runner } keys %$by;
    die "one worker only\n" unless $victim && $by->{$runner};
    push_send($by->{$runner}, 'GET', '/sub/live', undef,
              ['Accept: text/event-stream']);
    push_wait_subscribers('/pub/live', 1) or die "never subscribed\n";

    my $gdb = open(my $g, '-|', 'gdb', '-q', '-nx', '-batch', '-p', $victim,
                   '-ex', 'break ngx_slab_alloc_locked',
                   '-ex', 'continue', '-ex', 'info registers rip',
                   '-ex', 'kill')
        or die "gdb: $!\n";
    # wait until gdb has attached and let the worker run again (its
    # output is buffered: /proc tells)
    my $deadline = time + 10;
    while (time < $deadline) {
        open my $st, '<', "/proc/$victim/status" or last;
        my $text = do { local $/; <$st> };
        last if $text =~ /^TracerPid:\s*[1-9]/m && $text =~ /^State:\s*[SR]/m;
        sleep 0.05;
    }
    # a new channel on the victim: the allocation stops it, lock held
    push_send($by->{$victim}, 'POST', '/pub/fresh', 'doomed');
    my $answer = push_read($by->{$victim}, 5);
    my $log = do { local $/; <$g> } // '';
    waitpid($gdb, 0);
    my $hit = $log =~ /Breakpoint 1, .*ngx_slab_alloc_locked/ ? 1 : 0;
    my $dead = kill(0, $victim) ? 0 : 1;

    # the lock is free again: a publish through the survivor is answered
    # at once and reaches its subscriber
    my $t0 = time;
    my $p = push_request('POST', '/pub/live', 'after');
    my $fast = $p && time - $t0 < 1 ? 1 : 0;
    my $ev = push_read_until($by->{$runner}, qr/data: after\n/, 3);
    my $got = $ev =~ /data: after\n/ ? 1 : 0;

    # the successor takes the lock too, and serves
    my $fresh = push_by_worker('/pid', 2);
    my ($new) = grep { $_ != $runner && $_ != $victim } keys %$fresh;
    my $served = 0;
    if ($new) {
        push_send($fresh->{$new}, 'POST', '/pub/fresh', 'again');
        my $r = push_read($fresh->{$new}, 3);
        $served = $r && $r->{status} =~ /^20[12]$/ ? 1 : 0;
    }
    my $st = push_request('GET', '/stats')->{body};
    my ($subs) = $st =~ /"subscribers":(\d+)/;

    # exactly one [alert] from the force-unlock and one for the kill
    sleep 0.5;
    open my $fh, '<', push_servroot() . '/logs/error.log' or die $!;
    my @alerts = grep { /\[alert\]/ } <$fh>;
    return "hit=$hit unanswered=" . ($answer ? 0 : 1) . " dead=$dead "
           . "status=$p->{status} fast=$fast got=$got served=$served "
           . "subscribers=$subs alerts=" . scalar(@alerts);
});
--- request
GET /result
--- response_body
hit=1 unanswered=1 dead=1 status=201 fast=1 got=1 served=1 subscribers=1 alerts=2
--- timeout: 30
--- error_log
exited on signal 9
was locked by
--- no_error_log
[error]
[crit]
[emerg]
