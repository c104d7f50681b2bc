#!/usr/bin/env bash
# The zone's layout stamp, computed by the compiler over the real shared
# structs (src/zone/ngx_push_zone.h, with nginx's headers from the tree
# ./build.sh configured), must change when a record's two fields of one
# size swap places: the struct sizes stay, the layout does not.
#
#   layout_probe.sh BUILD_UNIT_DIR [ZONE_HEADER]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
header=${2:-$here/../../src/zone/ngx_push_zone.h}
tree=$out/../nginx-src
obj=$out/../obj

if [ ! -f "$obj/Makefile" ] || [ ! -d "$tree/src/core" ]; then
    echo "layout probe skipped: no configured nginx tree in $out/.." \
         "(./build.sh makes one)"
    exit 0
fi

# nginx's include paths, relative to its tree, as its Makefile has them
incs=$(sed -n '/^ALL_INCS = /,/[^\\]$/p' "$obj/Makefile" \
       | sed 's/^ALL_INCS = //; s/\\$//' | tr '\n\t' '  ')

mkdir -p "$out/layout/real" "$out/layout/swapped"
cp "$header" "$out/layout/real/ngx_push_zone.h"
perl -0pe 's/(\n    uint32_t +count;[^\n]*\n)(    uint32_t +slot;[^\n]*\n)/\n$2$1/
           or die "no count and slot fields to swap\n"' \
    "$header" > "$out/layout/swapped/ngx_push_zone.h"

stamp() {
    (cd "$tree" && g++ -std=c++17 -fno-exceptions -fno-rtti -w \
        -I "$out/layout/$1" $incs "$here/layout_probe.cpp" \
        -o "$out/layout/probe_$1") && "$out/layout/probe_$1"
}

real=$(stamp real)
swapped=$(stamp swapped)

echo "layout stamp $real; with a record's count and slot swapped $swapped"

if [ "$real" = "$swapped" ]; then
    echo "FAILED: the stamp does not see fields that change places"
    exit 1
fi
