#!/usr/bin/env bash
# why502 TLS lab: real gateways from Debian's packages (nginx, HAProxy, Apache httpd, Squid, Caddy,
# mitmproxy) speak HTTPS to a misbehaving TLS origin (tlsorigin.c: renegotiation request after
# the request head, handshake_failure alert, expired certificate, wrong name) in network
# namespaces w5t-*, each gateway in its own namespace and capture (tcpdump -s 0 -i any -w), all at
# once. Records the status each client really got, writes the TLS secrets of every session to a
# key log next to each capture, reports from the wire how each gateway met the HelloRequest, then
# (with --why502) prints why502's incidents with and without --keylog and checks them
# (tls-check.py against tls-scenarios.tsv).
#
#   tests/lab/run-tls.sh [--why502 BIN] [--keep DIR] [--runs "nginx haproxy ..."] [--keep-work]
#
# Exit: 0 ok, 1 failure, 77 skipped (not root, nginx/tcpdump/curl/libssl missing, no network
# namespaces). A gateway that is not installed is left out with a note. Only addresses in
# 198.18.0.0/15 and fd00::/8 inside namespaces this script makes; it ends only processes it
# started (by PID) and deletes its namespaces on exit, failure and Ctrl-C.
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WHY502=""
KEEP=""
RUNS="nginx haproxy apache squid caddy mitmproxy"
KEEP_WORK=0
RENEG_WAIT=8   # seconds the origin waits for the renegotiation ClientHello (IIS: 120)
while [ $# -gt 0 ]; do
  case "$1" in
    --why502) WHY502="${2:-}"; shift 2 ;;
    --keep) KEEP="${2:-}"; shift 2 ;;
    --runs) RUNS="${2:-}"; shift 2 ;;
    --keep-work) KEEP_WORK=1; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "tls-lab: unknown option $1" >&2; exit 2 ;;
  esac
done

skip() { echo "tls-lab: SKIP: $*"; exit 77; }
die() { echo "tls-lab: FAIL: $*" >&2; exit 1; }
T0=$EPOCHREALTIME
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b - a}'; }
log() { printf 'tls-lab: [%5ss] %s\n' "$(elapsed)" "$*"; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for c in ip iptables nginx tcpdump curl cc openssl python3 flock ss; do
  command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
[ -e /usr/include/openssl/ssl.h ] || skip "libssl-dev not installed (tlsorigin.c needs it)"

# Which gateway needs what (a run whose gateway is missing is left out). nginx passes TLS
# through with its stream module (Debian's libnginx-mod-stream), loaded from here.
NGINX_STREAM=/usr/lib/nginx/modules/ngx_stream_module.so
need_of() {
  case "$1" in
    nginx) echo nginx ;; haproxy) echo haproxy ;; apache) echo apache2 ;;
    squid) echo squid ;; caddy) echo caddy ;; mitmproxy) echo mitmdump ;;
    *) echo "" ;;
  esac
}
RUNS_OK=""
for r in $RUNS; do
  n="$(need_of "$r")"
  [ -n "$n" ] || { echo "tls-lab: unknown run $r" >&2; exit 2; }
  if ! command -v "$n" >/dev/null 2>&1; then echo "tls-lab: note: $n not installed, run $r left out"
  elif [ "$r" = nginx ] && [ ! -e "$NGINX_STREAM" ]; then
    echo "tls-lab: note: libnginx-mod-stream not installed (its passthrough), run nginx left out"
  else RUNS_OK="$RUNS_OK $r"; fi
done
RUNS="${RUNS_OK# }"
[ -n "$RUNS" ] || skip "no gateway installed"
case " $RUNS " in *" squid "*) id proxy >/dev/null 2>&1 || skip "no 'proxy' user for squid" ;; esac
case " $RUNS " in *" apache "*) id www-data >/dev/null 2>&1 || skip "no 'www-data' user for apache" ;; esac

