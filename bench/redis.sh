#!/usr/bin/env bash
# Redis benchmark, side by side: ngx_push_module and Nchan, each as a pair
# of nginx servers (A and B) sharing one redis-server.  Subscribers are on
# B, publishes go through A, so every delivery crosses Redis.
#
#   bench/redis.sh [--smoke]      (normally through ./build.sh bench redis)
#
# One Debian redis-server is started here (loopback, no persistence, its
# own port, stopped by its pid).  Ours uses Redis database 1, Nchan
# database 2; before every scenario the Redis statistics are reset (CONFIG
# RESETSTAT) and INFO is read before and after it, with the other pair
# idle, so the Redis figures of a scenario are the system's own.
#
# Ports (environment): REDIS_PORT, PORT_OURS_A, PORT_OURS_B, PORT_NCHAN_A,
# PORT_NCHAN_B.  MODULE and PUSHBENCH are set by build.sh.  Only ratios
# taken in one run count: the machine is shared.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
REDIS_BIN=${REDIS_BIN:-/usr/bin/redis-server}
MODULE=${MODULE:-$ROOT/build/ngx_push_module.so}
PUSHBENCH=${PUSHBENCH:-$ROOT/build/bench/pushbench}
NCHAN_MODULE=${NCHAN_MODULE:-/usr/lib/nginx/modules/ngx_nchan_module.so}
OUT=${BENCH_OUT:-$ROOT/build/bench/redis}
REDIS_PORT=${REDIS_PORT:-18190}
PORT_OURS_A=${PORT_OURS_A:-18191}
PORT_OURS_B=${PORT_OURS_B:-18192}
PORT_NCHAN_A=${PORT_NCHAN_A:-18193}
PORT_NCHAN_B=${PORT_NCHAN_B:-18194}
DB_OURS=1
DB_NCHAN=2
SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1

say() { printf '%s\n' "bench: $*" >&2; }
die() { say "$*"; exit 1; }

[ -f "$MODULE" ] || die "no module at $MODULE (run ./build.sh first)"
[ -x "$PUSHBENCH" ] || die "no pushbench at $PUSHBENCH"
[ -f "$NCHAN_MODULE" ] || die "no Nchan at $NCHAN_MODULE (libnginx-mod-nchan)"
[ -x "$REDIS_BIN" ] || die "no redis-server at $REDIS_BIN (redis-server)"
command -v redis-cli >/dev/null || die "no redis-cli (redis-tools)"

rm -rf "$OUT"
mkdir -p "$OUT/results" "$OUT/redis"

rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

redis_pid() { cat "$OUT/redis/redis.pid" 2>/dev/null || true; }

redis_start() {
    rm -f "$OUT/redis/redis.pid"
    "$REDIS_BIN" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$OUT/redis" --daemonize yes \
        --pidfile "$OUT/redis/redis.pid" --logfile "$OUT/redis/redis.log" \
        || die "redis-server did not start"
    local i
    for i in $(seq 100); do
        if [ -s "$OUT/redis/redis.pid" ] && [ "$(rcli PING 2>/dev/null)" = PONG ]; then
            return 0
        fi
        sleep 0.05
    done
    die "redis-server does not answer on port $REDIS_PORT"
}

