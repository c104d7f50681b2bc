#!/usr/bin/env bash
# Turns bench/redis.sh's result files into one table (ours, Nchan, ratio)
# and the verdict on each target of the Redis benchmark (issue 15).
#
#   bench/redis-report.sh RESULTS_DIR
set -euo pipefail

dir=$1

get() {  # get SYS SCENARIO KEY
    local f="$dir/$1.$2"
    [ -f "$f" ] || { echo "-"; return; }
    awk -v k="$3" '$1 == k { print $2; found = 1; exit } END { if (!found) print "-" }' "$f"
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "-" || b == "-" || b + 0 == 0) { print "-"; exit }
        printf "%.2f", a / b }'
}

W='%-20s %-34s %11s %11s %7s\n'

row() {  # row SCENARIO LABEL KEY
    local a b
    a=$(get ours "$1" "$3")
    b=$(get nchan "$1" "$3")
    printf "$W" "$1" "$2" "$a" "$b" "$(ratio "$a" "$b")"
}

errors_row() {
    local s=$1 sys out=()
    for sys in ours nchan; do
        out+=("$(get "$sys" "$s" lost)/$(get "$sys" "$s" duplicated)/$(get "$sys" "$s" out_of_order)")
    done
    printf "$W" "$s" "lost/dup/out-of-order" "${out[0]}" "${out[1]}" ""
}

scenarios=$(ls "$dir" | sed -n 's/^ours\.\([^.]*\)$/\1/p' | sort -V)

echo
echo "ngx_push_module (ours) vs Nchan, Redis mode, same redis-server, same run:"
echo "two nginx servers each, subscribers (SSE) on B, publishes through A."
echo "Absolute figures on a shared 2-core machine move from run to run;"
echo "only the ratio (ours / Nchan) taken in one run counts."
echo
printf "$W" scenario figure ours nchan ratio
printf '%s\n' "$(printf '%.0s-' $(seq 87))"
for s in $scenarios; do
    case $s in
    fanout-*)
        row "$s" "cross-server latency p50 ms" latency_p50_ms
        row "$s" "cross-server latency p99 ms" latency_p99_ms
        row "$s" "cross-server latency max ms" latency_max_ms
        row "$s" "deliveries/s" deliveries_per_s
        row "$s" "nginx CPU us/delivery (A+B)" nginx_cpu_us_per_delivery
        row "$s" "Redis CPU us/publish" redis_cpu_us_per_publish
        errors_row "$s"
        ;;
    publish-*)
        row "$s" "publish acks/s through Redis" acks_per_s
        row "$s" "Redis CPU us/publish" redis_cpu_us_per_publish
        row "$s" "Redis commands/publish" redis_commands_per_publish
        row "$s" "nginx CPU us/publish (A+B)" nginx_cpu_us_per_publish
        row "$s" "publish errors" publish_errors
        errors_row "$s"
        ;;
    memory-*)
        row "$s" "Redis bytes/stored message" redis_bytes_per_message
        row "$s" "messages acknowledged" acked
        ;;
    restart-*)
        row "$s" "restart -> first delivery ms" mark_to_delivery_ms
        row "$s" "restart -> first ack ms" mark_to_ack_ms
        row "$s" "published" published
        row "$s" "acknowledged" acked
        row "$s" "publishes refused/unanswered" publish_errors
        row "$s" "subscriber reconnects" reconnects
        row "$s" "gap notices" gap_notices
        errors_row "$s"
        ;;
    esac
    for sys in ours nchan; do
        if [ "$(get "$sys" "$s" failed)" = 1 ]; then
            printf '%-20s %-34s %s\n' "$s" "FAILED" "$sys (see its .log)"
        fi
    done
done

echo
echo "restart: \"-\" means no message published after Redis came back was"
echo "acknowledged (or delivered) before the run ended."
echo
echo "targets (ratio ours / Nchan)"
verdict() {  # verdict LABEL RATIO OP LIMIT
    local v
    v=$(awk -v r="$2" -v op="$3" -v l="$4" 'BEGIN {
        if (r == "-") { print "NO DATA"; exit }
        ok = (op == "<=") ? (r + 0 <= l + 0) : (r + 0 >= l + 0)
        print ok ? "met" : "MISSED" }')
    printf '  %-46s %7s %s %-4s %s\n' "$1" "$2" "$3" "$4" "$v"
}
target_row() {  # target_row LABEL SCENARIO KEY OP LIMIT
    verdict "$1" "$(ratio "$(get ours "$2" "$3")" "$(get nchan "$2" "$3")")" "$4" "$5"
}
for s in $scenarios; do
    case $s in
    fanout-*) target_row "latency p99 ${s#fanout-}" "$s" latency_p99_ms "<=" 0.5 ;;
    publish-*)
        target_row "publish acks/s through Redis" "$s" acks_per_s ">=" 2
        target_row "Redis CPU per publish" "$s" redis_cpu_us_per_publish "<=" 0.5
        ;;
    esac
done
# ours must lose, duplicate and reorder nothing anywhere; a Redis restart
# must cost no acknowledged message
bad=0 restart_bad=0 seen_restart=0
for s in $scenarios; do
    for k in lost duplicated out_of_order; do
        v=$(get ours "$s" "$k")
        [ "$v" = 0 ] || bad=1
        case $s in
        restart-*) seen_restart=1; [ "$v" = 0 ] || restart_bad=1 ;;
        esac
    done
    [ "$(get ours "$s" failed)" = 1 ] && bad=1
done
printf '  %-46s %s\n' "zero lost/dup/out-of-order, ours" \
    "$([ $bad = 0 ] && echo met || echo MISSED)"
if [ $seen_restart = 1 ]; then
    printf '  %-46s %s\n' "Redis restart costs no acknowledged message" \
        "$([ $restart_bad = 0 ] && echo met || echo MISSED)"
fi
