#!/usr/bin/env bash
# The RESP codec against a real server: starts Debian's redis-server on
# 127.0.0.1:27379 in a temporary directory (no persistence; a one-node
# cluster, so CLUSTER KEYSLOT can check our slot function), runs resp_live
# against it, and stops the server by its pid whatever happens.
#
#   resp_live.sh BUILD_UNIT_DIR
set -euo pipefail

port=${RESP_LIVE_PORT:-27379}
driver=$1/resp_live

server=$(command -v redis-server || true)
if [ -z "$server" ]; then
    echo "resp live check FAILED: redis-server is not installed" \
         "(apt-get install redis-server; ./build.sh test installs it)"
    exit 1
fi
if [ ! -x "$driver" ]; then
    echo "resp live check FAILED: no $driver (make -C t/unit builds it)"
    exit 1
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "resp live check FAILED: something already listens on" \
         "127.0.0.1:$port"
    exit 1
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
        echo "resp live check FAILED: redis-server exited:"
        cat "$tmp/redis.log"
        exit 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        break
    fi
    if [ "$i" = 50 ]; then
        echo "resp live check FAILED: redis-server not listening after 5 s"
        exit 1
    fi
    sleep 0.1
done

echo "$("$server" --version | cut -d' ' -f1-3) on 127.0.0.1:$port"
if ! timeout 60 "$driver" "$port"; then
    echo "resp live check FAILED; the server's log:"
    tail -20 "$tmp/redis.log"
    exit 1
fi
