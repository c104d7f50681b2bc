#!/usr/bin/env bash
# ./build.sh installs the module atomically and only when it changed: a
# running nginx that loaded build/ngx_push_module.so survives a rebuild
# under it (a reload, a respawned worker), and a build that changes nothing
# leaves the installed file alone (same inode, never written).
#
#   bash t/install/install.sh     (./build.sh test runs it; it builds first)
#
# The "rebuild" is made by hand, fast: the built module's code overwritten
# with int3, as different from the loaded one as code can be; it is put
# back, and installed again, on the way out.  TEST_NGINX_INSTALL_PORT
# (default 1990) is the port of the nginx it starts.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
PORT=${TEST_NGINX_INSTALL_PORT:-1990}
SO=$BUILD/ngx_push_module.so
OBJ=$BUILD/obj/ngx_push_module.so

say() { printf 't/install/install.sh: %s\n' "$*" >&2; }
fail() {
    say "FAIL: $*"
    if [ -f "${dir:-}/logs/error.log" ]; then
        grep -E 'signal|\[alert\]|\[emerg\]' "$dir/logs/error.log" >&2 || :
    fi
    exit 1
}

# Polls a command for up to $1 seconds.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.05
    done
}

workers() { ps -o pid= --ppid "$master" | tr -d ' ' | sort; }
answers() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 \
         "http://127.0.0.1:$PORT/pub/x")" = 404 ]
}
gone() { ! kill -0 "$1" 2>/dev/null; }

"$ROOT/build.sh" 2>/dev/null || fail "build"

dir=$(mktemp -d)
master=""
seen=""         # every worker seen, to stop them should the master die
cp -p "$OBJ" "$dir/built.so"

cleanup() {
    if [ -n "$master" ] && kill -0 "$master" 2>/dev/null; then
        kill -QUIT "$master"
        wait_for 10 gone "$master" || kill -KILL "$master"
    fi
    for pid in $seen; do
        if grep -qs 'nginx: worker' "/proc/$pid/cmdline"; then
            kill -KILL "$pid"
        fi
    done
    cp -p "$dir/built.so" "$OBJ"
    "$ROOT/build.sh" 2>/dev/null || say "could not reinstall the module"
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# 1. A build that changes nothing does not touch the installed module.
before=$(stat -c '%i %z' "$SO")
"$ROOT/build.sh" 2>/dev/null || fail "build"
after=$(stat -c '%i %z' "$SO")
[ "$before" = "$after" ] \
    || fail "a no-op build rewrote the module (inode ctime: $before -> $after)"
say "ok: a no-op build leaves the installed module alone"

# 2. nginx runs the installed module.
mkdir -p "$dir/logs"
cat > "$dir/nginx.conf" <<CONF
load_module $SO;
worker_processes 2;
error_log $dir/logs/error.log notice;
pid $dir/logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$PORT;
        location ~ ^/pub/(?<ch>\w+)\$ { push_publisher; push_channel \$ch; }
    }
}
CONF
"$NGINX_BIN" -p "$dir" -c "$dir/nginx.conf" || fail "nginx did not start"
wait_for 10 test -s "$dir/logs/nginx.pid" || fail "no pid file"
master=$(cat "$dir/logs/nginx.pid")
wait_for 10 answers || fail "nginx does not answer"
old=$(workers)
seen="$old"

# 3. A rebuild that changed the code is installed under it.
# readelf: [Nr] Name Type Address Off Size ...; Off and Size in hex
h='[0-9a-f]*'
text="s/.*\] \.text  *[A-Z]*  *$h  *\($h\)  *\($h\) .*/\1 \2/p"
read -r off size < <(readelf -SW "$OBJ" | sed -n "$text")
[ -n "${size:-}" ] || fail "no .text in $OBJ"
off=$((16#$off))
size=$((16#$size))
head -c "$size" /dev/zero | tr '\0' '\314' \
    | dd of="$OBJ" bs=64k seek="$off" oflag=seek_bytes conv=notrunc \
         status=none
"$ROOT/build.sh" 2>/dev/null || fail "build"
cmp -s "$OBJ" "$SO" || fail "the changed module was not installed"

# 4. A reload, then a worker that goes and is respawned: all still serve.
kill -HUP "$master"
for pid in $old; do
    wait_for 10 gone "$pid" || break
done
gone "$master" && fail "the master died in the reload"
for pid in $old; do
    gone "$pid" || fail "old worker $pid did not exit"
done
wait_for 10 answers || fail "no answer after the reload"
victim=$(workers | head -1)
seen="$seen $(workers)"
[ -n "$victim" ] || fail "no worker after the reload"
kill -TERM "$victim"
wait_for 10 gone "$victim" || fail "worker $victim did not exit"
wait_for 10 sh -c "[ \$(ps -o pid= --ppid $master | wc -l) -ge 2 ]" \
    || fail "no worker respawned"
seen="$seen $(workers)"
wait_for 10 answers || fail "no answer after the respawn"
kill -0 "$master" 2>/dev/null || fail "the master died"

if grep -E 'exited on signal|\[alert\]|\[emerg\]' "$dir/logs/error.log" \
    >&2; then
    fail "nginx processes crashed after the module was reinstalled"
fi
say "ok: nginx survived a reinstall under it (reload, respawn)"
