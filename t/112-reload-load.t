# A reload while a publisher publishes steadily and subscribers of every
# transport are held by both workers: old workers let go of their clients at
# once, each in its transport's way; clients that resume with their cursor
# get every message once, in order; counts are right afterwards.
use lib 't/helpers';
use PushTest;
use IO::Select;
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

master_on();
workers(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: reload under load: prompt ends, nothing lost, no duplicate, counts right
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 1000;
    }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber sse websocket longpoll stream;
        push_channel $ch;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
# One client per transport and worker, driven from one select loop.  A
# message "mK" has seq K + 1 (m0 opens the channel), so a WebSocket client,
# whose frames carry no ids, knows its cursor too.
our ($N, $epoch, @clients, $poll_number) = (150);

sub start_client {
    my ($c, $s) = @_;
    $s ||= push_connect();
    my $cursor = "$epoch:" . ($c->{last} + 1);
    @$c{qw(sock buf head end)} = ($s, '', undef, undef);
    if ($c->{kind} eq 'ws') {
        my ($ws, $head) = push_ws_open("/sub/load?last_event_id=$cursor",
                                       [], '', $s);
        die "ws: $head\n" unless $head =~ / 101 /;
        $c->{buf} = ${*$ws}{push_rest} // '';
        $c->{head} = $head;
    } elsif ($c->{kind} eq 'sse') {
        push_send($s, 'GET', '/sub/load', undef,
                  ['Accept: text/event-stream', "Last-Event-ID: $cursor"]);
    } elsif ($c->{kind} eq 'stream') {
        push_send($s, 'GET', '/sub/load?transport=stream');
    } else {
        # numbered, so the access log tells whether nginx read it
        $c->{n} = ++$poll_number;
        push_send($s, 'GET', "/sub/load?n=$c->{n}", undef,
                  ["If-None-Match: \"$cursor\""]);
    }
}

sub got_message {
    my ($c, $k) = @_;
    push @{ $c->{got} }, $k;
    $c->{last} = $k if $k > $c->{last};
}

# Takes chunks off the body; returns 1 at the last chunk.
sub dechunk {
    my ($c) = @_;
    while ($c->{buf} =~ /\A([0-9a-f]+)\r\n/i) {
        my ($hex, $n) = ($1, hex $1);
        my $at = length($hex) + 2;
        return 1 if $n == 0 && length $c->{buf} >= $at + 2;
        last if length $c->{buf} < $at + $n + 2;
        $c->{text} .= substr($c->{buf}, $at, $n);
        substr($c->{buf}, 0, $at + $n + 2) = '';
    }
    return 0;
}

# What the client has read so far; returns 1 when its connection is done.
sub feed {
    my ($c, $eof) = @_;
    if ($c->{kind} ne 'ws' && !defined $c->{head}) {
        if ($c->{buf} !~ s/\A(.*?\r\n\r\n)//s) {
            # a poll sent again on a keep-alive connection the old worker
            # closed before reading it: a client retries on a new one
            $c->{end} = "unread$c->{n}"
                if $eof && $c->{kind} eq 'lp' && $c->{buf} eq '';
            return $eof;
        }
        $c->{head} = $1;
        $c->{text} = '';
    }
    if ($c->{kind} eq 'ws') {
        while (length $c->{buf} >= 2) {
            my ($b0, $b1) = unpack 'CC', $c->{buf};
            my ($len, $at) = ($b1 & 0x7f, 2);
            ($len, $at) = (unpack('n', substr($c->{buf}, 2, 2)), 4)
                if $len == 126;
            last if length $c->{buf} < $at + $len;
            my $payload = substr($c->{buf}, $at, $len);
            substr($c->{buf}, 0, $at + $len) = '';
            my $op = $b0 & 0x0f;
            got_message($c, $1) if $op == 1 && $payload =~ /^m(\d+)$/;
            $c->{end} = 'close' . unpack('n', $payload) if $op == 8;
        }
        return $eof;
    }
    if ($c->{kind} eq 'lp') {
        my ($len) = $c->{head} =~ /^Content-Length:\s*(\d+)/mi;
        $len //= 0;
        return $eof if length $c->{buf} < $len;
        my ($status) = $c->{head} =~ m{^HTTP/1\.1 (\d+)};
        my ($etag) = $c->{head} =~ /^Etag: "\w+:(\d+)"/mi;
        my $body = substr($c->{buf}, 0, $len, '');
        got_message($c, $1) if $status == 200 && $body =~ /^m(\d+)$/;
        $c->{end} = "answered$status";
        return 1 if $c->{head} =~ /^Connection: close/mi;
        start_client($c, $c->{sock});        # poll again, same connection
        return 0;
    }
    my $last = dechunk($c);
    while ($c->{text} =~ s/\A(.*?)\n\n//s) {
        my $ev = $1;
        next unless $ev =~ /data: m(\d+)/;
        my $k = $1;
        if ($c->{kind} eq 'sse') {
            my ($seq) = $ev =~ /^id: \w+:(\d+)$/m;
            $c->{bad_id}++ unless defined $seq && $seq == $k + 1;
        }
        got_message($c, $k);
    }
    if ($c->{kind} eq 'stream') {
        got_message($c, $1) while $c->{text} =~ s/\Am(\d+)\n//;
    }
    $c->{end} = 'last-chunk' if $last;
    return $eof || $last;
}

