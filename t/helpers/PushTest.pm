package PushTest;

# Raw-socket helpers the suites use from "--- init" helpers: plain HTTP/1.1
# to the test nginx on loopback, with bounded waits everywhere.

use strict;
use warnings;

use IO::Socket::INET;
use IO::Select;
use POSIX ();
use Time::HiRes qw(time sleep);

our @EXPORT = qw(push_connect push_send push_read push_request
                 push_wait_subscribers push_by_worker push_in_background
                 push_report push_master_pid push_etag push_get
                 push_read_until push_epoch push_verdict push_servroot
                 push_ws_open push_ws_send push_ws_frame ws_frame_bytes);

# Test::Nginx evaluates "--- init" code in package Test::Nginx::Util, not in
# the suite's: the helpers go there too, so that blocks may call them
# unqualified under either runner, and so does Time::HiRes's time, which
# blocks measure with (there "time" is otherwise the builtin's whole
# seconds, whatever the suite imported into main).
sub import {
    my $caller = caller;
    no strict 'refs';
    for my $pkg ($caller, 'Test::Nginx::Util') {
        *{"${pkg}::$_"} = \&{"PushTest::$_"} for @EXPORT;
    }
    *{"Test::Nginx::Util::time"} = \&Time::HiRes::time;
}

sub port {
    return $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
}

# A connection to the test server; retries while nginx starts.
sub push_connect {
    my $deadline = time + 5;
    while (time < $deadline) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => port(), Proto => 'tcp');
        return $s if $s;
        sleep 0.02;
    }
    die "cannot connect to 127.0.0.1:" . port() . ": $!\n";
}

# Writes one request; headers is an arrayref of "Name: value" strings.
sub push_send {
    my ($sock, $method, $path, $body, $headers) = @_;
    # a path ending in " HTTP/1.0" asks for an unchunked stream
    my $req = $path =~ m{ HTTP/1\.0$} ? "$method $path\r\n"
                                      : "$method $path HTTP/1.1\r\n";
    $req .= "Host: localhost\r\n";
    $req .= "$_\r\n" for @{ $headers || [] };
    if (defined $body) {
        $req .= "Content-Length: " . length($body) . "\r\n";
    }
    $req .= "\r\n" . (defined $body ? $body : '');
    $sock->syswrite($req) == length($req) or die "short write\n";
}

# Reads one response (Content-Length or empty body); undef on timeout.
sub push_read {
    my ($sock, $timeout) = @_;
    my $deadline = time + ($timeout || 5);
    my $sel = IO::Select->new($sock);
    my $buf = '';
    my ($head, $len);

    while (1) {
        if (!defined $head && $buf =~ /\r\n\r\n/) {
            ($head, $buf) = split /\r\n\r\n/, $buf, 2;
            $len = $head =~ /^Content-Length:\s*(\d+)/mi ? $1 : 0;
        }
        if (defined $head && length($buf) >= $len) {
            my ($status) = $head =~ m{^HTTP/1\.\d (\d+)};
            my %h;
            for (split /\r\n/, $head) {
                $h{lc $1} = $2 if /^([^:]+):\s*(.*)$/;
            }
            my $body = substr($buf, 0, $len);
            # keep what follows for the next response on this connection
            ${*$sock}{push_rest} = substr($buf, $len);
            return { status => $status, headers => \%h, body => $body,
                     at => time };
        }
        my $left = $deadline - time;
        return undef if $left <= 0;
        if (defined ${*$sock}{push_rest} && length ${*$sock}{push_rest}) {
            $buf .= ${*$sock}{push_rest};
            ${*$sock}{push_rest} = '';
            next;
        }
        next unless $sel->can_read($left);
        my $n = $sock->sysread($buf, 65536, length $buf);
        return undef unless $n;
    }
}

