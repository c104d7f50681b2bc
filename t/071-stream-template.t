# push_stream_template: each chunk of an HTTP stream laid out from the
# message's id, channel, event, type and data, so that a stream client
# knows where it is and resumes with ?last_event_id= or Last-Event-ID.
use lib 't/helpers';
use PushTest;
use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_H2_PORT} ||= 1986;

master_on();
workers(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: every field, JSON escaping, backlog then live, and a deleted notice before the footer
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/st/(?<ch>\w+)$ {
        push_subscriber stream;
        push_channel $ch;
        push_first_message oldest;
        push_stream_template '{"id":"~id~","channel":"~channel~","event":"~event~","type":"~type~","size":~size~,"data":"~json:text~"}';
        push_stream_footer "[end]\n";
    }
--- init
push_request('POST', '/pub/tp', 'say "hi"', ['Content-Type: text/plain',
                                             'Push-Event: greet']);
push_in_background(sub {
    push_wait_subscribers('/pub/tp', 1) or die "never subscribed\n";
    push_request('POST', '/pub/tp', "two\nlines\\", ['Content-Type: x/y']);
    push_request('DELETE', '/pub/tp');
});
--- request
GET /st/tp
--- response_headers
Content-Type: text/plain
--- response_body_filters eval
sub { my $b = shift; $b =~ s/[0-9a-f]{8}:/E:/g; $b }
--- response_body eval
'{"id":"E:1","channel":"tp","event":"greet","type":"text/plain","size":8,"data":"say \"hi\""}' . "\n"
. '{"id":"E:2","channel":"tp","event":"","type":"x/y","size":10,"data":"two\nlines\\\\"}' . "\n"
. '{"id":"E:2","channel":"tp","event":"deleted","type":"","size":0,"data":""}' . "\n"
. "[end]\n"
--- no_error_log
[error]



=== TEST 2: a stream client resumes with the id the template gave it: ?last_event_id= and Last-Event-ID, nothing lost or repeated
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/st/(?<ch>\w+)$ {
        push_subscriber stream;
        push_channel $ch;
        push_stream_template "~id~ ~text~";
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my @got;
    # a first stream sees m1 and m2, then drops
    my $s = push_connect();
    push_send($s, 'GET', '/st/rs');
    push_wait_subscribers('/pub/rs', 1) or die "never subscribed\n";
    push_request('POST', '/pub/rs', "m$_") for 1 .. 2;
    my $got = push_read_until($s, qr/ m2\n/, 10);
    close $s;
    my @lines = $got =~ /^(?:[0-9a-f]+\r\n)?([0-9a-f]{8}:\d+ m\d)\n/mg;
    push @got, @lines;
    my ($last) = $lines[-1] =~ /^(\S+)/;
    # m3 and m4 are published while it is away
    push_request('POST', '/pub/rs', "m$_") for 3 .. 4;
    # it comes back with ?last_event_id=: m3, m4, then m5 live
    $s = push_connect();
    push_send($s, 'GET', "/st/rs?last_event_id=$last");
    push_wait_subscribers('/pub/rs', 1) or die "never resubscribed\n";
    push_request('POST', '/pub/rs', 'm5');
    $got = push_read_until($s, qr/ m5\n/, 10);
    close $s;
    @lines = $got =~ /^(?:[0-9a-f]+\r\n)?([0-9a-f]{8}:\d+ m\d)\n/mg;
    push @got, @lines;
    ($last) = $lines[-2] =~ /^(\S+)/;
    # and again with Last-Event-ID, from m4's id: m5 only
    $s = push_connect();
    push_send($s, 'GET', '/st/rs', undef, ["Last-Event-ID: $last"]);
    $got = push_read_until($s, qr/ m5\n/, 10);
    close $s;
    push @got, $got =~ /^(?:[0-9a-f]+\r\n)?([0-9a-f]{8}:\d+ m\d)\n/mg;
    s/^[0-9a-f]{8}:/E:/ for @got;
    push_report('/pub/result', join(',', @got));
});
--- request
GET /result
--- response_body
E:1 m1,E:2 m2,E:3 m3,E:4 m4,E:5 m5,E:5 m5
--- timeout: 20
--- no_error_log
[error]



=== TEST 3: a cursor older than the buffer gets a gap notice in the stream, laid out by the template, then the oldest kept
--- config
    location ~ ^/pub/(?<ch>\w+)$ {
        push_publisher;
        push_channel $ch;
        push_message_buffer 2;
    }
    location ~ ^/st/(?<ch>\w+)$ {
        push_subscriber stream;
        push_channel $ch;
        push_stream_template "[~event~|~id~|~text~]";
        push_stream_separator "";
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $r;
    $r = push_request('POST', '/pub/gp', "m$_") for 1 .. 5;
    my $epoch = push_epoch($r);
    my $s1 = push_connect();
    push_send($s1, 'GET', "/st/gp?last_event_id=$epoch:1 HTTP/1.0");
    my $s2 = push_connect();
    push_send($s2, 'GET', '/st/gp?last_event_id=0badcafe:1 HTTP/1.0');
    push_wait_subscribers('/pub/gp', 2) or die "never subscribed\n";
    push_request('DELETE', '/pub/gp');
    my @out;
    for my $s ($s1, $s2) {
        my $got = push_read_until($s, undef, 10);
        close $s;
        my ($gap) = $got =~ /^Push-Gap: (\S+)\r$/mi;
        $got =~ s/\A.*?\r\n\r\n//s;
        push @out, ($gap // 'none') . ' ' . $got;
    }
    my $out = join "\n", @out;
    $out =~ s/[0-9a-f]{8}:/E:/g;
    push_report('/pub/result', $out);
});
--- request
GET /result
--- response_body
2 [gap|E:3|2][|E:4|m4][|E:5|m5][deleted|E:5|]
unknown [gap|E:3|unknown][|E:4|m4][|E:5|m5][deleted|E:5|]
--- timeout: 15
--- no_error_log
[error]