push_verdict(sub {
    my ($runner) = @_;
    $epoch = push_epoch(push_request('POST', '/pub/load', 'm0'));
    my %old;
    for my $kind (qw(sse ws lp stream)) {
        my $by = push_by_worker('/pid', 2);
        die "one worker only\n" unless keys %$by == 2;
        for my $pid (sort keys %$by) {
            $old{$pid} = 1;
            my $c = { kind => $kind, got => [], last => 0, worker => $pid };
            start_client($c, $by->{$pid});
            push @clients, $c;
        }
    }
    push_wait_subscribers('/pub/load', 8) or die "not all subscribed\n";

    my $publisher = push_in_background(sub {
        # a connection per message: a keep-alive one may be an old
        # worker's, closed by the reload between two requests
        for my $i (1 .. $N) {
            my $r = push_request('POST', '/pub/load', "m$i");
            die "publish m$i: " . ($r ? $r->{status} : 'no answer') . "\n"
                unless $r && $r->{status} =~ /^20[12]$/;
            sleep 0.01;
        }
    });

    my ($hup, $deadline, $published) = (undef, time + 15, 0);
    my $t0 = time;
    my @ended;
    while (time < $deadline) {
        if (!$hup && time - $t0 > 0.5) {
            kill 'HUP', push_master_pid();
            $hup = time;
        }
        if (!$published && waitpid($publisher, 1) == $publisher) {
            $published = $? == 0 ? 1 : -1;
        }
        my @live = grep { $_->{sock} } @clients;
        last if $published && !grep { $_->{kind} ne 'stream'
                                       && $_->{last} < $N } @clients;
        my $sel = IO::Select->new(map { $_->{sock} } @live);
        for my $s ($sel->can_read(0.05)) {
            my ($c) = grep { $_->{sock} && $_->{sock} == $s } @live;
            my $n = $s->sysread($c->{buf}, 65536, length $c->{buf});
            next unless feed($c, !$n);
            # this connection is over: note how and when, then resume
            close $s;
            $c->{sock} = undef;
            push @ended, { kind => $c->{kind}, worker => $c->{worker},
                           end => $c->{end} // 'cut',
                           after => $hup ? time - $hup : -1 };
            next if $c->{kind} eq 'stream';
            $c->{worker} = 'new';
            start_client($c);
        }
    }

    my @out = ("published=$published");
    # every old-worker connection ended promptly, each in its own way
    my %want = (sse => 'last-chunk', ws => 'close1001', stream => 'last-chunk',
                lp => 'answered');
    my @old_ends = grep { $_->{worker} ne 'new' } @ended;
    # a poll nginx never read is that keep-alive race, and no subscriber;
    # one it read and did not answer was cut
    my $log = do {
        open my $fh, '<', push_servroot() . '/logs/access.log' or die $!;
        local $/;
        <$fh>;
    };
    for my $e (@old_ends) {
        next unless $e->{end} =~ /^unread(\d+)$/;
        $e->{end} = $log =~ /[?&]n=$1 / ? 'cut' : 'answered-before';
    }
    my $prompt = grep { $_->{after} >= 0 && $_->{after} < 3 } @old_ends;
    my $proper = grep { index($_->{end}, $want{$_->{kind}}) == 0 } @old_ends;
    push @out, "old_ended=" . scalar(@old_ends) . " prompt=$prompt proper=$proper";
    push @out, map { "($_->{kind}:$_->{end})" }
               grep { index($_->{end}, $want{$_->{kind}}) != 0 } @old_ends;
    for my $kind (qw(sse ws lp)) {
        my $exact = grep { $_->{kind} eq $kind
                           && join(',', @{ $_->{got} }) eq join(',', 1 .. $N)
                           && !$_->{bad_id} } @clients;
        push @out, "$kind=$exact";
    }
    # the old worker that does not carry this request is gone
    my ($other) = grep { $_ != $runner } keys %old;
    my $gone = 0;
    for (1 .. 50) { $gone = 1, last unless kill 0, $other; sleep 0.1 }
    push @out, "old_gone=$gone";
    # six resumed subscribers (not doubled), then none
    push @out, "six=" . push_wait_subscribers('/pub/load', 6, 3);
    close $_->{sock} for grep { $_->{sock} } @clients;
    push @out, "zero=" . push_wait_subscribers('/pub/load', 0, 3);
    return "@out";
});
--- request
GET /result
--- response_body
published=1 old_ended=8 prompt=8 proper=8 sse=2 ws=2 lp=2 old_gone=1 six=1 zero=1
--- timeout: 25
--- no_error_log
[error]
[alert]



