#!/usr/bin/env bash
# why502 HTTP/2 lab: curl --http2 speaks h2 over TLS (its keys logged with SSLKEYLOGFILE) to
#  - nginx (http2 on TLS), which proxies in HTTP/1.1 to a plain origin, and
#  - HAProxy (h2 frontend on TLS, h2c backend: `proto h2`), in front of a misbehaving h2c
#    origin (h2origin.py, python3-h2) that resets a stream, sends GOAWAY below the stream,
#    never answers a stream, ends a gRPC call with grpc-status 14, never opens the window of
#    an upload, never acknowledges SETTINGS or answers them with PROTOCOL_ERROR;
#  - nginx as a gRPC gateway (h2c prior knowledge, grpc_pass) before the same origin, and
#    before a refused port (nginx's own grpc-status 14);
#  - Apache (mod_http2, mod_proxy_http2) taking curl's `Upgrade: h2c` (no TLS) to the origin;
# in network namespaces w5h-* (client, gateway, origin), captured on the gateway (tcpdump -i any).
# One capture, h2-lab.pcap, holds every leg: a cleartext client leg first (it shows the
# gateway's address), the TLS client legs, a load of N good requests through each TLS gateway,
# then the other cleartext legs (gRPC, Upgrade: h2c). Without keys the TLS client legs are
# opaque: the upstream failures behind them must still each be named (see README.md).
# Records the status curl really got per URL (results.tsv), then (with --why502) checks the
# capture with and without the key log (check-h2.py, scenarios.tsv).
#
#   tests/lab/h2/run-h2.sh [--why502 BIN] [--keep DIR] [--keep-work] [--load N]
#
# Exit: 0 ok, 1 failure, 77 skipped (not root, a tool missing). Only addresses in
# 198.18.0.0/15 inside namespaces this script makes; it ends only processes it started (by
# PID) and deletes its namespaces on exit, failure and Ctrl-C.
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WHY502=""
KEEP=""
KEEP_WORK=0
LOAD=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --why502) WHY502="${2:-}"; shift 2 ;;
    --keep) KEEP="${2:-}"; shift 2 ;;
    --keep-work) KEEP_WORK=1; shift ;;
    --load) LOAD="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "h2-lab: unknown option $1" >&2; exit 2 ;;
  esac
done

skip() { echo "h2-lab: SKIP: $*"; exit 77; }
die() { echo "h2-lab: FAIL: $*" >&2; exit 1; }
log() { echo "h2-lab: $*"; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for c in ip nginx haproxy apache2 tcpdump curl openssl flock; do
  command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
/usr/bin/python3 -c 'import h2' 2>/dev/null || skip "python3-h2 not installed"
for m in mod_http2 mod_proxy_http2; do
  [ -f /usr/lib/apache2/modules/$m.so ] || skip "apache2 without $m"
done
curl -V | grep -q nghttp2 || skip "curl without HTTP/2"

{ exec 9>/run/lock/w5h-lab.lock; } 2>/dev/null || exec 9>/tmp/w5h-lab.lock
flock -w 120 9 || die "another HTTP/2 lab run holds the lock for 120 s"

NS_ALL="w5h-cli w5h-gw w5h-org"
CLI=198.18.90.2 GWC=198.18.90.1 GWU=198.18.91.1 ORG=198.18.91.2
PIDS=()
WORK=""

kill_ns_procs() {
  local ns pid
  for ns in $NS_ALL; do
    ip netns list 2>/dev/null | grep -qw "^$ns" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  done
}
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  sleep 0.5
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  kill_ns_procs
  for ns in $NS_ALL; do ip netns del "$ns" 2>/dev/null; done
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ $KEEP_WORK -eq 1 ]; then echo "h2-lab: work directory kept: $WORK"; else rm -rf "$WORK"; fi
  fi
  exit $rc
}
trap cleanup EXIT
trap 'echo "h2-lab: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM
kill_ns_procs
for ns in $NS_ALL; do ip netns del "$ns" 2>/dev/null; done

