#!/usr/bin/env bash
# The runner's own negative tests: each *.tn here is a Test::Nginx file
# that must fail, with the text its "# must fail with:" line gives, under
# our runner as under the real one.  They are not *.t, so "prove -r t/"
# leaves them alone.
#
#   t/runner/run.sh [LIB]    LIB: the runner's lib folder (none: @INC's)
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
inc=()
[ -n "${1:-}" ] && inc=(-I "$(cd "$1" && pwd)")
# the server root must come from the runner, not from this shell: each
# runner then makes t/servroot in the current folder, a scratch one here
scratch=$(mktemp -d)
mkdir "$scratch/t"
trap 'rm -rf "$scratch"' EXIT
failed=0
for f in "$here"/*.tn; do
    # the message, continued on "#+" lines (joined with one space)
    want=$(sed -n -e 's/^# must fail with: //p' -e 's/^#+ //p' "$f" \
           | paste -sd ' ')
    out=$(cd "$scratch" \
          && env -u TEST_NGINX_SERVROOT perl "${inc[@]}" "$f" 2>&1)
    rc=$?
    f=t/runner/${f##*/}
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
