#!/usr/bin/env bash
# Times why502 on every traffic shape beside the bare libpcap read, in one run, and prints ONE
# table: shape x (why502 time, read floor, ratio, peak RSS, incidents), for one or several
# why502 binaries side by side (old and new), plus, for each shape, the 200 MB version through
# --exhaustive compared byte for byte with the default path, and the memory of the 200 MB
# version against the large one (flat when the file grows).
#
#   bench/run.sh [--shapes LIST] [--why502 LABEL=PATH[,OPTION...]]... [--repeat N] [--no-build]
#                [--no-exhaustive] [--exhaustive-timeout S] [--tshark] [--scale DIR] [--instructions]
#                [--misses] [--stages [PATH]]
#
#   --shapes LIST   comma-separated, default proxy,chunked,names,conns,long,outage,tunnel,hang,
#                   retry,fetch,resolve,balance ('': none). Files: bench/out/SHAPE-2000m.pcap
#                   (else SHAPE-1000m.pcap) and SHAPE-200m.pcap (make-shape.sh), for proxy
#                   proxy-2g.pcap and
#                   proxy-200m.pcap (make-capture.sh), for chunked chunked-2000m.pcap and
#                   chunked-200m.pcap (make-capture.sh --chunked); a missing file: row marked
#                   missing
#   --why502 L=P    a why502 binary and its label (repeatable: columns side by side); default
#                   the Release build of this tree (build-release/, built here by
#                   scripts/build-release.sh, profile-guided) as "tree". Options after the
#                   path, comma-separated, go on each of its command lines (one binary two
#                   ways: --why502 one=P --why502 ahead=P,--read-ahead)
#   --no-pgo        build it without profile-guided optimisation
#   --repeat N      each timing N times, the fastest kept (1..9, default 1); on each file the
#                   read floor, the stages and every binary run in turn, N rounds
#   --no-exhaustive skip the --exhaustive comparison (slow on purpose)
#   --exhaustive-timeout S   give up one --exhaustive run after S seconds (default 900)
#   --tshark        also time tshark on the proxy shape (about a minute for 2 GB)
#   --scale DIR     also a second table: every DIR/*.pcap made by make-shape.sh (same size,
#                   one knob turned: names, open connections, failure share, request rate:
#                   make-sweep.sh), CPU ns per packet and peak RSS against the knob, to show
#                   how the cost grows
#   --stages [PATH] also a table of where the time goes on each large file: the read floor,
#                   then why502's own reader alone, with its decoder, with its flow table
#                   (bench/stages.c, built beside the Release why502 as why502-stages; PATH:
#                   another one), then the first why502 binary whole, CPU s and each a ratio
#                   to the read floor; with --instructions, each stage's instructions a
#                   packet on the 200 MB files too
#   --instructions  also count each binary's instructions (valgrind's callgrind, about 50
#                   times slower) on every 200 MB file and every --scale file: a measure
#                   that the machine's load does not move, for comparing binaries; the read
#                   floor's too on the 200 MB files, and each binary's ratio to it (not the
#                   target's ratio: the two do not run as many instructions a cycle); with
#                   --scale, a least-squares line per set of the sweep (bench/fit.py)
#   --misses        also count each binary's data reads that miss a simulated cache the size
#                   of this machine's second level (valgrind's cachegrind, about 50 times
#                   slower) on every 200 MB file: the other half of where the time goes (a
#                   read from memory costs what a hundred instructions do), and like
#                   --instructions not moved by the machine's load, for comparing binaries
#                   (each against the first). The capture stream flushes that level, so a
#                   structure the packets reach at random misses it whatever the machine's
#                   larger caches. The kernel's copy of the file into the read buffer is not
#                   simulated (nor the read floor, for that: its buffer looks cached)
#
# Page cache warmed (cat FILE >/dev/null) before each file; cputime (bench/cputime.c) gives CPU
# and wall seconds to the microsecond (the tables: the millisecond) and peak RSS. Raw outputs
# and the table: bench/out/run-DATE/; every round of every program timed in turn, one line
# each (name, round, CPU s, wall s, peak RSS MiB, exit status): run-DATE/rounds.tsv. Exit 0
# when every program that ran succeeded and every --exhaustive comparison was identical.
# The whole script is one block, read before it runs (as make-shape.sh): editing the file while
# a run goes on cannot change what that run does.
{
set -uo pipefail
export LC_ALL=C

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SHAPES="proxy,chunked,names,conns,long,outage,tunnel,hang,retry,fetch,resolve,balance"
BINS=()
BUILD=1
PGO=1
REPEAT=1
EXH=1
EXH_TIMEOUT=900
TSHARK=0
SCALE=""
INSTR=0
MISSES=0
STAGES=""
while [ $# -gt 0 ]; do
  case "$1" in
    --shapes) SHAPES="${2:-}"; shift 2 ;;
    --why502) BINS+=("${2:-}"); BUILD=0; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-pgo) PGO=0; shift ;;
    --repeat) REPEAT="${2:-}"; shift 2 ;;
    --no-exhaustive) EXH=0; shift ;;
    --exhaustive-timeout) EXH_TIMEOUT="${2:-}"; shift 2 ;;
    --tshark) TSHARK=1; shift ;;
    --scale) SCALE="${2:-}"; shift 2 ;;
    --instructions) INSTR=1; shift ;;
    --misses) MISSES=1; shift ;;
    --stages)
      if [ -n "${2:-}" ] && [ "${2#--}" = "${2:-}" ]; then STAGES="$2"; shift 2; else STAGES=auto; shift; fi ;;
    --no-tshark) TSHARK=0; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "run: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
