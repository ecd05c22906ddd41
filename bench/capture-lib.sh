# Shared by make-capture.sh and make-shape.sh (sourced, not run): ending what a capture run
# started, the origin's files, the namespaces' settings, starting servers, the capture itself
# and the Squid figures of FILE.info.
#
# The sourcing script sets PROG (its name in messages), HERE (bench/), NS_ALL (its namespaces),
# KEEP_WORK, OUT, and uses PIDS, WORK, TMPOUT and LEFTOVERS as set here; it calls capture_traps
# once its namespace names are known (and its LEFTOVERS).

PIDS=()
WORK=""
TMPOUT=""
# files outside WORK that the servers leave when they are killed (glob patterns, expanded when
# removed): an SMP Squid's IPC sockets and shared memory segments; and directories outside
# WORK a run made, removed after them when empty (a namespace's /etc/netns/NS)
LEFTOVERS=()
LEFTOVER_DIRS=()

skip() { echo "$PROG: SKIP: $*"; exit 77; }
die() { echo "$PROG: FAIL: $*" >&2; exit 1; }
nsx() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

kill_ns_procs() { # every process still inside one of our namespaces: started by this script
  local ns pid
  for ns in $NS_ALL; do
    ip netns list 2>/dev/null | grep -qw "^$ns" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  done
}
wait_gone() { # wait_gone TENTHS PID...: 0 once every PID has ended, 1 after TENTHS x 0.1 s
  local n="$1" i pid alive; shift
  for i in $(seq 1 "$n"); do
    alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && return 0
    sleep 0.1
  done
  return 1
}
cleanup() {
  local rc=$? pid ns
  trap - EXIT
  trap '' INT TERM  # a second Ctrl-C must not leave namespaces behind
  [ -n "$WORK" ] && [ -d "$WORK" ] && touch "$WORK/STOP"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  [ ${#PIDS[@]} -gt 0 ] && wait_gone 30 "${PIDS[@]}"
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  kill_ns_procs
  for ns in $NS_ALL; do ip netns del "$ns" 2>/dev/null; done
  remove_leftovers
  [ -n "$TMPOUT" ] && rm -f "$TMPOUT"
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ "$KEEP_WORK" -eq 1 ]; then echo "$PROG: work directory kept: $WORK"; else rm -rf "$WORK"; fi
  fi
  exit $rc
}
remove_leftovers() {
  local pat f
  for pat in "${LEFTOVERS[@]}"; do
    for f in $pat; do [ -e "$f" ] && rm -f -- "$f"; done
  done
  for f in "${LEFTOVER_DIRS[@]}"; do [ -d "$f" ] && rmdir -- "$f" 2>/dev/null; done
  return 0
}
# capture_traps: cleanup on exit, failure and Ctrl-C; removes what a run killed hard left
# behind (same names, so ours)
capture_traps() {
  trap cleanup EXIT
  trap 'echo "$PROG: interrupted" >&2; exit 130' INT
  trap 'exit 143' TERM
  kill_ns_procs
  local ns
  for ns in $NS_ALL; do ip netns del "$ns" 2>/dev/null; done
  remove_leftovers
}

# check_space SIZE_MB: the output's file system holds the capture
check_space() {
  local need avail
  mkdir -p "$(dirname "$OUT")" || die "cannot create $(dirname "$OUT")"
  need=$(( $1 * 12 / 10 + 500 ))
  avail=$(df -Pm "$(dirname "$OUT")" | awk 'NR==2 {print $4}')
  [ "$avail" -gt "$need" ] || die "$(dirname "$OUT") has $avail MB free, needs about $need MB"
}

# build_pcap_loop: pcap-loop counts the packets at the end (and is the baseline of run.sh)
build_pcap_loop() {
  mkdir -p "$HERE/out"
  if [ ! -x "$HERE/out/pcap-loop" ] || [ "$HERE/pcap-loop.c" -nt "$HERE/out/pcap-loop" ]; then
    gcc -std=c17 -O2 -Wall -Wextra -o "$HERE/out/pcap-loop" "$HERE/pcap-loop.c" -lpcap \
      || die "cannot build pcap-loop"
  fi
}

# origin_files: 400 files, 1 KB .. 200 KB, most of them small like a web page's parts: 80 %
# 1-8 KB, 17 % 8-32 KB, 2.7 % 32-128 KB, 0.3 % 128-200 KB (mean about 10 KB). Fixed seed: same
# set each run. Writes WORK/files.txt (name size) and WORK/www/f/; sets MEAN_BODY (bytes).
origin_files() {
  awk 'BEGIN {
    srand(502); split("html css js png jpg json", ext, " ")
    for (i = 0; i < 400; i++) {
      u = rand()
      if (u < 0.80) s = 1024 + int(rand() * 7168)
      else if (u < 0.97) s = 8192 + int(rand() * 24576)
      else if (u < 0.997) s = 32768 + int(rand() * 98304)
      else s = 131072 + int(rand() * 73728)
      if (i == 0) s = 1024; if (i == 1) s = 204800
      printf "%03d.%s %d\n", i, ext[1 + i % 6], s
    }
  }' > "$WORK/files.txt"
  head -c 210000 /dev/urandom > "$WORK/rand.bin"
  mkdir -p "$WORK/www/f"
  while read -r name size; do
    head -c "$size" "$WORK/rand.bin" > "$WORK/www/f/$name"
  done < "$WORK/files.txt"
  MEAN_BODY=$(awk '{s += $2} END {printf "%d", s / NR}' "$WORK/files.txt")
}