WORK="$(mktemp -d /tmp/w5h-lab.XXXXXX)"
chmod 755 "$WORK"
for ns in $NS_ALL; do ip netns add "$ns" || die "ip netns add $ns"; ip -n "$ns" link set lo up; done
ip link add w5h-c0 type veth peer name w5h-c1 || die "veth"
ip link set w5h-c0 netns w5h-cli
ip link set w5h-c1 netns w5h-gw
ip link add w5h-u0 type veth peer name w5h-u1 || die "veth"
ip link set w5h-u0 netns w5h-gw
ip link set w5h-u1 netns w5h-org
ip -n w5h-cli addr add $CLI/24 dev w5h-c0 && ip -n w5h-cli link set w5h-c0 up
ip -n w5h-gw addr add $GWC/24 dev w5h-c1 && ip -n w5h-gw link set w5h-c1 up
ip -n w5h-gw addr add $GWU/24 dev w5h-u0 && ip -n w5h-gw link set w5h-u0 up
ip -n w5h-org addr add $ORG/24 dev w5h-u1 && ip -n w5h-org link set w5h-u1 up
# checksums are computed: the capture shows what the wire carries
for pair in "w5h-cli w5h-c0" "w5h-gw w5h-c1" "w5h-gw w5h-u0" "w5h-org w5h-u1"; do
  set -- $pair
  ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1 || true
done

openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=h2.lab" \
  -addext "subjectAltName=DNS:h2.lab,DNS:h2-haproxy.lab" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1 || die "openssl"
cat "$WORK/cert.pem" "$WORK/key.pem" >"$WORK/both.pem"

# the origins: h2c on 8001 (misbehaving), HTTP/1.1 on 8002
ip netns exec w5h-org /usr/bin/python3 "$HERE/h2origin.py" $ORG 8001 >"$WORK/origin.log" 2>&1 &
PIDS+=($!)

sed -e "s|@WORK@|$WORK|g" -e "s|@GWC@|$GWC|g" -e "s|@ORG@|$ORG|g" "$HERE/nginx-h2.conf" >"$WORK/nginx.conf"
sed -e "s|@WORK@|$WORK|g" -e "s|@GWC@|$GWC|g" -e "s|@ORG@|$ORG|g" "$HERE/haproxy-h2.cfg" >"$WORK/haproxy.cfg"
sed -e "s|@WORK@|$WORK|g" -e "s|@GWC@|$GWC|g" -e "s|@ORG@|$ORG|g" "$HERE/apache-h2c.conf" >"$WORK/httpd.conf"
mkdir -p "$WORK/nginx"
ip netns exec w5h-gw nginx -c "$WORK/nginx.conf" -p "$WORK/nginx" -g 'daemon off;' >"$WORK/nginx.log" 2>&1 &
PIDS+=($!)
ip netns exec w5h-gw haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
PIDS+=($!)
ip netns exec w5h-gw apache2 -f "$WORK/httpd.conf" -DFOREGROUND >"$WORK/apache.log" 2>&1 &
PIDS+=($!)
for i in $(seq 1 50); do # listening? (before the capture: a probe refused is no incident)
  ip netns exec w5h-gw bash -c "exec 3<>/dev/tcp/$GWC/8443 && exec 4<>/dev/tcp/$GWC/9443 && exec 5<>/dev/tcp/$ORG/8001 && exec 6<>/dev/tcp/$GWC/8080 && exec 7<>/dev/tcp/$GWC/8081 && exec 8<>/dev/tcp/$ORG/8004" 2>/dev/null && break
  sleep 0.1
done
sleep 0.5
capture() { # capture FILE: tcpdump on the gateway until stop
  ip netns exec w5h-gw tcpdump -s 0 -i any -U -w "$WORK/$1" 'tcp' >>"$WORK/tcpdump.log" 2>&1 &
  TCPDUMP=$!
  PIDS+=($TCPDUMP)
  sleep 1
}
stop() {
  sleep 3
  kill -INT $TCPDUMP 2>/dev/null
  wait $TCPDUMP 2>/dev/null
}

