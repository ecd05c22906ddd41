#!/bin/bash
# hostile.sh: does why502's cost grow linearly on the shapes of bench/make-hostile.py (and
# make-flood.py --isn)? Each shape is written at N and at 4N (60 s of packet time each, no
# traffic sent) into bench/out/hostile/, why502 runs on both under bench/out/cputime, and one
# table gives the CPU seconds (least of --repeat runs), how much the cost grew from N to 4N
# (4 is linear, 16 quadratic) and the peak RSS at 4N. A growth past 8 is marked CHECK.
#
#   bench/hostile.sh [--why502 BIN] [--n N] [--repeat R] [--shapes 'SHAPE ...']
#
#   --why502 BIN   the binary (default: build-release/why502, made by `make release`)
#   --n N          the smaller size (default 20000; the larger is 4N)
#   --repeat R     runs of each file, the least CPU kept (default 3)
#   --shapes LIST  the shapes (default: every shape of make-hostile.py, and isn)
#
# Exit: 0 when every shape grew by 8 or less, 1 when one did not, 2 on a usage or setup error.
# Needs gcc and python3. The captures are kept, and made again only when the generator
# changed since.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
die() { echo "hostile: $*" >&2; exit 2; }

BIN="$ROOT/build-release/why502"
N=20000
REPEAT=3
SHAPES=""
while [ $# -gt 0 ]; do
  case "$1" in
    --why502) BIN="${2:?--why502 needs a path}"; shift 2 ;;
    --n) N="${2:?--n needs a number}"; shift 2 ;;
    --repeat) REPEAT="${2:?--repeat needs a number}"; shift 2 ;;
    --shapes) SHAPES="${2?--shapes needs a list}"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ "$N" =~ ^[1-9][0-9]*$ ]] && [ "$N" -le 2500000 ] || die "--n is a whole number from 1 to 2,500,000"
[[ "$REPEAT" =~ ^[1-9][0-9]?$ ]] || die "--repeat is a whole number from 1 to 99"
[ -x "$BIN" ] || die "$BIN: no such binary (make release, or --why502 BIN)"
command -v gcc >/dev/null || die "gcc not installed"
command -v python3 >/dev/null || die "python3 not installed"
if [ -z "$SHAPES" ]; then
  SHAPES="$(python3 -c 'import importlib.util as u, sys
s = u.spec_from_file_location("h", sys.argv[1]); m = u.module_from_spec(s); s.loader.exec_module(m)
print(" ".join(m.SHAPES))' "$HERE/make-hostile.py") isn"
fi

OUT="$HERE/out/hostile"
mkdir -p "$OUT"
CPUTIME="$HERE/out/cputime"
if [ ! -x "$CPUTIME" ] || [ "$HERE/cputime.c" -nt "$CPUTIME" ]; then
  gcc -std=c17 -O2 -Wall -Wextra -o "$CPUTIME" "$HERE/cputime.c" || die "cannot build cputime"
fi

# capture SHAPE SIZE: the file's path, written when missing or older than its generator
capture() {
  local shape=$1 n=$2 f="$OUT/$1-$2.pcap" gen="$HERE/make-hostile.py"
  [ "$shape" = isn ] && gen="$HERE/make-flood.py"
  if [ ! -s "$f" ] || [ "$gen" -nt "$f" ]; then
    if [ "$shape" = isn ]; then
      python3 "$gen" "$f.tmp" "$n" --isn 0x12345678 >/dev/null || return 1
    else
      python3 "$gen" "$shape" "$n" "$f.tmp" || return 1
    fi
    mv "$f.tmp" "$f" || return 1
  fi
  echo "$f"
}

# least SHAPE FILE: "CPU_S RSS_KIB" of the run with the least CPU of REPEAT
least() {
  local f=$2 best="" rss=0 rep="$OUT/cputime.report"
  for _ in $(seq "$REPEAT"); do
    "$CPUTIME" "$rep" "$BIN" --json -q -o /dev/null "$f" >/dev/null 2>&1 || true
    local u s m
    u=$(sed -n 's/^user_s=//p' "$rep"); s=$(sed -n 's/^sys_s=//p' "$rep"); m=$(sed -n 's/^maxrss_kib=//p' "$rep")
    local t
    t=$(python3 -c "print(f'{$u + $s:.3f}')")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $t < $best else 1)"; then
      best=$t; rss=$m
    fi
  done
  echo "$best $rss"
}

N4=$((N * 4))
printf '%-10s %10s %10s %7s %10s  %s\n' shape "$N s" "$N4 s" growth "RSS MiB" verdict
bad=0
for shape in $SHAPES; do
  a=$(capture "$shape" "$N") || die "cannot write $shape at $N"
  b=$(capture "$shape" "$N4") || die "cannot write $shape at $N4"
  read -r ta _ <<<"$(least "$shape" "$a")"
  read -r tb rb <<<"$(least "$shape" "$b")"
  # (runs under 20 ms are mostly the start-up's: their growth says nothing)
  g=$(python3 -c "a, b = $ta, $tb; print('-' if b < 0.02 else f'{b / max(a, 0.001):.1f}')")
  v=linear
  if [ "$g" != - ] && python3 -c "import sys; sys.exit(0 if $g > 8 else 1)"; then
    v=CHECK
    bad=1
  fi
  printf '%-10s %10s %10s %7s %10s  %s\n' "$shape" "$ta" "$tb" "$g" "$(python3 -c "print(f'{$rb / 1024:.1f}')")" "$v"
done
echo "hostile: $BIN, least of $REPEAT runs, captures in $OUT"
exit $bad