=== TEST 4: a subscriber of several channels gets its own cursor as ~id~, in a frame shared otherwise
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /st {
        push_subscriber stream;
        push_channel ma mb;
        push_stream_template "<~id~ ~channel~ ~text~>";
    }
    location = /one {
        push_subscriber stream;
        push_channel ma;
        push_stream_template "<~id~ ~channel~ ~text~>";
    }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $s1 = push_connect();
    push_send($s1, 'GET', '/st');
    my $s2 = push_connect();
    push_send($s2, 'GET', '/one');
    push_wait_subscribers('/pub/ma', 2) or die "never subscribed\n";
    push_wait_subscribers('/pub/mb', 1) or die "never subscribed\n";
    push_request('POST', '/pub/ma', 'a1');
    push_request('POST', '/pub/mb', 'b1');
    push_request('POST', '/pub/ma', 'a2');
    my $got = push_read_until($s1, qr/a2>/, 10) . '|'
              . push_read_until($s2, qr/a2>/, 10);
    close $s1;
    close $s2;
    my @m = $got =~ /(<[^>]*>|\|)/g;
    my $out = join '', @m;
    $out =~ s/[0-9a-f]{8}:/E:/g;
    push_report('/pub/result', $out);
});
--- request
GET /result
--- response_body
<E:1,0 ma a1><E:1,1 mb b1><E:2,1 ma a2>|<E:1 ma a1><E:2 ma a2>
--- timeout: 15
--- no_error_log
[error]



=== TEST 5: binary data through ~base64:text~ keeps every byte; ~json:text~ turns invalid UTF-8 into U+FFFD; the deleted notice has no text
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/st/(?<ch>\w+)$ {
        push_subscriber stream;
        push_channel $ch;
        push_first_message oldest;
        push_stream_template '~base64:text~ "~json:text~" ~~';
    }
--- init
push_request('POST', '/pub/bin', "\x00\xff\xc3\xa9");
push_in_background(sub {
    push_wait_subscribers('/pub/bin', 1) or die "never subscribed\n";
    push_request('DELETE', '/pub/bin');
});
--- request
GET /st/bin
--- response_body eval
"AP/DqQ== \"\\u0000\\ufffd\xc3\xa9\" ~\n"
. " \"\" ~\n"
--- no_error_log
[error]



=== TEST 6: a template over HTTP/2, the deleted notice with it
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_H2_PORT http2;
        location ~ ^/st/(?<ch>\w+)$ {
            push_subscriber stream;
            push_channel $ch;
            push_stream_template "~id~;~text~";
        }
    }
--- config
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location = /result {
        push_subscriber longpoll;
        push_channel result;
        push_first_message oldest;
    }
--- init
push_in_background(sub {
    my $pid = open(my $curl, '-|', 'curl', '-sN', '--http2-prior-knowledge',
                   '-m', '10', '-w', '%{http_version}',
                   "http://127.0.0.1:$ENV{TEST_NGINX_H2_PORT}/st/h2")
        or die "curl: $!\n";
    push_wait_subscribers('/pub/h2', 1) or die "never subscribed\n";
    push_request('POST', '/pub/h2', 'over h2');
    push_request('DELETE', '/pub/h2');
    local $/;
    my $out = <$curl>;
    close $curl;
    $out =~ s/[0-9a-f]{8}:/E:/g;
    push_report('/pub/result', $out);
});
--- request
GET /result
--- response_body eval
"E:1;over h2\nE:1;\n2\n"
--- no_error_log
[error]



=== TEST 7: a template with an unknown field is refused at nginx -t
--- config
    location = /st {
        push_subscriber stream;
        push_channel a;
        push_stream_template "~id~ ~txt~";
    }
--- must_die
--- error_log
"push_stream_template": template "~id~ ~txt~" names an unknown field (known: id, channel, event, type, text, size, time) (at byte 5)



=== TEST 8: a field no tilde closes is refused
--- config
    location = /a { push_subscriber stream; push_channel a; push_stream_template "~id~ ~~ ~text"; }
--- must_die
--- error_log
template "~id~ ~~ ~text" has a "~" that opens a field no "~" closes (write "~~" for a tilde) (at byte 8)



=== TEST 9: ~id~ twice is refused
--- config
    location = /a { push_subscriber stream; push_channel a; push_stream_template "~id~~id~"; }
--- must_die
--- error_log
template "~id~~id~" has "~id~" more than once (at byte 4)



=== TEST 10: push_stream_template off cancels an inherited template
--- config
    push_stream_template "[~text~]";
    location ~ ^/pub/(?<ch>\w+)$ { push_publisher; push_channel $ch; }
    location ~ ^/st/(?<ch>\w+)$ {
        push_subscriber stream;
        push_channel $ch;
        push_first_message oldest;
        push_stream_template off;
    }
    location ~ ^/tp/(?<ch>\w+)$ {
        push_subscriber stream;
        push_channel $ch;
        push_first_message oldest;
    }
--- init
push_request('POST', '/pub/off', 'bare');
push_in_background(sub {
    push_wait_subscribers('/pub/off', 1) or die "never subscribed\n";
    push_request('DELETE', '/pub/off');
});
--- request
GET /st/off
--- response_body
bare
--- no_error_log
[error]
