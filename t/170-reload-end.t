# A reload ends every subscriber of an old worker, whatever carries it
# (HTTP/1, HTTP/2, an SSI subrequest), in its transport's way, and the old
# worker exits; answers already being written are never cut short.
use lib 't/helpers';
use PushTest;
use IO::Select;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;
$ENV{TEST_NGINX_H2_PORT} ||= 1986;
$ENV{TEST_NGINX_SLOW_PORT} ||= 1987;

# Helpers of this suite, called as main::name from "--- init" (which the
# real Test::Nginx runs in its own package).

# The processes whose parent is ppid.
sub children {
    my ($ppid) = @_;
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // next;
        push @pids, $1 if $line =~ /^(\d+) \(.*\) \S (\d+) / && $2 == $ppid;
    }
    return @pids;
}

sub parent_of {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or die "no process $pid\n";
    my $line = <$fh>;
    return $line =~ /^\d+ \(.*\) \S (\d+) / ? $1 : die "bad stat\n";
}

sub alive { return -e "/proc/$_[0]" }

# An old worker has closed its listening sockets once its title says so:
# nginx sets it and closes them in the same step.
sub shutting_down {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/cmdline" or return 1;
    local $/;
    my $title = <$fh> // '';
    return $title =~ /shutting down/;
}

# Polls cond until it holds or seconds pass; returns whether it held.
sub wait_for {
    my ($cond, $seconds) = @_;
    my $deadline = time + $seconds;
    while (time < $deadline) {
        return 1 if $cond->();
        sleep 0.02;
    }
    return $cond->() ? 1 : 0;
}

sub answer {
    my ($c, $text) = @_;
    $c->syswrite("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                 . "Content-Length: " . length($text) . "\r\n"
                 . "Connection: close\r\n\r\n$text");
    close $c;
}

sub accept_verdict {
    my ($listen) = @_;
    IO::Select->new($listen)->can_read(30) or die "nobody asked\n";
    my $c = $listen->accept or die "accept: $!\n";
    my $head = PushTest::push_read_until($c, qr/\r\n\r\n/, 5);
    my ($worker) = $head =~ /^X-Worker:\s*(\d+)/mi;
    return ($c, $worker);
}

# A block of two requests, both proxied to a helper here.  The first
# (carried by some worker) sets clients up with setup, reloads, and is
# answered once every old worker has stopped listening, so that the second
# reaches a new worker; check then gets setup's result, the old workers and
# the time of the HUP, and its text answers the second.  Old workers must
# exit with nothing of the test holding them.
sub reload_verdict {
    my ($setup, $check) = @_;
    my $listen = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => $ENV{TEST_NGINX_VERDICT_PORT},
        Listen => 8, ReuseAddr => 1)
        or die "verdict port: $!\n";
    PushTest::push_in_background(sub {
        my ($c, $worker) = accept_verdict($listen);
        my $master = parent_of($worker);
        my $state = $setup->();
        my @old = children($master);
        my $t0 = time;
        kill 'HUP', $master;
        wait_for(sub { !grep { alive($_) && !shutting_down($_) } @old }, 10)
            or die "old workers never began to shut down\n";
        answer($c, "reloaded\n");
        my $text = eval { $check->($state, \@old, $t0) };
        $text = "helper died: $@" unless defined $text;
        ($c) = accept_verdict($listen);
        answer($c, "$text\n");
    });
    close $listen;
}

# curl over h2c (prior knowledge); returns [handle, pid].
sub h2_curl {
    my ($path, $write_out, @args) = @_;
    my $pid = open(my $fh, '-|', 'curl', '-sN', '--http2-prior-knowledge',
                   '-m', '15', '-w', $write_out, @args,
                   "http://127.0.0.1:$ENV{TEST_NGINX_H2_PORT}$path")
        or die "curl: $!\n";
    return [$fh, $pid];
}

# All curl wrote, and its exit code (0: the stream ended cleanly).
sub h2_finish {
    my ($curl) = @_;
    my $fh = $curl->[0];
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return ($out, $? >> 8);
}

sub dechunk {
    my ($body) = @_;
    my $out = '';
    while ($body =~ s/\A([0-9a-f]+)\r\n//i) {
        my $n = hex $1;
        return ($out, 1) if $n == 0;
        $out .= substr($body, 0, $n, '');
        $body =~ s/\A\r\n//;
    }
    return ($out, 0);
}

# A client on the slow listener (sndbuf=8k) that reads 4 KB at a time,
# slowly: returns its socket; slow_read reads the whole response.
sub slow_socket {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_SLOW_PORT})
        or die "slow: $!\n";
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4096);
    return $s;
}

# Reads everything until the peer closes, 4 KB every 5 ms; calls at once
# after the first after_bytes bytes (the reload).
sub slow_read {
    my ($s, $after_bytes, $at) = @_;
    my ($buf, $fired) = ('', 0);
    my $sel = IO::Select->new($s);
    my $deadline = time + 20;
    while (time < $deadline) {
        last unless $sel->can_read($deadline - time);
        my $n = $s->sysread($buf, 4096, length $buf);
        last unless $n;
        if ($at && !$fired && length $buf >= $after_bytes) {
            $fired = 1;
            $at->();
        }
        sleep 0.005;
    }
    return $buf;
}

