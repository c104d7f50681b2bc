#!/usr/bin/env perl
# What the Redis subscription lease costs with many channels in the zone:
# one nginx server (ngx_push_module, 2 workers) on a throwaway Debian
# redis-server, a zone filled with CHANNELS channels (one message each,
# published through it), then K subscribers arriving one after the other,
# each on a channel of its own (each a 0 -> 1 change the lease holder
# subscribes in Redis), then all leaving (each unsubscribed after the 5 s
# delay).  Prints the workers' CPU time over each phase and the time until
# Redis has all K subscriptions, then none.
#
#   bench/redis-subscriptions.pl [CHANNELS [K]]
#
# MODULE (default build/ngx_push_module.so), NGINX_BIN, REDIS_BIN,
# BENCH_PORT (18191) and BENCH_REDIS_PORT (18192) move what it runs.  It
# stops what it started by pid.  Only loopback traffic.
use strict;
use warnings;

use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(sysconf _SC_CLK_TCK);
use Time::HiRes qw(time sleep);

my $channels = shift // 50000;
my $k = shift // 500;
my $root = $0 =~ m{^(.*)/bench/} ? $1 : '.';
my $module = $ENV{MODULE} || "$root/build/ngx_push_module.so";
my $nginx = $ENV{NGINX_BIN} || '/usr/sbin/nginx';
my $redis_bin = $ENV{REDIS_BIN} || '/usr/bin/redis-server';
my $port = $ENV{BENCH_PORT} || 18191;
my $rport = $ENV{BENCH_REDIS_PORT} || 18192;
my $tck = sysconf(_SC_CLK_TCK) || 100;
my $dir = tempdir(CLEANUP => 1);
my ($redis_pid, $master);

-f $module or die "no module at $module (run ./build.sh first)\n";
$module = File::Spec->rel2abs($module) if eval { require File::Spec };

sub say { print STDERR "redis-subscriptions: @_\n" }

sub redis_cli {
    my @a = map { my $x = $_; $x =~ s/'/'\\''/g; "'$x'" } @_;
    return scalar `redis-cli -h 127.0.0.1 -p $rport @a 2>/dev/null`;
}

sub stop_all {
    if ($master) {
        kill 'QUIT', $master;
        my $t = time + 5;
        sleep 0.05 while time < $t && kill 0, $master;
        kill 'KILL', $master if kill 0, $master;
    }
    if ($redis_pid) {
        kill 'TERM', $redis_pid;
        waitpid $redis_pid, 0;
    }
}
$SIG{INT} = $SIG{TERM} = sub { stop_all(); exit 1 };
END { stop_all() }

# Redis, no persistence
$redis_pid = fork // die "fork: $!\n";
if (!$redis_pid) {
    open STDOUT, '>', "$dir/redis.log";
    exec $redis_bin, '--port', $rport, '--bind', '127.0.0.1', '--save', '',
         '--appendonly', 'no', '--dir', $dir;
    exit 127;
}
my $t = time + 5;
sleep 0.05 while time < $t && redis_cli('PING') !~ /PONG/;

mkdir "$dir/logs";
open my $c, '>', "$dir/nginx.conf" or die "$!\n";
print $c <<CONF;
load_module $module;
worker_processes 2;
worker_rlimit_nofile 8192;
error_log logs/error.log warn;
pid logs/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    push_zone push 128m;
    push_redis_server redis://127.0.0.1:$rport;
    server {
        listen 127.0.0.1:$port;
        location ~ ^/pub/(?<ch>[\\w.-]+)\$ { push_publisher; push_channel \$ch; push_message_buffer 1; }
        location ~ ^/sub/(?<ch>[\\w.-]+)\$ { push_subscriber; push_channel \$ch; push_message_buffer 1; }
    }
}
CONF
close $c;
system($nginx, '-p', "$dir/", '-c', "$dir/nginx.conf", '-e',
       "$dir/logs/error.log") == 0 or die "nginx did not start\n";
