#!/usr/bin/env bash
# VM speed benchmark: runs the CPU-bound guest testdata/elf/cpubound.elf under `zkm run`
# (instructions/second from --report) and under qemu-mips (wall time), three times each.
#
# Usage: benches/vm.sh [SCALE]    (default 20: about 2.2 billion guest instructions)
# Needs a release build (cargo build --release) and, for the comparison, qemu-mips.
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-20}"
zkm=target/release/zkm
elf=testdata/elf/cpubound.elf
[ -x "$zkm" ] || cargo build --release --quiet
report=$(mktemp)
trap 'rm -f "$report"' EXIT
for i in 1 2 3; do
  "$zkm" run "$elf" --report "$report" -- "$scale" >/dev/null
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("zkm run: %d instructions in %.2f s = %.0f M instructions/s" % (r["cycles"], r["wall_seconds"], r["instructions_per_second"]/1e6))' "$report"
done
if command -v qemu-mips >/dev/null; then
  for i in 1 2 3; do
    start=$(date +%s.%N)
    qemu-mips "$elf" "$scale" >/dev/null
    end=$(date +%s.%N)
    python3 -c "print('qemu-mips: %.2f s' % ($end - $start))"
  done
fi
