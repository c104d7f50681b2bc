#!/usr/bin/env bash
# Side-by-side benchmark: ngx_push_module and Nchan in the same nginx binary,
# the same scenarios alternating between them, one table of ratios.
#
#   bench/run.sh [--smoke]        (normally through ./build.sh bench)
#
# MODULE=path/to/ngx_push_module.so and PUSHBENCH=path/to/pushbench are set
# by build.sh.  --smoke runs small versions of the scenarios (the tests use
# it so the tool cannot rot).  Absolute figures on a shared 2-core machine
# move from run to run; only the ratios taken in one run count.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
MODULE=${MODULE:-$ROOT/build/ngx_push_module.so}
PUSHBENCH=${PUSHBENCH:-$ROOT/build/bench/pushbench}
NCHAN_MODULE=${NCHAN_MODULE:-/usr/lib/nginx/modules/ngx_nchan_module.so}
OUT=${BENCH_OUT:-$ROOT/build/bench/run}
PORT_OURS=${PORT_OURS:-18181}
PORT_NCHAN=${PORT_NCHAN:-18182}
SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1

say() { printf '%s\n' "bench: $*" >&2; }
die() { say "$*"; exit 1; }

[ -f "$MODULE" ] || die "no module at $MODULE (run ./build.sh first)"
[ -x "$PUSHBENCH" ] || die "no pushbench at $PUSHBENCH"
[ -f "$NCHAN_MODULE" ] || die "no Nchan at $NCHAN_MODULE (libnginx-mod-nchan)"

rm -rf "$OUT"
mkdir -p "$OUT/results"

# Both servers get the same nginx, workers, limits and buffers.
common_head() {
    cat <<EOF
load_module $1;
worker_processes 2;
worker_rlimit_nofile 20000;
error_log logs/error.log warn;
pid logs/nginx.pid;
events { worker_connections 16000; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_buffer_size 16k;
    client_body_temp_path logs/body;
EOF
}

write_conf() {
    local sys=$1 dir="$OUT/$1"
    mkdir -p "$dir/conf" "$dir/logs"
    if [ "$sys" = ours ]; then
        {
            common_head "$MODULE"
            cat <<EOF
    push_zone bench 64m;
    server {
        listen 127.0.0.1:$PORT_OURS backlog=4096;
        location ~ ^/pub/(?<ch>[\w.-]+)\$ {
            push_publisher;
            push_channel \$ch;
            push_message_buffer 2000;
            push_message_ttl 1h;
        }
        location ~ ^/sub/(?<ch>[\w.-]+)\$ {
            push_subscriber;
            push_channel \$ch;
            push_longpoll_timeout 60s;
        }
        location = /stats {
            push_stats;
        }
    }
}
EOF
        } > "$dir/conf/nginx.conf"
    else
        {
            common_head "$NCHAN_MODULE"
            cat <<EOF
    nchan_shared_memory_size 64m;
    server {
        listen 127.0.0.1:$PORT_NCHAN backlog=4096;
        location ~ ^/pub/(?<ch>[\w.-]+)\$ {
            nchan_publisher;
            nchan_channel_id \$ch;
            nchan_message_buffer_length 2000;
            nchan_message_timeout 1h;
        }
        location ~ ^/sub/(?<ch>[\w.-]+)\$ {
            nchan_subscriber;
            nchan_channel_id \$ch;
            nchan_subscriber_timeout 60s;
        }
        location = /status {
            nchan_stub_status;
        }
    }
}
EOF
        } > "$dir/conf/nginx.conf"
    fi
}

master_pid() { cat "$OUT/$1/logs/nginx.pid"; }

start() {
    local sys=$1
    "$NGINX_BIN" -p "$OUT/$sys" -c conf/nginx.conf \
        || die "$sys: nginx did not start (see $OUT/$sys/logs/error.log)"
    local i
    for i in $(seq 50); do
        [ -s "$OUT/$sys/logs/nginx.pid" ] && return 0
        sleep 0.1
    done
    die "$sys: no pid file"
}

stop() {
    local sys=$1 pid
    [ -s "$OUT/$sys/logs/nginx.pid" ] || return 0
    pid=$(master_pid "$sys")
    kill -QUIT "$pid" 2>/dev/null || return 0
    local i
    for i in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$OUT/$sys/logs/nginx.pid"; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$OUT/$sys/logs/nginx.pid"
}

cleanup() { stop ours; stop nchan; }
trap cleanup EXIT

port_of() { [ "$1" = ours ] && echo "$PORT_OURS" || echo "$PORT_NCHAN"; }

