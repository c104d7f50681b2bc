# More workers than slots: a worker without a slot still wakes the others,
# never leaves a wake-up marked as sent that was not, and takes a slot as
# soon as one is free (the retry that also follows a failed bind).
use lib 't/helpers';
use PushTest;
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_VERDICT_PORT} ||= 1989;
$ENV{TEST_NGINX_RP_PORT} ||= 1990;

master_on();
workers(65);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: with 65 workers, publishes through the one without a slot wake the others
--- http_config
    server {
        # every worker has its own listening socket: connections spread
        # over all of them, so each can be reached
        listen 127.0.0.1:$TEST_NGINX_RP_PORT reuseport;
        location = /pid { return 200 "$pid"; }
        location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
        location = /probe {
            push_subscriber longpoll;
            push_channel probe;
            push_first_message oldest;
        }
        location ~ ^/ev/(?<ch>\w+)$ {
            push_subscriber sse;
            push_channel $ch;
            push_sse_retry off;
        }
    }
--- config
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_read_timeout 60s;
    }
--- init
PushTest::push_verdict(sub {
    my $port = $ENV{TEST_NGINX_RP_PORT};
    my $connect = sub {
        my $deadline = time + 10;
        while (time < $deadline) {
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                          PeerPort => $port);
            return $s if $s;
            sleep 0.05;
        }
        die "cannot connect to $port\n";
    };
    my $ask = sub {
        my ($s, $method, $path, $body, $headers) = @_;
        PushTest::push_send($s, $method, $path, $body, $headers);
        return PushTest::push_read($s, 10);
    };
    my $c = $connect->();
    $ask->($c, 'POST', '/pub/probe', 'p')->{status} =~ /^20/
        or die "probe not published\n";
    close $c;
    # a worker refuses waiting subscribers when it holds no slot
    my ($none, @with);
    for (1 .. 2000) {
        my $s = $connect->();
        my $r = $ask->($s, 'GET', '/probe') or die "no probe answer\n";
        if ($r->{status} == 503) {
            $none ||= $s;
        } elsif ($r->{status} == 200 && @with < 3) {
            push @with, $s;
        } else {
            close $s;
        }
        last if $none && @with == 3;
    }
    die "no worker without a slot\n" unless $none;
    die "too few workers with a slot\n" unless @with == 3;
    my ($sse, @pub) = @with;
    PushTest::push_send($sse, 'GET', '/ev/wake', undef,
                        ['Accept: text/event-stream']);
    my $deadline = time + 10;
    while (time < $deadline) {
        my $r = $ask->($pub[0], 'GET', '/pub/wake');
        last if $r && $r->{body} =~ /"subscribers":1\b/;
        sleep 0.05;
    }
    # each message is delivered before the next is published: a wake-up
    # is owed for each, not healed by a later one
    my (@st, @got);
    for (['one', $pub[0]], ['two', $none], ['three', $pub[1]],
         ['four', $pub[0]])
    {
        my ($text, $via) = @$_;
        my $r = $ask->($via, 'POST', '/pub/wake', $text);
        push @st, $r ? $r->{status} : 'none';
        my $ev = PushTest::push_read_until($sse, qr/data: $text\n\n/, 10);
        my @data = $ev =~ /^data: (\w+)$/mg;
        push @got, @data ? join('+', @data) : 'nothing';
    }
    return "published @st\nsse got @got";
});
--- request
GET /result
--- response_body
published 201 201 201 201
sse got one two three four
--- timeout: 60
--- no_error_log
[error]
[alert]



=== TEST 2: a worker without a slot takes one as soon as one is free
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RP_PORT reuseport;
        location = /pid { return 200 "$pid"; }
        location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
        location = /probe {
            push_subscriber longpoll;
            push_channel probe;
            push_first_message oldest;
        }
    }
--- config
    location = /result {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VERDICT_PORT;
        proxy_set_header X-Worker $pid;
        proxy_read_timeout 60s;
    }
--- init
PushTest::push_verdict(sub {
    my ($runner) = @_;
    my $port = $ENV{TEST_NGINX_RP_PORT};
    my $connect = sub {
        my $deadline = time + 10;
        while (time < $deadline) {
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                          PeerPort => $port);
            return $s if $s;
            sleep 0.05;
        }
        die "cannot connect to $port\n";
    };
    my $ask = sub {
        my ($s, $method, $path, $body) = @_;
        PushTest::push_send($s, $method, $path, $body);
        return PushTest::push_read($s, 10);
    };
    my $c = $connect->();
    $ask->($c, 'POST', '/pub/probe', 'p')->{status} =~ /^20/
        or die "probe not published\n";
    close $c;
    # the worker without a slot, and one with a slot to kill
    my ($none, $victim);
    for (1 .. 2000) {
        my $s = $connect->();
        my $r = $ask->($s, 'GET', '/probe') or die "no probe answer\n";
        if ($r->{status} == 503) {
            $none ||= $s;
        } elsif (!$victim) {
            my $p = $ask->($s, 'GET', '/pid') or die "no pid\n";
            (my $pid = $p->{body}) =~ s/\s+//g;
            $victim = $pid if $pid != $runner;
        }
        close $s unless $none && $s == $none;
        last if $none && $victim;
    }
    die "no worker without a slot\n" unless $none;
    die "no worker to kill\n" unless $victim;
    # the master stopped, the dead worker is not replaced: its slot is
    # free for whoever looks for one
    my $master = PushTest::push_master_pid();
    kill 'STOP', $master;
    kill 'KILL', $victim;
    my ($r, $deadline) = (undef, time + 10);
    while (time < $deadline) {
        $r = $ask->($none, 'GET', '/probe') or last;
        last if $r->{status} == 200;
        sleep 0.1;
    }
    kill 'CONT', $master;
    return "the worker without a slot answers "
           . ($r ? $r->{status} : 'nothing');
});
--- request
GET /result
--- response_body
the worker without a slot answers 200
--- timeout: 60
--- error_log
exited on signal 9
--- no_error_log eval
# nginx's own alert for the kill is the only one
[qr/\[alert\](?!.* exited on signal 9$)/m, qr/\[error\]/, qr/\[crit\]/]