sub push_request {
    my ($method, $path, $body, $headers) = @_;
    my $s = push_connect();
    push_send($s, $method, $path, $body, [@{ $headers || [] },
                                          'Connection: close']);
    my $r = push_read($s, 5);
    close $s;
    return $r;
}

# Waits until channel info (GET on a publisher path) says n subscribers.
sub push_wait_subscribers {
    my ($pub, $n, $timeout) = @_;
    my $deadline = time + ($timeout || 5);
    while (time < $deadline) {
        my $r = eval { push_request('GET', $pub) };
        if ($r && $r->{status} == 200
            && $r->{body} =~ /"subscribers":(\d+)/ && $1 == $n)
        {
            return 1;
        }
        sleep 0.01;
    }
    return 0;
}

# Keep-alive connections, one per worker process, found by asking a
# location that answers $pid; returns { pid => socket }.
sub push_by_worker {
    my ($pid_path, $want) = @_;
    my (%by, @extra);
    for (1 .. 64) {
        my $s = push_connect();
        push_send($s, 'GET', $pid_path);
        my $r = push_read($s, 5) or next;
        my $pid = $r->{body};
        $pid =~ s/\s+//g;
        if (!$by{$pid}) {
            $by{$pid} = $s;
        } else {
            push @extra, $s;
        }
        last if keys %by >= $want;
    }
    close $_ for @extra;
    return \%by;
}

# Runs code in a child that leaves with _exit, so that the parent's END
# blocks (which stop nginx) never run in it.
sub push_in_background {
    my ($code) = @_;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    return $pid if $pid;
    my $ok = eval { $code->(); 1 };
    warn "push helper: $@" unless $ok;
    POSIX::_exit($ok ? 0 : 1);
}

# Raw bytes until the text read so far matches re, the peer closes, or the
# timeout passes; returns what was read.
sub push_read_until {
    my ($sock, $re, $timeout) = @_;
    my $deadline = time + ($timeout || 5);
    my $sel = IO::Select->new($sock);
    my $buf = '';
    while (!defined $re || $buf !~ $re) {
        my $left = $deadline - time;
        last if $left <= 0 || !$sel->can_read($left);
        my $n = $sock->sysread($buf, 65536, length $buf);
        last unless $n;
    }
    return $buf;
}

# The zone's epoch, from a publish answer's last_message_id.
sub push_epoch {
    my ($r) = @_;
    return $r->{body} =~ /"last_message_id":"(\w+):/ ? $1 : undef;
}

# For scenarios that reload nginx or kill a worker: the block's request is
# proxied to a one-shot upstream run here (a proxied request is not idle, so
# a reload lets it finish).  nginx passes the pid of the worker that carries
# it as X-Worker; code gets it and returns the answer's body.
sub push_verdict {
    my ($code) = @_;
    my $port = $ENV{TEST_NGINX_VERDICT_PORT} || 1989;
    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                       LocalPort => $port, Listen => 8,
                                       ReuseAddr => 1)
        or die "verdict port $port: $!\n";
    push_in_background(sub {
        my $sel = IO::Select->new($listen);
        $sel->can_read(20) or die "nobody asked for the verdict\n";
        my $c = $listen->accept or die "accept: $!\n";
        my $head = push_read_until($c, qr/\r\n\r\n/, 5);
        my ($worker) = $head =~ /^X-Worker:\s*(\d+)/mi;
        my $text = eval { $code->($worker) };
        $text = "helper died: $@" unless defined $text;
        $text .= "\n";
        $c->syswrite("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                     . "Content-Length: " . length($text) . "\r\n"
                     . "Connection: close\r\n\r\n$text");
        close $c;
    });
    close $listen;
}

# The server root the runner uses: both runners keep it in
# $Test::Nginx::Util::ServRoot; neither exports it to the environment.
sub push_servroot {
    no warnings 'once';
    return $Test::Nginx::Util::ServRoot // 't/servroot';
}

