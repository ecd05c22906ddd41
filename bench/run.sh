#!/usr/bin/env bash
# The benchmark: why502 beside a bare libpcap read loop and tshark, on one large capture, and
# why502 on a capture ten times smaller to show that its memory does not grow with the file.
#
#   bench/run.sh [--no-tshark] [--small FILE] [--why502 BIN] [--no-build] [--repeat N] [FILE]
#
#   FILE          the large capture (default bench/out/proxy-2g.pcap, from make-capture.sh)
#   --small FILE  the small one for the memory comparison (default bench/out/proxy-200m.pcap;
#                 skipped when missing)
#   --no-tshark   skip tshark (it takes a minute or more and GBs of memory on 2 GB)
#   --why502 BIN  time this binary instead of building build-release/why502
#   --no-build    use build-release/why502 as it is
#   --repeat N    run pcap-loop and why502 N times each and keep the fastest (default 1;
#                 tshark runs once)
#
# Builds bench/out/pcap-loop (gcc -O2, libpcap) and why502 in Release (build-release/, no
# tests), reads each file once into the page cache (cat FILE >/dev/null), then times every
# program with /usr/bin/time -v: wall seconds and peak RSS. Prints a table and keeps it
# with the raw outputs in bench/out/run-DATE/. Exit 0 when every program that ran succeeded.
set -uo pipefail
export LC_ALL=C

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
FILE="$HERE/out/proxy-2g.pcap"
SMALL="$HERE/out/proxy-200m.pcap"
TSHARK=1
WHY=""
BUILD=1
REPEAT=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-tshark) TSHARK=0; shift ;;
    --small) SMALL="${2:-}"; shift 2 ;;
    --why502) WHY="${2:-}"; BUILD=0; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --repeat) REPEAT="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "run: unknown option $1 (try --help)" >&2; exit 2 ;;
    *) FILE="$1"; shift ;;
  esac
done
die() { echo "run: $*" >&2; exit 1; }
[[ "$REPEAT" =~ ^[1-9]$ ]] || die "--repeat wants 1..9"
[ -r "$FILE" ] || die "no capture $FILE (make one: bench/make-capture.sh; --size 200 --out bench/out/proxy-200m.pcap for the small one)"
[ -x /usr/bin/time ] || die "/usr/bin/time not installed (apt-get install time)"
command -v gcc >/dev/null || die "gcc not installed"
[ -e /usr/include/pcap/pcap.h ] || die "libpcap-dev not installed"
if [ $TSHARK -eq 1 ] && ! command -v tshark >/dev/null; then
  echo "run: tshark not installed: its row is skipped (apt-get install tshark)" >&2
  TSHARK=0
fi

OUTDIR="$HERE/out/run-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"

# ---------------------------------------------------------------- builds
LOOP="$HERE/out/pcap-loop"
if [ ! -x "$LOOP" ] || [ "$HERE/pcap-loop.c" -nt "$LOOP" ]; then
  gcc -std=c17 -O2 -Wall -Wextra -o "$LOOP" "$HERE/pcap-loop.c" -lpcap || die "cannot build pcap-loop"
fi
if [ -z "$WHY" ]; then
  WHY="$ROOT/build-release/why502"
  if [ $BUILD -eq 1 ]; then
    echo "run: building why502 (Release) in build-release/"
    if ! { cmake -S "$ROOT" -B "$ROOT/build-release" -DCMAKE_BUILD_TYPE=Release -DWHY_TESTS=OFF \
             > "$OUTDIR/build.log" 2>&1 &&
           cmake --build "$ROOT/build-release" -j2 --target why502 >> "$OUTDIR/build.log" 2>&1; }; then
      echo "run: why502 does not build (see $OUTDIR/build.log): its rows are pending" >&2
      WHY=""
    fi
  fi
fi
if [ -n "$WHY" ] && [ ! -x "$WHY" ]; then
  echo "run: no why502 binary at $WHY: its rows are pending" >&2
  WHY=""
fi
# The flags used below (--json, --quiet, --output) must be in this why502's help.
if [ -n "$WHY" ]; then
  help="$("$WHY" --help 2>&1)"
  for f in --json --quiet --output; do
    grep -q -- "$f" <<<"$help" || { echo "run: $WHY --help does not list $f: rows pending" >&2; WHY=""; break; }
  done
fi

