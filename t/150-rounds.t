# Wake-up rounds: a round visits several channels and any delivery may end
# the subscriber it was given; a message at a subscriber's cursor is never
# sent again.
use lib 't/helpers';
use PushTest;
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

master_on();
workers(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a subscriber of two channels answered during a round that visits both
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /multi {
        push_subscriber longpoll sse;
        push_channel $arg_a $arg_b;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    my ($runner) = @_;
    my @out;
    # the scenario runs in the worker that does not carry this request,
    # so that a crash there cannot take the verdict with it
    for my $round (1 .. 3) {
        my $by = PushTest::push_by_worker('/pid', 2);
        my ($w) = grep { $_ != $runner } keys %$by;
        die "one worker only\n" unless $w;
        my $c = $by->{$w};
        my ($x, $y) = ("x$round", "y$round");
        PushTest::push_send($c, 'GET', "/multi?a=$x&b=$y");
        PushTest::push_wait_subscribers("/pub/$x", 1)
            or die "never parked\n";
        PushTest::push_wait_subscribers("/pub/$y", 1)
            or die "never parked\n";
        # both stored before this worker's round, which visits both
        my $req = '';
        for my $ch ($x, $y) {
            $req .= "POST /pub/$ch HTTP/1.1\r\nHost: localhost\r\n"
                    . "Content-Length: 2\r\n\r\nm$round";
        }
        my $p = PushTest::push_connect();
        # the publishes must reach the subscriber's worker
        my $pw;
        for (1 .. 64) {
            PushTest::push_send($p, 'GET', '/pid');
            my $r = PushTest::push_read($p, 5) or die "no pid\n";
            ($pw = $r->{body}) =~ s/\s+//g;
            last if $pw == $w;
            close $p;
            $p = PushTest::push_connect();
        }
        die "never reached worker $w\n" unless $pw == $w;
        $p->syswrite($req);
        my @st = map { my $r = PushTest::push_read($p, 5);
                       $r ? $r->{status} : 'none' } 1 .. 2;
        my $r = PushTest::push_read($c, 5);
        # the same connection is served on by the same worker after it
        PushTest::push_send($c, 'GET', '/pid');
        my $q = PushTest::push_read($c, 5);
        my $alive = $q && $q->{body} =~ /^\s*$w\s*$/ ? 'alive' : 'gone';
        push @out, "round $round: publish @st, long-poll "
                   . ($r ? "$r->{status} $r->{body}" : 'none')
                   . ", worker $alive";
    }
    return join "\n", @out;
});
--- request
GET /result
--- response_body
round 1: publish 201 201, long-poll 200 m1, worker alive
round 2: publish 201 201, long-poll 200 m2, worker alive
round 3: publish 201 201, long-poll 200 m3, worker alive
--- timeout: 30
--- no_error_log
[error]
[alert]



=== TEST 2: a long-poll joining at the newest message while its worker's wake-up for it is pending waits for the next
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/lp/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry off;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 30s;
    }
--- init
PushTest::push_verdict(sub {
    my ($runner) = @_;
    # connections that one worker serves
    my $on = sub {
        my ($w) = @_;
        for (1 .. 64) {
            my $s = PushTest::push_connect();
            PushTest::push_send($s, 'GET', '/pid');
            my $r = PushTest::push_read($s, 5) or die "no pid\n";
            return $s if $r->{body} =~ /^\s*$w\s*$/;
            close $s;
        }
        die "never reached worker $w\n";
    };
    my $m1 = PushTest::push_request('POST', '/pub/d', 'm1');
    my $epoch = PushTest::push_epoch($m1) or die "no epoch\n";
    my $w = $runner;
    # an SSE subscriber keeps the channel in this worker at message 1
    my $sse = $on->($w);
    PushTest::push_send($sse, 'GET', '/ev/d', undef,
                        ['Accept: text/event-stream']);
    PushTest::push_wait_subscribers('/pub/d', 1) or die "never parked\n";
    # message 2 is stored and the worker's round for it posted; the
    # long-poll then joins with message 2 as its cursor
    my $pipe = $on->($w);
    $pipe->syswrite("POST /pub/d HTTP/1.1\r\nHost: localhost\r\n"
                    . "Content-Length: 2\r\n\r\nm2"
                    . "GET /lp/d HTTP/1.1\r\nHost: localhost\r\n"
                    . "If-None-Match: \"$epoch:2\"\r\n\r\n");
    my $p = PushTest::push_read($pipe, 5);
    my @out = ('publish ' . ($p ? $p->{status} : 'none'));
    # the round ran: the SSE subscriber has message 2
    my $ev = PushTest::push_read_until($sse, qr/data: m2\n\n/, 5);
    push @out, $ev =~ /id: \Q$epoch\E:2\ndata: m2\n\n/ ? 'sse got m2'
                                                       : "sse: $ev";
    # written in the same round, had it been sent again
    my $early = PushTest::push_read($pipe, 1);
    push @out, $early ? "long-poll answered early: $early->{status} "
                        . "$early->{body} $early->{headers}{etag}"
                      : 'long-poll waits';
    PushTest::push_request('POST', '/pub/d', 'm3');
    my $r = $early || PushTest::push_read($pipe, 5);
    push @out, $r ? "long-poll $r->{status} $r->{body} "
                    . ($r->{headers}{etag} eq "\"$epoch:3\"" ? 'at 3'
                                                 : $r->{headers}{etag})
                  : 'long-poll none';
    return join "\n", @out;
});
--- request
GET /result
--- response_body
publish 201
sse got m2
long-poll waits
long-poll 200 m3 at 3
--- timeout: 30
--- no_error_log
[error]