# One TLS lab at a time on this machine: the namespace names are fixed.
{ exec 9>/run/lock/w5t-tls.lock; } 2>/dev/null || exec 9>/tmp/w5t-tls.lock
flock -w 120 9 || die "another TLS lab run holds the lock for 120 s"

# Client-side and upstream-side address of each gateway (last octet), its namespace.
declare -A GW_IDX=([nginx]=1 [haproxy]=2 [apache]=3 [squid]=4 [caddy]=5 [mitmproxy]=6)
ns_of() { echo "w5t-${1:0:8}"; }
NS_ALL="w5t-cli w5t-up"
for r in nginx haproxy apache squid caddy mitmproxy; do NS_ALL="$NS_ALL $(ns_of "$r")"; done
PIDS=()
WORK=""

kill_ns_procs() { # processes still inside one of our namespaces (children of what we started)
  local ns pid
  for ns in $NS_ALL; do
    grep -qw "^$ns" <<<"$(ip netns list 2>/dev/null)" || continue
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
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ $KEEP_WORK -eq 1 ]; then echo "tls-lab: work directory kept: $WORK"; else rm -rf "$WORK"; fi
  fi
  exit $rc
}
trap cleanup EXIT
trap 'echo "tls-lab: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

# Left over from a run that was killed hard: same names, so ours.
kill_ns_procs
for ns in $NS_ALL; do ip netns del "$ns" 2>/dev/null; done

WORK="$(mktemp -d /tmp/w5t-tls.XXXXXX)"
chmod 755 "$WORK"
mkdir -p "$WORK"/{cap,jobs,origin,keys}
RESULTS="$WORK/results.tsv"
printf 'run\tname\turl\tstatus\tcurl_exit\ttime_total\tlocal_ip\tlocal_port\n' > "$RESULTS"

cc -std=c17 -O2 -Wall -Wextra -o "$WORK/tlsorigin" "$HERE/tlsorigin.c" -lssl -lcrypto \
  || die "cannot build tlsorigin"
# The gateways' own certificate towards the client (HTTPS on port 443).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
  -subj "/O=why502 lab/CN=gateway.tls" \
  -addext "subjectAltName=DNS:ok.tls,DNS:ok12.tls,DNS:reneg.tls,DNS:alert.tls,DNS:expired.tls,DNS:wrongname.tls" \
  -keyout "$WORK/gw.key" -out "$WORK/gw.pem" >/dev/null 2>&1 || die "openssl req failed"
chmod 644 "$WORK/gw.key"

# ---------------------------------------------------------------- topology
#  w5t-cli: bridge brc 198.18.3.2 fd00:3::2 ── cli0|<gateway ns>|up0 ── bridge bru in w5t-up
#           each gateway: 198.18.3.1N (fd00:3::11 for nginx)    198.19.3.N     origins 198.19.3.10-15
ip netns add w5t-cli 2>/dev/null || skip "cannot create network namespaces here"
ip netns add w5t-up || die "ip netns add w5t-up"
nsx() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }
set -e
for r in $RUNS; do ip netns add "$(ns_of "$r")"; done
for ns in w5t-cli w5t-up $(for r in $RUNS; do ns_of "$r"; done); do
  for k in net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
           net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
           net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0; do
    nsx "$ns" sysctl -qw "$k" 2>/dev/null || true
  done
  ip -n "$ns" link set lo up
