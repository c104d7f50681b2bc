package Test::Nginx::Util;

# The part of our runner that sets nginx up for a block and runs its
# "--- init" code.  The real Test::Nginx evaluates that code here, in
# package Test::Nginx::Util, under "use strict": so do we, so that a suite
# that works with ours works with it.  Socket.pm sends the requests and
# checks the answers (see t/README.md for what both support).

use strict;
use warnings;

use Cwd qw(cwd);
use File::Path qw(make_path remove_tree);
use File::Spec ();
use IO::Socket::INET;
use List::Util qw(shuffle);
# sleep only: "time" in an init block is the builtin's whole seconds there,
# and so it must be here
use Time::HiRes qw(sleep);

our $VERSION = '0.02';

our $RepeatEach = 1;
our $MasterProcessEnabled = 'off';
our $Workers = 1;
our $WorkerConnections = 64;
our $LogLevel = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                  || 1984;
our $ServerName = 'localhost';
our $NoRootLocation = 0;
our $NoShuffle = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $Timeout = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $Sleep = $ENV{TEST_NGINX_SLEEP} || 0.015;
our @BlockPreprocessors;

# Socket.pm's per-block work: ($block, $repeat index).
our $RunTestHelper;

# TEST_NGINX_SERVROOT is read, never written: the real runner exports the
# path only as TEST_NGINX_SERVER_ROOT, so a config that expands
# $TEST_NGINX_SERVROOT must fail here as it fails there.
our $ServRoot = $ENV{TEST_NGINX_SERVROOT}
                || File::Spec->rel2abs('t/servroot');
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $HtmlDir = "$ServRoot/html";
our $ConfDir = "$ServRoot/conf";
our $PidFile = "$LogDir/nginx.pid";

# Where the next error_log check starts reading: each check sees only the
# lines logged since the one before, as in the real runner.
our $ErrLogFilePos = 0;

# The config of the block before, for a block that has none.
our $PrevConfig;

my $RunnerPid = $$;
my $NginxBinary = $ENV{TEST_NGINX_BINARY}
                  || (grep { -x } map { "$_/nginx" } split /:/, $ENV{PATH})[0]
                  || '/usr/sbin/nginx';

sub repeat_each { $RepeatEach = shift if @_; return $RepeatEach }
sub master_on { $MasterProcessEnabled = 'on' }
sub master_off { $MasterProcessEnabled = 'off' }
sub workers { $Workers = shift if @_; return $Workers }
sub worker_connections {
    $WorkerConnections = shift if @_;
    return $WorkerConnections;
}
sub log_level { $LogLevel = shift if @_; return $LogLevel }
sub no_shuffle { $NoShuffle = 1 }
sub no_long_string { }
sub no_root_location { $NoRootLocation = 1 }
sub server_port { $ServerPort = shift if @_; return $ServerPort }
sub server_root { return $ServRoot }
sub html_dir { return $HtmlDir }
sub server_name { $ServerName = shift if @_; return $ServerName }
sub timeout { $Timeout = shift if @_; return $Timeout }
sub env_to_nginx { }

# The last added runs first, as there.
sub add_block_preprocessor { unshift @BlockPreprocessors, shift }

sub bail_out {
    stop_nginx();
    Test::More::BAIL_OUT(join '', @_);
}

# $TEST_NGINX_NAME in a config section: an unset variable stops the whole
# file, it is never left in the text.
sub expand_env {
    my ($text, $name) = @_;
    return $text unless defined $text;
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        defined $ENV{$1} ? $ENV{$1}
                         : bail_out("$name - No environment $1 defined.\n")
    }ge;
    return $text;
}

# "5", "5s", "500ms" in seconds; undef stays undef.
sub parse_time {
    my ($t) = @_;
    return undef unless defined $t;
    $t =~ s/\s+//g;
    return $1 / 1000 if $t =~ /^(.*\d)ms$/;
    return $1 if $t =~ /^(.*\d)s$/;
    return $t;
}

sub nginx_pid {
    open my $fh, '<', $PidFile or return undef;
    my $pid = <$fh>;
    close $fh;
    return undef unless defined $pid && $pid =~ /(\d+)/;
    return $1;
}

sub stop_nginx {
    my $pid = nginx_pid() or return;
    kill 'QUIT', $pid;
    my $deadline = Time::HiRes::time() + 5;
    while (kill(0, $pid) && Time::HiRes::time() < $deadline) {
        sleep 0.02;
    }
    if (kill 0, $pid) {
        kill 'KILL', $pid;
        sleep 0.1;
    }
    unlink $PidFile;
}