# zone_used SYS: bytes of shared memory in use.
zone_used() {
    if [ "$1" = ours ]; then
        curl -s "http://127.0.0.1:$PORT_OURS/stats" 2>/dev/null \
            | sed -n 's/.*"zone_used_bytes":\([0-9]*\).*/\1/p'
    else
        curl -s "http://127.0.0.1:$PORT_NCHAN/status" 2>/dev/null \
            | awk -F': *' '/^shared memory used/ { v=$2; sub(/K$/,"",v); print v*1024 }'
    fi
}

# A failure of ours fails the run.  Nchan's own failures (a message lost,
# a subscriber count that drifts) are reported in the table, not ours to
# fail on; only a run that produced no figures at all means the tool broke.
failed() {
    local sys=$1 name=$2 res=$3
    say "$name: $sys reported a failure (see $res.log)"
    echo "failed 1" >> "$res"
    if [ "$sys" = ours ] || ! grep -q '^transport ' "$res"; then
        FAILED=1
    fi
}

run_id=$$
scenario_no=0

# scenario NAME ARGS...: pushbench against both, the order alternating.
scenario() {
    local name=$1 sys order
    shift
    scenario_no=$((scenario_no + 1))
    if [ $((scenario_no % 2)) = 1 ]; then order="ours nchan"; else order="nchan ours"; fi
    for sys in $order; do
        local ch="b${run_id}s${scenario_no}"
        local res="$OUT/results/$sys.$name"
        say "$name: $sys"
        if ! "$PUSHBENCH" -P "$(port_of "$sys")" -s "/sub/$ch" -p "/pub/$ch" \
            -x "$(master_pid "$sys")" "$@" > "$res" 2> "$res.log"; then
            failed "$sys" "$name" "$res"
        fi
        sleep "$PAUSE"
    done
}

# idle NAME ARGS...: memory of held subscribers, each server started afresh
# so the baseline is a clean worker.
idle() {
    local name=$1 sys
    shift
    for sys in ours nchan; do
        stop "$sys"
        start "$sys"
        sleep 1
        local ch="i${run_id}${name//[^a-z0-9]/}"
        local res="$OUT/results/$sys.$name"
        say "$name: $sys"
        local z0; z0=$(zone_used "$sys")
        "$PUSHBENCH" -P "$(port_of "$sys")" -s "/sub/$ch" -p "/pub/$ch" \
            -x "$(master_pid "$sys")" "$@" > "$res" 2> "$res.log" &
        local bp=$!
        # sample the zone while the subscribers are held
        sleep "$IDLE_ZONE_AT"
        local z1; z1=$(zone_used "$sys")
        if ! wait "$bp"; then
            failed "$sys" "$name" "$res"
        fi
        if [ -n "$z0" ] && [ -n "$z1" ]; then
            echo "zone_bytes_per_subscriber $(( (z1 - z0) / ${N_IDLE} ))" >> "$res"
        fi
    done
}

write_conf ours
write_conf nchan
start ours
start nchan

FAILED=0
if [ $SMOKE = 1 ]; then
    N_BURST=50 M_BURST=200 M_PUB=2000 M_FANOUT=50
    N_IDLE=200 IDLE_S=2 IDLE_ZONE_AT=1 PAUSE=0.2
    NAMES_FANOUT="20 50"
else
    N_BURST=1000 M_BURST=2000 M_PUB=20000 M_FANOUT=200
    N_IDLE=10000 IDLE_S=8 IDLE_ZONE_AT=6 PAUSE=1
    NAMES_FANOUT="100 1000 10000"
fi

for t in sse ws longpoll; do
    for n in $NAMES_FANOUT; do
        drain=20
        [ "$n" -ge 10000 ] && drain=90
        scenario "fanout-$t-$n" -t "$t" -n "$n" -m "$M_FANOUT" -r 100 \
            -d "$drain"
    done
done
scenario "burst-ws-$N_BURST" -t ws -n "$N_BURST" -m "$M_BURST" -r 0 -w 64 -d 60
scenario "publish-$M_PUB" -n 0 -m "$M_PUB" -r 0 -w 64 -c 2 -t sse
for t in sse ws; do
    idle "idle-$t-$N_IDLE" -t "$t" -n "$N_IDLE" -i "$IDLE_S" -m 1
done

stop ours
stop nchan
trap - EXIT

bash "$ROOT/bench/report.sh" "$OUT/results" | tee "$OUT/report.txt"
if [ $FAILED = 1 ]; then
    say "a scenario failed: see $OUT/results/*.log"
    exit 1
fi