# A WebSocket client frame: masked, as RFC 6455 requires of clients.
sub ws_frame_bytes {
    my ($opcode, $payload, $fin, $mask) = @_;
    $fin = 1 unless defined $fin;
    $mask = pack('N', 0x37fa213d) unless defined $mask;
    my $len = length $payload;
    my $f = chr(($fin ? 0x80 : 0) | $opcode);
    if ($len < 126) {
        $f .= chr(0x80 | $len);
    } elsif ($len < 65536) {
        $f .= chr(0x80 | 126) . pack('n', $len);
    } else {
        $f .= chr(0x80 | 127) . pack('NN', 0, $len);
    }
    my $m = $payload ^ substr($mask x (int($len / 4) + 1), 0, $len);
    return $f . $mask . $m;
}

# Opens a WebSocket: returns (socket, response head); extra is raw bytes
# written right after the handshake, in the same write.
sub push_ws_open {
    my ($path, $headers, $extra, $s) = @_;
    $s ||= push_connect();
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\n"
              . "Upgrade: websocket\r\nConnection: Upgrade\r\n"
              . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              . "Sec-WebSocket-Version: 13\r\n";
    $req .= "$_\r\n" for @{ $headers || [] };
    $req .= "\r\n" . ($extra // '');
    $s->syswrite($req);
    my $head = push_read_until($s, qr/\r\n\r\n/, 3);
    my $rest = $head =~ s/\A(.*?\r\n\r\n)//s ? $head : '';
    ${*$s}{push_rest} = $rest;
    return ($s, $1 // $head);
}

sub push_ws_send {
    my ($s, $opcode, $payload, $fin) = @_;
    my $f = ws_frame_bytes($opcode, $payload, $fin);
    $s->syswrite($f) == length $f or die "short write\n";
}

# One server frame: [opcode, payload, fin], or undef on timeout or close.
sub push_ws_frame {
    my ($s, $timeout) = @_;
    my $buf = ${*$s}{push_rest} // '';
    my $deadline = time + ($timeout || 3);
    my $sel = IO::Select->new($s);
    while (1) {
        if (length $buf >= 2) {
            my ($b0, $b1) = unpack('CC', $buf);
            my $len = $b1 & 0x7f;
            my $at = 2;
            if ($len == 126 && length $buf >= 4) {
                $len = unpack('n', substr($buf, 2, 2));
                $at = 4;
            } elsif ($len == 127 && length $buf >= 10) {
                my ($hi, $lo) = unpack('NN', substr($buf, 2, 8));
                $len = $hi * 4294967296 + $lo;
                $at = 10;
            }
            if (($len < 126 || $at > 2) && length $buf >= $at + $len) {
                my $payload = substr($buf, $at, $len);
                ${*$s}{push_rest} = substr($buf, $at + $len);
                return [$b0 & 0x0f, $payload, $b0 >> 7];
            }
        }
        my $left = $deadline - time;
        return undef if $left <= 0 || !$sel->can_read($left);
        my $n = $s->sysread($buf, 65536, length $buf);
        return undef unless $n;
    }
}

# The master's pid, as the runner's nginx wrote it.
sub push_master_pid {
    my $root = push_servroot();
    open my $fh, '<', "$root/logs/nginx.pid" or die "no pid file: $!\n";
    my $pid = <$fh>;
    chomp $pid;
    return $pid;
}

# The cursor of a poll answer, without its quotes.
sub push_etag {
    my ($r) = @_;
    my $e = $r->{headers}{etag} // '';
    $e =~ s/"//g;
    return $e;
}

# GET with an optional cursor sent as If-None-Match.
sub push_get {
    my ($path, $cursor) = @_;
    return push_request('GET', $path, undef,
                        defined $cursor ? ["If-None-Match: \"$cursor\""]
                                        : []);
}

# Publishes a helper's verdict to a channel the block's request reads.
sub push_report {
    my ($pub, $text) = @_;
    push_request('POST', $pub, "$text\n");
}

1;