: >"$WORK/keys.log"
: >"$WORK/results.tsv"
RESULTS="$WORK/results.tsv"
capture h2-lab.pcap
head -c 262144 /dev/zero >"$WORK/upload.bin"
printf '\0\0\0\0\0' >"$WORK/grpc-empty.bin"
fetch() { # fetch GATEWAY PORT PATH [SCHEME [CURL-OPTION...]]: h2 over TLS unless SCHEME is http
  local gw=$1 port=$2 path=$3 scheme=${4:-https} code
  shift 3; [ $# -gt 0 ] && shift
  code=$(ip netns exec w5h-cli env SSLKEYLOGFILE="$WORK/keys.log" curl -sk --http2 -o /dev/null \
    -w '%{http_code} %{http_version}' --max-time 8 "$@" \
    --resolve "h2.lab:$port:$GWC" "$scheme://h2.lab:$port$path" 2>/dev/null)
  printf '%s\t%s\t%s\n' "$gw" "$scheme://h2.lab:$port$path" "${code:-000 0}" >>"$RESULTS"
  log "$gw $path -> ${code:-000}"
}
grpc() { # grpc PATH: a unary gRPC call with an empty message, h2c with prior knowledge
  fetch nginx-grpc 8080 "$1" http --http2-prior-knowledge -H 'content-type: application/grpc' \
    -H 'te: trailers' --data-binary @"$WORK/grpc-empty.bin"
}
grpc /lab.Echo/Down # a cleartext client leg first: the gateway's address is known from here on
fetch nginx 8443 /ok
fetch nginx 8443 /hang
fetch nginx 8443 /close
fetch haproxy 9443 /ok
fetch haproxy 9443 /rst
fetch haproxy 9443 /goaway
fetch haproxy 9443 /hang
fetch haproxy 9443 /grpc
fetch haproxy 9443 /stall https -H 'content-type: application/octet-stream' --data-binary @"$WORK/upload.bin"
fetch haproxy 9443 /noack
fetch haproxy 9443 /settings-error
load() { # load GATEWAY PORT N: N good requests on parallel streams of few connections
  local i
  for i in $(seq 1 "$3"); do printf 'url = "https://h2.lab:%s/ok?i=%s"\noutput = "/dev/null"\n' "$2" "$i"; done >"$WORK/load-$1.cfg"
  ip netns exec w5h-cli env SSLKEYLOGFILE="$WORK/keys.log" curl -sk --http2 -Z --parallel-max 20 \
    --max-time 60 --resolve "h2.lab:$2:$GWC" -w '%{url_effective}\t%{http_code} %{http_version}\n' \
    -K "$WORK/load-$1.cfg" 2>/dev/null | awk -v gw="$1" '{print gw "\t" $0}' >>"$WORK/results.tsv"
  log "$1 load: $(grep -c "^$1.*ok?i=.*200 2" "$WORK/results.tsv") of $3 answered 200 over HTTP/2"
}
load nginx 8443 "$LOAD"
load haproxy 9443 "$LOAD"
grpc /lab.Echo/Ok
grpc /refused/lab.Echo/Ok
fetch apache-h2c 8081 /ok http
fetch apache-h2c 8081 /rst http
fetch apache-h2c 8081 /hang http
stop

if [ -n "$KEEP" ]; then
  mkdir -p "$KEEP"
  cp "$WORK/h2-lab.pcap" "$WORK/keys.log" "$WORK/results.tsv" "$KEEP/"
  log "kept in $KEEP"
fi
[ -n "$WHY502" ] || exit 0
rc=0
/usr/bin/python3 "$HERE/check-h2.py" --why502 "$WHY502" --scenarios "$HERE/scenarios.tsv" \
  --results "$WORK/results.tsv" --capture "$WORK/h2-lab.pcap" --keylog "$WORK/keys.log" || rc=1
exit $rc
