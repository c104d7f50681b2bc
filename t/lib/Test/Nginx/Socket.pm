package Test::Nginx::Socket;

# A compact runner for Test::Nginx::Socket suites, built on Debian's
# Test::Base: the real Test::Nginx is not packaged in Debian, and our t/*.t
# files must run unchanged under either.  It supports the subset of
# sections and functions the suites use (see t/README.md).

use strict;
use warnings;

use Test::Base ();
BEGIN { Test::Base->import() }

use Cwd qw(cwd);
use File::Path qw(make_path remove_tree);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

our $VERSION = '0.01';

our $RepeatEach = 1;
our $MasterProcessEnabled = 'off';
our $Workers = 1;
our $WorkerConnections = 64;
our $LogLevel = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                  || 1984;
our $ServRoot = $ENV{TEST_NGINX_SERVROOT} || cwd() . '/t/servroot';
our $NoRootLocation = 0;
our $ServerName = 'localhost';
our @BlockPreprocessors;

my $RunnerPid = $$;
my $NginxBinary = $ENV{TEST_NGINX_BINARY}
                  || (grep { -x } map { "$_/nginx" } split /:/, $ENV{PATH})[0]
                  || '/usr/sbin/nginx';

$ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
$ENV{TEST_NGINX_PORT} ||= $ServerPort;
$ENV{TEST_NGINX_SERVROOT} = $ServRoot;
$ENV{TEST_NGINX_HTML_DIR} = "$ServRoot/html";

my @Functions = qw(
    run_tests repeat_each master_on master_off workers worker_connections
    log_level
    no_shuffle no_long_string no_root_location server_port html_dir
    server_name env_to_nginx add_block_preprocessor bail_out
);

my @FromTestBase = qw(
    plan blocks is ok like unlike is_deeply diag pass fail no_diff
    first_block next_block filters
);

sub import {
    my ($class, @args) = @_;
    my $caller = caller;
    no strict 'refs';
    for my $name (@Functions) {
        *{"${caller}::$name"} = \&{"Test::Nginx::Socket::$name"};
    }
    for my $name (@FromTestBase) {
        *{"${caller}::$name"} = \&{"Test::Base::$name"};
    }
    *{"${caller}::ServerPort"} = \$ServerPort;
    *{"${caller}::ServRoot"} = \$ServRoot;
    Test::More::plan(@args) if @args;
}

sub repeat_each { $RepeatEach = shift if @_; return $RepeatEach }
sub master_on { $MasterProcessEnabled = 'on' }
sub master_off { $MasterProcessEnabled = 'off' }
sub workers { $Workers = shift }
sub worker_connections {
    $WorkerConnections = shift if @_;
    return $WorkerConnections;
}
sub log_level { $LogLevel = shift }
sub no_shuffle { }
sub no_long_string { }
sub no_root_location { $NoRootLocation = 1 }
sub server_port { return $ServerPort }
sub html_dir { return "$ServRoot/html" }
sub server_name { $ServerName = shift }
sub env_to_nginx { }
sub add_block_preprocessor { push @BlockPreprocessors, shift }
sub bail_out { Test::More::BAIL_OUT(@_) }

# A section's value, or undef when the block has none.
sub sect {
    my ($block, $name) = @_;
    return undef unless $block->can($name);
    my @v = $block->$name;
    return $v[0];
}

sub expand_env {
    my ($text) = @_;
    return $text unless defined $text;
    $text =~ s/\$(TEST_NGINX_\w+)/defined $ENV{$1} ? $ENV{$1} : "\$$1"/ge;
    return $text;
}

sub parse_time {
    my ($t, $default) = @_;
    return $default unless defined $t;
    $t =~ s/\s+//g;
    return $1 / 1000 if $t =~ /^([\d.]+)ms$/;
    return $1 if $t =~ /^([\d.]+)s?$/;
    return $default;
}

sub nginx_pid {
    open my $fh, '<', "$ServRoot/logs/nginx.pid" or return undef;
    my $pid = <$fh>;
    close $fh;
    return undef unless defined $pid && $pid =~ /(\d+)/;
    return $1;
}