done
ip -n w5t-cli link add brc type bridge stp_state 0 forward_delay 0
ip -n w5t-up link add bru type bridge stp_state 0 forward_delay 0
ip -n w5t-cli addr add 198.18.3.2/24 dev brc
ip -n w5t-cli addr add fd00:3::2/64 dev brc nodad
for h in 10 11 12 13 14 15; do ip -n w5t-up addr add "198.19.3.$h/24" dev bru; done
ip -n w5t-cli link set brc up
ip -n w5t-up link set bru up
# Port 445 of the ok origin drops SYNs (a firewall in the origin's own namespace, gone with it):
# the passthrough listeners' dropped.tls, a backend that never answers.
nsx w5t-up iptables -A INPUT -p tcp --dport 445 --syn -j DROP || die "iptables in w5t-up"
for r in $RUNS; do
  ns="$(ns_of "$r")"; i="${GW_IDX[$r]}"
  ip -n "$ns" link add cli0 type veth peer name "c-${r:0:8}" netns w5t-cli
  ip -n "$ns" link add up0 type veth peer name "u-${r:0:8}" netns w5t-up
  ip -n w5t-cli link set "c-${r:0:8}" master brc up
  ip -n w5t-up link set "u-${r:0:8}" master bru up
  ip -n "$ns" addr add "198.18.3.1$i/24" dev cli0
  ip -n "$ns" addr add "fd00:3::1$i/64" dev cli0 nodad
  ip -n "$ns" addr add "198.19.3.$i/24" dev up0
  ip -n "$ns" link set cli0 up
  ip -n "$ns" link set up0 up
  nsx "$ns" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
done
set +e

# ---------------------------------------------------------------- servers
bg() { # bg NS LOG CMD...: start CMD in namespace NS, remember its PID
  local ns="$1" logf="$2"; shift 2
  ip netns exec "$ns" "$@" >"$logf" 2>&1 &
  PIDS+=($!)
}
wait_listen() { # wait_listen NS SS-FILTER WHAT TENTHS
  local i
  for i in $(seq 1 "${4:-100}"); do
    nsx "$1" ss -Hlnt "$2" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  die "$3 did not start listening on $2 (see $WORK)"
}
subst() { sed -e "s#@WORK@#$2#g" -e "s#@NGINX_STREAM@#$NGINX_STREAM#g" "$1" > "$3"; }

LIFETIME=150  # tlsorigin exits by itself after this (the whole lab takes ~30 s)
bg w5t-up "$WORK/origin/tlsorigin.log" "$WORK/tlsorigin" -k "$WORK/keys/origin.keys" \
  -c "$WORK/ca.pem" -w "$RENEG_WAIT" -t $LIFETIME -n 128 \
  ok@198.19.3.10:443 reneg@198.19.3.11:443 alert@198.19.3.12:443 \
  badcert,tls12,name=expired.tls@198.19.3.13:443 wrongname@198.19.3.14:443 \
  ok,tls12,name=ok12.tls@198.19.3.15:443
for i in $(seq 1 50); do [ -s "$WORK/ca.pem" ] && break; sleep 0.1; done
[ -s "$WORK/ca.pem" ] || die "tlsorigin made no CA ($WORK/origin/tlsorigin.log)"
chmod 644 "$WORK/ca.pem"