die() { echo "run: $*" >&2; exit 1; }
[[ "$REPEAT" =~ ^[1-9]$ ]] || die "--repeat wants 1..9"
[[ "$EXH_TIMEOUT" =~ ^[0-9]+$ ]] || die "--exhaustive-timeout wants seconds"
command -v gcc >/dev/null || die "gcc not installed"
[ -e /usr/include/pcap/pcap.h ] || die "libpcap-dev not installed"
[ $INSTR -eq 0 ] || command -v valgrind >/dev/null || die "--instructions: valgrind not installed (apt-get install valgrind)"
[ $MISSES -eq 0 ] || command -v valgrind >/dev/null || die "--misses: valgrind not installed (apt-get install valgrind)"
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
CPUTIME="$HERE/out/cputime"
if [ ! -x "$CPUTIME" ] || [ "$HERE/cputime.c" -nt "$CPUTIME" ]; then
  gcc -std=c17 -O2 -Wall -Wextra -o "$CPUTIME" "$HERE/cputime.c" || die "cannot build cputime"
fi
PROBE="$HERE/out/probe"
if [ ! -x "$PROBE" ] || [ "$HERE/probe.c" -nt "$PROBE" ]; then
  gcc -std=c17 -O2 -Wall -Wextra -o "$PROBE" "$HERE/probe.c" || die "cannot build probe"
