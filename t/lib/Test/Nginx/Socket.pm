package Test::Nginx::Socket;

# A compact runner for Test::Nginx::Socket suites, built on Debian's
# Test::Base: the real Test::Nginx is not packaged in Debian, and our t/*.t
# files must run unchanged under either.  It supports the subset of
# sections and functions the suites use (see t/README.md) and is as strict
# as the real one about them: what that one rejects, this one rejects with
# the same message, so that a suite which passes here passes there.
# Util.pm starts nginx and runs "--- init"; this file sends the requests
# and checks the answers.

use strict;
use warnings;

use Test::Base ();
BEGIN { Test::Base->import() }

use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

use Test::Nginx::Util ();

our $VERSION = '0.02';

$Test::Nginx::Util::RunTestHelper = \&run_test_helper;

my @Functions = qw(
    run_tests repeat_each master_on master_off workers worker_connections
    log_level no_shuffle no_long_string no_root_location server_port
    server_root html_dir server_name timeout env_to_nginx
    add_block_preprocessor bail_out
);

sub import {
    my ($class, @args) = @_;
    my $caller = caller;
    no strict 'refs';
    for my $name (@Functions) {
        *{"${caller}::$name"} = \&{"Test::Nginx::Util::$name"};
    }
    for my $name (@Test::Base::EXPORT) {
        *{"${caller}::$name"} = \&{"Test::Base::$name"}
            if defined &{"Test::Base::$name"};
    }
    Test::More::plan(@args) if @args;
}

*section = \&Test::Nginx::Util::section;
*bail_out = \&Test::Nginx::Util::bail_out;

