#!/usr/bin/env bash
# Makes the benchmark's capture: real HTTP traffic through a real Squid forward proxy (port
# 9090), captured on the gateway as the articles do (tcpdump -s 0 -i any -w, Linux cooked SLL2).
#
#   bench/make-capture.sh [--size MB] [--out FILE] [--failures N] [--parallel N]
#                         [--max-time SECONDS] [--offload] [--chunked] [--keep-work]
#
#   --size MB        stop when the capture holds this many MB (10^6 bytes; default 2000)
#   --out FILE       default bench/out/proxy-2g.pcap (bench/out/ is scratch, never committed)
#   --failures N     failed requests spread over the run (default: 40 per 2000 MB, at least 8)
#   --parallel N     client processes at once (default 16)
#   --max-time S     give up on the size after S seconds of traffic (default 900)
#   --offload        keep TSO/GSO on the veths (fewer, bigger packets; default: off, so the
#                    capture has MTU-sized packets like a gateway's NIC without offload)
#   --chunked        the origin gzips every answer on the fly (clients ask for gzip): bodies
#                    framed by chunks on both legs instead of by Content-Length, as dynamic
#                    origins and compressing ones send them (the files are random bytes, so
#                    the sizes stay the same)
#   --keep-work      keep the work directory (Squid's access log, curl results) in /tmp
#
# Namespaces w5b-cli (clients 198.18.1.2-.33, fd00:1::2-::5), w5b-gw (Squid; 198.18.1.1,
# fd00:1::1 and 198.19.0.1), w5b-up (unbound 198.19.0.53, nginx origins 198.19.0.10-.17,
# dropped address 198.19.0.99). Clients fetch files of 1 KB .. 200 KB (400 files; half the
# URLs carry a query string, so popular paths repeat and many URLs are unique) with keep-alive,
# 5..50 URLs per curl (one client connection), N curls at once, each from its own client
# address. Failures mixed in: names
# that do not exist (NXDOMAIN from unbound), a port that refuses (81: nothing listens), an
# address whose SYNs are dropped (iptables DROP in w5b-up), the origin's own 500/503.
# Writes FILE and FILE.info (what went into it: requests, statuses, packets, time).
#
# The whole script is one block, read before it runs (an edit cannot change a run in progress).
# Exit: 0 ok, 1 failure, 77 skipped (not root, a tool missing). Only addresses in
# 198.18.0.0/15 and fd00::/8 inside namespaces made here; ends only processes it started (by
# PID) and deletes its namespaces on exit, failure and Ctrl-C.
{
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SIZE_MB=2000
OUT="$HERE/out/proxy-2g.pcap"
FAILURES=""
PAR=16
MAXTIME=900
OFFLOAD=0
CHUNKED=0
KEEP_WORK=0
PER_CURL=50
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE_MB="${2:-}"; shift 2 ;;
    --out) OUT="${2:-}"; shift 2 ;;
    --failures) FAILURES="${2:-}"; shift 2 ;;
    --parallel) PAR="${2:-}"; shift 2 ;;
    --max-time) MAXTIME="${2:-}"; shift 2 ;;
    --offload) OFFLOAD=1; shift ;;
    --chunked) CHUNKED=1; shift ;;
    --keep-work) KEEP_WORK=1; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "make-capture: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
isnum() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }
isnum "$SIZE_MB" || { echo "make-capture: --size wants a number of MB" >&2; exit 2; }
isnum "$PAR" && [ "$PAR" -le 64 ] || { echo "make-capture: --parallel wants 1..64" >&2; exit 2; }
isnum "$MAXTIME" && [ "$MAXTIME" -le 3600 ] || { echo "make-capture: --max-time wants 1..3600" >&2; exit 2; }
[ -n "$FAILURES" ] || FAILURES=$(( SIZE_MB * 40 / 2000 < 8 ? 8 : SIZE_MB * 40 / 2000 ))
[[ "$FAILURES" =~ ^[0-9]+$ ]] && [ "$FAILURES" -le 1000 ] || { echo "make-capture: --failures wants 0..1000" >&2; exit 2; }

PROG=make-capture
. "$HERE/capture-lib.sh"
T0=$EPOCHREALTIME
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b - a}'; }
log() { printf 'make-capture: [%6ss] %s\n' "$(elapsed)" "$*"; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, iptables)"
for c in ip iptables squid nginx unbound tcpdump curl gcc xargs flock ss awk; do
  command -v "$c" >/dev/null 2>&1 || skip "$c not installed (apt-get install squid nginx-light unbound tcpdump curl iproute2 iptables gcc libpcap-dev)"
