# The wake-up sockets are the module's alone: another local user can
# neither squat their names nor wake a worker; helper processes (cache
# manager, cache loader) take no worker slot.
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

=== TEST 1: names another user binds before a reload do not stop the new workers
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /probe {
        push_subscriber longpoll;
        push_channel probe;
        push_first_message oldest;
    }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
PushTest::push_verdict(sub {
    require Socket;
    my $r = PushTest::push_request('POST', '/pub/probe', 'p');
    my $epoch = PushTest::push_epoch($r) or die "no epoch\n";
    my %old = map { $_ => 1 } keys %{ PushTest::push_by_worker('/pid', 2) };
    # another user binds every name it can guess from what is public:
    # the epoch (in every message id) and what /proc/net/unix lists
    pipe(my $rd, my $wr) or die "pipe: $!\n";
    pipe(my $stop_rd, my $stop_wr) or die "pipe: $!\n";
    my $squatter = fork // die "fork: $!\n";
    if (!$squatter) {
        close $rd;
        close $stop_wr;
        POSIX::setgid(65534);
        POSIX::setuid(65534) or POSIX::_exit(2);
        my @names = map { sprintf("ngx_push/%08x/%u", hex $epoch, $_) }
                        0 .. 63;
        if (open my $fh, '<', '/proc/net/unix') {
            push @names, map { /\@(ngx_push\S*)/ ? $1 : () } <$fh>;
        }
        my (@held, $n);
        for my $name (@names) {
            socket(my $s, Socket::AF_UNIX(), Socket::SOCK_DGRAM(), 0)
                or next;
            if (bind($s, Socket::pack_sockaddr_un("\0$name"))) {
                push @held, $s;
                $n++;
            }
        }
        syswrite $wr, ($n // 0) . "\n";
        sysread $stop_rd, my $x, 1;
        POSIX::_exit(0);
    }
    close $wr;
    close $stop_rd;
    my $bound = <$rd>;
    die "the squatter bound nothing\n" unless $bound && $bound > 0;
    kill 'HUP', PushTest::push_master_pid();
    # the new workers: each must take waiting subscribers
    my (%new, @st);
    my $deadline = time + 20;
    while (keys %new < 2 && time < $deadline) {
        my $s = PushTest::push_connect();
        PushTest::push_send($s, 'GET', '/pid');
        my $p = PushTest::push_read($s, 5) or next;
        (my $pid = $p->{body}) =~ s/\s+//g;
        if ($old{$pid} || $new{$pid}) {
            close $s;
            sleep 0.02;
            next;
        }
        PushTest::push_send($s, 'GET', '/probe');
        my $a = PushTest::push_read($s, 5);
        $new{$pid} = $a ? $a->{status} : 'none';
    }
    close $stop_wr;
    waitpid $squatter, 0;
    return "new workers answer " . join(' ', map { $new{$_} } sort keys %new);
});
--- request
GET /result
--- response_body
new workers answer 200 200
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 2: wake-ups sent by another user are refused, delivery goes on
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 60s;
    }
--- init
PushTest::push_verdict(sub {
    my ($runner) = @_;
    require Socket;
    my $r = PushTest::push_request('POST', '/pub/spoof', 'm0');
    my $epoch = PushTest::push_epoch($r) or die "no epoch\n";
    my $spoofer = fork // die "fork: $!\n";
    if (!$spoofer) {
        POSIX::setgid(65534);
        POSIX::setuid(65534) or POSIX::_exit(2);
        my @names = map { sprintf("ngx_push/%08x/%u", hex $epoch, $_) }
                        0 .. 63;
        if (open my $fh, '<', '/proc/net/unix') {
            push @names, map { /\@(ngx_push\S*)/ ? $1 : () } <$fh>;
        }
        socket(my $s, Socket::AF_UNIX(), Socket::SOCK_DGRAM(), 0)
            or POSIX::_exit(3);
        my $sent = 0;
        for my $name (@names) {
            for my $payload ('w', "\0" x 16, $epoch, 'x' x 64) {
                $sent++ if defined send($s, $payload, 0,
                                  Socket::pack_sockaddr_un("\0$name"));
            }
        }
        POSIX::_exit($sent ? 0 : 4);
    }
    waitpid $spoofer, 0;
    my @out = ('spoofer ' . ($? == 0 ? 'reached the workers'
                                     : 'reached nothing: ' . ($? >> 8)));
    # a publish through one worker still wakes a long-poll in the other
    my $by = PushTest::push_by_worker('/pid', 2);
    my ($w) = grep { $_ != $runner } keys %$by;
    die "one worker only\n" unless $w && $by->{$runner};
    PushTest::push_send($by->{$w}, 'GET', '/sub/spoof');
    PushTest::push_wait_subscribers('/pub/spoof', 1) or die "not parked\n";
    PushTest::push_send($by->{$runner}, 'POST', '/pub/spoof', 'm1');
    PushTest::push_read($by->{$runner}, 5);
    my $a = PushTest::push_read($by->{$w}, 5);
    push @out, 'long-poll ' . ($a ? "$a->{status} $a->{body}" : 'none');
    return join "\n", @out;
});
--- request
GET /result
--- response_body
spoofer reached the workers
long-poll 200 m1
--- timeout: 60
--- error_log
push: refused a wake-up datagram
--- no_error_log
[error]
[alert]



=== TEST 3: the cache manager and the cache loader take no worker slot
--- http_config
    proxy_cache_path cache keys_zone=push_test_cache:1m;
--- config
    location = /stats { push_stats; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
PushTest::push_verdict(sub {
    # the helpers start with the workers; the slots are looked at for two
    # seconds from when both are running, and every slot seen is counted
    my $master = PushTest::push_master_pid();
    my $kind = sub {
        my ($pid) = @_;
        open my $fh, '<', "/proc/$pid/cmdline" or return 'gone';
        local $/;
        my $cmd = <$fh> // '';
        return $cmd =~ /(worker|cache manager|cache loader) process/ ? $1
                                                                     : 'other';
    };
    my $deadline = time + 10;
    while (time < $deadline) {
        my %k;
        for my $stat (glob '/proc/[0-9]*/stat') {
            open my $fh, '<', $stat or next;
            my $line = <$fh> // '';
            next unless $line =~ /^(\d+) \(.*\) \S (\d+)/ && $2 == $master;
            $k{ $kind->($1) }++;
        }
        last if $k{'cache manager'} && $k{'cache loader'};
        sleep 0.05;
    }
    my %seen;
    $deadline = time + 2;
    while (time < $deadline) {
        my $r = PushTest::push_request('GET', '/stats');
        $seen{$_} ||= $kind->($_) for $r ? $r->{body} =~ /\{"pid":(\d+)/g : ();
        sleep 0.05;
    }
    my @pids = keys %seen;
    my @kinds = map { $seen{$_} } @pids;
    return scalar(@pids) . " slots: " . join(', ', sort @kinds);
});
--- request
GET /result
--- response_body
2 slots: worker, worker
--- timeout: 30
--- no_error_log
[error]
[alert]