# alive PID: running, not a zombie (a daemonized redis-server is the
# child of init, which may reap it a second later; a zombie holds no port)
alive() {
    local st
    st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

# redis_stop [SIGNAL]: by its pid, then waits until it is gone.
redis_stop() {
    local pid sig=${1:-TERM} i
    pid=$(redis_pid)
    [ -n "$pid" ] || return 0
    kill "-$sig" "$pid" 2>/dev/null || { rm -f "$OUT/redis/redis.pid"; return 0; }
    for i in $(seq 200); do
        alive "$pid" || break
        sleep 0.02
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$OUT/redis/redis.pid"
}

# info_get FIELD: one field of INFO (all sections).
info_get() {
    local info
    info=$(rcli INFO all 2>/dev/null | tr -d '\r')
    awk -F: -v k="$1" '$1 == k && !found { print $2; found = 1 }' <<< "$info"
}

redis_cpu() {
    rcli INFO cpu 2>/dev/null | tr -d '\r' \
        | awk -F: '$1 == "used_cpu_sys" || $1 == "used_cpu_user" { s += $2 } END { printf "%.6f", s }'
}

# every command Redis ran since the last CONFIG RESETSTAT
redis_calls() {
    rcli INFO commandstats 2>/dev/null | tr -d '\r' \
        | sed -n 's/^cmdstat_[^:]*:calls=\([0-9]*\),.*/\1/p' \
        | awk '{ s += $1 } END { print s + 0 }'
}

common_head() {
    cat <<EOF
load_module $1;
worker_processes 2;
worker_rlimit_nofile 20000;
error_log logs/error.log notice;
pid logs/nginx.pid;
events { worker_connections 16000; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_buffer_size 16k;
    client_body_temp_path logs/body;
EOF
}

# write_conf SYS PORT: one server of a pair (A and B are the same).
write_conf() {
    local srv=$1 port=$2 dir="$OUT/$1"
    mkdir -p "$dir/conf" "$dir/logs"
    case $srv in
    ours-*)
        {
            common_head "$MODULE"
            cat <<EOF
    push_zone bench 64m;
    push_redis_server redis://127.0.0.1:$REDIS_PORT/$DB_OURS;
    push_redis_prefix bench;
    server {
        listen 127.0.0.1:$port backlog=4096;
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
        ;;
    nchan-*)
        {
            common_head "$NCHAN_MODULE"
            cat <<EOF
    nchan_shared_memory_size 64m;
    upstream bench_redis {
        nchan_redis_server redis://127.0.0.1:$REDIS_PORT/$DB_NCHAN;
    }
    server {
        listen 127.0.0.1:$port backlog=4096;
        location ~ ^/pub/(?<ch>[\w.-]+)\$ {
            nchan_publisher;
            nchan_channel_id \$ch;
            nchan_redis_pass bench_redis;
            nchan_message_buffer_length 2000;
            nchan_message_timeout 1h;
        }
        location ~ ^/sub/(?<ch>[\w.-]+)\$ {
            nchan_subscriber;
            nchan_channel_id \$ch;
            nchan_redis_pass bench_redis;
            nchan_subscriber_timeout 60s;
        }
        location = /status {
            nchan_stub_status;
        }
    }
}
EOF
        } > "$dir/conf/nginx.conf"
        ;;
    esac
}

master_pid() { cat "$OUT/$1/logs/nginx.pid"; }

start() {
    local srv=$1 i
    "$NGINX_BIN" -p "$OUT/$srv" -c conf/nginx.conf \
        || die "$srv: nginx did not start (see $OUT/$srv/logs/error.log)"
    for i in $(seq 50); do
        [ -s "$OUT/$srv/logs/nginx.pid" ] && return 0
        sleep 0.1
    done
    die "$srv: no pid file"
}

stop() {
    local srv=$1 pid i
    [ -s "$OUT/$srv/logs/nginx.pid" ] || return 0
    pid=$(master_pid "$srv")
    kill -QUIT "$pid" 2>/dev/null || return 0
    for i in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$OUT/$srv/logs/nginx.pid"; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$OUT/$srv/logs/nginx.pid"
}

SERVERS="ours-a ours-b nchan-a nchan-b"
BENCH_PID=""
cleanup() {
    [ -z "$BENCH_PID" ] || kill "$BENCH_PID" 2>/dev/null || true
    local s
    for s in $SERVERS; do stop "$s"; done
    redis_stop
}
trap cleanup EXIT

port_of() {
    case $1 in
    ours-a) echo "$PORT_OURS_A" ;; ours-b) echo "$PORT_OURS_B" ;;
    nchan-a) echo "$PORT_NCHAN_A" ;; nchan-b) echo "$PORT_NCHAN_B" ;;
    esac
}