start_gw() { # start_gw RUN
  local r="$1" ns d
  ns="$(ns_of "$r")"; d="$WORK/$r"; mkdir -p "$d"
  case "$r" in
    nginx)
      subst "$HERE/tls-nginx.conf" "$d" "$d/nginx.conf"
      cp "$WORK/ca.pem" "$WORK/gw.pem" "$WORK/gw.key" "$d/"
      bg "$ns" "$d/stderr.log" nginx -p "$d" -c "$d/nginx.conf" ;;
    haproxy)
      subst "$HERE/tls-haproxy.conf" "$d" "$d/haproxy.conf"
      cp "$WORK/ca.pem" "$d/"; cat "$WORK/gw.pem" "$WORK/gw.key" > "$d/gw-haproxy.pem"
      bg "$ns" "$d/stderr.log" haproxy -db -f "$d/haproxy.conf" ;;
    apache)
      subst "$HERE/tls-apache.conf" "$d" "$d/httpd.conf"
      cp "$WORK/ca.pem" "$d/"
      bg "$ns" "$d/stderr.log" apache2 -f "$d/httpd.conf" -DFOREGROUND ;;
    squid)
      subst "$HERE/tls-squid.conf" "$d" "$d/squid.conf"
      cp "$WORK/ca.pem" "$d/"
      printf '%s\n' '198.19.3.10 ok.tls' '198.19.3.11 reneg.tls' '198.19.3.12 alert.tls' \
        '198.19.3.13 expired.tls' '198.19.3.14 wrongname.tls' '198.19.3.15 ok12.tls' \
        '198.18.3.2 client.tls' > "$d/hosts"
      chown -R proxy "$d"
      bg "$ns" "$d/stderr.log" squid -N -f "$d/squid.conf" ;;
    caddy)
      subst "$HERE/tls-caddy.conf" "$d" "$d/Caddyfile"
      cp "$WORK/ca.pem" "$d/"
      bg "$ns" "$d/stderr.log" env HOME="$d" XDG_DATA_HOME="$d/data" XDG_CONFIG_HOME="$d/config" \
        caddy run --adapter caddyfile --config "$d/Caddyfile" ;;
    mitmproxy)
      cp "$WORK/ca.pem" "$d/"
      bg "$ns" "$d/stderr.log" env HOME="$d" mitmdump --set confdir="$d/conf" \
        --mode reverse:https://198.19.3.10:443 --listen-host 198.18.3.16 --listen-port 80 \
        --set ssl_verify_upstream_trusted_ca="$d/ca.pem" --set connection_strategy=lazy \
        --set keep_host_header=true --set termlog_verbosity=info -s "$HERE/tls-mitmproxy.py" ;;
  esac
}
for r in $RUNS; do start_gw "$r"; done
wait_listen w5t-up 'src 198.19.3.10:443' tlsorigin
for r in $RUNS; do wait_listen "$(ns_of "$r")" "src 198.18.3.1${GW_IDX[$r]}:80" "$r" 150; done
log "topology up, origin and gateways listening: $RUNS (work: $WORK)"

# ---------------------------------------------------------------- capture
declare -A CAP_PID
cap_start() { # cap_start RUN: tcpdump -i any in the gateway's namespace
  local r="$1" errf="$WORK/cap/tls-$1.tcpdump.log"
  ip netns exec "$(ns_of "$r")" tcpdump -s 0 -U -B 16384 -Z root -i any \
    -w "$WORK/cap/tls-$r.pcap" >"$errf" 2>&1 &
  CAP_PID[$r]=$!
  PIDS+=($!)
}
cap_wait() {
  local r i
  for r in $RUNS; do
    for i in $(seq 1 50); do grep -q "listening on" "$WORK/cap/tls-$r.tcpdump.log" 2>/dev/null && continue 2; sleep 0.1; done
    die "tcpdump did not start for $r"
  done
}
cap_stop() {
  local r i
  for r in $RUNS; do kill -INT "${CAP_PID[$r]}" 2>/dev/null; done
  for r in $RUNS; do
    for i in $(seq 1 50); do kill -0 "${CAP_PID[$r]}" 2>/dev/null || break; sleep 0.1; done
    kill -0 "${CAP_PID[$r]}" 2>/dev/null && { kill -KILL "${CAP_PID[$r]}"; die "tcpdump ($r) did not stop"; }
    wait "${CAP_PID[$r]}" 2>/dev/null
  done
}

# ---------------------------------------------------------------- scenarios
FMT='%{url_effective}\t%{http_code}\t%{exitcode}\t%{time_total}\t%{local_ip}\t%{local_port}\n'