done
[ -e /usr/include/pcap/pcap.h ] || skip "libpcap-dev not installed"
id proxy >/dev/null 2>&1 || skip "no 'proxy' user (Debian's squid package makes it)"
if [ $OFFLOAD -eq 0 ] && ! command -v ethtool >/dev/null 2>&1; then
  echo "make-capture: ethtool not installed: offloads stay on (apt-get install ethtool)" >&2
  OFFLOAD=1
fi

OUT="$(realpath -m "$OUT")"
check_space "$SIZE_MB"

# One run at a time: the namespace names are fixed.
{ exec 9>/run/lock/w5b-bench.lock; } 2>/dev/null || exec 9>/tmp/w5b-bench.lock
flock -w 10 9 || die "another make-capture run holds the lock"

NS_ALL="w5b-cli w5b-gw w5b-up"
TMPOUT="$OUT.tmp"
capture_traps

WORK="$(mktemp -d /tmp/w5b-cap.XXXXXX)"
chmod 755 "$WORK"
mkdir -p "$WORK"/{squid,nginx,unbound,www/f,batches,res}
chown proxy "$WORK/squid"

build_pcap_loop
origin_files

# ---------------------------------------------------------------- topology
#  w5b-cli 198.18.1.2-.33 ── cli0|gw-cli  w5b-gw (Squid)  gw-up|up-gw ── w5b-up
#          fd00:1::2-::5     198.18.1.1 fd00:1::1   198.19.0.1     198.19.0.53 (DNS) .10-.17 .99
ip netns add w5b-cli 2>/dev/null || skip "cannot create network namespaces here"
for ns in w5b-gw w5b-up; do ip netns add "$ns" || die "ip netns add $ns"; done
ns_settings
set -e
ip -n w5b-gw link add gw-cli type veth peer name cli0 netns w5b-cli
ip -n w5b-gw link add gw-up type veth peer name up-gw netns w5b-up
for h in $(seq 2 33); do ip -n w5b-cli addr add "198.18.1.$h/24" dev cli0; done
for h in 2 3 4 5; do ip -n w5b-cli addr add "fd00:1::$h/64" dev cli0 nodad; done
ip -n w5b-gw addr add 198.18.1.1/24 dev gw-cli
ip -n w5b-gw addr add fd00:1::1/64 dev gw-cli nodad
ip -n w5b-gw addr add 198.19.0.1/24 dev gw-up
ip -n w5b-up addr add 198.19.0.53/24 dev up-gw
for h in 10 11 12 13 14 15 16 17 99; do ip -n w5b-up addr add "198.19.0.$h/24" dev up-gw; done
for l in w5b-cli:cli0 w5b-gw:gw-cli w5b-gw:gw-up w5b-up:up-gw; do
  ip -n "${l%%:*}" link set "${l##*:}" up
done
ip -n w5b-cli route add default via 198.18.1.1
ip -n w5b-cli -6 route add default via fd00:1::1
nsx w5b-gw sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
# The dropped-SYN address (rules die with the namespace).
nsx w5b-up iptables -A INPUT -d 198.19.0.99 -p tcp --syn -j DROP
set +e
if [ $OFFLOAD -eq 0 ]; then
  for l in w5b-cli:cli0 w5b-gw:gw-cli w5b-gw:gw-up w5b-up:up-gw; do
    nsx "${l%%:*}" ethtool -K "${l##*:}" tso off gso off gro off >/dev/null 2>&1 \
      || echo "make-capture: could not turn offloads off on ${l##*:}" >&2
  done
fi

# ---------------------------------------------------------------- servers
sub "$HERE/unbound.conf" "$WORK/unbound/unbound.conf"
bg w5b-up "$WORK/unbound/stderr.log" unbound -d -c "$WORK/unbound/unbound.conf"
sub "$HERE/nginx-origin.conf" "$WORK/nginx/nginx.conf"
if [ $CHUNKED -eq 1 ]; then
  # gzip on the fly has no length to send first: chunked to Squid, and from Squid to its
  # clients (Squid's requests carry Via: gzip_proxied any answers them too)
  sed -i 's|^    sendfile on;|    gzip on; gzip_types *; gzip_min_length 0; gzip_comp_level 1; gzip_proxied any;\n    sendfile on;|' \
    "$WORK/nginx/nginx.conf"
  grep -q 'gzip on' "$WORK/nginx/nginx.conf" || die "cannot turn gzip on in the origin's config"