# ---------------------------------------------------------------- timing
# timed NAME CMD...: runs CMD under /usr/bin/time -v; stdout to OUTDIR/NAME.out, stderr to
# NAME.err; sets T_WALL (s), T_RSS (MiB), T_RC.
timed() {
  local name="$1"; shift
  /usr/bin/time -v -o "$OUTDIR/$name.time" "$@" > "$OUTDIR/$name.out" 2> "$OUTDIR/$name.err"
  T_RC=$?
  T_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
      n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' \
      "$OUTDIR/$name.time")
  T_RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$OUTDIR/$name.time")
  T_RC=$(awk -F': ' '/Exit status/ {print $2}' "$OUTDIR/$name.time")
  [ -n "$T_RC" ] || T_RC=255
}
# best NAME CMD...: timed REPEAT times, keeps the fastest run's figures (and its outputs)
best() {
  local name="$1" i bw="" br="" brc=""; shift
  for i in $(seq 1 "$REPEAT"); do
    timed "$name.$i" "$@"
    if [ -z "$bw" ] || awk -v a="$T_WALL" -v b="$bw" 'BEGIN {exit !(a < b)}'; then
      bw=$T_WALL; br=$T_RSS; brc=$T_RC
      for x in out err time; do cp -f "$OUTDIR/$name.$i.$x" "$OUTDIR/$name.$x"; done
    fi
    rm -f "$OUTDIR/$name.$i".*
  done
  T_WALL=$bw; T_RSS=$br; T_RC=$brc
}
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN {printf "%.0f", b / 1048576}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.1fx", a / b }'; }
# incidents and requests from why502's JSON summary (last line)
why_sum() { # why_sum FILE KEY
  python3 - "$1" "$2" <<'EOF' 2>/dev/null || echo "?"
import json, sys
last = None
for line in open(sys.argv[1], encoding="ascii", errors="replace"):
    if line.strip():
        last = line
o = json.loads(last)
v = o.get(sys.argv[2], "?") if o.get("type") == "summary" else "?"
print(json.dumps(v, separators=(",", ":")) if isinstance(v, (dict, list)) else v)
EOF
}

FAILED=0
declare -A W R
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "run: reading $FILE into the page cache"
cat "$FILE" > /dev/null
SIZE_MIB=$(mib "$FILE")

echo "run: pcap-loop"
best pcap-loop "$LOOP" "$FILE"
[ "$T_RC" = 0 ] || { echo "run: pcap-loop failed (exit $T_RC, $OUTDIR/pcap-loop.err)" >&2; FAILED=1; }
W[loop]=$T_WALL; R[loop]=$T_RSS
read -r _ PACKETS _ _ < "$OUTDIR/pcap-loop.out"

INCIDENTS="pending"; REQUESTS="pending"; UPREQ="?"; CAPS="?"
if [ -n "$WHY" ]; then
  echo "run: why502 --json -q -o ... $FILE"
  best why502 "$WHY" --json --quiet --output "$OUTDIR/why502.jsonl" "$FILE"
  # exit 0: nothing failed, 1: failures found; both are a finished run
  if [ "$T_RC" = 0 ] || [ "$T_RC" = 1 ]; then
    W[why]=$T_WALL; R[why]=$T_RSS
    INCIDENTS=$(grep -c '"type": *"incident"' "$OUTDIR/why502.jsonl")
    REQUESTS=$(why_sum "$OUTDIR/why502.jsonl" requests)
    UPREQ=$(why_sum "$OUTDIR/why502.jsonl" upstream_requests)
    CAPS=$(why_sum "$OUTDIR/why502.jsonl" caps_hit)
  else
    echo "run: why502 failed (exit $T_RC, $OUTDIR/why502.err)" >&2; FAILED=1
  fi
fi

TSHARK_5XX="skipped"
if [ $TSHARK -eq 1 ]; then
  # -d: what a careful user adds so that port 9090 is read as HTTP (tshark 4.0 finds HTTP there
  # by itself too; the count is the same without it).
  echo "run: tshark -r FILE -d tcp.port==9090,http -Y 'http.response.code >= 500' (takes a while)"
  timed tshark tshark -r "$FILE" -d tcp.port==9090,http -Y 'http.response.code >= 500' \
    -T fields -e frame.number
  if [ "$T_RC" = 0 ]; then
    W[tshark]=$T_WALL; R[tshark]=$T_RSS
    TSHARK_5XX=$(grep -c '^[0-9]' "$OUTDIR/tshark.out")
  else
    echo "run: tshark failed (exit $T_RC, $OUTDIR/tshark.err)" >&2; FAILED=1
  fi
fi

SMALL_OK=0
if [ -n "$WHY" ] && [ -r "$SMALL" ]; then
  cat "$SMALL" > /dev/null
  SMALL_MIB=$(mib "$SMALL")
  echo "run: why502 on the small capture $SMALL"
  best why502-small "$WHY" --json --quiet --output "$OUTDIR/why502-small.jsonl" "$SMALL"
  if [ "$T_RC" = 0 ] || [ "$T_RC" = 1 ]; then
    W[small]=$T_WALL; R[small]=$T_RSS; SMALL_OK=1
  else
    echo "run: why502 on $SMALL failed (exit $T_RC)" >&2; FAILED=1
  fi
