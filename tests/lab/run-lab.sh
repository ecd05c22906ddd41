#!/usr/bin/env bash
# why502 lab: real gateways (Squid forward proxy on 9090; nginx, HAProxy, Apache httpd, Varnish
# and Caddy as reverse proxies), a real DNS server (unbound), real firewall rules (iptables/ip6tables) and a misbehaving origin
# (badorigin.c) in network namespaces w5l-*, so that every failure of scenarios.tsv happens for
# real. Captures on the gateway as the articles do (tcpdump -s 0 -i any -w X.pcap), records
# the status each client really got, then (with --why502) checks the diagnosis (check.py).
#
#   tests/lab/run-lab.sh [--why502 BIN] [--keep DIR] [--keep-work]
#                        [--runs "squid arm nginx haproxy apache varnish caddy"]
# HAProxy, Apache, Varnish and Caddy run only during their own capture (their health checks and
# background DNS belong to no other run); a run whose gateway is not installed is left out.
#
# Exit: 0 ok, 1 failure, 77 skipped (not root, a package missing, no network namespaces).
# Only addresses in 198.18.0.0/15 and fd00::/8 inside namespaces this script makes; it ends
# only processes it started (by PID) and deletes its namespaces on exit, failure and Ctrl-C.
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WHY502=""
KEEP=""
RUNS="squid arm nginx haproxy apache varnish caddy"
KEEP_WORK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --why502) WHY502="${2:-}"; shift 2 ;;
    --keep) KEEP="${2:-}"; shift 2 ;;
    --runs) RUNS="${2:-}"; shift 2 ;;
    --keep-work) KEEP_WORK=1; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "lab: unknown option $1" >&2; exit 2 ;;
  esac
done

skip() { echo "lab: SKIP: $*"; exit 77; }
die() { echo "lab: FAIL: $*" >&2; exit 1; }
log() { printf 'lab: [%5.1fs] %s\n' "$(elapsed)" "$*"; }
T0=$EPOCHREALTIME
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{print b - a}'; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, iptables)"
for c in ip iptables ip6tables squid nginx unbound tcpdump curl cc python3 flock ss; do
  command -v "$c" >/dev/null 2>&1 || skip "$c not installed (run scripts/install-deps.sh)"
done
id proxy >/dev/null 2>&1 || skip "no 'proxy' user (Debian's squid package makes it)"
gw_bin() { case "$1" in haproxy) echo haproxy ;; apache) echo apache2 ;; varnish) echo varnishd ;;
                        caddy) echo caddy ;; *) echo true ;; esac; }
KEPT_RUNS=""
for run in $RUNS; do
  if command -v "$(gw_bin "$run")" >/dev/null 2>&1; then KEPT_RUNS="$KEPT_RUNS $run"
  else echo "lab: $(gw_bin "$run") not installed: run $run left out (scripts/install-deps.sh)"; fi
done
RUNS="${KEPT_RUNS# }"
case " $RUNS " in *" apache "*) id www-data >/dev/null 2>&1 || skip "no 'www-data' user for apache" ;; esac

# One lab at a time on this machine: the namespace names are fixed.
{ exec 9>/run/lock/w5l-lab.lock; } 2>/dev/null || exec 9>/tmp/w5l-lab.lock
flock -w 300 9 || die "another lab run holds /run/lock/w5l-lab.lock for 300 s"

NS_ALL="w5l-cli w5l-gw w5l-up w5l-arm"
PIDS=()
WORK=""

kill_ns_procs() { # processes still inside one of our namespaces (children of what we started)
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
  local rc=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait_gone 30 "${PIDS[@]}"
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  kill_ns_procs
  for ns in $NS_ALL; do ip netns del "$ns" 2>/dev/null; done
  rm -f /etc/netns/w5l-gw/resolv.conf; rmdir /etc/netns/w5l-gw 2>/dev/null
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ $KEEP_WORK -eq 1 ]; then echo "lab: work directory kept: $WORK"; else rm -rf "$WORK"; fi
  fi
  exit $rc
}
trap cleanup EXIT
trap 'echo "lab: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

# Left over from a run that was killed hard: same names, so ours.
kill_ns_procs
for ns in $NS_ALL; do ip netns del "$ns" 2>/dev/null; done

WORK="$(mktemp -d /tmp/w5l-lab.XXXXXX)"
chmod 755 "$WORK"
mkdir -p "$WORK"/{squid,nginx,haproxy,apache,varnish,caddy,unbound,cap,jobs,origin}
chown proxy "$WORK/squid"
RESULTS="$WORK/results.tsv"
printf 'run\tname\turl\tstatus\tcurl_exit\ttime_total\tlocal_ip\tlocal_port\n' > "$RESULTS"

