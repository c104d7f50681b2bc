#!/usr/bin/env bash
# Real-browser tests, driven in headless Debian chromium by playwright-core,
# each against an nginx of our own:
#   demo   the demo page: examples/nginx.conf and examples/html/
#          (demo.test.mjs)
#   nchan  Nchan's browser client, NchanSubscriber from npm "nchan"
#          (pinned in package-lock.json), with each of its subscriber
#          types: nchan/nginx.conf and nchan/index.html (nchan.test.mjs)
#
#   t/e2e/run.sh                 after ./build.sh (needs build/ngx_push_module.so)
#   t/e2e/run.sh path/to/ngx_push_module.so    (or MODULE=... t/e2e/run.sh)
#
# NGINX_BIN picks the nginx (default /usr/sbin/nginx), E2E_PORT the port
# (default: the first free one from 18080), E2E_TESTS which tests run
# (default "demo nchan").
#
# Installs what it needs: Debian's chromium (apt), playwright-core and
# nchan (npm ci, from the committed package-lock.json).  Output (screenshot,
# browser consoles, nginx logs) goes to build/e2e/ (E2E_OUT moves it).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MODULE=${1:-${MODULE:-$ROOT/build/ngx_push_module.so}}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
OUT=${E2E_OUT:-$ROOT/build/e2e}

say() { printf '%s\n' "e2e: $*" >&2; }
die() { say "$*"; exit 1; }
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

[ -f "$MODULE" ] || die "no module at $MODULE (run ./build.sh first)"
MODULE=$(cd "$(dirname "$MODULE")" && pwd)/$(basename "$MODULE")

if [ ! -x "$CHROMIUM" ]; then
    say "installing chromium"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends chromium >&2
fi
# playwright-core wants node 20 or later (Debian 12's own nodejs is 18).
command -v node >/dev/null && command -v npm >/dev/null \
    || die "node 20 or later and npm are needed"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] \
    || die "node $(node --version) is too old: playwright-core needs 20 or later"

# npm ci again whenever the lock file changed since the last install.
if ! cmp -s "$HERE/package-lock.json" "$HERE/node_modules/.e2e-lock"; then
    say "npm ci"
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >&2)
    cp "$HERE/package-lock.json" "$HERE/node_modules/.e2e-lock"
fi

# A port nobody listens on: 8080 may be ./build.sh run's.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=${E2E_PORT:-}
if [ -z "$PORT" ]; then
    for p in $(seq 18080 18099); do
        if port_free "$p"; then PORT=$p; break; fi
    done
    [ -n "$PORT" ] || die "no free port in 18080-18099"
fi

rm -rf "$OUT"
mkdir -p "$OUT"

# Each test gets an nginx of its own (prefix $OUT/NAME-nginx) on PORT, one
# after the other.
PIDFILE=
stop_nginx() {
    local pid i
    [ -n "$PIDFILE" ] && [ -f "$PIDFILE" ] || return 0
    pid=$(cat "$PIDFILE")
    kill -QUIT "$pid" 2>/dev/null || return 0
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}
trap stop_nginx EXIT

# run_test NAME CONF HTML TEST: CONF with @MODULE@, @HTML@ and
# "listen 127.0.0.1:8080;" filled in, then node TEST against it.
run_test() {
    local name=$1 conf=$2 html=$3 test=$4 prefix rc=0
    prefix="$OUT/$name-nginx"
    mkdir -p "$prefix/logs" "$prefix/conf"
    sed -e "s#@MODULE@#$MODULE#" \
        -e "s#@HTML@#$html#" \
        -e "s#listen 127.0.0.1:8080;#listen 127.0.0.1:$PORT;#" \
        "$conf" > "$prefix/conf/nginx.conf"
    grep -q "listen 127.0.0.1:$PORT;" "$prefix/conf/nginx.conf" \
        || die "$conf has no 'listen 127.0.0.1:8080;' to move"

    PIDFILE="$prefix/logs/nginx.pid"
    "$NGINX_BIN" -p "$prefix" -c conf/nginx.conf -g 'daemon on;'
    say "$name: nginx (master $(cat "$PIDFILE")) on http://127.0.0.1:$PORT/, output in $OUT"

    E2E_BASE="http://127.0.0.1:$PORT" E2E_OUT="$OUT" E2E_PREFIX="$prefix" \
    NGINX_BIN="$NGINX_BIN" CHROMIUM="$CHROMIUM" \
        timeout 300 node "$test" || rc=$?

    # The browser saw the right messages; nginx must not have complained
    # either (a crashed worker would show up here, not necessarily there).
    stop_nginx
    PIDFILE=
    if grep -E '\[(alert|crit|emerg)\]|exited on signal' "$prefix/logs/error.log"; then
        echo "FAIL: $name: nginx error.log has alerts (above)"
        rc=1
    else
        echo "PASS: $name: nginx error.log has no alert, crit or crashed worker"
    fi
    return $rc
}

rc=0
for t in ${E2E_TESTS:-demo nchan}; do
    case $t in
    demo)
        run_test demo "$ROOT/examples/nginx.conf" "$ROOT/examples/html" \
            "$HERE/demo.test.mjs" || rc=1 ;;
    nchan)
        # Nchan's client as npm installed it, beside the page driving it
        mkdir -p "$OUT/nchan-html"
        cp "$HERE/nchan/index.html" \
            "$HERE/node_modules/nchan/NchanSubscriber.js" "$OUT/nchan-html/"
        run_test nchan "$HERE/nchan/nginx.conf" "$OUT/nchan-html" \
            "$HERE/nchan.test.mjs" || rc=1 ;;
    *)
        die "unknown test $t (E2E_TESTS: demo nchan)" ;;
    esac
done
[ $rc = 0 ] || say "FAILED (output in $OUT)"
exit $rc
