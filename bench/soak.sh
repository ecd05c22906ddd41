#!/usr/bin/env bash
# Soak of the live flight recorder: why502 -i any --evidence --metrics on the benchmark's Squid
# gateway under the benchmark's load (make-capture.sh's topology, servers, clients and
# failures), for a bounded time, with the process sampled every 10 s.
#
#   bench/soak.sh [--why502 PATH] [--seconds N] [--parallel N] [--ring LIMITS] [--out DIR]
#
#   --why502 PATH   the binary (default build/why502); copied first, so a rebuild during the
#                   run changes nothing
#   --seconds N     seconds of load (default 600, at most 3600)
#   --parallel N    client processes at once (default 16, as make-capture.sh)
#   --ring LIMITS   why502 --ring (default its own default)
#   --out DIR       default bench/out/soak-DATE (scratch, never committed)
#
# How: make-capture.sh is run from a copy whose namespace names are w5s-* instead of w5b-*
# (so it never meets a benchmark capture or another soak's namespaces), and whose capture step
# (capture_start/capture_stop of capture-lib.sh) runs why502 instead of tcpdump and writes no
# capture file. The load stops after --seconds (make-capture's --max-time; the request lists
# are long enough not to run out first). Everything make-capture.sh cleans up on exit,
# failure and Ctrl-C (namespaces, servers, clients) is cleaned up here too, why502 and the
# sampler included.
#
# Writes DIR/samples.tsv (one line per 10 s: seconds, RSS KiB, CPU seconds, load average,
# packets, kernel and interface drops, gateway bytes on both legs, open connections, evidence
# bytes, incidents), DIR/why502.jsonl and .err (its output: incidents, summary, the status
# lines of SIGUSR1 sent at each sample), DIR/squid.info and DIR/report.txt (the figures).
# Root only; exit 77 when a tool is missing. Not part of make test.
{
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WHY="$HERE/../build/why502"
SECS=600
PAR=16
RING=""
OUTD="$HERE/out/soak-$(date -u +%Y%m%d-%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --why502) WHY="${2:-}"; shift 2 ;;
    --seconds) SECS="${2:-}"; shift 2 ;;
    --parallel) PAR="${2:-}"; shift 2 ;;
    --ring) RING="${2:-}"; shift 2 ;;
    --out) OUTD="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "soak: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