fi
if [ ${#BINS[@]} -eq 0 ]; then
  if [ $BUILD -eq 1 ]; then
    echo "run: building why502 (Release$([ $PGO -eq 1 ] && echo ', profile-guided')) in build-release/"
    "$ROOT/scripts/build-release.sh" --dir "$ROOT/build-release" $([ $PGO -eq 1 ] || echo --no-pgo) \
      > "$OUTDIR/build.log" 2>&1 || die "why502 does not build (see $OUTDIR/build.log)"
  fi
  BINS=("tree=$ROOT/build-release/why502")
fi
if [ "$STAGES" = auto ]; then
  STAGES="$(dirname "${BINS[0]#*=}")"; STAGES="${STAGES%%,*}/why502-stages"
  [ -x "$STAGES" ] || STAGES="$ROOT/build-release/why502-stages"
fi
[ -z "$STAGES" ] || [ -x "$STAGES" ] || die "--stages: no why502-stages at $STAGES (scripts/build-release.sh builds it)"
LABELS=()
declare -A BIN XOPT
for b in "${BINS[@]}"; do
  l="${b%%=*}"; p="${b#*=}"
  [[ "$l" =~ ^[A-Za-z0-9._-]+$ ]] && [ "$l" != "$b" ] || die "--why502 wants LABEL=PATH"
  x=""
  if [[ "$p" == *,* ]]; then x="${p#*,}"; p="${p%%,*}"; fi
  [ -x "$p" ] || die "no why502 binary at $p"
  help="$("$p" --help 2>&1)"
  for f in --json --quiet --output --exhaustive ${x//,/ }; do
    [[ "$f" =~ ^--[a-z-]+$ ]] || die "--why502 $l: '$f' is not an option without a value"
    grep -q -- "$f" <<<"$help" || die "$p --help does not list $f"
  done
  LABELS+=("$l"); BIN[$l]="$p"; XOPT[$l]="${x//,/ }"
done

# ---------------------------------------------------------------- timing
# timed NAME CMD...: CMD under cputime (bench/cputime.c); stdout to OUTDIR/NAME.out, stderr
# NAME.err, its report NAME.time; sets T_WALL (s), T_CPU (user + system s, to the millisecond:
# /usr/bin/time's 10 ms steps were 3-10 % of a 0.1-0.3 s read floor), T_RSS (MiB), T_RC.
timed() {
  local name="$1"; shift
  "$CPUTIME" "$OUTDIR/$name.time" "$@" > "$OUTDIR/$name.out" 2> "$OUTDIR/$name.err"
  T_WALL=$(awk -F= '$1 == "wall_s" {printf "%.3f", $2}' "$OUTDIR/$name.time")
  T_CPU=$(awk -F= '$1 == "user_s" || $1 == "sys_s" {s += $2; n++} END {if (n == 2) printf "%.3f", s}' "$OUTDIR/$name.time")
  T_RSS=$(awk -F= '$1 == "maxrss_kib" {printf "%.1f", $2 / 1024}' "$OUTDIR/$name.time")
  T_RC=$(awk -F= '$1 == "exit" {print $2}' "$OUTDIR/$name.time")
  [ -n "$T_RC" ] || T_RC=255
}
# Programs timed on one file in turn: side NAME CMD... adds one to the group, sides runs
# REPEAT rounds of one run of each in the order added, then picked NAME sets T_WALL, T_CPU,
# T_RSS and T_RC (and NAME.out, .err, .time) from its run with the least CPU time (on a shared
# machine CPU time moves far less than wall time). In turn, not REPEAT times in a row: a slow
# spell of the machine (seconds long) then slows one run of each program, not every run of
# one, and the ratios between them hold (three runs in a row once took one build 45 % longer
# on hang-2000m than the build timed just before it, with 0.5 % fewer instructions).
declare -a SIDE_NAME=() SIDE_CMD=()
declare -A PW PC PR PRC PCR
side() { local name="$1"; shift; SIDE_NAME+=("$name"); SIDE_CMD+=("$(printf '%q ' "$@")"); }
sides() {
  local i j name
  for i in $(seq 1 "$REPEAT"); do
    for j in "${!SIDE_NAME[@]}"; do
      name="${SIDE_NAME[$j]}"
      eval "timed \"\$name.\$i\" ${SIDE_CMD[$j]}"
      PCR[$name.$i]=$T_CPU
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$i" "$T_CPU" "$T_WALL" "$T_RSS" "$T_RC" >> "$OUTDIR/rounds.tsv"
      if [ -z "${PC[$name]:-}" ] || awk -v a="$T_CPU" -v b="${PC[$name]}" 'BEGIN {exit !(a < b)}'; then
        PW[$name]=$T_WALL; PC[$name]=$T_CPU; PR[$name]=$T_RSS; PRC[$name]=$T_RC
        for x in out err time; do cp -f "$OUTDIR/$name.$i.$x" "$OUTDIR/$name.$x"; done
      fi
      rm -f "$OUTDIR/$name.$i".*
    done
  done
  SIDE_NAME=(); SIDE_CMD=()
}
picked() { T_WALL=${PW[$1]:-}; T_CPU=${PC[$1]:-}; T_RSS=${PR[$1]:-}; T_RC=${PRC[$1]:-255}; }
# rounds A B: the median over the rounds of A's CPU time over B's in the same round. The
# machine moves between speeds some 2-3x apart for whole runs at a time; the least of each
# program can come from rounds at different speeds, two runs of one round seldom do.
rounds() {
  local i r=""
  for i in $(seq 1 "$REPEAT"); do
    local a="${PCR[$1.$i]:-}" b="${PCR[$2.$i]:-}"
    [ -n "$a" ] && [ -n "$b" ] && r="$r $(awk -v a="$a" -v b="$b" 'BEGIN { if (b + 0 > 0) print a / b }')"
  done
  echo $r | tr ' ' '\n' | sort -g | awk '{v[NR] = $1} END {if (NR) printf "%.2fx", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "-"}'
}
# instructions NAME CMD...: CMD under callgrind (profile kept in OUTDIR/NAME.cg for
# callgrind_annotate); sets T_INSTR to the instructions it ran, empty when it failed
instructions() {
  local name="$1"; shift
  valgrind --tool=callgrind --callgrind-out-file="$OUTDIR/$name.cg" "$@" > /dev/null 2> "$OUTDIR/$name.err"
  T_INSTR=$(awk '/I +refs:/ {gsub(",", "", $NF); print $NF}' "$OUTDIR/$name.err")
}
# misses NAME CMD...: CMD under cachegrind, its first-level data cache and its last level as
# this machine's first and second (CG_CACHES); sets T_MISS to the data reads that missed the
# last level, empty when it failed
CG_CACHES=()
cache_opt() { # cache_opt OPTION LEVEL: --OPTION=size,ways,line from getconf when cachegrind can model it
  local size ways line
  size=$(getconf "LEVEL${2}_CACHE_SIZE" 2>/dev/null); ways=$(getconf "LEVEL${2}_CACHE_ASSOC" 2>/dev/null)
  line=$(getconf "LEVEL${2}_CACHE_LINESIZE" 2>/dev/null)
  [ "$2" = 1 ] && { size=$(getconf LEVEL1_DCACHE_SIZE 2>/dev/null); ways=$(getconf LEVEL1_DCACHE_ASSOC 2>/dev/null); line=$(getconf LEVEL1_DCACHE_LINESIZE 2>/dev/null); }
  [[ "$size" =~ ^[0-9]+$ && "$ways" =~ ^[0-9]+$ && "$line" =~ ^[0-9]+$ ]] && [ "$size" -gt 0 ] && [ "$ways" -gt 0 ] && [ "$line" -gt 0 ] || return 0
  local sets=$((size / ways / line))
  [ $((sets * ways * line)) -eq "$size" ] && [ "$sets" -gt 0 ] && [ $((sets & (sets - 1))) -eq 0 ] && echo "--$1=$size,$ways,$line"
}
misses() {
  local name="$1"; shift
  valgrind --tool=cachegrind --cache-sim=yes "${CG_CACHES[@]}" --cachegrind-out-file="$OUTDIR/$name.cgc" "$@" > /dev/null 2> "$OUTDIR/$name.err"
  T_MISS=$(awk '/LLd misses:/ {gsub(/[,(]/, "", $6); print $6}' "$OUTDIR/$name.err")
}
mib() { awk -v b="$(stat -L -c %s "$1")" 'BEGIN {printf "%.0f", b / 1048576}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2fx", a / b }'; }
incidents() { grep -c '"type": *"incident"' "$1" 2>/dev/null; true; }
load() { cut -d' ' -f1 /proc/loadavg; }

FAILED=0
declare -A W C R N F FW S I G M # [shape.size(.label)]: wall, CPU, RSS, incidents, floor CPU and wall, the rest, instructions, stages' CPU, misses
if [ $MISSES -eq 1 ]; then
  o=$(cache_opt D1 1); [ -z "$o" ] || CG_CACHES+=("$o")
  o=$(cache_opt LL 2); [ -z "$o" ] || CG_CACHES+=("$o")
fi
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# the machine's speed now (bench/probe.c: "alu A ns, cache C ns, memory M ns"); its memory
# figure is printed beside each file, where the machine's two speeds differ most
PROBE0=$("$PROBE" 2>/dev/null || echo "not measured")
memory_ns() { "$PROBE" 2>/dev/null | sed -n 's/.*memory \([0-9.]*\) ns.*/\1/p'; }
IFS=',' read -r -a SHAPE_LIST <<<"$SHAPES"
[ -z "$SCALE" ] || [ -d "$SCALE" ] || die "--scale: no directory $SCALE"
for s in "${SHAPE_LIST[@]}"; do
  case "$s" in
    proxy) big="$HERE/out/proxy-2g.pcap"; small="$HERE/out/proxy-200m.pcap" ;;
    chunked) big="$HERE/out/chunked-2000m.pcap"; small="$HERE/out/chunked-200m.pcap" ;;
    names|conns|long|outage|tunnel|hang|retry|fetch|resolve|balance)
      big="$HERE/out/$s-2000m.pcap" # tenfold the small one; the 1000m one when not made
      [ -e "$big" ] || big="$HERE/out/$s-1000m.pcap"
      small="$HERE/out/$s-200m.pcap" ;;
    *) die "unknown shape $s" ;;
  esac
  S[$s.big]="$big"; S[$s.small]="$small"
  for which in big small; do
    f="${S[$s.$which]}"
    case "$s" in
      proxy) how="bench/make-capture.sh" ;;
      chunked) how="bench/make-capture.sh --chunked" ;;
      *) how="bench/make-shape.sh --shape $s" ;;
    esac
    [ -r "$f" ] || { echo "run: $s: no $f (make it with $how)" >&2; continue; }
    k="$s.$which"
    cat "$f" > /dev/null
    S[$k.mib]=$(mib "$f")
    S[$k.load]=$(load)
    S[$k.mem]=$(memory_ns)
    echo "run: $s $which ($(basename "$f"), ${S[$k.mib]} MiB), load ${S[$k.load]}, a load from memory ${S[$k.mem]:-?} ns"
    # the read floor, the stages and every binary, in turn
    side "loop.$k" "$LOOP" "$f"
    if [ -n "$STAGES" ] && [ $which = big ]; then
      for g in read decode flows; do side "stage.$k.$g" "$STAGES" "$g" "$f"; done
    fi
    for l in "${LABELS[@]}"; do
      side "why.$k.$l" "${BIN[$l]}" ${XOPT[$l]} --json --quiet --output "$OUTDIR/why.$k.$l.jsonl" "$f"
    done
    sides
    picked "loop.$k"
    [ "$T_RC" = 0 ] || { echo "run: pcap-loop failed on $f" >&2; FAILED=1; continue; }
    F[$k]=$T_CPU; FW[$k]=$T_WALL
    read -r _ S[$k.packets] _ _ < "$OUTDIR/loop.$k.out"
    if [ -n "$STAGES" ] && [ $which = big ]; then
      for g in read decode flows; do
        picked "stage.$k.$g"
        if [ "$T_RC" = 0 ]; then G[$k.$g]=$T_CPU; else echo "run: why502-stages $g failed on $f" >&2; FAILED=1; fi
      done
    fi
    if [ $which = small ] && [ $INSTR -eq 1 ]; then
      echo "run: $s small: instructions of the read floor (callgrind)"
      instructions "cg.loop.$k" "$LOOP" "$f"
      I[$k:floor]=$T_INSTR  # (":": a label cannot hold one, so no label meets this key)
    fi
    if [ -n "$STAGES" ] && [ $which = small ] && [ $INSTR -eq 1 ]; then
      echo "run: $s small: instructions of each stage (callgrind)"
      for g in read decode flows; do
        instructions "cg.stage.$k.$g" "$STAGES" "$g" "$f"
        G[$k.$g.instr]=$T_INSTR
      done
    fi
    for l in "${LABELS[@]}"; do
      picked "why.$k.$l"
      # exit 0: nothing failed, 1: failures found; both are a finished run
      if [ "$T_RC" = 0 ] || [ "$T_RC" = 1 ]; then
        W[$k.$l]=$T_WALL; C[$k.$l]=$T_CPU; R[$k.$l]=$T_RSS; N[$k.$l]=$(incidents "$OUTDIR/why.$k.$l.jsonl")
        S[$k.$l.rounds]=$(rounds "why.$k.$l" "loop.$k")
      else
        echo "run: why502 ($l) failed on $f (exit $T_RC, $OUTDIR/why.$k.$l.err)" >&2; FAILED=1
      fi
      # the speed work must not change the diagnosis: the small file through the slow,
      # obviously correct join gives the same bytes
      if [ $which = small ] && [ $EXH -eq 1 ] && [ -n "${W[$k.$l]:-}" ]; then
        timed "exh.$s.$l" timeout "$EXH_TIMEOUT" "${BIN[$l]}" ${XOPT[$l]} --json --quiet --exhaustive \
          --output "$OUTDIR/exh.$s.$l.jsonl" "$f"
        if [ "$T_RC" = 124 ]; then S[$s.$l.same]="timeout ${EXH_TIMEOUT}s"
        elif [ "$T_RC" != 0 ] && [ "$T_RC" != 1 ]; then S[$s.$l.same]="failed"; FAILED=1
        elif cmp -s "$OUTDIR/why.$k.$l.jsonl" "$OUTDIR/exh.$s.$l.jsonl"; then S[$s.$l.same]="identical (--exhaustive ${T_CPU} s CPU)"
        else S[$s.$l.same]="DIFFERENT"; FAILED=1
        fi
      fi
      if [ $which = small ] && [ $INSTR -eq 1 ] && [ -n "${W[$k.$l]:-}" ]; then
        echo "run: $s small: instructions of $l (callgrind)"
        instructions "cg.$k.$l" "${BIN[$l]}" ${XOPT[$l]} --json --quiet --output /dev/null "$f"
        I[$k.$l]=$T_INSTR
      fi
      if [ $which = small ] && [ $MISSES -eq 1 ] && [ -n "${W[$k.$l]:-}" ]; then
        echo "run: $s small: data reads of $l that miss (cachegrind)"
        misses "cgc.$k.$l" "${BIN[$l]}" ${XOPT[$l]} --json --quiet --output /dev/null "$f"
        M[$k.$l]=$T_MISS
      fi
    done
  done
  if [ $TSHARK -eq 1 ] && [ "$s" = proxy ] && [ -r "$big" ]; then
    echo "run: tshark on $(basename "$big") (takes a while)"
    timed tshark tshark -r "$big" -d tcp.port==9090,http -Y 'http.response.code >= 500' -T fields -e frame.number
    [ "$T_RC" = 0 ] && S[tshark]="tshark -d tcp.port==9090,http -Y 'http.response.code >= 500' on $(basename "$big"): $T_WALL s, $T_RSS MiB, $(grep -c '^[0-9]' "$OUTDIR/tshark.out") frames with a 5xx status"
  fi
