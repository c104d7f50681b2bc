#!/usr/bin/env bash
# A live check against a real server: starts Debian's redis-server on
# 127.0.0.1:PORT in a temporary directory (no persistence; a one-node
# cluster, so CLUSTER KEYSLOT answers and Redis refuses a call whose keys
# span slots), runs DRIVER PORT against it for at most SECONDS, and stops
# the server by its pid whatever happens.  Used for resp_live (the RESP
# codec) and redis_scripts_live (the Redis-mode scripts, which also print
# figures that nothing asserts on).
#
#   redis_live.sh NAME DRIVER PORT SECONDS
set -euo pipefail

name=$1 driver=$2 port=$3 seconds=$4

fail() { echo "$name live check FAILED: $*"; exit 1; }

server=$(command -v redis-server || true)
[ -n "$server" ] || fail "redis-server is not installed" \
    "(apt-get install redis-server; ./build.sh test installs it)"
[ -x "$driver" ] || fail "no $driver (make -C t/unit builds it)"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "something already listens on 127.0.0.1:$port"
fi

tmp=$(mktemp -d)
pid=""

cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

"$server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$tmp" --logfile "$tmp/redis.log" --daemonize no \
    --cluster-enabled yes --cluster-config-file nodes.conf &
pid=$!

for i in $(seq 50); do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "$name live check FAILED: redis-server exited:"
        cat "$tmp/redis.log"
        exit 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        break
    fi
    [ "$i" != 50 ] || fail "redis-server not listening after 5 s"
    sleep 0.1
done

echo "$("$server" --version | cut -d' ' -f1-3) on 127.0.0.1:$port"
if ! timeout "$seconds" "$driver" "$port"; then
    echo "$name live check FAILED; the server's log:"
    tail -20 "$tmp/redis.log"
    exit 1
fi
