#!/usr/bin/env bash
# Builds some testdata guests with an older Go release and records what qemu-mips does, so
# that the VM is checked against the runtimes of Go 1.21 to 1.26 too (CI has one Go).
#
# Usage: testdata/compat/regen.sh GOROOT NAME...
#   e.g. testdata/compat/regen.sh ~/sdk/go1.21.13 timers nilpanic workerpool
# Writes compat/goVERSION/NAME.elf and NAME.{stdout,stderr,public,exit}.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
goroot="$1"; shift
go="$goroot/bin/go"
version=$("$go" env GOVERSION)
mkdir -p "$here/$version"
for name in "$@"; do
  out="$here/$version/$name"
  (cd "$here/../guests" && GOROOT="$goroot" GOOS=linux GOARCH=mips GOMIPS=softfloat CGO_ENABLED=0 \
    GOTOOLCHAIN=local "$go" build -trimpath -buildvcs=false -o "$out.elf" "./$name")
  input=/dev/null; [ -f "$here/../inputs/$name.bin" ] && input="$here/../inputs/$name.bin"
  set +e
  env -i qemu-mips "$out.elf" < "$input" > "$out.stdout" 2> "$out.stderr" 3> "$out.public"
  echo $? > "$out.exit"
  set -e
  echo "$version/$name: exit $(cat "$out.exit")"
done