cc -std=c17 -O2 -Wall -Wextra -o "$WORK/badorigin" "$HERE/badorigin.c" || die "cannot build badorigin"

# ---------------------------------------------------------------- topology
#  w5l-cli 198.18.1.2 fd00:1::2 ── gw-cli|w5l-gw|gw-up ── br0 in w5l-up (DNS .53, origins .10-.28)
#                  198.18.1.1 fd00:1::1      198.19.0.1 fd00:19::1        │
#                                                        w5l-arm 198.19.0.2 (one-armed client)
ip netns add w5l-cli 2>/dev/null || skip "cannot create network namespaces here"
for ns in w5l-gw w5l-up w5l-arm; do ip netns add "$ns" || die "ip netns add $ns"; done
nsx() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }
for ns in $NS_ALL; do
  for k in net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
           net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
           net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0; do
    nsx "$ns" sysctl -qw "$k" 2>/dev/null
  done
  ip -n "$ns" link set lo up
done
set -e
ip -n w5l-gw link add gw-cli type veth peer name cli0 netns w5l-cli
ip -n w5l-gw link add gw-up type veth peer name up-gw netns w5l-up
ip -n w5l-up link add up-arm type veth peer name arm0 netns w5l-arm
ip -n w5l-up link add br0 type bridge stp_state 0 forward_delay 0
ip -n w5l-up link set up-gw master br0
ip -n w5l-up link set up-arm master br0

ip -n w5l-cli addr add 198.18.1.2/24 dev cli0
ip -n w5l-cli addr add fd00:1::2/64 dev cli0 nodad
ip -n w5l-gw addr add 198.18.1.1/24 dev gw-cli
ip -n w5l-gw addr add fd00:1::1/64 dev gw-cli nodad
# one client-side address per reverse proxy: .3 HAProxy, .4 Apache, .5 Varnish, .6 Caddy
for h in 3 4 5 6; do
  ip -n w5l-gw addr add "198.18.1.$h/24" dev gw-cli
  ip -n w5l-gw addr add "fd00:1::$h/64" dev gw-cli nodad
done
ip -n w5l-gw addr add 198.19.0.1/24 dev gw-up
ip -n w5l-gw addr add fd00:19::1/64 dev gw-up nodad
ip -n w5l-arm addr add 198.19.0.2/24 dev arm0
ip -n w5l-arm addr add fd00:19::2/64 dev arm0 nodad
ip -n w5l-up addr add 198.19.0.53/24 dev br0
ip -n w5l-up addr add fd00:19::53/64 dev br0 nodad
for h in 10 11 12 13 14 16 17 20 21 22 23 24 25 26 27 28 29 30; do
  ip -n w5l-up addr add "198.19.0.$h/24" dev br0
done
for h in 10 12 15; do ip -n w5l-up addr add "fd00:19::$h/64" dev br0 nodad; done
for l in w5l-cli:cli0 w5l-gw:gw-cli w5l-gw:gw-up w5l-up:up-gw w5l-up:up-arm w5l-up:br0 w5l-arm:arm0; do
  ip -n "${l%%:*}" link set "${l##*:}" up
done
# The client reaches only the gateway; the gateway does not route (a proxy, not a router).
ip -n w5l-cli route add default via 198.18.1.1
ip -n w5l-cli -6 route add default via fd00:1::1
nsx w5l-gw sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0

# ---------------------------------------------------------------- faults: firewall
# Rules live in w5l-up: deleting the namespace deletes them. ICMP errors are not rate limited
# there, so every SYN gets its answer.
nsx w5l-up sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
nsx w5l-up sysctl -qw net.ipv4.icmp_msgs_per_sec=100000 2>/dev/null || true
nsx w5l-up iptables -A INPUT -d 198.19.0.11 -p tcp --syn -j DROP
nsx w5l-up iptables -A INPUT -d 198.19.0.12 -p tcp -j REJECT --reject-with tcp-reset
# refuses too, for Varnish's probed backend alone: Varnish holds an address down 0.25 s after a
# refusal for every backend there, so probes of 198.19.0.12 failed `rst` and `two` unseen
nsx w5l-up iptables -A INPUT -d 198.19.0.17 -p tcp -j REJECT --reject-with tcp-reset
nsx w5l-up iptables -A INPUT -d 198.19.0.13 -p tcp -j REJECT --reject-with icmp-admin-prohibited
nsx w5l-up iptables -A INPUT -d 198.19.0.14 -p tcp -j REJECT --reject-with icmp-host-prohibited
nsx w5l-up iptables -A INPUT -d 198.19.0.16 -p tcp -j REJECT --reject-with icmp-host-unreachable
nsx w5l-up ip6tables -A INPUT -d fd00:19::15 -p tcp -j REJECT --reject-with icmp6-adm-prohibited
nsx w5l-up ip6tables -A INPUT -d fd00:19::12 -p tcp -j REJECT --reject-with tcp-reset
set +e
# libc and Go resolve through the lab's unbound inside w5l-gw (Apache's [P] rewrite, Caddy):
# `ip netns exec w5l-gw` mounts this file over /etc/resolv.conf; deleted on exit.
mkdir -p /etc/netns/w5l-gw
printf 'nameserver 198.19.0.53\noptions timeout:1 attempts:2\n' > /etc/netns/w5l-gw/resolv.conf

