#!/usr/bin/env bash
# The runner's own negative tests: each *.tn here is a Test::Nginx file
# that must fail, with the text its "# must fail with:" line gives, under
# our runner as under the real one.  They are not *.t, so "prove -r t/"
# leaves them alone.
#
#   t/runner/run.sh [LIB]    LIB: the runner's lib folder (none: @INC's)
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
inc=()
[ -n "${1:-}" ] && inc=(-I "$1")
failed=0
for f in t/runner/*.tn; do
    want=$(sed -n 's/^# must fail with: //p' "$f")
    # the server root must come from the runner, not from this shell
    out=$(env -u TEST_NGINX_SERVROOT perl "${inc[@]}" "$f" 2>&1)
    rc=$?
    if [ -z "$want" ]; then
        echo "not ok - $f has no \"# must fail with:\" line"
        failed=1
    elif [ $rc = 0 ]; then
        echo "not ok - $f passed, it must fail"
        failed=1
    elif ! grep -qF -- "$want" <<< "$out"; then
        echo "not ok - $f failed, but not with: $want"
        sed 's/^/#   /' <<< "$out" | tail -15
        failed=1
    else
        echo "ok - $f fails with: $want"
    fi
done
exit $failed