# BENCH_ONLY=REGEX runs only the scenarios whose name matches it.
picked() { [[ $1 =~ ${BENCH_ONLY:-.} ]]; }

# info_path SYS CHANNEL: where B counts the subscribers.  Ours in Redis
# mode answers the channel info from Redis, where a channel with no
# message yet does not exist (404): its server-wide push_stats count does.
info_path() {
    if [ "$1" = ours ]; then echo /stats; else echo "/pub/$2"; fi
}

# A failure of ours fails the run.  Nchan's own failures are reported in
# the table, not ours to fail on; only a run that produced no figures at
# all means the tool broke.
failed() {
    local sys=$1 name=$2 res=$3
    say "$name: $sys reported a failure (see $res.log)"
    echo "failed 1" >> "$res"
    if [ "$sys" = ours ] || ! grep -q '^transport ' "$res"; then
        FAILED=1
    fi
}

# Redis figures of one scenario, appended to its result file.
redis_before() {
    rcli CONFIG RESETSTAT >/dev/null
    R_CPU0=$(redis_cpu)
    R_MEM0=$(info_get used_memory)
}

redis_after() {
    local res=$1 kept=${2:-0} cpu1 mem1 calls acked
    cpu1=$(redis_cpu)
    mem1=$(info_get used_memory)
    calls=$(redis_calls)
    acked=$(awk '$1 == "acked" { print $2 }' "$res")
    awk -v c0="$R_CPU0" -v c1="$cpu1" -v m0="$R_MEM0" -v m1="$mem1" \
        -v calls="$calls" -v acked="${acked:-0}" -v kept="$kept" 'BEGIN {
        cpu_us = (c1 - c0) * 1e6
        printf "redis_cpu_us %.0f\n", cpu_us
        printf "redis_commands %d\n", calls
        printf "redis_used_memory_delta %d\n", m1 - m0
        if (acked > 0) {
            printf "redis_cpu_us_per_publish %.2f\n", cpu_us / acked
            printf "redis_commands_per_publish %.2f\n", calls / acked
        }
        if (kept > 0)
            printf "redis_bytes_per_message %.0f\n", (m1 - m0) / kept
    }' >> "$res"
}

run_id=$$
scenario_no=0

# next_order: ORDER is ours first in odd scenarios, Nchan first in even
# ones (no subshell: scenario_no must count)
next_order() {
    scenario_no=$((scenario_no + 1))
    if [ $((scenario_no % 2)) = 1 ]; then ORDER="ours nchan"; else ORDER="nchan ours"; fi
}

# scenario NAME ARGS...: subscribers on B, publishes through A.
scenario() {
    local name=$1 sys
    shift
    picked "$name" || return 0
    next_order
    for sys in $ORDER; do
        local ch="r${run_id}s${scenario_no}"
        local res="$OUT/results/$sys.$name"
        say "$name: $sys"
        redis_before
        if ! "$PUSHBENCH" -P "$(port_of "$sys-b")" -Q "$(port_of "$sys-a")" \
            -s "/sub/$ch" -p "/pub/$ch" -I "$(info_path "$sys" "$ch")" \
            -x "$(master_pid "$sys-a"),$(master_pid "$sys-b")" "$@" \
            > "$res" 2> "$res.log"; then
            failed "$sys" "$name" "$res"
        fi
        redis_after "$res"
        sleep "$PAUSE"
    done
}

# memory NAME MESSAGES: a fresh channel gets MESSAGES (fewer than the
# buffer keeps, so none is trimmed) with no subscriber; Redis's
# used_memory grows by what they take.
memory() {
    local name=$1 m=$2 sys
    picked "$name" || return 0
    next_order
    for sys in $ORDER; do
        local ch="r${run_id}m${scenario_no}"
        local res="$OUT/results/$sys.$name"
        say "$name: $sys"
        sleep 0.5
        redis_before
        if ! "$PUSHBENCH" -P "$(port_of "$sys-a")" -s "/sub/$ch" -p "/pub/$ch" \
            -n 0 -m "$m" -r 0 -w 32 -c 1 -t sse > "$res" 2> "$res.log"; then
            failed "$sys" "$name" "$res"
        fi
        sleep 0.5
        redis_after "$res" "$(awk '$1 == "acked" { print $2 }' "$res")"
        sleep "$PAUSE"
    done
}