# ---------------------------------------------------------------- servers
bg() { # bg NS LOG CMD...: start CMD in namespace NS, remember its PID
  local ns="$1" logf="$2"; shift 2
  ip netns exec "$ns" "$@" >"$logf" 2>&1 &
  PIDS+=($!)
}
wait_listen() { # wait_listen NS PROTO(t|u) SS-FILTER WHAT: bounded 10 s
  local i
  for i in $(seq 1 100); do
    nsx "$1" ss -Hln"$2" "$3" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  die "$4 did not start listening on $3 (see $WORK)"
}

sed "s#@WORK@#$WORK/unbound#g" "$HERE/unbound.conf" > "$WORK/unbound/unbound.conf"
bg w5l-up "$WORK/unbound/unbound.log" unbound -d -c "$WORK/unbound/unbound.conf"
LAB_LIFETIME=420  # badorigin exits by itself after this (the whole lab takes ~2-3 min)
# -m 6000: midreset/midclose send 6000 of the 200000 body bytes they announce (small captures)
bg w5l-up "$WORK/origin/badorigin.log" "$WORK/badorigin" -t $LAB_LIFETIME -d 8 -m 6000 \
  ok@198.19.0.10:80 "ok@[fd00:19::10]:80" garbage@198.19.0.20:80 binary@198.19.0.21:80 \
  close@198.19.0.22:80 reset@198.19.0.23:80 midreset@198.19.0.24:80 midclose@198.19.0.25:80 \
  hang@198.19.0.26:80 status500@198.19.0.27:80 slow@198.19.0.28:80 kaclose@198.19.0.29:80 \
  bighead@198.19.0.30:80
sed "s#@WORK@#$WORK/squid#g" "$HERE/squid.conf" > "$WORK/squid/squid.conf"
bg w5l-gw "$WORK/squid/stderr.log" squid -N -f "$WORK/squid/squid.conf"
sed "s#@WORK@#$WORK/nginx#g" "$HERE/nginx.conf" > "$WORK/nginx/nginx.conf"
bg w5l-gw "$WORK/nginx/stderr.log" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"

wait_listen w5l-up u 'src 198.19.0.53:53' unbound
wait_listen w5l-up t 'src 198.19.0.10:80' badorigin
wait_listen w5l-gw t 'sport = :9090' squid
wait_listen w5l-gw t 'src 198.18.1.1:80' nginx
log "topology up, servers listening (work: $WORK)"

# ---------------------------------------------------------------- capture
CAP_PID=""
cap_start() { # cap_start FILE IFACE
  local errf="$WORK/cap/$(basename "$1").tcpdump.log" i
  ip netns exec w5l-gw tcpdump -s 0 -U -Z root -i "$2" -w "$1" >"$errf" 2>&1 &
  CAP_PID=$!
  PIDS+=($CAP_PID)
  for i in $(seq 1 50); do
    grep -q "listening on" "$errf" 2>/dev/null && return 0
    sleep 0.1
  done
  die "tcpdump did not start ($errf)"
}
cap_stop() {
  local i
  kill -INT "$CAP_PID" 2>/dev/null
  for i in $(seq 1 50); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$CAP_PID" 2>/dev/null && { kill -KILL "$CAP_PID"; die "tcpdump did not stop"; }
  wait "$CAP_PID" 2>/dev/null
}

# ---------------------------------------------------------------- scenarios
FMT='%{url_effective}\t%{http_code}\t%{exitcode}\t%{time_total}\t%{local_ip}\t%{local_port}\n'
# through a CONNECT tunnel (curl -p) the gateway's answer to the client is the CONNECT's
FMT_TUNNEL='%{url_effective}\t%{http_connect}\t%{exitcode}\t%{time_total}\t%{local_ip}\t%{local_port}\n'