sub stop_nginx {
    my $pid = nginx_pid() or return;
    kill 'QUIT', $pid;
    my $deadline = time + 5;
    while (kill(0, $pid) && time < $deadline) {
        sleep 0.02;
    }
    if (kill 0, $pid) {
        kill 'KILL', $pid;
        sleep 0.1;
    }
    unlink "$ServRoot/logs/nginx.pid";
}

sub write_config {
    my ($block) = @_;
    my $modules = '';
    for my $so (split ' ', $ENV{TEST_NGINX_LOAD_MODULES} || '') {
        $modules .= "load_module $so;\n";
    }
    my $main = expand_env(sect($block, 'main_config')) // '';
    my $http = expand_env(sect($block, 'http_config')) // '';
    my $config = expand_env(sect($block, 'config')) // '';
    my $root = $NoRootLocation ? '' : '';

    remove_tree("$ServRoot/conf", "$ServRoot/logs");
    make_path("$ServRoot/conf", "$ServRoot/logs", "$ServRoot/html");

    open my $fh, '>', "$ServRoot/conf/nginx.conf" or die $!;
    print $fh <<"END";
$modules
daemon on;
master_process $MasterProcessEnabled;
worker_processes $Workers;
error_log $ServRoot/logs/error.log $LogLevel;
pid $ServRoot/logs/nginx.pid;

$main

http {
    access_log $ServRoot/logs/access.log;
    default_type text/plain;
    keepalive_timeout 68;
    client_body_temp_path $ServRoot/client_body_temp;
    proxy_temp_path $ServRoot/proxy_temp;
    fastcgi_temp_path $ServRoot/fastcgi_temp;
    uwsgi_temp_path $ServRoot/uwsgi_temp;
    scgi_temp_path $ServRoot/scgi_temp;

$http

    server {
        listen $ServerPort;
        server_name '$ServerName';
        client_max_body_size 30M;
$root
$config
    }
}

events {
    accept_mutex off;
    worker_connections $WorkerConnections;
}
END
    close $fh;
}

# Starts nginx; returns (exit status, its stderr).
sub start_nginx {
    my $err = "$ServRoot/logs/stderr.log";
    my $cmd = "$NginxBinary -p $ServRoot/ -c $ServRoot/conf/nginx.conf"
              . " > $err 2>&1";
    my $rc = system($cmd);
    my $out = '';
    if (open my $fh, '<', $err) {
        local $/;
        $out = <$fh> // '';
    }
    return ($rc, $out);
}

sub wait_port {
    my $deadline = time + 5;
    while (time < $deadline) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $ServerPort);
        if ($s) { close $s; return 1 }
        sleep 0.02;
    }
    return 0;
}

sub read_log {
    my $text = '';
    for my $f ("$ServRoot/logs/error.log", "$ServRoot/logs/stderr.log") {
        next unless open my $fh, '<', $f;
        local $/;
        $text .= <$fh> // '';
    }
    return $text;
}

sub build_request {
    my ($block, $req) = @_;
    $req = expand_env($req);
    $req =~ s/^\s+//;
    my ($line, $body) = split /\n/, $req, 2;
    $line =~ s/\s+$//;
    if (defined $body) {
        $body =~ s/^\s+|\s+$//gs;
    }
    my ($method, $uri, $proto) = split ' ', $line;
    $proto ||= 'HTTP/1.1';
    my $more = expand_env(sect($block, 'more_headers')) // '';
    my @h = grep { length } split /\n/, $more;
    my $out = "$method $uri $proto\r\n";
    $out .= "Host: localhost\r\n" unless grep { /^Host\s*:/i } @h;
    $out .= "Connection: close\r\n" unless grep { /^Connection\s*:/i } @h;
    $out .= "$_\r\n" for @h;
    if (defined $body && length $body) {
        $out .= "Content-Length: " . length($body) . "\r\n";
    }
    $out .= "\r\n";
    $out .= $body if defined $body;
    return $out;
}