# One request, as a client sends it: the default headers, then
# more_headers, then a Content-Length for a body.
sub build_request {
    my ($name, $req, $more) = @_;
    $req =~ s/^(?:\s*#[^\n]*\n|\s+)+//;
    my ($line, $body) = split /\n/, $req, 2;
    bail_out("$name - Request line should be non-empty")
        unless defined $line && length $line;
    my ($method, $uri, $proto) = split ' ', $line;
    $uri //= '/';
    $proto //= 'HTTP/1.1';
    my $hdr = '';
    for my $h (split /\n+/, $more // '') {
        next if $h =~ /^\s*#/;
        my ($k, $v) = split /:\s*/, $h, 2;
        $hdr .= "$k: " . ($v // '') . "\r\n";
    }
    my $out = "$method $uri $proto\r\n";
    $out .= "Host: $Test::Nginx::Util::ServerName\r\n"
        unless $hdr =~ /(?:^|\n)Host:/i;
    $out .= "Connection: close\r\n" unless $hdr =~ /(?:^|\n)Connection/i;
    $out .= $hdr;
    if (defined $body && length $body && $hdr !~ /(?:^|\n)Content-Length:/) {
        $body =~ s/^\s+|\s+$//gs;
        $out .= "Content-Length: " . length($body) . "\r\n";
    }
    $out .= "\r\n";
    $out .= $body if defined $body;
    return $out;
}

# The raw requests of a block, in order.
sub requests_of {
    my ($block) = @_;
    my $name = $block->name;
    my $raw = section($block, 'raw_request');
    if (defined $raw) {
        return [ref $raw eq 'ARRAY' ? join('', @$raw) : $raw];
    }
    my $more = section($block, 'more_headers');
    my $pipelined = section($block, 'pipelined_requests');
    if ($pipelined) {
        # one connection, kept alive until the last request
        bail_out("$name - invalid entries in --- pipelined_requests")
            unless ref $pipelined eq 'ARRAY';
        my $all = '';
        for my $i (0 .. $#$pipelined) {
            my $hdr = ref $more eq 'ARRAY' ? $more->[$i] : $more;
            bail_out("--- more_headers lacks data for the $i pipelined "
                     . "request")
                unless defined $hdr || ref $more ne 'ARRAY';
            my $r = build_request($name, Test::Nginx::Util::expand_env(
                                  $pipelined->[$i], $name), $hdr);
            $r =~ s/^Connection: close\r\n/Connection: keep-alive\r\n/m
                if $i < $#$pipelined;
            $all .= $r;
        }
        return [$all];
    }
    my $req = section($block, 'request');
    bail_out("$name - request empty") unless defined $req;
    my @reqs;
    if (!ref $req) {
        @reqs = ($req);
    } elsif (ref $req eq 'ARRAY') {
        @reqs = @$req;
    } else {
        bail_out("$name - invalid ---request : MUST be string or array "
                 . "of requests");
    }
    my @out;
    for my $i (0 .. $#reqs) {
        my $hdr = $more;
        if (ref $more eq 'ARRAY') {
            $hdr = $more->[$i];
            bail_out("--- more_headers lacks data for the request")
                unless defined $hdr;
        }
        bail_out("$name - Invalid syntax. $reqs[$i] should be a string or "
                 . "an array of packets.")
            if ref $reqs[$i];
        push @out, build_request($name, $reqs[$i], $hdr);
    }
    return \@out;
}

# Sends raw bytes, reads until close or timeout: (bytes, timed out, error).
# As in the real runner the timeout is for silence, not in total: a
# response that keeps sending (an SSE ping) is read until the server
# closes.  Past $Stuck seconds in all the exchange fails instead of hanging.
our $Stuck = 300;

sub exchange {
    my ($raw, $timeout) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $Test::Nginx::Util::ServerPort)
        or return ('', 0, "$!");
    $s->syswrite($raw);
    my $sel = IO::Select->new($s);
    my $buf = '';
    my $stuck = time + $Stuck;
    while (1) {
        if (!$sel->can_read($timeout)) {
            close $s;
            return ($buf, 1);
        }
        my $n = $s->sysread($buf, 65536, length $buf);
        last unless $n;
        if (time > $stuck) {
            close $s;
            return ($buf, 0, "still sending after ${Stuck}s, the --- timeout"
                             . " is for silence");
        }
    }
    close $s;
    return ($buf, 0);
}

# One response from the front of $$bufref: {status, headers, raw, body}.
sub parse_response {
    my ($bufref) = @_;
    my $buf = $$bufref;
    return undef unless $buf =~ /\r\n\r\n/;
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    my @lines = split /\r\n/, $head;
    my $status_line = shift @lines;
    my ($status) = $status_line =~ m{^HTTP/\d\.\d\s+(\d+)};
    $status //= '';
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
    } elsif ($status eq '304' || $status eq '204'
             || ($status ne '' && $status < 200))
    {
        $body = '';
    } elsif (defined $h{'content-length'}) {
        $body = substr($rest, 0, $h{'content-length'});
        $rest = length($rest) > $h{'content-length'}
                ? substr($rest, $h{'content-length'}) : '';
    } else {
        $body = $rest;
        $rest = '';
    }
    $$bufref = $rest;
    return { status => $status, headers => \%h, raw => "$head\r\n",
             body => $body };
}

# The expected value for request idx: with more than one request every
# checked section must give one value per request.
sub indexed {
    my ($name, $value, $idx, $need_array) = @_;
    if ($need_array) {
        return $value->[$idx] if ref $value eq 'ARRAY';
        bail_out("$name - You asked for many requests, the expected "
                 . "results should be arrays as well.");
    }
    return ref $value eq 'ARRAY' ? $value->[0] : $value;
}

sub check_error_code {
    my ($block, $res, $idx, $need_array) = @_;
    my $name = $block->name;
    my $got = ($res && $res->{status}) || '';
    if (defined(my $like = section($block, 'error_code_like'))) {
        my $re = indexed($name, $like, $idx, $need_array);
        Test::More::like($got, qr/$re/sm, "$name - status code ok");
    } elsif (defined(my $code = section($block, 'error_code'))) {
        Test::More::is($got, indexed($name, $code, $idx, $need_array),
                       "$name - status code ok");
    } else {
        Test::More::is($got, 200, "$name - status code ok");
    }
}

