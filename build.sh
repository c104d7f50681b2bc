#!/usr/bin/env bash
# Builds ngx_push_module against Debian's nginx and runs it or its tests.
#
#   ./build.sh          build build/ngx_push_module.so (installs what it needs)
#   ./build.sh run      build, then serve examples/ on http://127.0.0.1:8080/
#   ./build.sh test     build, then run every test suite
#   ./build.sh fuzz [S] build and run the fuzz targets for S seconds each
#                       (fuzz S TARGET... only those, e.g. fuzz 60 fuzz_resp)
#   ./build.sh bench    build, then benchmark side by side with Nchan
#   ./build.sh bench redis
#                       the same for the Redis mode: two servers per system
#                       on one redis-server (bench/redis.sh)
#
# NGINX_SRC=/path/to/nginx-x.y.z builds against a full upstream source tree
# instead of the headers in Debian's nginx-dev.  SANITIZE=1 builds the module
# with AddressSanitizer and UBSan (its own build folder).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"

if [ "${SANITIZE:-0}" = 1 ]; then
    BUILD="$ROOT/build/asan"
else
    BUILD="$ROOT/build"
fi
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}

say() { printf '%s\n' "build.sh: $*" >&2; }
die() { say "$*"; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages the build and the tests need.
DEPS_BUILD="nginx-light nginx-dev libssl-dev g++ make dpkg-dev"
DEPS_TEST="libcmocka-dev libtest-base-perl curl chromium gdb redis-server"
DEPS_BENCH="libnginx-mod-nchan redis-server"

apt_updated=0
need_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing ${missing[*]}"
    if [ $apt_updated = 0 ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# The nginx service the package may have started is not ours to run.
configure_nginx() {
    local src="$BUILD/nginx-src" stamp="$BUILD/configure.stamp" want
    local cflags="-g -O2 -fstack-protector-strong -Wformat"
    local ldflags="-Wl,-z,relro -Wl,-z,now"

    cflags="$cflags -Werror=format-security -Wdate-time -D_FORTIFY_SOURCE=2"
    if command -v dpkg-buildflags >/dev/null; then
        cflags="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
        ldflags="$(dpkg-buildflags --get LDFLAGS)"
        cflags="${cflags//-ffile-prefix-map=$ROOT=./}"
    fi
    cflags="$cflags -fPIC"
    ldflags="$ldflags -fPIC"
    local cxx_extra=""
    if [ "${SANITIZE:-0}" = 1 ]; then
        cxx_extra="-fsanitize=address,undefined -fno-omit-frame-pointer"
        ldflags="$ldflags -fsanitize=address,undefined"
    fi

    want=$(cat config config.make "$0" | sha1sum | cut -d' ' -f1)
    want="$want ${NGINX_SRC:-debian} ${SANITIZE:-0}"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
        && [ -f "$BUILD/obj/Makefile" ]; then
        return 0
    fi

    say "configuring against ${NGINX_SRC:-Debian nginx-dev}"
    rm -rf "$src" "$BUILD/obj"
    mkdir -p "$BUILD"
    if [ -n "${NGINX_SRC:-}" ]; then
        [ -x "$NGINX_SRC/configure" ] || die "NGINX_SRC has no configure"
        cp -a "$NGINX_SRC" "$src"
        (cd "$src" && NGX_PUSH_EXTRA_CXXFLAGS="$cxx_extra" ./configure \
            --with-compat --with-cc-opt="$cflags" --with-ld-opt="$ldflags" \
            --add-dynamic-module="$ROOT" --builddir="$BUILD/obj") \
            > "$BUILD/configure.log" 2>&1 \
            || { tail -20 "$BUILD/configure.log"; die "configure failed"; }
    else
        cp -a /usr/share/nginx/src "$src"
        (cd "$src" && . ./conf_flags \
            && NGX_PUSH_EXTRA_CXXFLAGS="$cxx_extra" ./configure \
            --with-cc-opt="$cflags" --with-ld-opt="$ldflags" \
            "${NGX_CONF_FLAGS[@]}" \
            --add-dynamic-module="$ROOT" --builddir="$BUILD/obj") \
            > "$BUILD/configure.log" 2>&1 \
            || { tail -20 "$BUILD/configure.log"; die "configure failed"; }
    fi
    echo "$want" > "$stamp"
}

build_module() {
    need_packages $DEPS_BUILD
    configure_nginx
    make -s -C "$BUILD/nginx-src" -f "$BUILD/obj/Makefile" \
        -j"$(nproc)" modules >&2
    install_module "$BUILD/obj/ngx_push_module.so" "$BUILD/ngx_push_module.so"
}


# A running nginx (./build.sh run, a test) has the installed module mapped:
# writing into that file changes its code under it, and its workers crash.
# A new module goes beside it and is renamed over it, so the running one
# keeps the old file; an unchanged one is not touched at all.
install_module() {
    local from="$1" to="$2" tmp="$2.new.$$"
    if [ -f "$to" ] && cmp -s "$from" "$to"; then
        say "$to is up to date"
        return 0
    fi
    cp -p "$from" "$tmp"
    mv -f "$tmp" "$to"
    say "built $to"
}

# Files the runner must refuse (t/runner/*.tn): what the real Test::Nginx
# rejects, ours must reject too, or CI would pass a suite it fails.
run_runner() {
    pick_runner
    # they use no push directive: stock nginx, no module (which may be
    # the sanitized build, that only the wrapper can load)
    TEST_NGINX_BINARY="$NGINX_BIN" TEST_NGINX_LOAD_MODULES="" \
        bash t/runner/run.sh "$RUNNER_INC"
}

run_units() {
    make -s -C t/unit BUILD="$ROOT/build/unit" check
}

# How the module is installed (t/install/install.sh).  The sanitized module
# loads only with its runtime preloaded: that run skips it.
run_install() {
    if [ "${SANITIZE:-0}" = 1 ]; then
        say "install check skipped with SANITIZE=1"
        return 0
    fi
    BUILD="$BUILD" NGINX_BIN="$NGINX_BIN" bash t/install/install.sh
}

# Which Test::Nginx runs the suites: the real one when it is installed
# (or TEST_NGINX_LIB names its lib folder), else ours in t/lib.  Sets
# RUNNER_INC (prove's -I, empty for @INC) and says which.
pick_runner() {
    if [ -n "${TEST_NGINX_LIB:-}" ]; then
        [ -f "$TEST_NGINX_LIB/Test/Nginx/Socket.pm" ] \
            || die "TEST_NGINX_LIB has no Test/Nginx/Socket.pm"
        RUNNER_INC=$TEST_NGINX_LIB
        say "runner: the real Test::Nginx in $TEST_NGINX_LIB"
    elif perl -MTest::Nginx::Socket -e 1 >/dev/null 2>&1; then
        local where='print $INC{"Test/Nginx/Socket.pm"}'
        RUNNER_INC=""
        say "runner: the real Test::Nginx, installed" \
            "($(perl -MTest::Nginx::Socket -e "$where" 2>/dev/null))"
    else
        RUNNER_INC="$ROOT/t/lib"
        say "runner: ours (t/lib); no real Test::Nginx is installed"
    fi
}

run_suites() {
    local files=("$@") rc=0 reports="" bin="$NGINX_BIN"
    local inc=()
    pick_runner
    [ -z "$RUNNER_INC" ] || inc=(-I "$RUNNER_INC")
    [ ${#files[@]} -gt 0 ] || files=(t/[0-9]*.t)
    if [ "${SANITIZE:-0}" = 1 ]; then
        # stock nginx is not instrumented: the runtime must load first,
        # into nginx only (the tests' own tools do not run under it)
        reports="$BUILD/sanitizer"
        rm -rf "$reports" && mkdir -p "$reports"
        bin="$BUILD/nginx-sanitized"
        {
            echo '#!/bin/sh'
            echo "export LD_PRELOAD=$(gcc -print-file-name=libasan.so)"
            echo "export ASAN_OPTIONS=detect_leaks=0:log_path=$reports/asan"
            echo "export UBSAN_OPTIONS=print_stacktrace=1:log_path=$reports/ubsan"
            echo "exec $NGINX_BIN \"\$@\""
        } > "$bin"
        chmod +x "$bin"
    fi
    TEST_NGINX_BINARY="$bin" \
    TEST_NGINX_LOAD_MODULES="$BUILD/ngx_push_module.so" \
        prove "${inc[@]}" "${files[@]}" || rc=$?
    [ -z "$reports" ] || sanitizer_clean "$reports" || rc=1
    return $rc
}


# Fails, showing them, when the sanitized nginx left reports in $1.
sanitizer_clean() {
    if ls "$1"/* >/dev/null 2>&1 \
        && grep -l 'ERROR\|runtime error' "$1"/* >/dev/null; then
        grep -h -A30 'ERROR\|runtime error' "$1"/* | head -80
        say "sanitizer reports in $1"
        return 1
    fi
}


# The demo page and Nchan's browser client in headless chromium:
# t/e2e/run.sh installs playwright-core and nchan (npm ci) itself.  With SANITIZE=1 it runs the wrapper run_suites made (the
# runtime preloaded) and fails on a report.
run_e2e() {
    local bin="$NGINX_BIN" reports="$BUILD/sanitizer" rc=0
    [ "${SANITIZE:-0}" = 1 ] && bin="$BUILD/nginx-sanitized"
    NGINX_BIN="$bin" E2E_OUT="$BUILD/e2e" \
        bash t/e2e/run.sh "$BUILD/ngx_push_module.so" || rc=$?
    if [ "${SANITIZE:-0}" = 1 ]; then
        sanitizer_clean "$reports" || rc=1
    fi
    return $rc
}

build_bench() {
    make -s -C bench BUILD="$ROOT/build/bench" >&2
}

# Both benchmarks in small (about 30 s and 45 s), so that the tools cannot
# rot: the one-server one fails when either server loses, duplicates or
# reorders a message, the Redis one when ours does (Nchan's failures there
# are figures in its table).
run_bench_smoke() {
    [ "${SANITIZE:-0}" = 1 ] && { say "bench smoke skipped with SANITIZE=1"; return 0; }
    need_packages $DEPS_BENCH
    build_bench
    local rc=0
    BENCH_OUT="$ROOT/build/bench/smoke" MODULE="$BUILD/ngx_push_module.so" \
        PUSHBENCH="$ROOT/build/bench/pushbench" bash bench/run.sh --smoke \
        || rc=1
    BENCH_OUT="$ROOT/build/bench/redis-smoke" MODULE="$BUILD/ngx_push_module.so" \
        PUSHBENCH="$ROOT/build/bench/pushbench" bash bench/redis.sh --smoke \
        || rc=1
    return $rc
}

# ./build.sh bench [--smoke]: one server each; ./build.sh bench redis
# [--smoke]: the Redis mode
cmd_bench() {
    local script=bench/run.sh
    if [ "${1:-}" = redis ]; then
        script=bench/redis.sh
        shift
    fi
    need_packages $DEPS_BENCH
    build_module
    build_bench
    MODULE="$BUILD/ngx_push_module.so" PUSHBENCH="$ROOT/build/bench/pushbench" \
        exec bash "$script" "$@"
}

cmd_test() {
    need_packages $DEPS_TEST
    build_module
    local failed=0 passed=0 name
    for name in units install runner suites e2e bench_smoke; do
        say "running $name"
        if "run_$name"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            say "$name FAILED"
        fi
    done
    # CI has the time for the whole suite again against the sanitized
    # module (about five minutes more)
    if [ "${CI:-}" = true ] && [ "${SANITIZE:-0}" != 1 ]; then
        say "running everything again with SANITIZE=1"
        if SANITIZE=1 "$ROOT/build.sh" test; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            say "sanitized run FAILED"
        fi
    fi
    echo "test groups: $passed passed, $failed failed"
    [ $failed = 0 ]
}

cmd_run() {
    build_module
    local dir="$ROOT/build/run"
    mkdir -p "$dir/logs" "$dir/conf"
    sed -e "s#@MODULE@#$BUILD/ngx_push_module.so#" \
        -e "s#@HTML@#$ROOT/examples/html#" \
        examples/nginx.conf > "$dir/conf/nginx.conf"
    "$NGINX_BIN" -p "$dir" -c conf/nginx.conf -t -q
    cat <<EOF
ngx_push_module is serving on http://127.0.0.1:8080/  (Ctrl-C stops it)
  long-poll:  curl http://127.0.0.1:8080/sub/demo
  SSE:        curl -N -H 'Accept: text/event-stream' http://127.0.0.1:8080/sub/demo
  publish:    curl -d 'hello' http://127.0.0.1:8080/pub/demo
  channel:    curl http://127.0.0.1:8080/pub/demo
EOF
    exec "$NGINX_BIN" -p "$dir" -c conf/nginx.conf -g 'daemon off;'
}

cmd_fuzz() {
    need_packages clang libclang-rt-14-dev libssl-dev
    exec bash t/fuzz/run.sh "${1:-60}" "${@:2}"
}

case "${1:-build}" in
    build) build_module ;;
    run)   cmd_run ;;
    test)  shift; cmd_test "$@" ;;
    suite) shift; build_module; run_suites "$@" ;;
    fuzz)  shift; cmd_fuzz "$@" ;;
    bench) shift; cmd_bench "$@" ;;
    *)     die "usage: $0 [build|run|test|suite FILES...|fuzz [SECONDS [TARGET...]]|bench [redis]]" ;;
esac