elif [ -n "$WHY" ]; then
  echo "run: no small capture $SMALL: memory comparison skipped" >&2
fi
# The speed work must not change the diagnosis: the small capture through the slow,
# obviously correct join (--exhaustive: every request against every record) gives the same
# bytes as the fast path.
SAME=""
if [ $SMALL_OK -eq 1 ]; then
  echo "run: why502 --exhaustive on the small capture (slow on purpose)"
  if "$WHY" --json --quiet --exhaustive --output "$OUTDIR/why502-small-exhaustive.jsonl" "$SMALL"; [ $? -le 1 ]; then
    if cmp -s "$OUTDIR/why502-small.jsonl" "$OUTDIR/why502-small-exhaustive.jsonl"; then
      SAME="same incidents as --exhaustive on $(basename "$SMALL"): yes (byte-identical JSON)"
    else
      SAME="same incidents as --exhaustive on $(basename "$SMALL"): NO (see $OUTDIR)"
      FAILED=1
    fi
  fi
fi

# ---------------------------------------------------------------- table
v() { local x="${1:-}"; [ -n "$x" ] && echo "$x" || echo "${2:-pending}"; }
{
  echo "why502 benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r)"
  echo "file: $FILE ($SIZE_MIB MiB, $PACKETS packets), page cache warm"
  echo "load average before the run: $LOAD0 (other work on the machine skews the times)"
  echo "why502: $([ -n "$WHY" ] && echo "$WHY, tree $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')" || echo "not built")"
  [ "$REPEAT" -gt 1 ] && echo "pcap-loop and why502: fastest of $REPEAT runs; tshark: one run"
  [ -r "$FILE.info" ] && echo "made: $(grep -E '^(squid_requests|squid_5xx|failures_sent)=' "$FILE.info" | tr '\n' ' ')"
  echo
  printf '| %-44s | %9s | %13s | %s |\n' "program" "wall s" "peak RSS MiB" "ratio"
  printf '|%s|%s|%s|%s|\n' "----------------------------------------------" "----------:" "--------------:" "-------"
  printf '| %-44s | %9s | %13s | %s |\n' "pcap-loop (bare libpcap read)" "$(v "${W[loop]:-}")" "$(v "${R[loop]:-}")" "1.0x"
  printf '| %-44s | %9s | %13s | %s |\n' "why502 --json -q" "$(v "${W[why]:-}")" "$(v "${R[why]:-}")" \
    "$( [ -n "${W[why]:-}" ] && echo "why502/pcap-loop $(ratio "${W[why]}" "${W[loop]}")" || echo pending)"
  if [ $TSHARK -eq 1 ]; then
    printf '| %-44s | %9s | %13s | %s |\n' "tshark -d tcp.port==9090,http -Y 5xx" "$(v "${W[tshark]:-}" failed)" "$(v "${R[tshark]:-}" failed)" \
      "$( [ -n "${W[why]:-}" ] && echo "tshark/why502 $(ratio "${W[tshark]:-}" "${W[why]}")" || echo "tshark/pcap-loop $(ratio "${W[tshark]:-}" "${W[loop]}")")"
  fi
  echo
  echo "why502: $INCIDENTS incidents in $REQUESTS client requests; tshark: $TSHARK_5XX frames with a 5xx status"
  [ -n "$WHY" ] && [ "$INCIDENTS" != pending ] && echo "why502 summary: upstream_requests $UPREQ, caps_hit $CAPS"
  echo "(tshark counts 5xx response frames on both legs: an origin's own 5xx is there twice, once"
  echo " from the origin and once relayed to the client; it cannot see a request that got no answer)"
  if [ -n "$WHY" ]; then
    echo
    if [ $SMALL_OK -eq 1 ]; then
      echo "memory flat: why502 peak RSS ${R[small]} MiB on $SMALL_MIB MiB ($(basename "$SMALL"), ${W[small]} s)," \
           "${R[why]:-?} MiB on $SIZE_MIB MiB ($(basename "$FILE"))"
    else
      echo "memory flat: no small capture (bench/make-capture.sh --size 200 --out $SMALL)"
    fi
    [ -n "$SAME" ] && echo "$SAME"
  fi
} | tee "$OUTDIR/table.txt"
echo "run: raw outputs and /usr/bin/time -v reports in $OUTDIR"
exit $FAILED
