#!/usr/bin/env bash
# Regenerates startup-order.txt: the functions of the `wxudp` binary that a `wxudp run`
# executes, in the order they are first listed by callgrind for each script below (a
# hello script first, then the examples). The release build asks the linker to place
# them together at the start of the code (`--symbol-ordering-file`, see build.rs), so
# that start-up touches a few dense 64 KiB blocks of the binary instead of pages all
# over it (the kernel maps 64 KiB around every page fault of a file; docs/PERFORMANCE.md,
# fourth step, has what it saves).
#
# Needs valgrind. Run from anywhere after `cargo build --release -p wxudp-cli` (the
# binary is taken from $CARGO_TARGET_DIR, else target/, or given as the first
# argument); the scripts talk only over loopback. Names that a later build no longer
# has are ignored by the linker, so a stale list costs memory, never correctness.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd -P)"
exe="${1:-${CARGO_TARGET_DIR:-$root/target}/release/wxudp}"
out="$root/crates/wxudp-cli/link/startup-order.txt"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

[ -x "$exe" ] || { echo "no $exe: build it first (cargo build --release -p wxudp-cli)" >&2; exit 1; }
# callgrind names the binary by its real path.
exe="$(realpath "$exe")"
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }

echo "console.log('hello')" > "$work/hello.js"
runs=("$work/hello.js" "$root/examples/hello.js" "$root/examples/project" "$root/examples/modules/app.js")
n=0
for script in "${runs[@]}"; do
    n=$((n + 1))
    valgrind --tool=callgrind --demangle=no --compress-strings=no --compress-pos=no \
        --callgrind-out-file="$work/$n.out" "$exe" run --timeout 20 "$script" >/dev/null 2>&1
done

# Every function with a cost line while the current object is the binary itself, each
# name once, in the order of the runs.
for i in $(seq 1 "$n"); do
    awk -v exe="$exe" '
        /^ob=/ { ob = substr($0, 4) }
        /^fn=/ { fn = substr($0, 4); sub(/\047[0-9]+$/, "", fn) }
        /^(0x|[0-9+-])/ { if (ob == exe && fn != "" && fn !~ /^0x/ && fn != "(below main)") print fn }
    ' "$work/$i.out" | awk '!seen[$0]++'
done | awk '!seen[$0]++' > "$out.new"
# A run that recognised nothing (another binary, a failed script) must not replace the list.
if [ "$(wc -l < "$out.new")" -lt 500 ]; then
    echo "only $(wc -l < "$out.new") functions found; $out left as it was" >&2
    rm -f "$out.new"
    exit 1
fi
mv "$out.new" "$out"
echo "$(wc -l < "$out") functions in $out"
