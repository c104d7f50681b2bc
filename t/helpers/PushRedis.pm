package PushRedis;

# A throwaway Debian redis-server for the Redis suites: on loopback, in a
# temporary directory, without persistence, known and stopped by its pid
# (never by name).  Helpers are exported to the suite and to
# Test::Nginx::Util, where "--- init" code runs, as PushTest does.

use strict;
use warnings;

use File::Temp ();
use POSIX ();
use Time::HiRes qw(time sleep);

our @EXPORT = qw(redis_port redis_start redis_stop redis_pid redis_cli
                 redis_stats redis_wait_stats redis_log_lines);

my $Dir;
my $Owner = $$;

sub import {
    my $caller = caller;
    no strict 'refs';
    for my $pkg ($caller, 'Test::Nginx::Util') {
        *{"${pkg}::$_"} = \&{"PushRedis::$_"} for @EXPORT;
    }
}

sub redis_port {
    return $ENV{TEST_NGINX_REDIS_PORT} || 29379;
}

sub dir {
    $Dir //= File::Temp::tempdir('push-redis-XXXXXX', TMPDIR => 1,
                                 CLEANUP => 0);
    return $Dir;
}

# The pid of the running redis-server, from its pid file (a helper that
# restarted it in a forked child wrote a new one there).
sub redis_pid {
    open my $fh, '<', dir() . '/redis.pid' or return undef;
    my $pid = <$fh>;
    close $fh;
    return undef unless defined $pid && $pid =~ /^(\d+)/;
    return $1;
}

sub redis_cli {
    my @args = map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } @_;
    my $port = redis_port();
    my $out = `redis-cli -h 127.0.0.1 -p $port @args 2>&1`;
    return $out;
}

# Starts redis-server and waits until it answers PING (5 s at most).
sub redis_start {
    my $d = dir();
    my $port = redis_port();
    unlink "$d/redis.pid";
    system('redis-server', '--port', $port, '--bind', '127.0.0.1',
           '--save', '', '--appendonly', 'no', '--dir', $d,
           '--daemonize', 'yes', '--pidfile', "$d/redis.pid",
           '--logfile', "$d/redis.log") == 0
        or die "cannot start redis-server: $?\n";
    my $deadline = time + 5;
    while (time < $deadline) {
        return redis_pid() if redis_pid() && redis_cli('PING') =~ /PONG/;
        sleep 0.05;
    }
    die "redis-server did not come up on port $port\n";
}

# kill -9 by pid, then waits until it is gone (a paused one is resumed
# first, or it would not die before it runs again).
sub redis_stop {
    my $pid = redis_pid() or return;
    kill 'CONT', $pid;
    kill 'KILL', $pid;
    # gone, or a zombie its parent (init, in a container perhaps not a
    # reaping one) has not collected yet
    my $deadline = time + 5;
    while (time < $deadline && kill(0, $pid)) {
        open my $st, '<', "/proc/$pid/stat" or last;
        my $line = <$st> // '';
        close $st;
        last if $line =~ /^\d+ \(.*\) Z /;
        sleep 0.02;
    }
    unlink dir() . '/redis.pid';
}

# The "redis" object of push_stats as a hash: numbers and the state.
sub redis_stats {
    my ($path) = @_;
    my $r = eval { PushTest::push_request('GET', $path || '/stats') };
    return undef unless $r && $r->{status} == 200;
    my ($obj) = $r->{body} =~ /"redis":\{(.*)\}\}\s*$/s or return undef;
    my %s;
    ($s{state}) = $obj =~ /^"state":"(\w+)"/;
    while ($obj =~ /"(\w+)":([\d.]+)/g) {
        $s{$1} //= $2;
    }
    my @workers = $obj =~ /\{"pid":(\d+),"state":"(\w+)"/g;
    $s{workers} = {@workers};
    return \%s;
}

# Polls push_stats until code (given the stats) says yes; the stats then,
# or undef after timeout seconds.
sub redis_wait_stats {
    my ($code, $timeout) = @_;
    my $deadline = time + ($timeout || 5);
    while (time < $deadline) {
        my $s = redis_stats();
        return $s if $s && $code->($s);
        sleep 0.05;
    }
    return undef;
}

# The error log's lines matching re.
sub redis_log_lines {
    my ($re) = @_;
    my $log = PushTest::push_servroot() . '/logs/error.log';
    open my $fh, '<', $log or return ();
    my @l = grep { /$re/ } <$fh>;
    close $fh;
    return @l;
}

END {
    # only the process that loaded us (forked helpers leave with _exit)
    if ($$ == $Owner && $Dir) {
        redis_stop();
        File::Temp::cleanup();
        system('rm', '-rf', $Dir) if -d $Dir;
    }
}

1;