fi
bg w5b-up "$WORK/nginx/stderr.log" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
sub "$HERE/squid.conf" "$WORK/squid/squid.conf"
bg w5b-gw "$WORK/squid/stderr.log" squid -N -f "$WORK/squid/squid.conf"
wait_listen w5b-up u 'src 198.19.0.53:53' unbound
wait_listen w5b-up t 'sport = :80' nginx
wait_listen w5b-gw t 'sport = :9090' squid
# Warm-up outside the capture: Squid's first DNS lookups and connections.
nsx w5b-cli curl -s -o /dev/null -x http://198.18.1.1:9090 --max-time 10 http://www.bench/f/000.html \
  || die "warm-up request through Squid failed (see $WORK/squid)"
log "topology up, servers listening (work: $WORK)"

# ---------------------------------------------------------------- the requests
# Bytes a request adds to the capture (both legs, headers, ACKs, 88 bytes of record, SLL2, IP
# and TCP headers per packet): about 2.1 x body + 2.6 KB, measured on earlier runs.
BPR=$(( MEAN_BODY * 21 / 10 + 2600 ))
EST=$(( SIZE_MB * 1000000 / BPR ))                 # requests expected to fill SIZE_MB
NB=$(( EST * 3 / 2 * 2 / (PER_CURL + 5) + 1 ))   # batches written (mean length (5+per)/2, 50 % to spare)
FB=$(( EST * 9 / 10 * 2 / (PER_CURL + 5) ))        # failures go in the first 90 %
[ "$FB" -ge 1 ] || FB=1
log "target $SIZE_MB MB: about $EST requests (mean body $MEAN_BODY B), $FAILURES failures, $PAR clients at once"
awk -v nb="$NB" -v per="$PER_CURL" -v nf="$FAILURES" -v fb="$FB" -v dir="$WORK/batches" \
    -v files="$WORK/files.txt" '
BEGIN {
  srand(9090)
  while ((getline line < files) > 0) { split(line, a, " "); f[n++] = a[1] }
  split("www static img cdn api news shop media", host, " ")
  # failures: which batch, which kind (round robin), at which position in it
  split("nxdomain refused dropsyn origin500 nxdomain refused origin503", kinds, " ")
  for (i = 0; i < nf; i++) {
    b = int((i + 0.5) * fb / nf)
    if (b in fail) fail[b] = fail[b] "," i; else fail[b] = i   # (mawk: no ?: here)
  }
  for (b = 0; b < nb; b++) {
    file = sprintf("%s/b%06d.cfg", dir, b)
    delete at
    len = 5 + int(rand() * (per - 4))    # 5 .. per requests on this client connection
    if (b in fail) {
      m = split(fail[b], ids, ",")
      for (j = 1; j <= m && j <= len; j++) {
        p = int(rand() * len); while (p in at) p = (p + 1) % len
        at[p] = ids[j]
      }
    }
    for (k = 0; k < len; k++) {
      if (k in at) {
        i = at[k]; kind = kinds[1 + i % 7]
        if (kind == "nxdomain") u = sprintf("http://nosuch-%d.bench/index.html", i)
        else if (kind == "refused") u = sprintf("http://%s.bench:81/f/%s", host[1 + i % 8], f[i % n])
        else if (kind == "dropsyn") u = sprintf("http://drop.bench/f/%s", f[i % n])
        else if (kind == "origin500") u = sprintf("http://%s.bench/err/500", host[1 + i % 8])
        else u = sprintf("http://%s.bench/err/503", host[1 + i % 8])
        printf "url = \"%s\"\noutput = \"/dev/null\"\n", u > file
        print b, kind, u > (dir "/../failures.txt")
      }
      u = sprintf("http://%s.bench/f/%s", host[1 + int(rand() * 8)], f[int(rand() * n)])
      if (rand() < 0.5) u = u sprintf("?v=%d", int(rand() * 1000000))   # cache busters, API calls
      printf "url = \"%s\"\noutput = \"/dev/null\"\n", u > file
    }
    close(file)
    # one client address per batch; one batch in 8 over IPv6
    if (b % 8 == 7) printf "%s fd00:1::%d http://[fd00:1::1]:9090\n", file, 2 + int(b / 8) % 4
    else printf "%s 198.18.1.%d http://198.18.1.1:9090\n", file, 2 + b % 32
  }
}' > "$WORK/batches.txt" || die "cannot write the request lists"

