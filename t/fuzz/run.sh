#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer and runs each for a bounded time:
#   t/fuzz/run.sh [SECONDS [TARGET...]]
#   (./build.sh fuzz [SECONDS [TARGET...]])
# TARGET names one, such as fuzz_resp; without any, every t/fuzz/fuzz_*.cpp.
# Corpora live in build/fuzz/corpus/<target>; crashes are written to
# build/fuzz/ and make the run fail.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=()
for name in "$@"; do
    name=$(basename "$name" .cpp)
    if [ ! -f "t/fuzz/$name.cpp" ]; then
        echo "fuzz: no target t/fuzz/$name.cpp" >&2
        exit 2
    fi
    targets+=("t/fuzz/$name.cpp")
done
[ ${#targets[@]} -gt 0 ] || targets=(t/fuzz/fuzz_*.cpp)
out=build/fuzz
mkdir -p "$out"

flags="-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined"
flags="$flags -fno-sanitize-recover=all -Isrc/protocol"
protocol=$(ls src/protocol/*.cpp)

rc=0
for target in "${targets[@]}"; do
    name=$(basename "$target" .cpp)
    clang++ $flags "$target" $protocol -lcrypto -o "$out/$name"
    mkdir -p "$out/corpus/$name"
    case $name in
        fuzz_websocket)
            # seeds: a masked text frame, a ping, a fragmented message
            printf '\x05\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58' \
                > "$out/corpus/$name/hello"
            printf '\x01\x89\x80\x01\x02\x03\x04' > "$out/corpus/$name/ping"
            printf '\x03\x01\x81\x00\x00\x00\x00H\x80\x81\x00\x00\x00\x00i' \
                > "$out/corpus/$name/fragments"
            ;;
        fuzz_cursor)
            printf '0badcafe:1' > "$out/corpus/$name/one"
            printf '"0badcafe:1,0,18446744073709551615"' \
                > "$out/corpus/$name/many"
            ;;
        fuzz_channel_id)
            printf '\x00\xffroom.1 room-2 caf\xc3\xa9' > "$out/corpus/$name/list"
            printf '\x00\x05a\x01b' > "$out/corpus/$name/control"
            ;;
        fuzz_sse)
            printf '\x0a\x07'"0badcafe:3myEventline1\r\nline2\rx\n" \
                > "$out/corpus/$name/event"
            printf '\x14\x00'"W/\"0badcafe:1,2\" : a" > "$out/corpus/$name/etag"
            ;;
        fuzz_handshake)
            printf 'dGhlIHNhbXBsZSBub25jZQ==' > "$out/corpus/$name/rfc"
            ;;
        fuzz_token)
            printf '\x04news1893456000:news,user.42.*' > "$out/corpus/$name/grant"
            printf '\x03a,b1893456000:x\\*,a\\,b,c\\\\*' \
                > "$out/corpus/$name/escaped"
            printf '\x00MTg5MzQ1NjAwMDpuZXdz.5VZ7PP88_DBvIExmC1ikAZ5jswzE5dhfEcyhyOZZzZc' \
                > "$out/corpus/$name/token"
            ;;
        fuzz_resp)
            # byte 0 picks the limits (16 nodes, depth 5, 1024-byte bulks),
            # byte 1 the cuts.  seeds: every type back to back, pub/sub
            # push frames, an attribute inside an array
            printf '\xb2\x07+OK\r\n-ERR x\r\n:-42\r\n$3\r\nfoo\r\n$-1\r\n*-1\r\n*2\r\n:1\r\n*1\r\n$0\r\n\r\n_\r\n#t\r\n,1.5e3\r\n(-123\r\n=7\r\ntxt:abc\r\n!3\r\nERR\r\n%%1\r\n+k\r\n~1\r\n:1\r\n' \
                > "$out/corpus/$name/types"
            printf '\xb2\x03>3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n' \
                > "$out/corpus/$name/pubsub"
            printf '\xb2\x11*2\r\n|1\r\n+ttl\r\n:3\r\n:1\r\n:2\r\n' \
                > "$out/corpus/$name/attribute"
            ;;
        fuzz_redis_reply)
            # seeds: publish's reply, "none" then "epoch", history with an
            # entry as an array and one as a RESP3 map, an announcement in
            # a push frame, and announcements as bare payloads
            printf '*9\r\n$2\r\nok\r\n$8\r\n0badcafe\r\n:0\r\n:5\r\n:3\r\n:3\r\n:100\r\n:3600000\r\n:2\r\n' \
                > "$out/corpus/$name/publish"
            printf '*1\r\n$4\r\nnone\r\n*2\r\n+epoch\r\n$8\r\ndeadbeef\r\n' \
                > "$out/corpus/$name/none-epoch"
            printf '*9\r\n+ok\r\n$8\r\n0badcafe\r\n:2\r\n:9\r\n:8\r\n:2\r\n:2000\r\n:60000\r\n*2\r\n*2\r\n$3\r\n8-0\r\n*8\r\n$1\r\nt\r\n$13\r\n1700000000000\r\n$1\r\nc\r\n$10\r\ntext/plain\r\n$1\r\ne\r\n$0\r\n\r\n$1\r\nd\r\n$5\r\nhello\r\n*2\r\n$3\r\n9-0\r\n%%4\r\n+t\r\n+1700000000001\r\n+c\r\n+\r\n+e\r\n+tick\r\n+d\r\n$2\r\nhi\r\n' \
                > "$out/corpus/$name/history"
            printf '>3\r\n$8\r\nsmessage\r\n$13\r\n{p:ch}:pubsub\r\n$44\r\nm 0badcafe 7 2000 60000 10 3\ntext/plainmsghi\r\n' \
                > "$out/corpus/$name/smessage"
            printf 'm 0badcafe 7 2000 60000 10 3\ntext/plainmsghello' \
                > "$out/corpus/$name/message"
            printf 'n 0badcafe 18446744073709551615 100 3600000' > "$out/corpus/$name/notice"
            printf 'd 0badcafe 12' > "$out/corpus/$name/delete"
            ;;
        fuzz_redis_url)
            # bytes 0..23 are also the backoff's min, max, attempt, random
            printf 'redis://app:s%%40cret@[::1]:6379/2' \
                > "$out/corpus/$name/full"
            printf 'redis://:secret@cache:6379' > "$out/corpus/$name/password"
            printf 'redis://cache' > "$out/corpus/$name/host"
            printf 'rediss://cache:6380/2147483648?x#y' \
                > "$out/corpus/$name/refused"
            printf '\x64\0\0\0\0\0\0\0\x88\x13\0\0\0\0\0\0\x05\0\0\0\xff\xff\xff\xff' \
                > "$out/corpus/$name/backoff"
            ;;
        fuzz_utf8)
            printf '\x02caf\xc3\xa9 \xf0\x9f\x98\x80' > "$out/corpus/$name/text"
            printf '\x01\xed\xa0\x80' > "$out/corpus/$name/surrogate"
            ;;
    esac
    echo "fuzz: $name for ${seconds}s"
    # t/fuzz/regress/<target>/ keeps inputs that once failed: replayed
    # every run, never written to
    regress=""
    [ -d "t/fuzz/regress/$name" ] && regress="$PWD/t/fuzz/regress/$name"
    (cd "$out" && "./$name" -max_total_time="$seconds" -print_final_stats=1 \
        "corpus/$name" $regress 2>&1 | grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|Done|stat::|==|SUMMARY)' | tail -8) \
        || rc=1
    if ls "$out"/crash-* "$out"/leak-* >/dev/null 2>&1; then
        echo "fuzz: $name found a crash: $(ls "$out"/crash-* "$out"/leak-*)"
        rc=1
    fi
done
exit $rc
