#!/usr/bin/env bash
# Rebuilds every guest in testdata/guests/ and records its expected behaviour.
#
# For each guest NAME (a directory with a main package):
#   elf/NAME.elf                  built with `zkm build` (the Go version goes to GO_VERSION)
#   expected/NAME.stdout|stderr|public|exit
#                                 what qemu-mips prints, writes on fd 3 and exits with, given
#                                 inputs/NAME.bin (or nothing) on stdin, an empty environment
#                                 and the arguments in args/NAME (or none).
# Usage: testdata/regen.sh [NAME...]   (needs Go and qemu-mips; run from anywhere)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
zkm="${ZKM:-$here/../target/release/zkm}"
[ -x "$zkm" ] || (cd .. && cargo build --release --quiet)
command -v qemu-mips >/dev/null || { echo "regen.sh needs qemu-mips (apt-get install qemu-user)" >&2; exit 1; }
go version | awk '{print $3}' > GO_VERSION
mkdir -p elf expected
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for d in guests/*/; do
    n=$(basename "$d")
    ls "$d"*.go >/dev/null 2>&1 && grep -q '^package main' "$d"*.go && names+=("$n")
  done
fi
for name in "${names[@]}"; do
  "$zkm" build -q "guests/$name" -o "elf/$name.elf"
  input=/dev/null; [ -f "inputs/$name.bin" ] && input="inputs/$name.bin"
  args=(); [ -f "args/$name" ] && read -r -a args < "args/$name"
  set +e
  env -i qemu-mips "elf/$name.elf" "${args[@]}" < "$input" > "expected/$name.stdout" \
    2> "expected/$name.stderr" 3> "expected/$name.public"
  echo $? > "expected/$name.exit"
  set -e
  echo "$name: exit $(cat "expected/$name.exit"), $(wc -c < "elf/$name.elf") bytes"
done