ACCEPT_ENC=""
[ $CHUNKED -eq 1 ] && ACCEPT_ENC="-H 'Accept-Encoding: gzip'"
cat > "$WORK/worker.sh" <<EOF
#!/bin/sh
# worker.sh BATCH CLIENT_ADDR PROXY: one client, one keep-alive connection to the proxy
[ -e "$WORK/STOP" ] && exit 0
exec curl -s -K "\$1" --interface "\$2" -x "\$3" --connect-timeout 5 --max-time 30 \\
  -A 'Mozilla/5.0 (X11; Linux x86_64) why502-bench' -H 'Accept: */*' $ACCEPT_ENC \\
  -w '%{http_code} %{exitcode} %{size_download}\n' > "$WORK/res/\$(basename "\$1").res" 2>/dev/null
EOF
chmod +x "$WORK/worker.sh"

# ---------------------------------------------------------------- capture and load
capture_start w5b-gw 262144
TL0=$EPOCHREALTIME
ip netns exec w5b-cli xargs -P "$PAR" -L 1 -a "$WORK/batches.txt" "$WORK/worker.sh" &
LOAD_PID=$!
PIDS+=("$LOAD_PID")
TARGET=$(( SIZE_MB * 1000000 ))
why_stop=""
for i in $(seq 1 $(( MAXTIME * 4 ))); do
  sleep 0.25
  kill -0 "$LOAD_PID" 2>/dev/null || { why_stop="request lists done"; break; }
  sz=$(stat -c %s "$TMPOUT" 2>/dev/null || echo 0)
  # stop a little early: the curls in flight finish their lists (PAR x up to PER_CURL requests)
  [ "$sz" -ge $(( TARGET - PAR * PER_CURL * BPR * 2 / 3 )) ] && { why_stop="size reached"; break; }
  if [ $(( i % 40 )) -eq 0 ]; then
    log "$(( sz / 1000000 )) MB captured, $(ls "$WORK/res" | wc -l) batches started"
  fi
done
[ -n "$why_stop" ] || why_stop="--max-time $MAXTIME s reached"
touch "$WORK/STOP"
# Batches in flight finish (each request ends by --max-time 30 s); bounded anyway.
if ! wait_gone 600 "$LOAD_PID"; then
  echo "make-capture: clients still running after 60 s, ending them" >&2
  for pid in $(ip netns pids w5b-cli 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
fi
wait "$LOAD_PID" 2>/dev/null
TL1=$EPOCHREALTIME
capture_stop
log "load stopped ($why_stop) after $(awk -v a="$TL0" -v b="$TL1" 'BEGIN{printf "%.1f", b - a}') s"

# ---------------------------------------------------------------- what went in
read -r _ packets _ wirebytes _ _ < <("$HERE/out/pcap-loop" "$TMPOUT") || die "pcap-loop cannot read the capture"
mv -f "$TMPOUT" "$OUT" || die "cannot write $OUT"
fsize=$(stat -c %s "$OUT")
ALOG="$WORK/squid/access.log"
cat "$WORK"/res/*.res 2>/dev/null > "$WORK/client-results.txt"
run_batches=$(ls "$WORK/res" | wc -l)
failures_sent > "$WORK/fail-sent.txt"
{
  echo "file=$(basename "$OUT")"
  echo "file_bytes=$fsize"
  echo "packets=$packets"
  echo "wire_bytes=$wirebytes"
  echo "link=$(tcpdump -r "$OUT" -c 1 2>&1 | awk '/link-type/ {print $6; exit}')"
  echo "load_seconds=$(awk -v a="$TL0" -v b="$TL1" 'BEGIN{printf "%.1f", b - a}')"
  echo "stop_reason=$why_stop"
  echo "clients_at_once=$PAR"
  echo "curl_runs=$run_batches"
  echo "client_requests=$(wc -l < "$WORK/client-results.txt")"
  echo "client_status=$(awk '{print $1}' "$WORK/client-results.txt" | sort | uniq -c | awk '{printf "%s%s:%d", sep, $2, $1; sep=" "}')"
  # Squid's log without the warm-up request (made before the capture started)
  squid_info "$ALOG" "$TL0"
  ALOG="$WORK/access-captured.log"
  echo "failures_sent=$(cat "$WORK/fail-sent.txt")"
  echo "tcpdump_dropped=${DROPS:-0}"
  echo "offloads=$([ $OFFLOAD -eq 1 ] && echo on || echo off)"
  echo "bodies=$([ $CHUNKED -eq 1 ] && echo chunked || echo length)"
  echo "made=$(date -u +%Y-%m-%dT%H:%M:%SZ) by bench/make-capture.sh --size $SIZE_MB"
} > "$OUT.info"
cp "$ALOG" "$OUT.access.log" 2>/dev/null
log "wrote $OUT ($(( fsize / 1000000 )) MB) and $OUT.info:"
sed 's/^/  /' "$OUT.info"
exit 0
}