done

# ---------------------------------------------------------------- scale
# knob FILE.info: "SET VALUE<tab>what was turned in this capture" (the first part sorts the
# rows by set, then by the knob's value as asked of make-shape.sh; the rate set of
# make-sweep.sh, sweep=rate, by the requests a second the capture holds)
knob() {
  awk -F= '/^shape=/ {s = $2} /^names=/ {split($2, a, " "); v = a[1]; k = ", " a[1] " names"}
    /^fail_pct_asked=/ {v = $2; k = ", " $2 " % asked"} /^conns_asked=/ {v = $2; k = ", " $2 " asked"}
    /^held=/ {if (match($0, /open_at_stop=[0-9]+/)) k = k ", " substr($0, RSTART + 13, RLENGTH - 13) " held open"}
    /^clients_at_once=/ {split($2, a, " "); c = a[1]} /^packet_time_span_s=/ {span = $2}
    /^sweep=rate$/ {rate = 1}
    /^squid_requests=/ {r = $2} /^squid_5xx=/ {f = $2}
    END {if (!s) s = "proxy"
      if (rate) {v = span > 0 ? r / span : 0; k = sprintf(", %d clients at once, %.0f requests a second", c, v); s = "rate-" s}
      printf "%s %s\t%s%s, %d requests, %.2f %% failing\n", s, v + 0, s, k, r, r ? 100 * f / r : 0}' "$1"
}
SCALE_ROWS=()
FIT_ROWS=()
if [ -n "$SCALE" ]; then
  for f in "$SCALE"/*.pcap; do
    [ -r "$f" ] && [ -r "$f.info" ] || continue
    b=$(basename "$f" .pcap)
    cat "$f" > /dev/null
    echo "run: scale $b, load $(load)"
    side "loop.scale.$b" "$LOOP" "$f"
    for l in "${LABELS[@]}"; do
      side "why.scale.$b.$l" "${BIN[$l]}" ${XOPT[$l]} --json --quiet --output "$OUTDIR/why.scale.$b.$l.jsonl" "$f"
    done
    sides
    picked "loop.scale.$b"
    read -r _ pk _ _ < "$OUTDIR/loop.scale.$b.out"
    kn="$(knob "$f.info")"
    row="${kn%%$'\t'*}"$'\t'"| ${kn#*$'\t'} | $(mib "$f") | $pk | $T_CPU |"
    for l in "${LABELS[@]}"; do
      picked "why.scale.$b.$l"
      if [ "$T_RC" = 0 ] || [ "$T_RC" = 1 ]; then
        ni=$(incidents "$OUTDIR/why.scale.$b.$l.jsonl")
        row="$row $T_CPU | $(awk -v c="$T_CPU" -v p="$pk" 'BEGIN {printf "%.0f", c * 1e9 / p}') | $T_RSS | $ni |"
        if [ $INSTR -eq 1 ]; then
          echo "run: scale $b: instructions of $l (callgrind)"
          instructions "cg.scale.$b.$l" "${BIN[$l]}" ${XOPT[$l]} --json --quiet --output /dev/null "$f"
          row="$row $(awk -v i="$T_INSTR" -v p="$pk" 'BEGIN {if (i == "") print "-"; else printf "%.1f | %.0f", i / 1e6, i / p}') |"
          held=$(sed -n 's/^held=.* open_at_stop=\([0-9]*\).*/\1/p' "$f.info")
          # the set as knob() names it, and its knob's value (the rate set's requests a
          # second, against which fit.py reads that set)
          [ -n "$T_INSTR" ] && FIT_ROWS+=("${kn%% *}"$'\t'"$b"$'\t'"$pk"$'\t'"${held:-0}"$'\t'"$ni"$'\t'"$l"$'\t'"$T_INSTR"$'\t'"$(kv="${kn%%$'\t'*}"; echo "${kv#* }")")
        fi
      else
        row="$row failed | | | |$([ $INSTR -eq 1 ] && echo ' | |')"; FAILED=1
      fi
    done
    SCALE_ROWS+=("$row")
  done
fi

# ---------------------------------------------------------------- table
v() { local x="${1:-}"; [ -n "$x" ] && echo "$x" || echo "-"; }
{
  echo "why502 benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r)"
  echo "load average at the start: $LOAD0, at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the times)"
  echo "the machine's speed (bench/probe.c: a dependent integer step, a load from the second-level cache, a load from memory) at the start: $PROBE0; at the end: $("$PROBE" 2>/dev/null || echo "not measured")"
  for l in "${LABELS[@]}"; do
    echo "why502 $l: ${BIN[$l]}${XOPT[$l]:+ ${XOPT[$l]}} ($(git -C "$(dirname "${BIN[$l]}")" describe --always --dirty 2>/dev/null || echo '?'))"
  done
  [ "$REPEAT" -gt 1 ] && echo "each figure: the run with the least CPU time of $REPEAT (on each file every program once a round, in turn); page cache warm; rounds' median: of each round's why502 CPU over that round's read floor CPU (the machine's speed moves between runs, seldom within a round)"
  echo "s: CPU seconds (user + system); wall: elapsed; ratio: why502 CPU / read floor CPU (wall: elapsed / elapsed; a why502 that reads ahead on a second thread, --read-ahead or any before c8cc1fe, counts both threads' CPU); load: 1-minute load average when the file was measured; memory ns: a load from memory then (bench/probe.c)"
  echo
  if [ ${#SHAPE_LIST[@]} -gt 0 ]; then   # --shapes '': the scale table alone
    hdr="| shape | file MiB | packets | load | memory ns | read floor s (wall) |"
    sep="|---|---:|---:|---:|---:|---:|"
    for l in "${LABELS[@]}"; do
      hdr="$hdr $l s (wall) | $l ratio (wall) |"
      sep="$sep---:|---:|"
      [ "$REPEAT" -gt 1 ] && { hdr="$hdr $l ratio, rounds' median |"; sep="$sep---:|"; }
      hdr="$hdr $l RSS MiB | $l incidents |"
      sep="$sep---:|---:|"
      [ $EXH -eq 1 ] && { hdr="$hdr $l = --exhaustive |"; sep="$sep---|"; }
    done
    echo "$hdr"; echo "$sep"
    for s in "${SHAPE_LIST[@]}"; do
      for which in big small; do
        k="$s.$which"
        [ -n "${F[$k]:-}" ] || { [ $which = big ] && echo "| $s | missing | | | | |"; continue; }
        row="| $s$([ $which = small ] && echo ' (small)') | ${S[$k.mib]} | ${S[$k.packets]} | ${S[$k.load]} | $(v "${S[$k.mem]:-}") | ${F[$k]} (${FW[$k]}) |"
        for l in "${LABELS[@]}"; do
          row="$row $(v "${C[$k.$l]:-}") ($(v "${W[$k.$l]:-}")) | $(ratio "${C[$k.$l]:-}" "${F[$k]}") ($(ratio "${W[$k.$l]:-}" "${FW[$k]}")) |"
          [ "$REPEAT" -gt 1 ] && row="$row $(v "${S[$k.$l.rounds]:-}") |"
          row="$row $(v "${R[$k.$l]:-}") | $(v "${N[$k.$l]:-}") |"
          # the parity of the 200 MB file, in its row: identical, DIFFERENT, timeout, failed
          [ $EXH -eq 1 ] && row="$row $([ $which = small ] && v "${S[$s.$l.same]%% (*}" || echo '')  |"
        done
        echo "$row"
      done
    done
    echo
    echo "flat when the file grows: peak RSS and CPU ms per MiB, small file -> large file"
    for s in "${SHAPE_LIST[@]}"; do
      [ -n "${F[$s.big]:-}" ] && [ -n "${F[$s.small]:-}" ] || continue
      line="  $s (${S[$s.small.mib]} -> ${S[$s.big.mib]} MiB):"
      for l in "${LABELS[@]}"; do
        [ -n "${C[$s.big.$l]:-}" ] && [ -n "${C[$s.small.$l]:-}" ] || continue
        line="$line $l RSS ${R[$s.small.$l]} -> ${R[$s.big.$l]} MiB, ms/MiB $(awk -v a="${C[$s.small.$l]}" -v b="${S[$s.small.mib]}" 'BEGIN {printf "%.2f", a * 1000 / b}') -> $(awk -v a="${C[$s.big.$l]}" -v b="${S[$s.big.mib]}" 'BEGIN {printf "%.2f", a * 1000 / b}');"
      done
      echo "$line"
    done
    if [ -n "$STAGES" ]; then
      l="${LABELS[0]}"
      echo
      echo "where the time goes on the large files: CPU s (ratio to the read floor) of why502's reader alone, with its decoder, with its flow table (why502-stages: $STAGES), and of why502 ($l) whole"
      echo "| shape | packets | read floor s | read | + decode | + flows | why502 whole | flows -> whole |"
      echo "|---|---:|---:|---:|---:|---:|---:|---:|"
      for s in "${SHAPE_LIST[@]}"; do
        k="$s.big"
        [ -n "${F[$k]:-}" ] || continue
        row="| $s | ${S[$k.packets]} | ${F[$k]} |"
        for g in read decode flows; do row="$row $(v "${G[$k.$g]:-}") ($(ratio "${G[$k.$g]:-}" "${F[$k]}")) |"; done
        row="$row $(v "${C[$k.$l]:-}") ($(ratio "${C[$k.$l]:-}" "${F[$k]}")) | $(awk -v a="${C[$k.$l]:-}" -v b="${G[$k.flows]:-}" 'BEGIN {if (a == "" || b == "") print "-"; else printf "+%.2f s", a - b}') |"
        echo "$row"
      done
      if [ $INSTR -eq 1 ]; then
        echo
        echo "the same by instructions a packet on the 200 MB files (callgrind; why502 ($l) as run above)"
        echo "| shape | packets | read | + decode | + flows | why502 whole | flows -> whole |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        for s in "${SHAPE_LIST[@]}"; do
          k="$s.small"
          [ -n "${F[$k]:-}" ] || continue
          row="| $s | ${S[$k.packets]} |"
          for x in "${G[$k.read.instr]:-}" "${G[$k.decode.instr]:-}" "${G[$k.flows.instr]:-}" "${I[$k.$l]:-}"; do
            row="$row $(awk -v i="$x" -v p="${S[$k.packets]}" 'BEGIN {if (i == "") print "-"; else printf "%.0f", i / p}') |"
          done
          row="$row $(awk -v a="${I[$k.$l]:-}" -v b="${G[$k.flows.instr]:-}" -v p="${S[$k.packets]}" 'BEGIN {if (a == "" || b == "") print "-"; else printf "+%.0f", (a - b) / p}') |"
          echo "$row"
        done
      fi
    fi
    if [ $INSTR -eq 1 ]; then
      echo
      echo "instructions on the 200 MB version (callgrind; not moved by the machine's load): millions, per packet, and the ratio to the read floor's (pcap-loop's) instructions"
      for s in "${SHAPE_LIST[@]}"; do
        [ -n "${F[$s.small]:-}" ] || continue
        line="  $s: read floor $(awk -v i="${I[$s.small:floor]:-}" -v p="${S[$s.small.packets]}" 'BEGIN {if (i == "") print "-"; else printf "%.1f M, %.0f a packet", i / 1e6, i / p}');"
        for l in "${LABELS[@]}"; do
          line="$line $l $(awk -v i="${I[$s.small.$l]:-}" -v f="${I[$s.small:floor]:-}" -v p="${S[$s.small.packets]}" 'BEGIN {if (i == "") print "-"; else {printf "%.1f M, %.0f a packet", i / 1e6, i / p; if (f != "") printf ", %.2fx", i / f}}');"
        done
        echo "$line"
      done
    fi
    if [ $MISSES -eq 1 ]; then
      echo
      echo "data reads that miss a simulated cache on the 200 MB version (cachegrind ${CG_CACHES[*]:-(its own sizes)}: the first level and the last as this machine's first and second; not moved by the machine's load): thousands, per packet, and against the first binary"
      for s in "${SHAPE_LIST[@]}"; do
        [ -n "${F[$s.small]:-}" ] || continue
        line="  $s:"
        first="${M[$s.small.${LABELS[0]}]:-}"
        for l in "${LABELS[@]}"; do
          line="$line $l $(awk -v i="${M[$s.small.$l]:-}" -v f="$first" -v p="${S[$s.small.packets]}" -v one="$([ "$l" = "${LABELS[0]}" ] && echo 1)" 'BEGIN {if (i == "") print "-"; else {printf "%.0f K, %.2f a packet", i / 1e3, i / p; if (one == "" && f != "" && f > 0) printf ", %+.1f %%", 100 * (i - f) / f}}');"
        done
        echo "$line"
      done
    fi
    if [ $EXH -eq 1 ]; then
      echo
      echo "--exhaustive on the 200 MB version against the default path (JSON compared byte for byte):"
      for s in "${SHAPE_LIST[@]}"; do
        line="  $s:"
        for l in "${LABELS[@]}"; do line="$line $l $(v "${S[$s.$l.same]:-}" 'not run');"; done
        echo "$line"
      done
    fi
  fi
  if [ ${#SCALE_ROWS[@]} -gt 0 ]; then
    echo
    echo "how the cost grows ($SCALE): one knob turned per capture; CPU s, ns of CPU per packet"
    hdr="| capture: shape, knob | MiB | packets | read floor s |"; sep="|---|---:|---:|---:|"
    for l in "${LABELS[@]}"; do
      hdr="$hdr $l s | $l ns/packet | $l RSS MiB | $l incidents |"; sep="$sep---:|---:|---:|---:|"
      [ $INSTR -eq 1 ] && { hdr="$hdr $l M instructions | $l instructions/packet |"; sep="$sep---:|---:|"; }
    done
    echo "$hdr"; echo "$sep"
    printf '%s\n' "${SCALE_ROWS[@]}" | sort -k1,1 -k2,2g | cut -f2-
    if [ ${#FIT_ROWS[@]} -gt 0 ]; then
      echo
      echo "least-squares lines through the instructions of each set (bench/fit.py):"
      printf '%s\n' "${FIT_ROWS[@]}" | python3 "$HERE/fit.py"
    fi
  fi
  [ -n "${S[tshark]:-}" ] && { echo; echo "${S[tshark]}"; }
} | tee "$OUTDIR/table.txt"
echo "run: raw outputs and cputime reports (NAME.time) in $OUTDIR"
exit $FAILED
}