# restart NAME ARGS...: subscribers on B (reconnecting when their stream
# ends), publishes through A at a steady rate; Redis is killed (-9) and
# started again on the same port (no persistence: it comes back empty);
# pushbench is marked (SIGUSR1) when it answers PING again.
restart() {
    local name=$1 sys
    shift
    picked "$name" || return 0
    next_order
    for sys in $ORDER; do
        local ch="r${run_id}x${scenario_no}"
        local res="$OUT/results/$sys.$name"
        say "$name: $sys"
        # a fresh pair: the restart of the other system's turn must not
        # decide how this one fares (RESTART_FRESH=0 keeps the pair)
        if [ "${RESTART_FRESH:-1}" = 1 ]; then
            stop "$sys-a"; stop "$sys-b"
            start "$sys-a"; start "$sys-b"
            sleep 1
        fi
        "$PUSHBENCH" -P "$(port_of "$sys-b")" -Q "$(port_of "$sys-a")" \
            -s "/sub/$ch" -p "/pub/$ch" -I "$(info_path "$sys" "$ch")" \
            -R "$@" > "$res" 2> "$res.log" &
        BENCH_PID=$!
        # until the subscribers are in and publishing has run a while
        local i
        for i in $(seq 600); do
            grep -q 'subscribers in' "$res.log" 2>/dev/null && break
            kill -0 "$BENCH_PID" 2>/dev/null || break
            sleep 0.1
        done
        sleep "$RESTART_AFTER"
        redis_stop KILL
        sleep "$RESTART_DOWN"
        redis_start
        kill -USR1 "$BENCH_PID" 2>/dev/null || true
        if ! wait "$BENCH_PID"; then
            failed "$sys" "$name" "$res"
        fi
        BENCH_PID=""
        # the other pair lived through the restart too: let it settle
        sleep "$RESTART_SETTLE"
    done
}

redis_start
for s in $SERVERS; do
    write_conf "$s" "$(port_of "$s")"
    start "$s"
done
sleep 1

FAILED=0
if [ $SMOKE = 1 ]; then
    PAUSE=0.2 RESTART_AFTER=1 RESTART_DOWN=0.3 RESTART_SETTLE=1
    scenario "fanout-sse-300" -t sse -n 300 -m 50 -r 100 -z 0.5 -d 20
    scenario "publish-2000" -t sse -n 10 -m 2000 -r 0 -w 64 -c 2 -z 0.5 -d 30
    memory "memory-500" 500
    restart "restart-sse-100" -t sse -n 100 -m 300 -r 50 -z 0.5 -d 10
else
    PAUSE=1 RESTART_AFTER=4 RESTART_DOWN=1 RESTART_SETTLE=3
    scenario "fanout-sse-1000" -t sse -n 1000 -m 200 -r 100 -z 1 -d 20
    scenario "fanout-sse-10000" -t sse -n 10000 -m 200 -r 100 -z 1 -d 90
    scenario "publish-20000" -t sse -n 10 -m 20000 -r 0 -w 64 -c 2 -z 1 -d 60
    memory "memory-1000" 1000
    restart "restart-sse-100" -t sse -n 100 -m 1500 -r 50 -z 1 -d 15
fi

rcli INFO keyspace | tr -d '\r' > "$OUT/redis/keyspace.txt" 2>/dev/null || true
for s in $SERVERS; do stop "$s"; done
redis_stop
trap - EXIT

bash "$ROOT/bench/redis-report.sh" "$OUT/results" | tee "$OUT/report.txt"
if [ $FAILED = 1 ]; then
    say "a scenario failed: see $OUT/results/*.log"
    exit 1
fi