=== TEST 2: a subscriber whose request completes after the reload began is let go at once too
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ {
        push_subscriber sse websocket longpoll stream;
        push_channel $ch;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
push_verdict(sub {
    my ($runner) = @_;
    # requests begun in the worker that does not carry this block's
    # request; a connection in the middle of its headers is not idle, so
    # the reload leaves it be and the request completes in an exiting worker
    my %head = (
        lp => "GET /sub/late HTTP/1.1\r\nHost: x\r\n",
        sse => "GET /sub/late HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n",
        stream => "GET /sub/late?transport=stream HTTP/1.1\r\nHost: x\r\n",
        ws => "GET /sub/late HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
              . "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
              . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
    my (%sock, $other);
    for my $kind (sort keys %head) {
        my $by = push_by_worker('/pid', 2);
        ($other) = grep { $_ != $runner } keys %$by;
        die "one worker only\n" unless $other;
        $sock{$kind} = $by->{$other};
        $sock{$kind}->syswrite($head{$kind});
    }
    sleep 0.2;
    kill 'HUP', push_master_pid();
    sleep 0.5;
    my $t0 = time;
    $sock{$_}->syswrite("\r\n") for sort keys %head;
    my @out;
    for my $kind (sort keys %head) {
        my $all = push_read_until($sock{$kind}, undef, 5);
        my $end = $kind eq 'ws' ? ($all =~ /\x88[\x02-\x7d]\x03\xe9/ ? '1001' : 'none')
                : $kind eq 'lp' ? ($all =~ m{^HTTP/1.1 (\d+)} ? $1 : 'none')
                : ($all =~ /\r\n0\r\n\r\n\z/ ? 'last-chunk' : 'cut');
        push @out, "$kind=$end";
    }
    push @out, 'fast=' . (time - $t0 < 3 ? 1 : 0);
    my $gone = 0;
    for (1 .. 30) { $gone = 1, last unless kill 0, $other; sleep 0.1 }
    return "@out old_gone=$gone";
});
--- request
GET /result
--- response_body
lp=304 sse=last-chunk stream=last-chunk ws=1001 fast=1 old_gone=1
--- timeout: 30
--- no_error_log
[error]
[alert]