$t = time + 5;
while (time < $t) {
    if (open my $p, '<', "$dir/logs/nginx.pid") { ($master) = <$p> =~ /(\d+)/ }
    last if $master && IO::Socket::INET->new("127.0.0.1:$port");
    sleep 0.05;
}
$master or die "nginx is not up\n";
sleep 1;    # the workers link to Redis and settle the epoch

sub workers {
    return map { /^\s*(\d+)/ ? $1 : () } `ps -o pid= --ppid $master`;
}

sub cpu {
    my $sum = 0;
    for my $pid (workers()) {
        open my $f, '<', "/proc/$pid/stat" or next;
        my @f = split ' ', (<$f> =~ /\)\s+(.*)/)[0];
        $sum += $f[11] + $f[12];    # utime, stime
    }
    return $sum / $tck;
}

sub subscribed {
    my $n = () = redis_cli('PUBSUB', 'CHANNELS', '{push:*') =~ /^\{push:/mg;
    return $n;
}

# the zone: CHANNELS channels, a message each, over 8 pipelined connections
my $t0 = time;
my @conns = map { IO::Socket::INET->new("127.0.0.1:$port") or die "$!\n" }
                1 .. 8;
my $sent = 0;
while ($sent < $channels) {
    my @batch;
    for my $s (@conns) {
        my $n = 0;
        my $req = '';
        while ($n < 250 && $sent < $channels) {
            $req .= "POST /pub/c$sent HTTP/1.1\r\nHost: x\r\n"
                    . "Content-Length: 1\r\n\r\nx";
            $sent++;
            $n++;
        }
        last unless $n;
        $s->syswrite($req);
        push @batch, [$s, $n];
    }
    for my $b (@batch) {
        my ($s, $n) = @$b;
        my $buf = '';
        my $got = 0;
        while ($got < $n) {
            my $r = $s->sysread($buf, 1 << 20, length $buf) or die "closed\n";
            $got = () = $buf =~ m{HTTP/1\.1 20[12] }g;
        }
        # the last answer's body
        while ($buf !~ /\}\s*\z/) {
            $s->sysread($buf, 1 << 16, length $buf) or last;
        }
    }
}
close $_ for @conns;
say sprintf "zone filled: %d channels in %.1f s", $channels, time - $t0;
sleep 1;

# arrivals: one at a time, each on its own channel
my $cpu0 = cpu();
$t0 = time;
my @subs;
for my $i (0 .. $k - 1) {
    my $s = IO::Socket::INET->new("127.0.0.1:$port") or die "$!\n";
    my $ch = $i * int($channels / $k);
    $s->syswrite("GET /sub/c$ch HTTP/1.1\r\nHost: x\r\n"
                 . "Accept: text/event-stream\r\n\r\n");
    my $buf = '';
    my $sel = IO::Select->new($s);
    while ($buf !~ /\r\n\r\n/ && $sel->can_read(5)) {
        $s->sysread($buf, 4096, length $buf) or last;
    }
    say "first answer: " . (split /\r\n/, $buf)[0] if $i == 0 && $buf !~ m{^HTTP/1.1 200};
    push @subs, $s;
}
my $t_in = time - $t0;
$t = time + 30;
sleep 0.05 while time < $t && subscribed() < $k;
my $t_sub = time - $t0;
my $cpu_in = cpu() - $cpu0;
my $have = subscribed();

# departures: all at once; gone from Redis after the 5 s delay
$cpu0 = cpu();
$t0 = time;
close $_ for @subs;
$t = time + 30;
sleep 0.1 while time < $t && subscribed() > 0;
my $t_out = time - $t0;
my $cpu_out = cpu() - $cpu0;
my $left = subscribed();

print "channels_in_zone $channels\n";
print "subscribers $k\n";
printf "arrivals_s %.2f\n", $t_in;
printf "all_subscribed_in_redis_s %.2f (%d of %d)\n", $t_sub, $have, $k;
printf "workers_cpu_arrivals_s %.2f\n", $cpu_in;
printf "all_unsubscribed_s %.2f (%d left)\n", $t_out, $left;
printf "workers_cpu_departures_s %.2f\n", $cpu_out;
