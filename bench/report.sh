#!/usr/bin/env bash
# Turns bench/run.sh's result files into one table (ours, Nchan, ratio) and
# the verdict on each target of the benchmark.
#
#   bench/report.sh RESULTS_DIR
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

row() {  # row SCENARIO LABEL KEY
    local a b
    a=$(get ours "$1" "$3")
    b=$(get nchan "$1" "$3")
    printf '%-22s %-28s %12s %12s %7s\n' "$1" "$2" "$a" "$b" "$(ratio "$a" "$b")"
}

errors_row() {
    local s=$1 sys out=()
    for sys in ours nchan; do
        out+=("$(get "$sys" "$s" lost)/$(get "$sys" "$s" duplicated)/$(get "$sys" "$s" out_of_order)")
    done
    printf '%-22s %-28s %12s %12s %7s\n' "$s" "lost/dup/out-of-order" "${out[0]}" "${out[1]}" ""
}

scenarios=$(ls "$dir" | sed -n 's/^ours\.\([^.]*\)$/\1/p' | sort -V)

echo
echo "ngx_push_module (ours) vs Nchan, same nginx, same run"
echo "Absolute figures on a shared 2-core machine move from run to run;"
echo "only the ratio (ours / Nchan) taken in one run counts."
echo
printf '%-22s %-28s %12s %12s %7s\n' scenario figure ours nchan ratio
printf '%s\n' "$(printf '%.0s-' $(seq 85))"
for s in $scenarios; do
    case $s in
    fanout-*|burst-*)
        row "$s" "nginx CPU us/delivery" nginx_cpu_us_per_delivery
        row "$s" "deliveries/s" deliveries_per_s
        row "$s" "latency p50 ms" latency_p50_ms
        row "$s" "latency p99 ms" latency_p99_ms
        row "$s" "latency max ms" latency_max_ms
        row "$s" "connect s" connect_s
        errors_row "$s"
        ;;
    publish-*)
        row "$s" "publish acks/s" acks_per_s
        row "$s" "nginx CPU us/publish" nginx_cpu_us_per_publish
        row "$s" "publish errors" publish_errors
        ;;
    idle-*)
        row "$s" "worker RssAnon B/subscriber" rss_anon_bytes_per_subscriber
        row "$s" "zone B/subscriber" zone_bytes_per_subscriber
        row "$s" "connect s" connect_s
        ;;
    esac
    for sys in ours nchan; do
        if [ "$(get "$sys" "$s" failed)" = 1 ]; then
            printf '%-22s %-28s %s\n' "$s" "FAILED" "$sys (see its .log)"
        fi
    done
done

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
mid=$(echo "$scenarios" | sed -n 's/^fanout-sse-\([0-9]*\)$/\1/p' | sort -n | sed -n 2p)
for t in ws sse longpoll; do
    target_row "nginx CPU/delivery $t N=$mid" "fanout-$t-$mid" nginx_cpu_us_per_delivery "<=" 0.5
done
for t in ws sse longpoll; do
    target_row "latency p99 $t N=$mid" "fanout-$t-$mid" latency_p99_ms "<=" 0.2
done
for s in $scenarios; do
    case $s in
    idle-*) target_row "idle RssAnon/subscriber ${s#idle-}" "$s" rss_anon_bytes_per_subscriber "<=" 0.5 ;;
    burst-*) target_row "burst deliveries/s ${s#burst-}" "$s" deliveries_per_s ">=" 1.5 ;;
    publish-*) target_row "publish acks/s, no subscribers" "$s" acks_per_s ">=" 1.5 ;;
    esac
done
bad=0
for s in $scenarios; do
    for sys in ours nchan; do
        for k in lost duplicated out_of_order; do
            v=$(get "$sys" "$s" "$k")
            [ "$v" = "-" ] || [ "$v" = 0 ] || bad=1
        done
    done
done
printf '  %-46s %s\n' "zero lost/dup/out-of-order, both" "$([ $bad = 0 ] && echo met || echo MISSED)"