master_on();
workers(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: HTTP/2 subscribers (SSE, stream, long-poll) and a WebSocket end on reload; old workers exit
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_H2_PORT http2;
        location ~ ^/sub/(?<ch>\w+)$ {
            push_subscriber sse stream longpoll;
            push_channel $ch;
            push_sse_retry off;
            push_stream_footer "bye\n";
            push_longpoll_timeout 60s;
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber sse websocket;
        push_channel $ch;
        push_sse_retry off;
    }
    location = /start {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 60s;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
main::reload_verdict(sub {
    my %c;
    $c{sse} = main::h2_curl('/sub/h2', '%{http_version}',
                            '-H', 'Accept: text/event-stream');
    $c{stream} = main::h2_curl('/sub/h2?transport=stream', '%{http_version}');
    $c{poll} = main::h2_curl('/sub/h2?transport=longpoll', '%{http_code}',
                             '-o', '/dev/null');
    ($c{ws}, my $head) = PushTest::push_ws_open('/sub/h2');
    die "ws: $head\n" unless $head =~ / 101 /;
    $c{h1} = PushTest::push_connect();
    PushTest::push_send($c{h1}, 'GET', '/sub/h2', undef,
                        ['Accept: text/event-stream']);
    PushTest::push_wait_subscribers('/pub/h2', 5, 10)
        or die "never subscribed\n";
    # the long-poll stays parked: published to before it is answered
    my $r = PushTest::push_request('POST', '/pub/h2', 'before');
    $c{h1_seen} = PushTest::push_read_until($c{h1}, qr/data: before/, 5);
    PushTest::push_wait_subscribers('/pub/h2', 4, 10)
        or die "long-poll was not answered\n";
    ($c{poll_first}) = main::h2_finish($c{poll});
    $c{poll} = main::h2_curl('/sub/h2?transport=longpoll', '%{http_code}',
                             '-o', '/dev/null');
    PushTest::push_wait_subscribers('/pub/h2', 5, 10)
        or die "long-poll did not come back\n";
    return \%c;
}, sub {
    my ($c, $old, $t0) = @_;
    my $gone = main::wait_for(sub { !grep { main::alive($_) } @$old }, 8);
    my $fast = $gone && time - $t0 < 8 ? 1 : 0;
    my @out = ("workers_gone=$gone");
    my ($sse, $sse_rc) = main::h2_finish($c->{sse});
    $sse =~ s/[0-9a-f]{8}:/E:/;
    my ($h1) = main::dechunk(($c->{h1_seen}
                              . PushTest::push_read_until($c->{h1}, undef, 5))
                             =~ s/\A.*?\r\n\r\n//sr);
    $h1 =~ s/[0-9a-f]{8}:/E:/;
    push @out, "sse_rc=$sse_rc", "sse_like_h1=" . ($sse eq "${h1}2" ? 1 : 0);
    my ($stream, $stream_rc) = main::h2_finish($c->{stream});
    push @out, "stream_rc=$stream_rc",
               "stream=" . ($stream eq "before\nbye\n2" ? 'footer' : $stream);
    my ($poll, $poll_rc) = main::h2_finish($c->{poll});
    push @out, "poll=$c->{poll_first},$poll";
    # the message, then the close frame
    my @f = map { PushTest::push_ws_frame($c->{ws}, 5) } 1 .. 2;
    push @out, 'ws=' . join ',', map {
        !$_ ? 'none' : $_->[0] == 8 ? '8:' . unpack('n', $_->[1]) : $_->[1]
    } @f;
    return "@out";
});
--- request eval
["GET /start", "GET /result"]
--- response_body eval
["reloaded\n",
"workers_gone=1 sse_rc=0 sse_like_h1=1 stream_rc=0 stream=footer poll=200,304 ws=before,8:1001\n"]
--- timeout: 40
--- no_error_log eval
["[error]", "[error]"]



=== TEST 2: subscribers included through SSI end on reload; the page ends; old workers exit
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber stream longpoll;
        push_channel $ch;
        push_stream_footer "bye\n";
        push_longpoll_timeout 60s;
    }
    location = /page {
        ssi on;
        default_type text/html;
        return 200 '<<!--# include virtual="/sub/inc1?transport=stream" -->|<!--# include virtual="/sub/inc2?transport=longpoll" -->>';
    }
    location = /start {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 60s;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
main::reload_verdict(sub {
    my $s = PushTest::push_connect();
    PushTest::push_send($s, 'GET', '/page');
    PushTest::push_wait_subscribers("/pub/inc$_", 1, 10)
        or die "include $_ never subscribed\n" for 1, 2;
    PushTest::push_request('POST', '/pub/inc1', 'one');
    my $seen = PushTest::push_read_until($s, qr/one/, 5);
    return [$s, $seen];
}, sub {
    my ($c, $old, $t0) = @_;
    my $gone = main::wait_for(sub { !grep { main::alive($_) } @$old }, 8);
    my $all = $c->[1] . PushTest::push_read_until($c->[0], undef, 10);
    $all =~ s/\A.*?\r\n\r\n//s;
    my ($page, $ended) = main::dechunk($all);
    return "workers_gone=$gone ended=$ended page=$page";
});
--- request eval
["GET /start", "GET /result"]
--- response_body eval
["reloaded\n", "workers_gone=1 ended=1 page=<one\nbye\n|>\n"]
--- timeout: 40
--- no_error_log eval
["[error]", "[error]"]



=== TEST 3: a reload does not cut off long-poll, SSE and stream answers still being written
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_SLOW_PORT sndbuf=8k;
        location ~ ^/sub/(?<ch>\w+)$ {
            push_subscriber longpoll sse stream;
            push_channel $ch;
            push_sse_retry off;
            push_stream_footer "bye\n";
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        client_max_body_size 1m;
        client_body_buffer_size 1m;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 60s;
    }
--- init
PushTest::push_verdict(sub {
    my ($worker) = @_;
    my $master = main::parent_of($worker);
    my $body = 'x' x 200000;
    my $hup = sub { kill 'HUP', $master };
    my @out;
    # the same long-poll answer without, then with a reload while it is
    # being written
    for my $reload (0, 1) {
        my $s = main::slow_socket();
        PushTest::push_send($s, 'GET', "/sub/lp$reload", undef,
                            ['Connection: close']);
        PushTest::push_wait_subscribers("/pub/lp$reload", 1, 10)
            or die "never subscribed\n";
        PushTest::push_request('POST', "/pub/lp$reload", $body);
        my $got = main::slow_read($s, 8192, $reload ? $hup : undef);
        $got =~ s/\A.*?\r\n\r\n//s;
        push @out, "poll$reload=" . length $got;
    }
    # an SSE stream ended by a DELETE with a large event still unsent
    my $s = main::slow_socket();
    PushTest::push_send($s, 'GET', '/sub/sse HTTP/1.0', undef,
                        ['Accept: text/event-stream']);
    PushTest::push_wait_subscribers('/pub/sse', 1, 10)
        or die "never subscribed\n";
    PushTest::push_request('POST', '/pub/sse', $body);
    PushTest::push_request('DELETE', '/pub/sse');
    my $got = main::slow_read($s, 8192, $hup);
    my $whole = $got =~ /\ndata: (x+)\n\nevent: deleted\ndata: \n\n\z/ && length $1 == 200000
                ? 1 : 0;
    push @out, "sse_whole=$whole";
    # and an HTTP stream, whose footer follows
    $s = main::slow_socket();
    PushTest::push_send($s, 'GET', '/sub/st?transport=stream HTTP/1.0');
    PushTest::push_wait_subscribers('/pub/st', 1, 10)
        or die "never subscribed\n";
    PushTest::push_request('POST', '/pub/st', $body);
    PushTest::push_request('DELETE', '/pub/st');
    $got = main::slow_read($s, 8192, $hup);
    $whole = $got =~ /\r\n\r\n(x+)\nbye\n\z/ && length $1 == 200000 ? 1 : 0;
    push @out, "stream_whole=$whole";
    return "@out";
});
--- request
GET /result
--- response_body
poll0=200000 poll1=200000 sse_whole=1 stream_whole=1
--- timeout: 40
--- no_error_log
[error]



=== TEST 4: a subscriber whose request completes in an old worker after the reload began is ended at once
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry off;
    }
    location = /start {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 60s;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
main::reload_verdict(sub {
    # a keep-alive connection, then half of a second request on it: not
    # idle, so the old worker keeps it and reads the rest after the reload
    my $s = PushTest::push_connect();
    PushTest::push_send($s, 'GET', '/pid');
    my $r = PushTest::push_read($s, 5) or die "no pid\n";
    $s->syswrite("GET /sub/late HTTP/1.1\r\nHost: localhost\r\n");
    return [$s, $r->{body}];
}, sub {
    my ($c, $old, $t0) = @_;
    my ($s, $pid) = @$c;
    $s->syswrite("Accept: text/event-stream\r\n\r\n");
    my $all = PushTest::push_read_until($s, qr/\r\n0\r\n\r\n\z/, 5);
    my $ended = $all =~ m{\AHTTP/1\.1 200 .*\r\n0\r\n\r\n\z}s ? 1 : 0;
    my $gone = main::wait_for(sub { !main::alive($pid) }, 8);
    return "ended=$ended worker_gone=$gone";
});
--- request eval
["GET /start", "GET /result"]
--- response_body eval
["reloaded\n", "ended=1 worker_gone=1\n"]
--- timeout: 40
--- no_error_log eval
["[error]", "[error]"]