sub write_config {
    my ($block, $config) = @_;
    my $name = $block->name;
    my $modules = '';
    for my $so (grep { length } split /\s+/,
                $ENV{TEST_NGINX_LOAD_MODULES} || '')
    {
        $modules .= "load_module $so;\n";
    }
    my $main = expand_env(section($block, 'main_config'), $name) // '';
    my $http = expand_env(section($block, 'http_config'), $name) // '';
    # as there: a suite's own "location /" clashes unless it asks for none
    my $root = $NoRootLocation ? '' : "        location / { root $HtmlDir; }";

    # as there: the server root is emptied of what the runner and nginx
    # make in it, then removed; anything else left in it (a suite's own
    # files) stops the run rather than being deleted
    if (-d $ServRoot) {
        remove_tree($ConfDir, glob("$ServRoot/*_cache"),
                    glob("$ServRoot/*_temp"));
        remove_tree("$ServRoot/cache", $HtmlDir, $LogDir);
        rmdir $ServRoot
            or bail_out("Can't remove $ServRoot (not empty?): $!");
    }
    make_path($ConfDir, $LogDir, $HtmlDir);
    open my $idx, '>', "$HtmlDir/index.html" or bail_out("$name - $!");
    print $idx "<html><body>It works!</body></html>";
    close $idx;

    open my $fh, '>', "$ConfDir/nginx.conf" or bail_out("$name - $!");
    print $fh <<"END";
$modules
daemon on;
master_process $MasterProcessEnabled;
worker_processes $Workers;
error_log $ErrLogFile $LogLevel;
pid $PidFile;

$main

http {
    access_log $LogDir/access.log;
    default_type text/plain;
    keepalive_timeout 68000ms;
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
$config
$root
    }
}

events {
    accept_mutex off;
    worker_connections $WorkerConnections;
}
END
    close $fh;
}

# Runs nginx; returns its exit status ($?).  "-e" sends what it logs
# before it has read the config (a refused directive) to error.log too,
# where the error_log checks look.
sub start_nginx {
    system("$NginxBinary -e $ErrLogFile -p $ServRoot/ -c $ConfDir/nginx.conf"
           . " > $LogDir/stderr.log 2>&1");
    return $?;
}

sub wait_port {
    my $deadline = Time::HiRes::time() + 5;
    while (Time::HiRes::time() < $deadline) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $ServerPort);
        if ($s) { close $s; return 1 }
        sleep 0.02;
    }
    return 0;
}

# The error log's lines since the last call (after a short pause for what
# nginx logs once the connection is closed).
sub error_log_data {
    sleep $Sleep * 3;
    open my $in, '<', $ErrLogFile or return [];
    seek $in, $ErrLogFilePos, 0 if $ErrLogFilePos > 0;
    my @lines = <$in>;
    $ErrLogFilePos = tell $in;
    close $in;
    return \@lines;
}

# A section's value, or undef when the block has none.
sub section {
    my ($block, $name) = @_;
    return undef unless $block->can($name);
    my @v = $block->$name;
    return $v[0];
}

# The block's "--- init", here: helpers reach it only if they are defined
# in this package, and strict applies.
sub run_init {
    my ($block) = @_;
    my $name = $block->name;
    my $init = section($block, 'init');
    return unless $init;
    eval $init;
    bail_out("$name - init failed: $@") if $@;
}

sub run_block {
    my ($block) = @_;
    return if defined section($block, 'SKIP');
    my $name = $block->name;

    # a block without a config is served by the nginx of the block before,
    # not restarted, as there
    my $config = section($block, 'config');
    if (!defined $config) {
        bail_out("$name - No '--- config' section specified and could not "
                 . "get previous one. Use TEST_NGINX_NO_NGINX_MANAGER ?")
            unless defined $PrevConfig;
    } else {
        $config = expand_env($config, $name);
        $PrevConfig = $config;
        stop_nginx();
        write_config($block, $config);
        $ErrLogFilePos = 0;

        if (defined(my $die = section($block, 'must_die'))) {
            my $status = start_nginx();
            if ($status == -1) {
                Test::More::fail(
                    "$name - failed to execute the nginx command line");
            } elsif ($status & 128) {
                Test::More::fail("$name - nginx core dumped");
            } elsif ($die =~ /^\s*\d+\s*$/) {
                Test::More::is($die, $status >> 8,
                               "$name - die with the expected exit code");
            } else {
                Test::More::isnt($status, 0, "$name - die as expected");
            }
            Test::Nginx::Socket::check_error_log($block, undef, 0);
            if ($status == 0) {
                Test::More::diag("$name - nginx must die but it does not");
                stop_nginx();
            }
            return;
        }

        my $status = start_nginx();
        if ($status != 0 || !wait_port()) {
            my $err = '';
            if (open my $fh, '<', "$LogDir/stderr.log") {
                local $/;
                $err = <$fh> // '';
            }
            bail_out("$name - Cannot start nginx (status code $status): $err");
        }
        sleep $Sleep;
    }

    run_init($block);

    $ErrLogFilePos = 0;
    for my $i (0 .. $RepeatEach - 1) {
        $RunTestHelper->($block, $i);
    }
}

sub run_tests {
    make_path($ServRoot);
    $ENV{TEST_NGINX_SERVER_PORT} //= $ServerPort;
    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;
    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;
        $block->set_value('name', "$0 " . $block->name);
        run_block($block);
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
