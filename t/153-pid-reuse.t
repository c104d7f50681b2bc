# A worker that died without giving its slot back has its counts dropped
# even when its pid now belongs to another live process: liveness is more
# than kill(pid, 0).  The pid reuse is made deterministic with gdb, which
# writes another live process's pid into the dead worker's slot.
use lib 't/helpers';
use PushTest;
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket;

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;

our $Gdb = (grep { -x } map { "$_/gdb" } split /:/, $ENV{PATH} // '')[0];

if (!$Gdb) {
    plan skip_all => 'gdb is needed to stand in for a reused pid';
} else {
    plan 'no_plan';
}

master_on();
workers(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a dead worker's slot whose pid is now another process's is reaped by its successor
--- config
    location = /pid { return 200 "$pid"; }
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/sub/(?<ch>\w+)$ { push_subscriber longpoll; push_channel $ch; }
    location = /stats { push_stats; }
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 60s;
    }
--- init
PushTest::push_verdict(sub {
    my ($runner) = @_;
    my $by = PushTest::push_by_worker('/pid', 2);
    my ($victim) = grep { $_ != $runner } keys %$by;
    die "one worker only\n" unless $victim && $by->{$runner};
    PushTest::push_send($by->{$victim}, 'GET', '/sub/reuse');
    PushTest::push_wait_subscribers('/pub/reuse', 1) or die "not parked\n";

    # the process that "got" the victim's pid
    my $other = fork // die "fork: $!\n";
    if (!$other) {
        exec 'sleep', '60' or POSIX::_exit(1);
    }
    my $cmds = "/tmp/push-pid-reuse-$$.gdb";
    open my $fh, '>', $cmds or die "$cmds: $!\n";
    print $fh <<"END";
set pagination off
set \$z = 'ngx_push_ipc.cpp'::ngx_push_ipc.zone
set \$i = 0
while \$i < 64
  if \$z->sh->slots[\$i].pid == $victim
    set var \$z->sh->slots[\$i].pid = $other
    printf "moved slot %d\\n", \$i
  end
  set \$i = \$i + 1
end
detach
quit
END
    close $fh;
    my $gdb = `$main::Gdb -nx -batch -p $runner -x $cmds 2>&1`;
    unlink $cmds;
    my @out = ($gdb =~ /moved slot \d+/ ? 'slot moved' : "gdb: $gdb");

    kill 'KILL', $victim;
    # its successor takes a slot before it serves
    my $deadline = time + 15;
    my $new;
    while (!$new && time < $deadline) {
        my $s = PushTest::push_connect();
        PushTest::push_send($s, 'GET', '/pid');
        my $p = PushTest::push_read($s, 5);
        close $s;
        next unless $p;
        (my $pid = $p->{body}) =~ s/\s+//g;
        $new = $pid if $pid != $runner && $pid != $victim;
        sleep 0.02 unless $new;
    }
    push @out, $new ? 'successor up' : 'no successor';
    my $r = PushTest::push_request('POST', '/pub/reuse', 'm1');
    push @out, 'publish ' . ($r ? $r->{status} : 'none')
               . ($r && $r->{body} =~ /("subscribers":\d+)/ ? " $1" : '');
    my $st = PushTest::push_request('GET', '/stats');
    my @pids = $st ? $st->{body} =~ /\{"pid":(\d+)/g : ();
    push @out, (grep { $_ == $other } @pids) ? "stats list pid $other"
                                             : 'stats list workers only';
    kill 'KILL', $other;
    waitpid $other, 0;
    return join "\n", @out;
});
--- request
GET /result
--- response_body
slot moved
successor up
publish 202 "subscribers":0
stats list workers only
--- timeout: 60
--- error_log
exited on signal 9
--- no_error_log eval
# nginx's own alert for the kill is the only one
[qr/\[alert\](?!.* exited on signal 9$)/m, qr/\[error\]/, qr/\[crit\]/]
