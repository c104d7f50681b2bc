package PushSecond;

# A second nginx server for the several-servers suites: the block's own
# configuration, written by the runner, with its own prefix beside the
# test's server root (the real Test::Nginx refuses to reuse a server root
# holding anything it did not make) and its own port
# ($TEST_NGINX_SECOND_PORT, 30005); started from a block's helper and
# stopped by its master's pid.  Helpers
# talk to it with PushTest's functions inside on_second { ... }.

use strict;
use warnings;

use File::Path qw(make_path);
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

our @EXPORT = qw(second_port second_start second_stop on_second
                 second_log_lines second_log_problems sse_open sse_more both_up);

sub import {
    my $caller = caller;
    no strict 'refs';
    for my $pkg ($caller, 'Test::Nginx::Util') {
        *{"${pkg}::$_"} = \&{"PushSecond::$_"} for @EXPORT;
    }
}

sub second_port {
    return $ENV{TEST_NGINX_SECOND_PORT} || 30005;
}

sub first_port {
    return $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
}

sub dir {
    return PushTest::push_servroot() . '-second';
}

# Runs code with PushTest's requests going to the second server.
sub on_second {
    my ($code) = @_;
    local $ENV{TEST_NGINX_SERVER_PORT} = second_port();
    return $code->();
}

# Starts the second server and waits until it accepts (5 s at most);
# returns its master's pid.  An optional edit is given the configuration
# text and returns it changed (a suite whose servers differ, as one that
# sends only the first server's Redis traffic through a proxy).
sub second_start {
    my ($edit) = @_;
    my $root = PushTest::push_servroot();
    my $d = dir();
    my $first = first_port();
    my $second = second_port();

    make_path("$d/conf", "$d/logs", "$d/html");
    # each block's server logs afresh, as the runner's does
    unlink "$d/logs/error.log";
    open my $in, '<', "$root/conf/nginx.conf" or die "no conf: $!\n";
    my $conf = do { local $/; <$in> };
    close $in;

    $conf =~ s{\Q$root\E/}{$d/}g;
    $conf =~ s{\blisten\s+(?:127\.0\.0\.1:)?$first\b}{listen $second}g;
    $conf = $edit->($conf) if $edit;

    open my $out, '>', "$d/conf/nginx.conf" or die "conf: $!\n";
    print $out $conf;
    close $out;

    my $bin = $ENV{TEST_NGINX_BINARY} || 'nginx';
    system($bin, '-e', "$d/logs/error.log", '-p', "$d/", '-c',
           "$d/conf/nginx.conf") == 0
        or die "the second nginx did not start: $?\n";

    my $deadline = time + 5;
    while (time < $deadline) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $second, Proto => 'tcp');
        if ($s) {
            close $s;
            return master_pid();
        }
        sleep 0.02;
    }
    die "the second nginx does not listen on $second\n";
}

sub master_pid {
    open my $fh, '<', dir() . '/logs/nginx.pid' or return undef;
    my $pid = <$fh>;
    close $fh;
    return defined $pid && $pid =~ /(\d+)/ ? $1 : undef;
}

# Stops it by its master's pid: QUIT, then KILL after 5 s.
sub second_stop {
    my $pid = master_pid() or return;
    kill 'QUIT', $pid;
    my $deadline = time + 5;
    while (time < $deadline && kill(0, $pid)) {
        sleep 0.02;
    }
    kill 'KILL', $pid if kill(0, $pid);
    unlink dir() . '/logs/nginx.pid';
}

# An SSE request on the current server (unchunked: HTTP/1.0); headers
# are "Name: value" strings.
sub sse_open {
    my ($path, @headers) = @_;
    my $s = PushTest::push_connect();
    PushTest::push_send($s, 'GET', "$path HTTP/1.0",
                        undef, ['Accept: text/event-stream', @headers]);
    ${*$s}{sse_text} = '';
    return $s;
}

# Everything the stream sent so far, once it matches re or after timeout
# seconds (or when the server closed it: then sse_closed is set).
sub sse_more {
    my ($s, $re, $timeout) = @_;
    my $deadline = time + ($timeout || 3);
    my $sel = IO::Select->new($s);
    while (${*$s}{sse_text} !~ $re) {
        my $left = $deadline - time;
        last if $left <= 0 || !$sel->can_read($left);
        my $n = $s->sysread(${*$s}{sse_text}, 65536,
                            length ${*$s}{sse_text});
        if (!$n) {
            ${*$s}{sse_closed} = 1;
            last;
        }
    }
    return ${*$s}{sse_text};
}

# Both servers' workers linked to Redis, and their zones on the
# deployment's epoch (a publish through each answers): 5 s at most.
sub both_up {
    for my $second (0, 1) {
        local $ENV{TEST_NGINX_SERVER_PORT} = second_port() if $second;
        PushRedis::redis_wait_stats(sub { $_[0]{workers_up} == 2 }, 5)
            or return 0;
    }
    return 1;
}

# The second server's error, alert, crit and emerg lines, but its master's
# report of a worker a test killed.
sub second_log_problems {
    return grep { !/exited on signal 9/ }
                second_log_lines(qr/\[(?:error|alert|crit|emerg)\]/);
}

sub second_log_lines {
    my ($re) = @_;
    open my $fh, '<', dir() . '/logs/error.log' or return ();
    my @l = grep { /$re/ } <$fh>;
    close $fh;
    return @l;
}

1;