[[ "$SECS" =~ ^[0-9]+$ ]] && [ "$SECS" -ge 30 ] && [ "$SECS" -le 3600 ] || { echo "soak: --seconds wants 30..3600" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "soak: SKIP: needs root"; exit 77; }
[ -x "$WHY" ] || { echo "soak: no why502 at $WHY (build first)" >&2; exit 2; }
mkdir -p "$OUTD" || exit 1
OUTD="$(realpath "$OUTD")"
COPY="$(mktemp -d /tmp/w5s-soak.XXXXXX)"
trap 'rm -rf "$COPY"' EXIT
chmod 755 "$COPY"
cp "$WHY" "$COPY/why502"
cp "$HERE"/capture-lib.sh "$HERE"/*.conf "$HERE"/pcap-loop.c "$COPY/"
mkdir -p "$COPY/out"
sed 's/w5b-/w5s-/g' "$HERE/make-capture.sh" > "$COPY/make-capture.sh"
# The capture step: why502 instead of tcpdump, a sampler beside it; no capture file (the size
# test of make-capture.sh sees none, so the load runs for --max-time).
cat >> "$COPY/capture-lib.sh" <<'EOF'

check_space() { mkdir -p "$(dirname "$OUT")"; }
sample() { # one line of samples.tsv
  local st cpu rss load m bytes=0 l
  st=$(cut -d' ' -f14,15 "/proc/$CAP_PID/stat" 2>/dev/null) || return 1
  cpu=$(awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($1 + $2) / t}' <<<"$st")
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$CAP_PID/status")
  load=$(cut -d' ' -f1 /proc/loadavg)
  for l in gw-cli gw-up; do
    for d in rx tx; do bytes=$(( bytes + $(ip netns exec w5s-gw cat /sys/class/net/$l/statistics/${d}_bytes) )); done
  done
  m=$(ip netns exec w5s-gw curl -s -m 3 http://127.0.0.1:9502/metrics)
  met() { awk -v k="$1" '$1 == k {print $2; f=1} END {if (!f) print "-"}' <<<"$m"; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$(awk -v a="$TS0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.0f", b - a}')" "$rss" "$cpu" "$load" \
    "$(met why502_packets_total)" "$(met 'why502_drops_total{where="kernel"}')" \
    "$(met 'why502_drops_total{where="interface"}')" "$bytes" "$(met why502_open_connections)" \
    "$(met why502_evidence_bytes)" "$(met why502_incidents_total)" >> "$SOAK_OUT/samples.tsv"
  kill -USR1 "$CAP_PID" 2>/dev/null
}
capture_start() {
  local i
  CAPLOG="$SOAK_OUT/why502.err"
  ip netns exec "$1" "$HERE/why502" -i any -B "$2" --json ${SOAK_RING:+--ring "$SOAK_RING"} \
    --evidence "$SOAK_OUT/evidence" --metrics 127.0.0.1:9502 not port 9502 >"$SOAK_OUT/why502.jsonl" 2>"$CAPLOG" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  for i in $(seq 1 50); do grep -q "capturing on" "$CAPLOG" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  kill -0 "$CAP_PID" 2>/dev/null && grep -q "capturing on" "$CAPLOG" || die "why502 did not start ($(cat "$CAPLOG"))"
  TS0=$EPOCHREALTIME
  printf 't_s\trss_kib\tcpu_s\tload1\tpackets\tkernel_drops\tiface_drops\tgw_bytes\topen_conns\tevidence_bytes\tincidents\n' \
    > "$SOAK_OUT/samples.tsv"
  ( k=0; while kill -0 "$CAP_PID" 2>/dev/null && [ ! -e "$WORK/SAMPLER_STOP" ]; do
      sample; k=$(( k + 1 ))
      sleep "$(awk -v a="$TS0" -v b="$EPOCHREALTIME" -v k="$k" 'BEGIN{d = a + 10 * k - b; printf "%.2f", (d > 0 ? d : 0)}')"
    done ) &
  SAMPLER=$!
  PIDS+=("$SAMPLER")
  # make-capture's wait loop counts quarter seconds, which stretch on a loaded machine: the
  # load stops by the wall clock instead, through its size test (a sparse file of the size)
  ( sleep "$SOAK_SECS"; truncate -s "$(( SIZE_MB * 1000000 ))" "$TMPOUT" ) &
  PIDS+=("$!")
}
capture_stop() {
  sleep 1.5
  touch "$WORK/SAMPLER_STOP"
  wait_gone 150 "$SAMPLER"
  sample
  sleep 0.5
  kill -INT "$CAP_PID" 2>/dev/null
  wait_gone 300 "$CAP_PID" || { kill -KILL "$CAP_PID"; die "why502 did not stop"; }
  wait "$CAP_PID" 2>/dev/null
  squid_info "$WORK/squid/access.log" "$TL0" > "$SOAK_OUT/squid.info"
  echo "load_seconds=$(awk -v a="$TL0" -v b="$TL1" 'BEGIN{printf "%.1f", b - a}')" >> "$SOAK_OUT/squid.info"
  echo "stop_reason=$why_stop" >> "$SOAK_OUT/squid.info"
  echo "failures_sent=$(failures_sent)" >> "$SOAK_OUT/squid.info"
  exit 0
}
EOF
export SOAK_OUT="$OUTD" SOAK_RING="$RING" SOAK_SECS="$SECS"
echo "soak: $SECS s of load, $PAR clients, output in $OUTD; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
# --size: request lists for far more than SECS seconds can carry (no file is written)
bash "$COPY/make-capture.sh" --size 30000 --max-time "$(( SECS * 3 ))" --parallel "$PAR" --out "$OUTD/none.pcap" \
  --failures 600 > "$OUTD/make-capture.log" 2>&1
rc=$?
tail -3 "$OUTD/make-capture.log"
[ $rc -eq 0 ] || { echo "soak: FAIL: the run ended with $rc (see $OUTD/make-capture.log)" >&2; exit 1; }

# ---------------------------------------------------------------- the figures
S="$OUTD/samples.tsv"
{
  echo "soak of $(date -u +%Y-%m-%d) ($SECS s of load, $PAR clients; $(nproc) cores, load average per sample below)"
  cat "$OUTD/squid.info"
  awk -F'\t' 'NR == 2 {t0 = $1; c0 = $3; p0 = $5; b0 = $8}
    NR > 1 {n++; t = $1; c = $3; p = $5; b = $8; kd = $6; idr = $7; ev = $10; inc = $11; ld += $4
            if (rmin == "" || $2 < rmin) rmin = $2; if ($2 > rmax) rmax = $2
            if (NR > 7) { if (r1min == "" || $2 < r1min) r1min = $2; if ($2 > r1max) r1max = $2 }
            if ($9 != "-" && $9 > omax) omax = $9}
    END {
      d = t - t0
      printf "sampled_seconds=%d\n", d
      printf "packets_per_s=%.0f\n", (p - p0) / d
      printf "mbit_per_s=%.1f\n", (b - b0) * 8 / d / 1e6
      printf "cpu_share_of_one_core=%.1f%%\n", 100 * (c - c0) / d
      printf "rss_kib_min_max=%s %s\n", rmin, rmax
      printf "rss_kib_min_max_after_60s=%s %s\n", r1min, r1max
      printf "kernel_drops=%s\ninterface_drops=%s\n", kd, idr
      printf "open_connections_max=%s\n", omax
      printf "evidence_bytes=%s\nincidents=%s\n", ev, inc
      printf "load_average_mean=%.1f\n", ld / n
    }' "$S"
  echo "evidence_disk=$(du -sk "$OUTD/evidence" | cut -f1) KiB in $(ls "$OUTD/evidence" | wc -l) files"
  grep '"type":"capture"' "$OUTD/why502.jsonl"
  grep '"type":"summary"' "$OUTD/why502.jsonl" | cut -c1-400
  echo "samples:"
  column -t "$S"
} > "$OUTD/report.txt"
cat "$OUTD/report.txt"
exit 0
}