job() { # job RUN NAME URL OPTS: the client side of one scenario line
  local run="$1" name="$2" url="$3" opts="$4"
  local count=1 par=0 v6=0 https=0 pt=0 maxtime=20 delay=0 o i="${GW_IDX[$1]}"
  IFS=, read -r -a olist <<<"$opts"
  for o in "${olist[@]}"; do
    case "$o" in
      count=*) count="${o#count=}" ;; parallel=*) par="${o#parallel=}" ;;
      maxtime=*) maxtime="${o#maxtime=}" ;; delay=*) delay="${o#delay=}" ;;
      v6) v6=1 ;; https) https=1 ;; passthrough) pt=1 ;; keylog|-|"") ;;
      *) echo "tls-lab: unknown option $o in $name" >&2 ;;
    esac
  done
  local args=(-s --connect-timeout 5 --max-time "$maxtime" -w "$FMT"
              -H 'User-Agent: why502-tls-lab' -H 'Accept:')
  if [ $pt -eq 1 ]; then  # the origin's own certificate, through the gateway's port 8443
    args+=(--cacert "$WORK/ca.pem" --connect-to "::198.18.3.1$i:8443")
  elif [ $https -eq 1 ]; then
    args+=(--cacert "$WORK/gw.pem" --connect-to "::198.18.3.1$i:443")
  elif [ $v6 -eq 1 ]; then
    args+=(--connect-to "::[fd00:3::1$i]:80")
  else
    args+=(--connect-to "::198.18.3.1$i:80")
  fi
  [ "$par" -gt 0 ] && args+=(--parallel --parallel-max "$par")
  local k
  for k in $(seq 1 "$count"); do args+=(-o /dev/null "${url//\{i\}/$k}"); done
  [ "$delay" != 0 ] && sleep "$delay"
  ip netns exec w5t-cli env SSLKEYLOGFILE="$WORK/keys/client-$run.keys" curl "${args[@]}" \
    > "$WORK/jobs/$run.$name.out" 2> "$WORK/jobs/$run.$name.err"
  awk -v r="$run" -v n="$name" 'BEGIN{OFS="\t"} NF>=2 {print r, n, $0}' \
    "$WORK/jobs/$run.$name.out" >> "$RESULTS"
}

for r in $RUNS; do cap_start "$r"; done
cap_wait
sleep 0.3
log "capturing in $(echo "$RUNS" | wc -w) gateway namespaces; origin renegotiation wait $RENEG_WAIT s"
JOBS=()
n=0
while IFS=$'\t' read -r run name url _ _ _ opts; do
  case " $RUNS " in *" $run "*) ;; *) continue ;; esac
  job "$run" "$name" "$url" "$opts" &
  JOBS+=($!)
  PIDS+=($!)
  n=$((n + 1))
done < <(grep -v '^#' "$HERE/tls-scenarios.tsv")
# Every curl ends by its own --max-time (20 s + delay <= 3 s); this bounds the wait anyway.
wait_gone 300 "${JOBS[@]}"
for pid in "${JOBS[@]}"; do kill -0 "$pid" 2>/dev/null && { echo "tls-lab: job $pid overran" >&2; kill "$pid"; }; done
wait "${JOBS[@]}" 2>/dev/null
sleep 2  # last close_notify, FINs and ACKs; tcpdump hands over its last block after 1 s
cap_stop
log "$n scenario lines done; captured: $(for r in $RUNS; do printf '%s %s B; ' "$r" "$(stat -c %s "$WORK/cap/tls-$r.pcap")"; done)"

# ---------------------------------------------------------------- key logs, results
# One key log per capture: the origin's secrets (every upstream session) and curl's (the HTTPS
# client legs), kept to the sessions whose ClientHello is in that capture when tshark can say.
cat "$WORK/keys/origin.keys" "$WORK"/keys/client-*.keys 2>/dev/null > "$WORK/keys/all.keys"
for r in $RUNS; do
  out="$WORK/cap/tls-$r.keys"
  if command -v tshark >/dev/null 2>&1; then
    tshark -n -r "$WORK/cap/tls-$r.pcap" -o "tls.keylog_file:$WORK/keys/all.keys" \
      -Y 'tls.handshake.type == 1' -T fields -e tls.handshake.random 2>/dev/null \
      | tr ',' '\n' | sed '/^$/d' | sort -u > "$WORK/keys/randoms-$r.txt"
    awk 'NR == FNR { want[tolower($1)] = 1; next } (tolower($2) in want)' \
      "$WORK/keys/randoms-$r.txt" "$WORK/keys/all.keys" > "$out"
  else
    cp "$WORK/keys/all.keys" "$out"
  fi