gw_host() { case "$1" in nginx) echo 1 ;; haproxy) echo 3 ;; apache) echo 4 ;; varnish) echo 5 ;;
                         caddy) echo 6 ;; esac; }

job() { # job RUN NAME URL OPTS: the client side of one scenario line
  local run="$1" name="$2" url="$3" opts="$4"
  local count=1 par=0 v6=0 maxtime=25 delay=0 tunnel=0 post=0 rate="" o
  IFS=, read -r -a olist <<<"$opts"
  for o in "${olist[@]}"; do
    case "$o" in
      count=*) count="${o#count=}" ;; parallel=*) par="${o#parallel=}" ;;
      maxtime=*) maxtime="${o#maxtime=}" ;; delay=*) delay="${o#delay=}" ;;
      rate=*) rate="${o#rate=}" ;; post) post=1 ;; ok_if_2xx) ;;
      v6) v6=1 ;; tunnel) tunnel=1 ;; -|"") ;; *) echo "lab: unknown option $o in $name" >&2 ;;
    esac
  done
  local ns=w5l-cli args=(-s --connect-timeout 5 --max-time "$maxtime" -w "$FMT"
                          -H 'User-Agent: why502-lab' -H 'Accept:')
  case "$run" in
    squid) if [ $v6 -eq 1 ]; then args+=(-x 'http://[fd00:1::1]:9090'); else args+=(-x http://198.18.1.1:9090); fi ;;
    nginx|haproxy|apache|varnish|caddy)
      local h; h="$(gw_host "$run")"
      if [ $v6 -eq 1 ]; then args+=(--connect-to "::[fd00:1::$h]:80"); else args+=(--connect-to "::198.18.1.$h:80"); fi ;;
    arm) ns=w5l-arm; args+=(-x http://198.19.0.1:9090) ;;
  esac
  [ "$par" -gt 0 ] && args+=(--parallel --parallel-max "$par")
  [ -n "$rate" ] && args+=(--rate "$rate")     # transfers spaced out on one kept-alive connection
  [ "$tunnel" -eq 1 ] && args+=(-p -w "$FMT_TUNNEL")  # CONNECT host:80, then the request
  local i common=("${args[@]}")
  for i in $(seq 1 "$count"); do
    # post: the last request of the batch is a POST (empty body) on the connection the GETs
    # before it kept alive (--next keeps the connection, resets the options)
    [ "$post" -eq 1 ] && [ "$i" -eq "$count" ] && [ "$count" -gt 1 ] && args+=(--next "${common[@]}")
    [ "$post" -eq 1 ] && [ "$i" -eq "$count" ] && args+=(-d '')
    args+=(-o /dev/null "${url//\{i\}/$i}")
  done
  [ "$delay" != 0 ] && sleep "$delay"
  ip netns exec "$ns" curl "${args[@]}" > "$WORK/jobs/$run.$name.out" 2> "$WORK/jobs/$run.$name.err"
  awk -v r="$run" -v n="$name" 'BEGIN{OFS="\t"} NF>=2 {print r, n, $0}' \
    "$WORK/jobs/$run.$name.out" >> "$RESULTS"
}

run_lab() { # run_lab RUN IFACE
  local run="$1" iface="$2" cap="$WORK/cap/lab-$1.pcap" jobs=() n=0
  cap_start "$cap" "$iface"
  sleep 0.3
  log "run $run: capturing on $iface"
  while IFS=$'\t' read -r r name url err detail kind opts; do
    [ "$r" = "$run" ] || continue
    job "$r" "$name" "$url" "$opts" &
    jobs+=($!)
    PIDS+=($!)
    n=$((n + 1))
  done < <(grep -v '^#' "$HERE/scenarios.tsv")
  # Every curl ends by its own --max-time (<= 25 s + delay); this bounds the wait anyway.
  local pid
  wait_gone 400 "${jobs[@]}"
  for pid in "${jobs[@]}"; do kill -0 "$pid" 2>/dev/null && { echo "lab: job $pid overran" >&2; kill "$pid"; }; done
  wait "${jobs[@]}" 2>/dev/null
  sleep 1  # last FINs and ACKs
  cap_stop
  log "run $run: $n scenario lines done, $(stat -c %s "$cap") bytes captured"
  sleep 3.5  # idle keep-alive connections (pconn_timeout 3 s) close outside any capture
}

