#!/usr/bin/env bash
# Builds the Release why502 with profile-guided optimisation (GCC): a first build records
# which branches and calls a training run takes, the training run reads the captures that
# come with the sources, and a second build lays the code out by those counts. The program's
# output is the same as a plain Release build's; it runs fewer instructions (bench/README.md).
#
#   scripts/build-release.sh [--dir DIR] [--no-pgo] [--jobs N]
#
#   --dir DIR   build directory (default build-release/ in the tree); the profile is kept in
#               DIR/pgo and made anew on each run
#   --no-pgo    a plain Release build (link-time optimisation only), as without GCC
#   --jobs N    parallel compile jobs (default 2)
#
# The training captures are examples/ and tests/captures/ (gateways' failures and successes,
# HTTP/1, HTTP/2, TLS, DNS, tunnels): never the benchmark's own captures, so the benchmark
# measures a build that has not seen them. The program is DIR/why502 (and DIR/why502-stages,
# bench/run.sh --stages). Exit 0 when it built.
set -euo pipefail
export LC_ALL=C

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/build-release"
PGO=1
JOBS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="${2:?--dir wants a directory}"; shift 2 ;;
    --no-pgo) PGO=0; shift ;;
    --jobs) JOBS="${2:?--jobs wants a number}"; shift 2 ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "build-release: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
say() { echo "build-release: $*" >&2; }
cc="${CC:-cc}"
if [ $PGO -eq 1 ] && ! "$cc" --version 2>/dev/null | grep -qi 'gcc\|free software foundation'; then
  say "$cc is not GCC: a plain Release build, without profile-guided optimisation"
  PGO=0
fi
configure() {
  cmake -S "$ROOT" -B "$DIR" -DCMAKE_BUILD_TYPE=Release -DWHY_TESTS=OFF -DWHY_LAB=OFF "$@" >/dev/null
}
# (why502-stages: the benchmark's stages program, bench/stages.c, from the same library build)
build() { cmake --build "$DIR" -j"$JOBS" --target why502 why502-stages "$@" >/dev/null; }

if [ $PGO -eq 0 ]; then
  configure -DWHY_PGO=
  build
  say "built $DIR/why502 (Release)"
  exit 0
fi

PROF="$DIR/pgo"
rm -rf "$PROF"
configure -DWHY_PGO=generate "-DWHY_PGO_DIR=$PROF"
build --clean-first
say "training on examples/ and tests/captures/"
n=0
while IFS= read -r -d '' f; do
  keys="${f%.*}.keys" # the TLS lab's key logs; the HTTP/2 lab's is keys.log beside its capture
  [ -f "$keys" ] || keys="$(dirname "$f")/keys.log"
  args=(--quiet --output /dev/null)
  [ -s "$keys" ] && args+=(--keylog "$keys")
  # exit 1 (failures found) and 2 (an unusable file: some captures are broken on purpose)
  # are answers, not errors of the training
  "$DIR/why502" --json "${args[@]}" "$f" >/dev/null 2>&1 || true
  "$DIR/why502" "${args[@]}" "$f" >/dev/null 2>&1 || true
  n=$((n + 1))
done < <(find "$ROOT/examples" "$ROOT/tests/captures" -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z)
"$DIR/why502" --html /dev/null "$ROOT/examples/squid-forward-proxy.pcap" >/dev/null 2>&1 || true
[ "$n" -gt 0 ] && [ -n "$(find "$PROF" -name '*.gcda' -print -quit 2>/dev/null)" ] ||
  { say "the training run left no profile in $PROF"; exit 1; }
configure -DWHY_PGO=use "-DWHY_PGO_DIR=$PROF"
build --clean-first
say "built $DIR/why502 (Release, profile-guided: $n training captures)"