done

for r in $RUNS; do
  for f in access.log error.log stderr.log cache.log; do
    [ -s "$WORK/$r/$f" ] && cp "$WORK/$r/$f" "$WORK/cap/tls-$r-$f"
  done
done
cp "$WORK/origin/tlsorigin.log" "$WORK/cap/tls-origin.log"
cp "$RESULTS" "$WORK/cap/results.tsv"
keep() {
  [ -n "$KEEP" ] || return 0
  mkdir -p "$KEEP" && cp -r "$WORK"/cap/. "$KEEP"/ && log "captures, key logs, results and logs kept in $KEEP"
}

# What each client saw, per scenario line.
python3 - "$HERE/tls-scenarios.tsv" "$RESULTS" "$RUNS" > "$WORK/cap/status.md" <<'EOF'
import sys, collections
scen, res, runs = sys.argv[1], sys.argv[2], sys.argv[3].split()
got = collections.defaultdict(list)
with open(res) as f:
    hdr = f.readline().rstrip("\n").split("\t")
    for line in f:
        r = dict(zip(hdr, line.rstrip("\n").split("\t")))
        got[(r["run"], r["name"])].append(r)
print("| run | scenario | requests | statuses seen by the client (curl exit) | time (s) |")
print("|---|---|---|---|---|")
missing = 0
for line in open(scen):
    if line.startswith("#") or not line.strip():
        continue
    run, name, url, err, det, kind, opts = line.rstrip("\n").split("\t")
    if run not in runs:
        continue
    rows = got.get((run, name), [])
    want = 1
    for o in opts.split(","):
        if o.startswith("count="):
            want = int(o[6:])
    missing += want - len(rows)
    c = collections.Counter(f"{r['status']} ({r['curl_exit']})" for r in rows)
    t = [float(r["time_total"]) for r in rows] or [0]
    tt = f"{min(t):.3f}" if len(rows) <= 1 else f"{min(t):.3f}-{max(t):.3f}"
    print(f"| {run} | {name} | {len(rows)}/{want} | " + ", ".join(f"{k} x{v}" if v > 1 else k for k, v in sorted(c.items())) + f" | {tt} |")
sys.exit(1 if missing else 0)
EOF
st=$?
cat "$WORK/cap/status.md"
[ $st -eq 0 ] || { keep; die "some requests have no result"; }

# How each gateway met the HelloRequest, from the wire (needs tshark).
if command -v tshark >/dev/null 2>&1; then
  python3 "$HERE/tls-check.py" --wire --captures "$WORK/cap" --runs "$RUNS" > "$WORK/cap/wire.txt" 2>&1
  wrc=$?
  cat "$WORK/cap/wire.txt"
  [ $wrc -eq 0 ] || { keep; die "a TLS fault did not happen as intended (tls-check.py --wire)"; }
fi

if [ -z "$WHY502" ]; then
  keep
  log "no --why502 given: captures made, diagnosis not checked"
  exit 0
fi
[ -x "$WHY502" ] || { keep; die "why502 binary $WHY502 not found"; }
KEYLOG_OPT=0
# (not a pipe into grep -q: under pipefail, grep leaving at the first match kills the long
# --help with SIGPIPE and the keylog pass would be skipped at random)
grep -q -- '--keylog' <<<"$("$WHY502" --help 2>&1)" && KEYLOG_OPT=1
[ $KEYLOG_OPT -eq 1 ] || log "why502 has no --keylog option: only the run without keys"
python3 "$HERE/tls-check.py" --why502 "$WHY502" --scenarios "$HERE/tls-scenarios.tsv" \
  --results "$RESULTS" --captures "$WORK/cap" --runs "$RUNS" --json-out "$WORK/cap/json" \
  --keylog-pass $KEYLOG_OPT --print-incidents
rc=$?
keep
exit $rc