# ns_settings: no router solicitations or DAD; many short client connections: a wide port
# range, reuse of TIME_WAIT ports
ns_settings() {
  local ns k
  for ns in $NS_ALL; do
    for k in net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
             net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
             net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0; do
      nsx "$ns" sysctl -qw "$k" 2>/dev/null
    done
    nsx "$ns" sysctl -qw net.ipv4.ip_local_port_range="10000 60999" net.ipv4.tcp_tw_reuse=1 2>/dev/null
    ip -n "$ns" link set lo up
  done
}

bg() { # bg NS LOG CMD...: start CMD in namespace NS, remember its PID
  local ns="$1" logf="$2"; shift 2
  ip netns exec "$ns" "$@" >"$logf" 2>&1 &
  PIDS+=("$!")
}
wait_listen() { # wait_listen NS PROTO(t|u) SS-FILTER WHAT: bounded 10 s
  local i
  for i in $(seq 1 100); do
    nsx "$1" ss -Hln"$2" "$3" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  die "$4 did not start listening on $3 (see $WORK; --keep-work keeps it)"
}
sub() { sed "s#@WORK@#$WORK#g" "$1" > "$2"; }

# capture_start NS BUFFER_KB: tcpdump -s 0 -i any in NS into TMPOUT; sets CAP_PID, CAPLOG
capture_start() {
  local i
  CAPLOG="$WORK/tcpdump.log"
  # ahead of the traffic it records: on a shared machine (load 20 on 2 cores) tcpdump at the
  # default priority lost 475,420 of 1.25 M packets of the tunnel shape's 36 MB/s
  ip netns exec "$1" nice -n -10 tcpdump -s 0 -i any -B "$2" -Z root -w "$TMPOUT" >"$CAPLOG" 2>&1 &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  for i in $(seq 1 50); do grep -q "listening on" "$CAPLOG" 2>/dev/null && break; sleep 0.1; done
  grep -q "listening on" "$CAPLOG" || die "tcpdump did not start ($(cat "$CAPLOG"))"
  sleep 0.3
}
# capture_stop [SETTLE_S]: last FINs and ACKs (SETTLE_S, 1.5 s), then tcpdump ends; sets DROPS
capture_stop() {
  sleep "${1:-1.5}"
  kill -INT "$CAP_PID" 2>/dev/null
  wait_gone 300 "$CAP_PID" || { kill -KILL "$CAP_PID"; die "tcpdump did not stop"; }
  wait "$CAP_PID" 2>/dev/null
  grep -E 'captured|dropped' "$CAPLOG" | sed "s/^/$PROG: tcpdump: /"
  DROPS=$(awk '/dropped by kernel/ {print $1}' "$CAPLOG")
  [ "${DROPS:-0}" = 0 ] || echo "$PROG: WARNING: tcpdump lost $DROPS packets (kernel buffer)" >&2
}

# squid_info ACCESS_LOG T0 [T1]: FILE.info lines from Squid's log of the requests logged (at
# their end) after T0, and before T1 when the capture was cut while transfers went on
# (the warm-up request came before the capture); writes WORK/access-captured.log
squid_info() {
  local alog="$WORK/access-captured.log"
  awk -v t0="$2" -v t1="${3:-}" '$1 >= t0 && (t1 == "" || $1 <= t1)' "$1" > "$alog"
  echo "squid_requests=$(wc -l < "$alog")"
  echo "squid_5xx=$(awk '{split($4, a, "/"); if (a[2] >= 500) n++} END {print n + 0}' "$alog")"
  echo "squid_status=$(awk '{split($4, a, "/"); print a[2]}' "$alog" | sort | uniq -c | awk '{printf "%s%s:%d", sep, $2, $1; sep=" "}')"
  echo "squid_errors=$(awk '$4 ~ /\/5/ {sub(/^err=/, "", $NF); print $NF}' "$alog" | sort | uniq -c | awk '{printf "%s%s:%d", sep, $2, $1; sep=" "}')"
}

# failures_sent: the failures of WORK/failures.txt (batch kind url) in batches that ran
failures_sent() {
  awk -v d="$WORK/res" '{ if ((getline x < sprintf("%s/b%06d.cfg.res", d, $1)) > 0) print $2; }' \
    "$WORK/failures.txt" 2>/dev/null | sort | uniq -c | awk '{printf "%s%s=%d", sep, $2, $1; sep=" "}'
}
