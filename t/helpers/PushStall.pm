package PushStall;

# A stalling TCP proxy for the Redis fault suites: listens on
# 127.0.0.1:$TEST_NGINX_STALL_PORT (29380) and forwards bytes both ways
# between nginx and the redis-server on 127.0.0.1:$TEST_NGINX_REDIS_PORT.
# It runs in a child process the suite starts (stall_start) and stops by
# its pid (stall_stop, or at the end of the suite).  Helpers, from the
# suite and from "--- init" code (also from a forked verdict helper),
# tell it what to do through a Unix socket in its own directory:
#
#   stall_set('pass')         forward everything (the start; 'resume' too)
#   stall_set('stall')        hold every byte: nothing is read from either
#                             side, nothing held is written, no new
#                             connection is accepted (the kernel still
#                             completes the TCP handshake), and every
#                             connection stays open: a Redis that stops
#                             answering, seen from nginx
#   stall_set('replies')      nginx -> Redis goes on (commands run, new
#                             connections are made), Redis -> nginx is
#                             held: nginx is never told what was done
#   stall_set('delay', SEC)   every byte, both ways, is written SEC
#                             seconds after it was read, in order: a slow
#                             path to Redis
#
# What was held goes out, in order, when the mode allows it again; an end
# of stream is passed on after the bytes before it.  Bytes for a side
# that has closed since are dropped.

use strict;
use warnings;

use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use File::Temp ();
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX ();
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time sleep);

our @EXPORT = qw(stall_port stall_start stall_stop stall_set stall_pid
                 stall_connections);

my ($Dir, $Pid);
my $Owner = $$;

sub import {
    my $caller = caller;
    no strict 'refs';
    for my $pkg ($caller, 'Test::Nginx::Util') {
        *{"${pkg}::$_"} = \&{"PushStall::$_"} for @EXPORT;
    }
}

sub stall_port {
    return $ENV{TEST_NGINX_STALL_PORT} || 29380;
}

sub stall_pid {
    return $Pid;
}

sub control_path {
    $Dir //= File::Temp::tempdir('push-stall-XXXXXX', TMPDIR => 1,
                                 CLEANUP => 0);
    return "$Dir/control";
}

# Starts the proxy in a child; returns its pid once it listens.
sub stall_start {
    my ($target) = @_;
    $target ||= $ENV{TEST_NGINX_REDIS_PORT} || 29379;
    my $port = stall_port();
    my $control = control_path();
    unlink $control;

    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                       LocalPort => $port, Listen => 64,
                                       ReuseAddr => 1, Blocking => 0)
        or die "stall proxy: cannot listen on $port: $!\n";
    my $ctl = IO::Socket::UNIX->new(Local => $control, Type => SOCK_STREAM,
                                    Listen => 8)
        or die "stall proxy: control socket: $!\n";

    my $pid = fork;
    die "stall proxy: fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        # the child leaves with _exit: the suite's END blocks are not ours
        my $ok = eval { serve($listen, $ctl, $target); 1 };
        print STDERR "# stall proxy: $@" unless $ok;
        POSIX::_exit($ok ? 0 : 1);
    }
    close $listen;
    close $ctl;
    $Pid = $pid;
    stall_set('pass');
    return $pid;
}

# Stops it by its pid (TERM, then KILL after 3 s) and reaps it.
sub stall_stop {
    return unless $Pid && $$ == $Owner;
    kill 'TERM', $Pid;
    my $deadline = time + 3;
    while (time < $deadline) {
        last if waitpid($Pid, POSIX::WNOHANG()) == $Pid;
        sleep 0.02;
    }
    if (kill 0, $Pid) {
        kill 'KILL', $Pid;
        waitpid($Pid, 0);
    }
    undef $Pid;
}

# Sends one command; dies unless the proxy says ok (3 s at most).
sub stall_set {
    my ($mode, $arg) = @_;
    $mode = 'pass' if $mode eq 'resume';
    my $line = defined $arg ? "$mode $arg" : $mode;
    my $answer = control($line);
    $answer =~ /^ok/ or die "stall proxy: '$line': $answer\n";
    return 1;
}

# How many proxied connections are open now (for a test's own checks).
sub stall_connections {
    my ($n) = control('count') =~ /^ok (\d+)/;
    return $n;
}

sub control {
    my ($line) = @_;
    my $deadline = time + 3;
    my $s;
    while (!($s = IO::Socket::UNIX->new(Peer => control_path(),
                                        Type => SOCK_STREAM)))
    {
        die "stall proxy: no control socket: $!\n" if time > $deadline;
        sleep 0.02;
    }
    $s->syswrite("$line\n");
    my $sel = IO::Select->new($s);
    my $buf = '';
    while ($buf !~ /\n/) {
        my $left = $deadline - time;
        last if $left <= 0 || !$sel->can_read($left);
        last unless $s->sysread($buf, 256, length $buf);
    }
    close $s;
    return $buf eq '' ? 'no answer' : $buf;
}


# The child: one select loop.  A pair is [nginx side, Redis side]; each
# direction has a queue of [due time, bytes] (bytes undef: the end).