# "Name: value" lines; "!Name" for a header that must be absent.
sub parse_headers {
    my ($text) = @_;
    my @out;
    for my $line (split /\n/, $text // '') {
        $line =~ s/^\s+|\s+$//g;
        next unless length $line;
        if ($line =~ s/^!\s*//) {
            push @out, [$line, undef];
        } else {
            my ($k, $v) = split /\s*:\s*/, $line, 2;
            push @out, [$k, $v];
        }
    }
    return @out;
}

sub check_response_headers {
    my ($block, $res, $idx, $need_array) = @_;
    my $name = $block->name;
    my $hs = $res ? $res->{headers} : {};
    if (defined(my $want = section($block, 'response_headers'))) {
        for (parse_headers(indexed($name, $want, $idx, $need_array))) {
            my ($k, $v) = @$_;
            if (!defined $v) {
                Test::More::unlike($res ? $res->{raw} : '',
                    qr/^\s*\Q$k\E\s*:/ms,
                    "$name - header $k not present in the raw headers");
                next;
            }
            $v =~ s/\$ServerPort\b/$Test::Nginx::Util::ServerPort/g;
            Test::More::is($hs->{lc $k} // '', $v, "$name - header $k ok");
        }
    } elsif (defined(my $like = section($block, 'response_headers_like'))) {
        for (parse_headers(indexed($name, $like, $idx, $need_array))) {
            my ($k, $re) = @$_;
            Test::More::like($hs->{lc $k} // '', qr/^$re$/,
                             "$name - header $k like ok");
        }
    }
}

# response_body_filters: code, a list of code, or names of Test::Base
# filters; with a list of lists, one list per request.
sub transform_body {
    my ($block, $res, $idx) = @_;
    my $f = section($block, 'response_body_filters');
    return unless defined $f && $res;
    my $name = $block->name;
    if (!ref $f) {
        $f =~ s/^\s+|\s+$//g;
        $f = [split /\s+/, $f];
    } elsif (ref $f ne 'ARRAY') {
        $f = [$f];
    }
    if (ref $f->[0] eq 'ARRAY') {
        $f = $f->[$idx];
        bail_out("$name - the ---response_body_filters two-dimensional "
                 . "array unmatch the specified request($idx)")
            unless defined $f;
    }
    my $body = $res->{body};
    for my $one (@$f) {
        if (ref $one eq 'CODE') {
            $body = $one->($body);
        } else {
            my $filter = Test::Base::Filter->can($one)
                or bail_out("$name - unknown response_body_filters $one");
            $body = Test::Base::Filter->new->$filter($body);
        }
    }
    $res->{body} = $body;
}

sub check_response_body {
    my ($block, $res, $idx, $repeat, $need_array) = @_;
    my $name = $block->name;
    my $got = $res ? $res->{body} : undef;
    if (defined(my $body = section($block, 'response_body'))) {
        my $want = indexed($name, $body, $idx, $need_array);
        if (defined $want && !ref $want) {
            $want =~ s/\$ServerPort\b/$Test::Nginx::Util::ServerPort/g;
            $want = Test::Nginx::Util::expand_env($want, $name);
        }
        my $what = "$name - response_body - %s (repeated req $repeat, "
                   . "req $idx)";
        if (ref $want) {
            Test::More::like($got, $want, sprintf($what, 'like'));
        } else {
            Test::More::is($got, $want,
                           sprintf($what, 'response is expected'));
        }
    } elsif (defined(my $like = section($block, 'response_body_like'))) {
        my $re = indexed($name, $like, $idx, $need_array);
        $re =~ s/\$ServerPort\b/$Test::Nginx::Util::ServerPort/g;
        Test::More::like($got, qr/$re/s,
                         "$name - response_body_like - response is expected");
    }
}

# The error log checked as the real runner does: against the lines logged
# since the last check (it runs after each request of an array and once at
# the end), each pattern on one line.
sub check_error_log {
    my ($block, $res, $repeat) = @_;
    my $name = $block->name;
    my $lines;
    for my $kind (qw(error_log no_error_log)) {
        my $v = section($block, $kind);
        next unless defined $v;
        my @pats;
        if (!ref $v) {
            chomp $v;
            @pats = split /\n+/, $v;
        } else {
            @pats = ref $v eq 'Regexp' ? ($v) : @$v;
        }
        $lines ||= Test::Nginx::Util::error_log_data();
        my $hit = sub {
            my ($line, $p) = @_;
            return ref $p ? $line =~ /$p/ : $line =~ /\Q$p\E/;
        };
        for my $p (grep { defined } @pats) {
            my ($line) = grep { $hit->($_, $p) } @$lines;
            if ($kind eq 'error_log') {
                Test::More::ok(defined $line, "$name - pattern \"$p\" "
                    . (defined $line ? 'matches' : 'should match')
                    . " a line in error.log (req $repeat)");
            } elsif (defined $line) {
                chomp $line;
                Test::More::fail("$name - pattern \"$p\" should not match "
                    . "any line in error.log but matches line \"$line\" "
                    . "(req $repeat)");
            } else {
                Test::More::pass("$name - pattern \"$p\" does not match a "
                                 . "line in error.log (req $repeat)");
            }
        }
    }
    $lines ||= Test::Nginx::Util::error_log_data();
    # a line at alert, crit or emerg the block does not look for is shown
    my %asked;
    for my $kind (qw(error_log no_error_log)) {
        my $v = section($block, $kind);
        next unless defined $v;
        for my $p (ref $v eq 'ARRAY' ? @$v : ($v)) {
            next unless defined $p;
            my $text = "$p";
            $asked{$1} = 1 while $text =~ /\[(alert|crit|emerg)/g;
        }
    }
    for my $line (@$lines) {
        next unless $line =~ /\[(alert|crit|emerg)\]/ && !$asked{$1};
        chomp(my $l = $line);
        warn "WARNING: $name - $l\n";
    }
    for my $line (@$lines) {
        if ($line =~ /\bAssertion .*?failed\b/) {
            chomp $line;
            Test::More::fail("$name - $line");
        }
    }
}

sub run_test_helper {
    my ($block, $repeat) = @_;
    my $name = $block->name;
    my $reqs = requests_of($block);
    my $timeout = Test::Nginx::Util::parse_time(section($block, 'timeout'))
                  // Test::Nginx::Util::timeout();
    my $pipelined = section($block, 'pipelined_requests');
    my $n = $pipelined ? @$pipelined : @$reqs;
    my $need_array = $pipelined || @$reqs > 1;
    my $ignore = defined section($block, 'ignore_response');
    my $wait = Test::Nginx::Util::parse_time(section($block, 'wait'));
    my $buf = '';

    for my $idx (0 .. $n - 1) {
        if (!$pipelined || $idx == 0) {
            my ($timed_out, $err);
            ($buf, $timed_out, $err) = exchange($reqs->[$idx], $timeout);
            if ($err && !length $buf) {
                Test::More::fail("$name - Can't connect to 127.0.0.1:"
                                 . "$Test::Nginx::Util::ServerPort: $err");
            } elsif ($err) {
                Test::More::fail("$name - $err");
            }
            if ($timed_out && !defined section($block, 'abort')) {
                Test::More::fail("ERROR: client socket timed out - $name\n");
            }
        }
        my $res = parse_response(\$buf);
        unless ($ignore) {
            check_error_code($block, $res, $idx, $need_array);
            check_response_headers($block, $res, $idx, $need_array);
            transform_body($block, $res, $idx);
            check_response_body($block, $res, $idx, $repeat, $need_array);
        }
        if ($idx < $n - 1) {
            sleep $wait if $wait;
            check_error_log($block, $res, $repeat);
        }
    }
    sleep $wait if $wait;
    check_error_log($block, undef, $repeat);
}

1;