# Sends raw bytes, reads until close or timeout: (bytes, timed out).
sub exchange {
    my ($raw, $timeout) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ServerPort)
        or return ('', 0, "cannot connect: $!");
    $s->syswrite($raw);
    my $sel = IO::Select->new($s);
    my $buf = '';
    my $deadline = time + $timeout;
    while (1) {
        my $left = $deadline - time;
        if ($left <= 0 || !$sel->can_read($left)) {
            close $s;
            return ($buf, 1);
        }
        my $n = $s->sysread($buf, 65536, length $buf);
        last unless $n;
    }
    close $s;
    return ($buf, 0);
}

# One response from the front of $$bufref: {status, headers, body}.
sub parse_response {
    my ($bufref) = @_;
    my $buf = $$bufref;
    return undef unless $buf =~ /\r\n\r\n/;
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    my @lines = split /\r\n/, $head;
    my $status_line = shift @lines;
    my ($status) = $status_line =~ m{^HTTP/\d\.\d\s+(\d+)};
    my %h;
    for (@lines) {
        next unless /^([^:]+):\s*(.*)$/;
        my $k = lc $1;
        $h{$k} = defined $h{$k} ? "$h{$k}, $2" : $2;
    }
    my $body = '';
    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        while ($rest =~ s/\A([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $len = hex $1;
            if ($len == 0) {
                $rest =~ s/\A(?:[^\r\n]+\r\n)*\r\n//;
                last;
            }
            $body .= substr($rest, 0, $len);
            $rest = length($rest) >= $len + 2 ? substr($rest, $len + 2) : '';
        }
    } elsif (defined $h{'content-length'} && $status != 304
             && $status != 204) {
        $body = substr($rest, 0, $h{'content-length'});
        $rest = length($rest) > $h{'content-length'}
                ? substr($rest, $h{'content-length'}) : '';
    } elsif ($status == 304 || $status == 204 || $status < 200) {
        $body = '';
    } else {
        $body = $rest;
        $rest = '';
    }
    $$bufref = $rest;
    return { status => $status, headers => \%h, body => $body };
}

sub pick {
    my ($value, $i) = @_;
    return ref $value eq 'ARRAY' ? $value->[$i] : $value;
}

sub check_response {
    my ($block, $name, $resp, $i, $timed_out) = @_;
    my $abort = defined sect($block, 'abort');
    if ($timed_out && !$abort) {
        fail("$name - timed out");
    }
    unless (defined sect($block, 'ignore_response')) {
        my $code = pick(sect($block, 'error_code'), $i);
        $code = 200 unless defined $code;
        $code =~ s/\s+//g;
        is($resp->{status}, $code, "$name - status code ok");
    }
    if (defined(my $hs = pick(sect($block, 'response_headers'), $i))) {
        for my $line (grep { length } split /\n/, expand_env($hs)) {
            if ($line =~ /^!\s*([^:\s]+)/) {
                ok(!defined $resp->{headers}{lc $1},
                   "$name - header $1 not present");
            } elsif ($line =~ /^([^:]+):\s*(.*?)\s*$/) {
                is($resp->{headers}{lc $1}, $2, "$name - header $1 ok");
            }
        }
    }
    if (defined(my $hs = pick(sect($block, 'response_headers_like'), $i))) {
        for my $line (grep { length } split /\n/, expand_env($hs)) {
            next unless $line =~ /^([^:]+):\s*(.*?)\s*$/;
            my ($k, $re) = ($1, $2);
            like($resp->{headers}{lc $k} // '', qr/^$re$/,
                 "$name - header $k like ok");
        }
    }
    my $got = $resp->{body};
    if (defined(my $filters = sect($block, 'response_body_filters'))) {
        # as in Test::Nginx: code refs (or a list of them) applied in turn
        for my $f (ref $filters eq 'ARRAY' ? @$filters : ($filters)) {
            $got = $f->($got) if ref $f eq 'CODE';
        }
    }
    my $body = sect($block, 'response_body');
    if (defined $body) {
        my $want = pick($body, $i);
        is($got, expand_env($want),
           "$name - response_body - response is expected")
            if defined $want;
    }
    my $like = sect($block, 'response_body_like');
    if (defined $like) {
        my $want = pick($like, $i);
        if (defined $want) {
            my $re = ref $want eq 'Regexp' ? $want : expand_env($want);
            like($got, ref $re ? $re : qr/$re/s,
                 "$name - response_body_like - response is expected");
        }
    }
}

sub check_log {
    my ($block, $name, $log) = @_;
    for my $kind (qw(error_log no_error_log)) {
        my $v = sect($block, $kind);
        next unless defined $v;
        my @pats = ref $v eq 'ARRAY' ? @$v
                 : grep { length } split /\n/, $v;
        for my $p (@pats) {
            my $found = ref $p eq 'Regexp' ? $log =~ $p
                                           : index($log, $p) >= 0;
            if ($kind eq 'error_log') {
                ok($found, "$name - pattern \"$p\" matches a line in "
                           . "error.log");
            } else {
                ok(!$found, "$name - pattern \"$p\" should not match any "
                            . "line in error.log");
            }
        }
    }
}

sub run_block {
    my ($block) = @_;
    my $name = $block->name;
    $_->($block) for @BlockPreprocessors;

    stop_nginx();
    write_config($block);

    if (defined sect($block, 'must_die')) {
        my ($rc, $out) = start_nginx();
        ok($rc != 0, "$name - die ok");
        stop_nginx() if $rc == 0;
        check_log($block, $name, $out . read_log());
        return;
    }

    my ($rc, $out) = start_nginx();
    if ($rc != 0 || !wait_port()) {
        fail("$name - nginx started: $out");
        return;
    }

    if (defined(my $init = sect($block, 'init'))) {
        my $ok = eval "package main; no strict; $init; 1";
        fail("$name - init: $@") unless $ok;
    }

    my $timeout = parse_time(sect($block, 'timeout'), 3);
    my @raws;
    if (defined(my $p = sect($block, 'pipelined_requests'))) {
        my @reqs = @$p;
        my $raw = '';
        for my $k (0 .. $#reqs) {
            my $r = build_request($block, $reqs[$k]);
            $r =~ s/Connection: close\r\n/Connection: keep-alive\r\n/
                if $k < $#reqs;
            $raw .= $r;
        }
        my ($buf, $to) = exchange($raw, $timeout);
        my $i = 0;
        my $all = { status => undef, headers => {}, body => '' };
        while (my $resp = parse_response(\$buf)) {
            $all->{status} //= $resp->{status};
            $all->{body} .= $resp->{body};
            $all->{headers} = { %{ $all->{headers} }, %{ $resp->{headers} } };
            $i++;
        }
        check_response($block, $name, $all, 0, $to);
    } else {
        my $req = sect($block, 'raw_request');
        my $raw_given = defined $req;
        $req = sect($block, 'request') unless $raw_given;
        my @reqs = ref $req eq 'ARRAY' ? @$req : ($req);
        for my $i (0 .. $#reqs) {
            my $raw = $raw_given ? $reqs[$i] : build_request($block, $reqs[$i]);
            my ($buf, $to, $err) = exchange($raw, $timeout);
            if ($err) {
                fail("$name - $err");
                next;
            }
            my $resp = parse_response(\$buf)
                       || { status => undef, headers => {}, body => '' };
            my $label = @reqs > 1 ? "$name - request " . ($i + 1) : $name;
            check_response($block, $label, $resp, $i, $to);
        }
    }

    if (defined(my $w = sect($block, 'wait'))) {
        sleep parse_time($w, 0);
    }

    check_log($block, $name, read_log());
}

sub run_tests {
    make_path($ServRoot);
    for my $n (1 .. $RepeatEach) {
        for my $block (Test::Base::blocks()) {
            next if defined sect($block, 'skip_nginx');
            run_block($block);
        }
    }
    stop_nginx() unless $ENV{TEST_NGINX_NO_CLEAN};
}

END {
    # forked helpers leave with POSIX::_exit; only the runner stops nginx
    if ($$ == $RunnerPid && !$ENV{TEST_NGINX_NO_CLEAN}) {
        stop_nginx();
    }
}

1;