my %Mode = (name => 'pass', delay => 0);
my (@Pairs, $Sel);

sub serve {
    my ($listen, $ctl, $target) = @_;
    $SIG{PIPE} = 'IGNORE';
    $SIG{TERM} = sub { POSIX::_exit(0) };
    $listen->blocking(0);

    while (1) {
        my $now = time;
        my $wait = 0.05;
        my @rd = ($ctl);
        my @wr;

        push @rd, $listen if $Mode{name} ne 'stall';
        for my $p (@Pairs) {
            for my $dir (0, 1) {     # 0: nginx -> Redis, 1: Redis -> nginx
                my $from = $p->{sock}[$dir];
                my $to = $p->{sock}[1 - $dir];
                push @rd, $from if $from && !$p->{eof}[$dir]
                                   && may_read($dir);
                my $q = $p->{q}[$dir];
                next unless @$q && $to && may_write($dir);
                my $due = $q->[0][0] - $now;
                if ($due <= 0) {
                    push @wr, $to;
                } elsif ($due < $wait) {
                    $wait = $due;
                }
            }
        }

        my ($r, $w) = IO::Select->select(IO::Select->new(@rd),
                                         IO::Select->new(@wr), undef,
                                         $wait);
        $now = time;

        for my $fh (@{ $r || [] }) {
            if ($fh == $ctl) {
                command($ctl);
            } elsif ($fh == $listen) {
                accept_one($listen, $target);
            } else {
                read_one($fh, $now);
            }
        }
        flush($now);
        @Pairs = grep { $_->{sock}[0] || $_->{sock}[1] } @Pairs;
    }
}

sub may_read {
    my ($dir) = @_;
    return 0 if $Mode{name} eq 'stall';
    return 0 if $Mode{name} eq 'replies' && $dir == 1;
    return 1;
}

sub may_write {
    return may_read(@_);
}

sub command {
    my ($ctl) = @_;
    my $c = $ctl->accept or return;
    my $sel = IO::Select->new($c);
    my $line = '';
    my $deadline = time + 1;
    while ($line !~ /\n/ && time < $deadline && $sel->can_read(0.5)) {
        last unless $c->sysread($line, 256, length $line);
    }
    chomp $line;
    my $answer;
    if ($line =~ /^(pass|stall|replies)$/) {
        %Mode = (name => $1, delay => 0);
        $answer = 'ok';
    } elsif ($line =~ /^delay (\d+(?:\.\d+)?)$/) {
        %Mode = (name => 'delay', delay => $1);
        $answer = 'ok';
    } elsif ($line eq 'count') {
        $answer = 'ok ' . scalar(@Pairs);
    } else {
        $answer = "unknown command '$line'";
    }
    $c->syswrite("$answer\n");
    close $c;
}

sub accept_one {
    my ($listen, $target) = @_;
    my $c = $listen->accept or return;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $target, Proto => 'tcp',
                                  Timeout => 2);
    if (!$s) {
        # Redis is down: so is the path to it
        close $c;
        return;
    }
    $c->blocking(0);
    $s->blocking(0);
    push @Pairs, { sock => [$c, $s], q => [[], []], eof => [0, 0] };
}

sub read_one {
    my ($fh, $now) = @_;
    for my $p (@Pairs) {
        for my $dir (0, 1) {
            next unless $p->{sock}[$dir] && $p->{sock}[$dir] == $fh;
            my $buf;
            my $n = sysread($fh, $buf, 65536);
            return if !defined $n && ($! == EAGAIN || $! == EWOULDBLOCK
                                      || $! == EINTR);
            my $due = $now + $Mode{delay};
            if ($n) {
                push @{ $p->{q}[$dir] }, [$due, $buf];
            } else {
                # the end (or an error): passed on after what came before
                $p->{eof}[$dir] = 1;
                push @{ $p->{q}[$dir] }, [$due, undef];
            }
            return;
        }
    }
}

sub flush {
    my ($now) = @_;
    for my $p (@Pairs) {
        for my $dir (0, 1) {
            my $q = $p->{q}[$dir];
            my $to = $p->{sock}[1 - $dir];
            while (@$q && $q->[0][0] <= $now && may_write($dir)) {
                if (!$to) {
                    @$q = ();
                    last;
                }
                my $bytes = $q->[0][1];
                if (!defined $bytes) {
                    # the end: close both sides (Redis or nginx left)
                    close_pair($p);
                    last;
                }
                my $n = syswrite($to, $bytes);
                if (!defined $n) {
                    last if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                    close_pair($p);
                    last;
                }
                if ($n < length $bytes) {
                    substr($q->[0][1], 0, $n) = '';
                    last;
                }
                shift @$q;
            }
        }
    }
}

sub close_pair {
    my ($p) = @_;
    for my $i (0, 1) {
        close $p->{sock}[$i] if $p->{sock}[$i];
        $p->{sock}[$i] = undef;
        $p->{q}[$i] = [];
    }
}

END {
    if ($$ == $Owner) {
        stall_stop();
        system('rm', '-rf', $Dir) if $Dir && -d $Dir;
    }
}

1;