=== TEST 3: subscribers joining during publish bursts on two workers get every message once, in order
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 1000;
    }
    location ~ ^/lp/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location ~ ^/ev/(?<ch>\w+)$ {
        push_subscriber sse;
        push_channel $ch;
        push_sse_retry off;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 60s;
    }
--- init
PushTest::push_verdict(sub {
    my $last = 201;
    my $epoch = PushTest::push_epoch(
                    PushTest::push_request('POST', '/pub/burst', 'm1'))
        or die "no epoch\n";
    # eight long-poll chains, each sending its next request with its
    # cursor as soon as an answer comes, so they join all along the bursts
    my (@lp, %seq, %bad);
    for my $i (1 .. 8) {
        my $s = PushTest::push_connect();
        PushTest::push_send($s, 'GET', '/lp/burst', undef,
                            ["If-None-Match: \"$epoch:1\""]);
        $seq{$s} = 1;
        push @lp, $s;
    }
    PushTest::push_wait_subscribers('/pub/burst', 8, 10)
        or die "not all parked\n";
    my $publisher = PushTest::push_in_background(sub {
        my $by = PushTest::push_by_worker('/pid', 2);
        my @w = values %$by;
        die "one worker only\n" unless @w == 2;
        my $n = 2;
        for my $burst (0 .. 9) {
            my $c = $w[$burst % 2];
            my $req = '';
            for (1 .. 20) {
                $req .= "POST /pub/burst HTTP/1.1\r\nHost: localhost\r\n"
                        . "Content-Length: " . length("m$n") . "\r\n\r\nm$n";
                $n++;
            }
            $c->syswrite($req);
            for (1 .. 20) {
                PushTest::push_read($c, 10) or die "no publish answer\n";
            }
        }
    });
    # SSE subscribers resuming from earlier ids while the bursts go on
    my (@sse, %from);
    my $sel = IO::Select->new(@lp);
    my $deadline = time + 40;
    while (grep { $seq{$_} < $last } @lp) {
        last if time > $deadline;
        if (@sse < 6 && $seq{$lp[0]} > 20 * (@sse + 1)) {
            my $s = PushTest::push_connect();
            my $at = $seq{$lp[0]} - 5;
            PushTest::push_send($s, 'GET', '/ev/burst', undef,
                ['Accept: text/event-stream', "Last-Event-ID: $epoch:$at"]);
            $from{$s} = $at;
            push @sse, $s;
        }
        for my $s ($sel->can_read(1)) {
            my $r = PushTest::push_read($s, 5) or die "long-poll lost\n";
            my ($got) = ($r->{headers}{etag} // '') =~ /:(\d+)"$/;
            my $want = $seq{$s} + 1;
            if (!defined $got || $got != $want || $r->{body} ne "m$want") {
                $bad{"after $seq{$s}: " . ($got // 'none')
                     . " $r->{body}"}++;
            }
            $seq{$s} = $got // $want;
            PushTest::push_send($s, 'GET', '/lp/burst', undef,
                                ["If-None-Match: \"$epoch:$seq{$s}\""])
                if $seq{$s} < $last;
        }
    }
    waitpid $publisher, 0;
    my @out = ("publisher " . ($? == 0 ? 'ok' : "failed $?"));
    my $ends = grep { $seq{$_} == $last } @lp;
    push @out, "long-polls at the end: $ends of 8";
    push @out, "long-poll out of order: $_" for sort keys %bad;
    my $ok = 0;
    for my $s (@sse) {
        my $ev = PushTest::push_read_until($s, qr/data: m$last\n\n/, 10);
        my @ids = $ev =~ /^id: \w+:(\d+)$/mg;
        my $want = join ',', $from{$s} + 1 .. $last;
        if (join(',', @ids) eq $want) {
            $ok++;
        } else {
            push @out, "sse from $from{$s}: " . join(',', @ids);
        }
    }
    push @out, "sse streams complete: $ok of " . scalar(@sse)
               . (@sse == 6 ? '' : ' (expected 6)');
    return join "\n", @out;
});
--- request
GET /result
--- response_body
publisher ok
long-polls at the end: 8 of 8
sse streams complete: 6 of 6
--- timeout: 60
--- no_error_log
[error]