GW_PID=""
gw_start() { # gw_start RUN: start the reverse proxy of RUN in w5l-gw, wait for its port
  local r="$1" d="$WORK/$1"
  case "$r" in
    haproxy)
      sed "s#@WORK@#$d#g" "$HERE/haproxy.conf" > "$d/haproxy.conf"
      bg w5l-gw "$d/stderr.log" haproxy -db -f "$d/haproxy.conf" ;;
    apache)
      sed "s#@WORK@#$d#g" "$HERE/apache.conf" > "$d/httpd.conf"
      bg w5l-gw "$d/stderr.log" apache2 -f "$d/httpd.conf" -DFOREGROUND ;;
    varnish)
      bg w5l-gw "$d/stderr.log" varnishd -F -j none -n "$d/state" -f "$HERE/varnish.vcl" \
        -a 198.18.1.5:80 -a '[fd00:1::5]:80' -s malloc,16m -p connect_timeout=3 \
        -p first_byte_timeout=4 -p between_bytes_timeout=4 -p backend_idle_timeout=10 ;;
    caddy)
      sed "s#@WORK@#$d#g" "$HERE/Caddyfile" > "$d/Caddyfile"
      bg w5l-gw "$d/stderr.log" env HOME="$d" XDG_DATA_HOME="$d/data" XDG_CONFIG_HOME="$d/config" \
        caddy run --adapter caddyfile --config "$d/Caddyfile" ;;
  esac
  GW_PID=$!
  wait_listen w5l-gw t "src 198.18.1.$(gw_host "$r"):80" "$r"
  # Health checks and background DNS get their first failures in before the capture starts.
  sleep 2.5
}
gw_stop() { # gw_stop: end the reverse proxy gw_start started (its PID only), bounded
  [ -n "$GW_PID" ] || return 0
  kill -TERM "$GW_PID" 2>/dev/null
  wait_gone 50 "$GW_PID" || kill -KILL "$GW_PID" 2>/dev/null
  wait "$GW_PID" 2>/dev/null
  GW_PID=""
}

for run in $RUNS; do
  case "$run" in
    squid|nginx) run_lab "$run" any ;;
    arm) run_lab arm gw-up ;;
    haproxy|apache|varnish|caddy) gw_start "$run"; run_lab "$run" any; gw_stop ;;
    *) die "unknown run $run" ;;
  esac
done

# ---------------------------------------------------------------- results
for f in squid/access-lab.log nginx/access.log nginx/error.log squid/cache.log unbound/unbound.log \
         origin/badorigin.log haproxy/stderr.log apache/access.log apache/error.log \
         varnish/stderr.log caddy/access.log caddy/stderr.log; do
  cp "$WORK/$f" "$WORK/cap/$(echo "$f" | tr / -)" 2>/dev/null
done
cp "$RESULTS" "$WORK/cap/results.tsv"
keep() {
  [ -n "$KEEP" ] || return 0
  mkdir -p "$KEEP" && cp -r "$WORK"/cap/. "$KEEP"/ && log "captures, results and gateway logs kept in $KEEP"
}

python3 "$HERE/matrix.py" --results "$RESULTS" --scenarios "$HERE/scenarios.tsv" --status-only \
  -o "$WORK/cap/status.md" || { keep; die "some requests have no result"; }
cat "$WORK/cap/status.md"
# The faults must have happened on the wire, whatever why502 says (needs tshark).
if command -v tshark >/dev/null 2>&1; then
  python3 "$HERE/verify.py" --captures "$WORK/cap" --runs "$RUNS" > "$WORK/cap/verify.txt" 2>&1
  vrc=$?
  grep -v '^ok' "$WORK/cap/verify.txt"
  [ $vrc -eq 0 ] || { keep; die "a fault did not happen as intended (verify.py)"; }
fi

if [ -z "$WHY502" ]; then
  keep
  log "no --why502 given: captures made, diagnosis not checked"
  exit 0
fi
[ -x "$WHY502" ] || { keep; die "why502 binary $WHY502 not found"; }
python3 "$HERE/check.py" --why502 "$WHY502" --scenarios "$HERE/scenarios.tsv" \
  --results "$RESULTS" --captures "$WORK/cap" --json-out "$WORK/cap/json" \
  $(for k in "$HERE"/../captures/lab/gateways/known-wrong.tsv "$HERE"/../captures/lab/races/*/known-wrong.tsv; do
      [ -f "$k" ] && printf -- '--known %s ' "$k"; done) \
  --swaps --write-known "$WORK/cap/known-wrong.tsv"
rc=$?
python3 "$HERE/matrix.py" --results "$RESULTS" --scenarios "$HERE/scenarios.tsv" \
  --json "$WORK/cap/json" -o "$WORK/cap/matrix.md"
keep
exit $rc
