#!/usr/bin/env bash
# Makes one of the benchmark's traffic shapes: live traffic through a real Squid forward proxy,
# captured on the gateway with tcpdump -s 0 -i any -w (Linux cooked SLL2), like make-capture.sh
# but with the shapes a busy gateway has besides the plain one.
#
#   bench/make-shape.sh --shape SHAPE [--size MB] [--out FILE] [--tag TAG] [--max-time S]
#                       [--duration S] [--names N] [--ttl S] [--conns N] [--fail-pct P]
#                       [--parallel N] [--workers N] [--keep-work]
#
#   names    --names N host names (default 5000, n0000.bench ..) on as many origin addresses
#            (at most 1000, reached through one next hop), --ttl S in unbound (default 30) and
#            in Squid's DNS cache (which is kept small: ipcache_size 64, trimmed every 10 s),
#            Squid with 2 SMP workers (each its own DNS cache), 3 % of requests to names that
#            do not exist; small bodies, so nearly every request makes Squid ask A and AAAA:
#            2,000-3,000 DNS queries a second, NXDOMAIN among them, 15-17 % of the packets.
#   conns    --conns N idle keep-alive client connections (default 20000), each opened with one
#            request and then held (a second request on some of them during the run); once
#            they are open, 64 long-lived slow downloads (a 16 MB file read at 32 KB/s) and
#            the ordinary load beside. The capture ends at --size, everything still open.
#            One descriptor per connection in Squid and in the holder, and the hard limit is
#            per process (20,000 here, and it cannot be raised): Squid runs enough SMP workers
#            (--workers, default one per 10,000 held) and hold-conns.py enough processes.
#   long     the ordinary load at a low, steady rate for --duration S seconds of packet time
#            (default 1860: 31 minutes), rate chosen so that the file reaches about --size MB;
#            0.2 % of requests fail as in the outage shape, spread over the whole run.
#   outage   --fail-pct P % of requests fail (default 10): an upstream refusing (RST, Squid
#            503), names that do not exist (NXDOMAIN, 502), the origin's own 503, and a few
#            that wait: a zone whose DNS server does not answer (queries dropped, Squid 503
#            after dns_timeout) and an address whose SYNs are dropped.
#   tunnel   large bodies: most bytes in CONNECT tunnels (HTTPS to the origin through Squid,
#            files of 1..32 MB), plain HTTP downloads of 1..8 MB, small requests beside. The
#            capture ends at --size, in the middle of the transfers.
#   hang     nginx as the gateway instead of Squid (nginx-gateway.conf: one upstream connection
#            per request, its own resolver cache), small files, and --fail-pct P % of requests
#            (default 2) that wait: half to an origin that accepts and never answers (port
#            8081 of stall.bench, stall-origin.py: nginx the origin has port 80 there; 504
#            after proxy_read_timeout, 30 s), 30 % to an address whose SYNs are dropped (504
#            after proxy_connect_timeout, 10 s), 20 % to an origin refusing (RST, 502);
#            --parallel clients (default 128) keep the rate up while many wait.
#   retry    HAProxy as the gateway instead of Squid (haproxy-gateway.conf: servers named by
#            DNS names resolved in the background, server connections shared between
#            clients, retries 2 + option redispatch, health checks), small files, one backend
#            (shop.bench) whose first server refuses: half its requests are refused twice and
#            then answered by the second server, a success. --fail-pct P % of requests (default
#            2) fail: 25 % on an origin that never answers (504 after timeout server, 5 s),
#            20 % on dropped SYNs (503 after three connect timeouts of 1 s), 20 % refused on
#            every try (503), 20 % to a backend whose server's name does not exist (503 with
#            no try), 15 % to one down by health check (503); --parallel default 64.
#   fetch    Varnish as the gateway instead of Squid (varnish-gateway.vcl: backends by address,
#            nothing cached, no retry, a refused address held down 0.25 s, probes, answers of
#            its own), small files, origin-form requests as to HAProxy; --fail-pct P % of
#            requests (default 2) fail, each a 503: 25 % on an origin that never answers (after
#            first_byte_timeout, 5 s), 20 % on dropped SYNs (after connect_timeout, 1 s), 20 %
#            refused (at once, or with no packet while the address is held down), 20 % Varnish's
#            own answer (synth, no fetch), 15 % to a backend down by its probe (no fetch);
#            --parallel default 64.
#   resolve  Apache httpd as the gateway instead of Squid (apache-gateway.conf: any Host proxied
#            by mod_rewrite [P], so Apache looks up every request's name itself, A and AAAA,
#            no cache; a balancer whose first member refuses (error state for 1 s, then the
#            other member: successes), one down by its health checks), small files,
#            origin-form requests; --fail-pct P % of requests (default 2) fail: 25 % on an
#            origin that never answers (504 after ProxyTimeout, 5 s), 20 % on dropped SYNs
#            (503 after Timeout, 3 s), 20 % refused (503), 10 % to names that do not exist (502),
#            10 % Apache's own answer (503), 15 % to the balancer down by its checks (503);
#            --parallel default 64.
#   balance  Caddy as the gateway instead of Squid (caddy-gateway.Caddyfile: any Host proxied to
#            its own name and port, looked up by Go's resolver on every request; shop.bench two
#            servers, the first refusing, retried within lb_try_duration and passed over for
#            fail_duration 1 s: successes; hc.bench down by its active health checks), small
#            files, origin-form requests; --fail-pct P % (default 2) fail: 25 % on an origin
#            that never answers (504 after response_header_timeout, 5 s), 20 % on dropped SYNs
#            (502 after dial_timeout, 1 s), 20 % refused (502), 10 % to names that do not exist
#            (502), 10 % Caddy's own answer (503), 15 % to the server down by its checks (503);
#            --parallel default 64.
#
#   --size MB      stop when the capture holds this many MB (default 1000; long: the target)
#   --max-time S   stop the load after S seconds when the size is not reached (default 900;
#                  hang 2400; long --duration + 120)
#   --out FILE     default bench/out/SHAPE-SIZEm.pcap (bench/out/ is scratch)
#   --tag TAG      namespaces are w5b-TAG-cli, w5b-TAG-gw, w5b-TAG-up (default: 2 letters of
#                  the shape, plus the size): two shapes can be made at once with different tags
#   --parallel N   clients at once (default 16; hang 128, retry 64)
#   --workers N    Squid's SMP workers (default: conns one per 10,000 held connections, names 2,
#                  others 1); with more than one, Squid's service name is w5bTAG
#
# Writes FILE and FILE.info (what went in, and what capture-figures.py reads from the capture
# itself: client connections held open at the end and at the peak, DNS queries a second).
# Exit: 0 ok, 1 failure, 77 skipped (not root, a tool missing). Only 198.18.0.0/15 and fd00::/8
# inside namespaces made here; ends only processes it started and deletes its namespaces on
# exit, failure and Ctrl-C, with an SMP Squid's IPC sockets (/var/run/squid/w5bTAG-*) and
# shared memory (/dev/shm/w5bTAG-*).
# The whole script is one block, read before it runs: editing the file while a long capture runs
# cannot change what that run does.
{
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHAPE=""
SIZE_MB=1000
OUT=""
TAG=""
MAXTIME=""
DURATION=1860
NAMES=5000
TTL=30
CONNS=20000
FAILPCT=""
PAR=""
WORKERS=""
KEEP_WORK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --shape) SHAPE="${2:-}"; shift 2 ;;
    --size) SIZE_MB="${2:-}"; shift 2 ;;
    --out) OUT="${2:-}"; shift 2 ;;
    --tag) TAG="${2:-}"; shift 2 ;;
    --max-time) MAXTIME="${2:-}"; shift 2 ;;
    --duration) DURATION="${2:-}"; shift 2 ;;
    --names) NAMES="${2:-}"; shift 2 ;;
    --ttl) TTL="${2:-}"; shift 2 ;;
    --conns) CONNS="${2:-}"; shift 2 ;;
    --fail-pct) FAILPCT="${2:-}"; shift 2 ;;
    --parallel) PAR="${2:-}"; shift 2 ;;
    --workers) WORKERS="${2:-}"; shift 2 ;;
    --keep-work) KEEP_WORK=1; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "make-shape: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
isnum() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }
case "$SHAPE" in names|conns|long|outage|tunnel|hang|retry|fetch|resolve|balance) ;; *) echo "make-shape: --shape names|conns|long|outage|tunnel|hang|retry|fetch|resolve|balance" >&2; exit 2 ;; esac
# the shapes whose gateway is not Squid (nginx, HAProxy, Varnish, Apache, Caddy): each fails on
# stall.bench, drop.bench and refuse.bench, and the gateway runs beside the origin that stalls
OWN_GW=0
case "$SHAPE" in hang|retry|fetch|resolve|balance) OWN_GW=1 ;; esac
[ -n "$FAILPCT" ] || { [ $OWN_GW -eq 1 ] && FAILPCT=2 || FAILPCT=10; }
[ -n "$PAR" ] || case "$SHAPE" in hang) PAR=128 ;; retry|fetch|resolve|balance) PAR=64 ;; *) PAR=16 ;; esac
isnum "$SIZE_MB" || { echo "make-shape: --size wants a number of MB" >&2; exit 2; }
isnum "$PAR" && [ "$PAR" -le 256 ] || { echo "make-shape: --parallel wants 1..256" >&2; exit 2; }
[ -z "$WORKERS" ] || { isnum "$WORKERS" && [ "$WORKERS" -le 8 ]; } || { echo "make-shape: --workers wants 1..8" >&2; exit 2; }
[ -n "$MAXTIME" ] || { [ "$SHAPE" = hang ] && MAXTIME=2400 || MAXTIME=900; } # hang: 2000 MB take about 15 minutes
isnum "$MAXTIME" && [ "$MAXTIME" -le 3600 ] || { echo "make-shape: --max-time wants 1..3600" >&2; exit 2; }
isnum "$DURATION" && [ "$DURATION" -le 7200 ] || { echo "make-shape: --duration wants 1..7200" >&2; exit 2; }
isnum "$NAMES" && [ "$NAMES" -le 20000 ] || { echo "make-shape: --names wants 1..20000" >&2; exit 2; }
isnum "$TTL" || { echo "make-shape: --ttl wants seconds" >&2; exit 2; }
isnum "$CONNS" && [ "$CONNS" -le 60000 ] || { echo "make-shape: --conns wants 1..60000" >&2; exit 2; }
[[ "$FAILPCT" =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v p="$FAILPCT" 'BEGIN {exit !(p <= 50)}' \
  || { echo "make-shape: --fail-pct wants 0..50" >&2; exit 2; }
[ -n "$TAG" ] || TAG="${SHAPE:0:2}$SIZE_MB"
[[ "$TAG" =~ ^[a-z0-9]{1,8}$ ]] || { echo "make-shape: --tag wants 1..8 of a-z0-9" >&2; exit 2; }
[ -n "$OUT" ] || OUT="$HERE/out/$SHAPE-${SIZE_MB}m.pcap"
[ "$SHAPE" = long ] && MAXTIME=$(( DURATION + 120 ))

PROG=make-shape
. "$HERE/capture-lib.sh"
T0=$EPOCHREALTIME
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b - a}'; }
log() { printf 'make-shape %s: [%6ss] %s\n' "$TAG" "$(elapsed)" "$*"; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, iptables)"
for c in ip iptables squid nginx unbound tcpdump curl gcc xargs flock ss awk python3 openssl ethtool; do
  command -v "$c" >/dev/null 2>&1 || skip "$c not installed (apt-get install squid nginx-light unbound tcpdump curl iproute2 iptables gcc libpcap-dev python3 openssl ethtool)"
done
[ "$SHAPE" != retry ] || command -v haproxy >/dev/null 2>&1 || skip "haproxy not installed (apt-get install haproxy)"
[ "$SHAPE" != fetch ] || { command -v varnishd >/dev/null 2>&1 && command -v varnishncsa >/dev/null 2>&1; } \
  || skip "varnish not installed (apt-get install varnish)"
[ "$SHAPE" != resolve ] || command -v apache2 >/dev/null 2>&1 || skip "apache2 not installed (apt-get install apache2)"
[ "$SHAPE" != balance ] || command -v caddy >/dev/null 2>&1 || skip "caddy not installed (apt-get install caddy)"
[ -e /usr/include/pcap/pcap.h ] || skip "libpcap-dev not installed"
id proxy >/dev/null 2>&1 || skip "no 'proxy' user (Debian's squid package makes it)"

OUT="$(realpath -m "$OUT")"
check_space "$SIZE_MB"
# Squid and the connection holder each need a descriptor per held connection, and this shell
# may not raise its hard limit (no CAP_SYS_RESOURCE in some VMs and containers: 20,000 on the
# benchmark machine). The limit is per process, so both are split over processes: Squid into
# SMP workers (the kernel spreads accepted connections over the workers' own listening queues,
# SO_REUSEPORT), each left with at most half its limit of held connections (the rest for the
# load's connections both ways and an uneven spread), and the holder into processes of at most
# the limit less 1,500.
FDMAX=$(ulimit -Hn)
[ "$FDMAX" = unlimited ] && FDMAX=1048576
HOLDERS=1
if [ "$SHAPE" = conns ]; then
  [ "$FDMAX" -ge 4000 ] || die "the hard limit on open files here is $FDMAX, the conns shape wants 4,000 or more"
  HOLDERS=$(( (CONNS + FDMAX - 1501) / (FDMAX - 1500) ))
  [ -n "$WORKERS" ] || WORKERS=$(( (CONNS + FDMAX / 2 - 1) / (FDMAX / 2) ))
  per=$(( (CONNS + WORKERS - 1) / WORKERS ))
  [ $(( per + 1500 )) -le "$FDMAX" ] \
    || die "--workers $WORKERS leaves $per of --conns $CONNS to a Squid worker, and a process may have $FDMAX open files here (--workers $(( (CONNS + FDMAX - 1501) / (FDMAX - 1500) )) fits)"
fi
# names: Squid with two workers, each with its own DNS cache, as an SMP Squid has
[ -n "$WORKERS" ] || { [ "$SHAPE" = names ] && WORKERS=2 || WORKERS=1; }

{ exec 9>"/run/lock/w5b-shape-$TAG.lock"; } 2>/dev/null || exec 9>"/tmp/w5b-shape-$TAG.lock"
flock -w 10 9 || die "another make-shape run with tag $TAG holds the lock"

NSC="w5b-$TAG-cli"; NSG="w5b-$TAG-gw"; NSU="w5b-$TAG-up"
NS_ALL="$NSC $NSG $NSU"
TMPOUT="$OUT.tmp"
# an SMP Squid names its IPC sockets (in the directory compiled in, /var/run/squid) and shared
# memory segments after its service name (-n): one per tag, removed with the namespaces
SQUID_SVC="w5b$TAG"
[ "$WORKERS" -gt 1 ] && LEFTOVERS=("/var/run/squid/$SQUID_SVC-*.ipc" "/dev/shm/$SQUID_SVC-*")
# resolve, balance: the gateway's resolver configuration (libc's, Go's), made below
case "$SHAPE" in resolve|balance) LEFTOVERS+=("/etc/netns/$NSG/resolv.conf"); LEFTOVER_DIRS+=("/etc/netns/$NSG") ;; esac
capture_traps

WORK="$(mktemp -d "/tmp/w5b-$TAG.XXXXXX")"
chmod 755 "$WORK"
mkdir -p "$WORK"/{squid,nginx,gw,unbound,www/f,www/big,batches,res,tls}
chown proxy "$WORK/squid"

build_pcap_loop
# the 400 small files of make-capture.sh, and large ones for tunnel and conns: 1 .. 32 MB
origin_files
if [ "$SHAPE" = tunnel ] || [ "$SHAPE" = conns ]; then
  for m in 1 2 4 8 16 32; do head -c $(( m * 1048576 )) /dev/urandom > "$WORK/www/big/$m.bin"; done
fi

# ---------------------------------------------------------------- topology
#  cli 198.18.1.2-.33 ── cli0|gw-cli  gw (Squid)  gw-up|up-gw ── up
#      fd00:1::2-::5     198.18.1.1 fd00:1::1   198.19.0.1   198.19.0.53 (DNS) .10-.17 .99,
#                                                           names: 198.19.1.1 ..
ip netns add "$NSC" 2>/dev/null || skip "cannot create network namespaces here"
for ns in "$NSG" "$NSU"; do ip netns add "$ns" || die "ip netns add $ns"; done
ns_settings
for ns in $NS_ALL; do
  nsx "$ns" sysctl -qw net.core.somaxconn=8192 net.ipv4.tcp_max_syn_backlog=8192 2>/dev/null
done
# origin addresses of the many-names shape: name i on 198.19.(1 + a/250).(1 + a%250), a = i % 1000
NADDR=$(( NAMES < 1000 ? NAMES : 1000 ))
set -e
ip -n "$NSG" link add gw-cli type veth peer name cli0 netns "$NSC"
ip -n "$NSG" link add gw-up type veth peer name up-gw netns "$NSU"
for h in $(seq 2 33); do ip -n "$NSC" addr add "198.18.1.$h/24" dev cli0; done
for h in 2 3 4 5; do ip -n "$NSC" addr add "fd00:1::$h/64" dev cli0 nodad; done
ip -n "$NSG" addr add 198.18.1.1/24 dev gw-cli
ip -n "$NSG" addr add fd00:1::1/64 dev gw-cli nodad
ip -n "$NSG" addr add 198.19.0.1/16 dev gw-up
ip -n "$NSU" addr add 198.19.0.53/16 dev up-gw
for h in 10 11 12 13 14 15 16 17 18 19 99; do ip -n "$NSU" addr add "198.19.0.$h/16" dev up-gw; done
if [ "$SHAPE" = names ]; then
  awk -v n="$NADDR" 'BEGIN {for (a = 0; a < n; a++) printf "addr add 198.19.%d.%d/16 dev up-gw\n", 1 + int(a / 250), 1 + a % 250}' > "$WORK/addrs.batch"
  ip -n "$NSU" -batch "$WORK/addrs.batch"
fi
for l in "$NSC:cli0" "$NSG:gw-cli" "$NSG:gw-up" "$NSU:up-gw"; do
  ip -n "${l%%:*}" link set "${l##*:}" up
done
if [ "$SHAPE" = names ]; then
  # the gateway reaches them through one next hop, as a gateway reaches the Internet's origins,
  # instead of one ARP entry each: the kernel's ARP table is one for all namespaces
  # (gc_thresh3, 1,024 entries by default), and with 1,000 origins it overflowed, dropped SYNs
  # before they reached the wire, and requests waited connect_timeout for a 503 until every
  # client waited (2 s without a packet every 5 s: 630-860 DNS queries a second). The next
  # hop's entry is permanent, as below
  for n in $(seq 1 $(( 1 + (NADDR - 1) / 250 ))); do
    ip -n "$NSG" route add "198.19.$n.0/24" via 198.19.0.53 dev gw-up
  done
fi
# Every neighbour is a permanent entry: permanent entries are exempt from the ARP and NDP
# tables' limit (gc_thresh3), which is one for all namespaces of the machine, so another
# namespace's 1,000 on-link addresses cannot starve these (on 2026-12-02 a names capture that
# did not make one entry of its own still lost 135 requests to "neighbor table overflow" and
# stood still for 2-5 s at a time). No ARP or neighbour solicitation in the capture.
mac() { ip -n "$1" -o link show dev "$2" | sed -n 's#.*link/ether \([0-9a-f:]*\).*#\1#p'; }
{
  m=$(mac "$NSG" gw-cli)
  echo "neigh replace 198.18.1.1 lladdr $m dev cli0 nud permanent"
  echo "neigh replace fd00:1::1 lladdr $m dev cli0 nud permanent"
} > "$WORK/neigh-cli.batch"
{
  m=$(mac "$NSC" cli0)
  for h in $(seq 2 33); do echo "neigh replace 198.18.1.$h lladdr $m dev gw-cli nud permanent"; done
  for h in 2 3 4 5; do echo "neigh replace fd00:1::$h lladdr $m dev gw-cli nud permanent"; done
  m=$(mac "$NSU" up-gw)
  for h in 53 10 11 12 13 14 15 16 17 18 19 99; do echo "neigh replace 198.19.0.$h lladdr $m dev gw-up nud permanent"; done
} > "$WORK/neigh-gw.batch"
echo "neigh replace 198.19.0.1 lladdr $(mac "$NSG" gw-up) dev up-gw nud permanent" > "$WORK/neigh-up.batch"
ip -n "$NSC" -batch "$WORK/neigh-cli.batch"
ip -n "$NSG" -batch "$WORK/neigh-gw.batch"
ip -n "$NSU" -batch "$WORK/neigh-up.batch"
ip -n "$NSC" route add default via 198.18.1.1
ip -n "$NSC" -6 route add default via fd00:1::1
nsx "$NSG" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
nsx "$NSU" iptables -A INPUT -d 198.19.0.99 -p tcp --syn -j DROP
# outage: the DNS server of zone down.bench does not answer (queries for it are dropped), and
# the origin refuse.bench (198.19.0.18) refuses every connection with a RST
if [ "$SHAPE" = outage ] || [ "$SHAPE" = long ]; then
  nsx "$NSU" iptables -A INPUT -d 198.19.0.53 -p udp --dport 53 -m string --algo bm \
    --hex-string '|04|down|05|bench' -j DROP
fi
# (hang: refuse.bench as well; its waits are stall.bench, 198.19.0.19, and drop.bench)
if [ "$SHAPE" = outage ] || [ "$SHAPE" = long ] || [ $OWN_GW -eq 1 ]; then
  nsx "$NSU" iptables -A INPUT -d 198.19.0.18 -p tcp --syn -j REJECT --reject-with tcp-reset
fi
set +e
for l in "$NSC:cli0" "$NSG:gw-cli" "$NSG:gw-up" "$NSU:up-gw"; do
  nsx "${l%%:*}" ethtool -K "${l##*:}" tso off gso off gro off >/dev/null 2>&1 \
    || echo "make-shape: could not turn offloads off on ${l##*:}" >&2
done

# ---------------------------------------------------------------- servers
# unbound: the eight names of make-capture.sh, plus the shape's own
DTTL=5
[ "$SHAPE" = names ] && DTTL=$TTL
{
  sed -e "s#@WORK@#$WORK#g" -e "s/cache-max-ttl: 5/cache-max-ttl: $DTTL/" \
      -e '/^remote-control:/,$d' "$HERE/unbound.conf"
  if [ "$SHAPE" = names ]; then
    awk -v n="$NAMES" -v ttl="$TTL" 'BEGIN {for (i = 0; i < n; i++) { a = i % 1000
      printf "    local-data: \"n%04d.bench. %d IN A 198.19.%d.%d\"\n", i, ttl, 1 + int(a / 250), 1 + a % 250 }}'
  fi
  if [ "$SHAPE" = outage ] || [ "$SHAPE" = long ]; then
    echo '    local-data: "refuse.bench. 5 IN A 198.19.0.18"'
    echo '    local-data: "x.down.bench. 5 IN A 198.19.0.10"'
  fi
  if [ $OWN_GW -eq 1 ]; then
    echo '    local-data: "refuse.bench. 5 IN A 198.19.0.18"'
    echo '    local-data: "stall.bench. 5 IN A 198.19.0.19"'
  fi
  if [ "$SHAPE" = tunnel ]; then
    echo '    local-data: "secure.bench. 5 IN A 198.19.0.10"'
    echo '    local-data: "dl.bench. 5 IN A 198.19.0.11"'
  fi
  printf '\nremote-control:\n    control-enable: no\n'
} > "$WORK/unbound/unbound.conf"
bg "$NSU" "$WORK/unbound/stderr.log" unbound -d -c "$WORK/unbound/unbound.conf"

# nginx: make-capture.sh's origin, with /big/ and (tunnel) TLS on 443
sub "$HERE/nginx-origin.conf" "$WORK/nginx/nginx.conf"
sed -i 's/worker_connections 4096;/worker_connections 16384;/' "$WORK/nginx/nginx.conf"
if [ "$SHAPE" = tunnel ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=secure.bench" \
    -addext "subjectAltName=DNS:secure.bench" -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" \
    >/dev/null 2>&1 || die "openssl cannot make a certificate"
  # a second server block: TLS on 443, same files
  sed -i "s#^    server {#    server {\n        listen 443 ssl default_server;\n        ssl_certificate $WORK/tls/cert.pem;\n        ssl_certificate_key $WORK/tls/key.pem;\n        keepalive_requests 1000;#" "$WORK/nginx/nginx.conf"
fi
bg "$NSU" "$WORK/nginx/stderr.log" bash -c "ulimit -n $FDMAX; exec nginx -p '$WORK/nginx' -c '$WORK/nginx/nginx.conf'"

GW=squid
if [ $OWN_GW -eq 1 ]; then
  # nginx (hang), HAProxy (retry; -db: no daemon, its log on standard error), Varnish (fetch;
  # -F: in front, -j none: as root), Apache (resolve; -DFOREGROUND) or Caddy (balance) as the
  # gateway on Squid's port, and the origin that never answers
  if [ "$SHAPE" = resolve ] || [ "$SHAPE" = balance ]; then
    # Apache and Caddy resolve through the namespace's resolv.conf (ip netns exec mounts it)
    mkdir -p "/etc/netns/$NSG"
    printf 'nameserver 198.19.0.53\noptions timeout:1 attempts:2\n' > "/etc/netns/$NSG/resolv.conf"
  fi
  if [ "$SHAPE" = hang ]; then
    GW=nginx
    sub "$HERE/nginx-gateway.conf" "$WORK/gw/nginx.conf"
    bg "$NSG" "$WORK/gw/stderr.log" bash -c "ulimit -n $FDMAX; exec nginx -p '$WORK/gw' -c '$WORK/gw/nginx.conf'"
  elif [ "$SHAPE" = resolve ]; then
    GW=apache
    sub "$HERE/apache-gateway.conf" "$WORK/gw/httpd.conf"
    bg "$NSG" "$WORK/gw/stderr.log" bash -c "ulimit -n $FDMAX; exec apache2 -f '$WORK/gw/httpd.conf' -DFOREGROUND"
  elif [ "$SHAPE" = balance ]; then
    GW=caddy
    mkdir -p "$WORK/gw/data"
    sub "$HERE/caddy-gateway.Caddyfile" "$WORK/gw/Caddyfile"
    bg "$NSG" "$WORK/gw/stderr.log" env HOME="$WORK/gw" XDG_DATA_HOME="$WORK/gw/data" \
      XDG_CONFIG_HOME="$WORK/gw/config" bash -c "ulimit -n $FDMAX; exec caddy run --adapter caddyfile --config '$WORK/gw/Caddyfile'"
  elif [ "$SHAPE" = fetch ]; then
    GW=varnish
    bg "$NSG" "$WORK/gw/stderr.log" bash -c "ulimit -n $FDMAX; exec varnishd -F -j none -n '$WORK/gw/state' \
      -f '$HERE/varnish-gateway.vcl' -a 198.18.1.1:9090 -a '[fd00:1::1]:9090' -s malloc,64m \
      -p connect_timeout=1 -p first_byte_timeout=5 -p between_bytes_timeout=5"
  else
    GW=haproxy
    sub "$HERE/haproxy-gateway.conf" "$WORK/gw/haproxy.conf"
    bg "$NSG" "$WORK/gw/stderr.log" bash -c "ulimit -n $FDMAX; exec haproxy -db -f '$WORK/gw/haproxy.conf'"
  fi
  bg "$NSU" "$WORK/stall.log" python3 "$HERE/stall-origin.py" --addr 198.19.0.19 --port 8081 --stop "$WORK/STOP" --report "$WORK/stall.txt" \
    --max-time $(( MAXTIME + 300 ))
  wait_listen "$NSU" t 'src 198.19.0.19:8081' stall-origin.py
else
# Squid: make-capture.sh's configuration; CONNECT to 443 allowed; the shape's settings last
# (for single-valued directives the last one wins)
{
  sed -e "s#@WORK@#$WORK#g" \
      -e 's/^acl Safe_ports port 80 81$/acl Safe_ports port 80 81 443\nacl SSL_ports port 443/' \
      -e 's/^http_access deny CONNECT$/http_access deny CONNECT !SSL_ports/' "$HERE/squid.conf"
  echo "# ---- shape $SHAPE"
  case "$SHAPE" in
    names) printf 'ipcache_size 64\nipcache_low 80\nipcache_high 90\npositive_dns_ttl %d seconds\n' "$TTL" ;;
    conns) printf 'max_filedescriptors 65536\nclient_idle_pconn_timeout 15 minutes\nclient_lifetime 1 hour\nread_timeout 15 minutes\nrequest_timeout 15 minutes\n' ;;
    outage) printf 'dns_timeout 3 seconds\nconnect_timeout 3 seconds\n' ;;
    tunnel) printf 'read_timeout 60 seconds\nforward_timeout 60 seconds\n' ;;
    long) ;;
  esac
  if [ "$WORKERS" -gt 1 ]; then
    # SMP: each worker listens on its own queue and writes its own access log
    echo "workers $WORKERS"
    echo 'http_port 9090 worker-queues'
    echo 'access_log stdio:'"$WORK"'/squid/access-${process_number}.log bench'
  fi
} > "$WORK/squid/squid.conf"
if [ "$WORKERS" -gt 1 ]; then
  # (http_port and access_log add up instead of replacing: the plain ones go)
  sed -i -e '/^http_port 9090$/d' -e '\#^access_log stdio:.*/access.log bench$#d' "$WORK/squid/squid.conf"
  mkdir -p /var/run/squid && chown proxy /var/run/squid
  # -N would be one process whatever workers says; --foreground keeps the master in front, so
  # its PID is the one to end
  bg "$NSG" "$WORK/squid/stderr.log" bash -c "ulimit -n $FDMAX; exec squid --foreground -n $SQUID_SVC -f '$WORK/squid/squid.conf'"
else
  bg "$NSG" "$WORK/squid/stderr.log" bash -c "ulimit -n $FDMAX; exec squid -N -f '$WORK/squid/squid.conf'"
fi
fi
wait_listen "$NSU" u 'src 198.19.0.53:53' unbound
wait_listen "$NSU" t 'sport = :80' nginx
wait_listen "$NSG" t 'sport = :9090' "$GW"
NCSA_PID=""
if [ "$GW" = varnish ]; then
  # Varnish writes no log of its own: varnishncsa reads its shared memory and writes the
  # fields squid_info reads from Squid's log, in the same places (time the request came, in
  # client mode; the handling, pass or synth, as its err=)
  bg "$NSG" "$WORK/gw/ncsa.log" varnishncsa -n "$WORK/gw/state" -w "$WORK/gw/access.log" -F \
    '%{sec}t.%{msec_frac}t %D %{VSL:ReqStart[1]}x:%{VSL:ReqStart[2]}x VARNISH/%s %O %m http://%{Host}i%U%q -/%{Varnish:handling}x err=%{Varnish:handling}x'
  NCSA_PID=${PIDS[-1]}
fi
# varnish_log_stop: varnishncsa writes what it holds and ends (SIGUSR1 flushes, SIGHUP ends a
# varnishncsa in front), bounded
varnish_log_stop() {
  [ -n "$NCSA_PID" ] || return 0
  kill -USR1 "$NCSA_PID" 2>/dev/null
  sleep 0.5
  kill -HUP "$NCSA_PID" 2>/dev/null
  wait_gone 50 "$NCSA_PID" || kill -TERM "$NCSA_PID" 2>/dev/null
  NCSA_PID=""
}
for i in $(seq 1 100); do   # every worker's queue
  [ "$(nsx "$NSG" ss -Hlnt 'sport = :9090' | wc -l)" -ge "$WORKERS" ] && break
  sleep 0.1
done
[ "$(nsx "$NSG" ss -Hlnt 'sport = :9090' | wc -l)" -ge "$WORKERS" ] \
  || die "Squid's $WORKERS workers did not all start listening (see $WORK/squid; --keep-work keeps it)"
# (HAProxy resolves its servers' names in the background, within a second or two of starting)
for i in $(seq 1 20); do
  nsx "$NSC" curl -sf -o /dev/null -x http://198.18.1.1:9090 --max-time 10 http://www.bench/f/000.html && break
  [ "$GW" = haproxy ] || break
  sleep 0.5
done
nsx "$NSC" curl -sf -o /dev/null -x http://198.18.1.1:9090 --max-time 10 http://www.bench/f/000.html \
  || die "warm-up request through $GW failed (see $WORK/$([ $GW = squid ] && echo squid || echo gw))"
if [ "$SHAPE" = tunnel ]; then
  wait_listen "$NSU" t 'sport = :443' nginx
  nsx "$NSC" curl -s -k -o /dev/null -x http://198.18.1.1:9090 --max-time 10 https://secure.bench/f/000.html \
    || die "warm-up CONNECT through Squid failed (see $WORK/squid)"
fi
log "topology up, servers listening (work: $WORK)"

# ---------------------------------------------------------------- the requests
# Bytes a request adds to the capture: about 2.1 x body + 2.6 KB (make-capture.sh).
PER_CURL=50
case "$SHAPE" in
  names|hang|retry|fetch|resolve|balance) MEAN=2600 ;;       # only the small files (1-8 KB)
  tunnel) MEAN=$(( 6 * 1048576 )) ;;                   # large files dominate
  *) MEAN=$MEAN_BODY ;;
esac
BPR=$(( MEAN * 21 / 10 + 2600 ))
EST=$(( SIZE_MB * 1000000 / BPR + 50 ))
[ "$SHAPE" = tunnel ] && PER_CURL=8
NB=$(( EST * 3 / 2 * 2 / (PER_CURL + 5) + 64 ))
log "target $SIZE_MB MB: about $EST requests, $PAR clients at once"
awk -v nb="$NB" -v per="$PER_CURL" -v dir="$WORK/batches" -v files="$WORK/files.txt" \
    -v shape="$SHAPE" -v names="$NAMES" -v failpct="$FAILPCT" -v est="$EST" '
function small() { return f[int(rand() * n)] }
function tiny() { do x = f[int(rand() * n)]; while (!(x in sm)); return x }
function plain() {
  u = sprintf("http://%s.bench/f/%s", host[1 + int(rand() * 8)], small())
  if (rand() < 0.5) u = u sprintf("?v=%d", int(rand() * 1000000))
  return u
}
function failing(   r) {   # outage: which failure, by share
  r = rand(); nfail++
  if (r < 0.40) { kind = "refused";   return sprintf("http://refuse.bench/f/%s", small()) }
  if (r < 0.70) { kind = "nxdomain";  return sprintf("http://nosuch-%d.bench/index.html", int(rand() * 1e9)) }
  if (r < 0.96) { kind = "origin503"; return sprintf("http://%s.bench/err/503", host[1 + int(rand() * 8)]) }
  if (r < 0.98) { kind = "dnsdown";   return sprintf("http://x.down.bench/f/%s", small()) }
  kind = "dropsyn"; return sprintf("http://drop.bench/f/%s", small())
}
function retrying(   r) {   # retry: which failure, by share
  r = rand(); nfail++
  if (r < 0.25) { kind = "stall";   return sprintf("http://stall.bench:8081/f/%s", tiny()) }
  if (r < 0.45) { kind = "dropsyn"; return sprintf("http://drop.bench/f/%s", tiny()) }
  if (r < 0.65) { kind = "refused"; return sprintf("http://refuse.bench/f/%s", tiny()) }
  if (r < 0.85) { kind = "nxserver"; return sprintf("http://nx.bench/f/%s", tiny()) }
  kind = "hcdown"; return sprintf("http://hc.bench/f/%s", tiny())
}
function waiting(   r) {   # hang: which failure, by share
  r = rand(); nfail++
  if (r < 0.50) { kind = "stall";   return sprintf("http://stall.bench:8081/f/%s", tiny()) }
  if (r < 0.80) { kind = "dropsyn"; return sprintf("http://drop.bench/f/%s", tiny()) }
  kind = "refused"; return sprintf("http://refuse.bench/f/%s", tiny())
}
BEGIN {
  srand(9091)
  n = 0   # (an unset n as a subscript is "" in mawk, not 0)
  while ((getline line < files) > 0) { split(line, a, " "); f[n] = a[1]; if (a[2] <= 8192) sm[a[1]] = 1; n++ }
  split("www static img cdn api news shop media", host, " ")
  split("1 2 4 8 16 32", big, " ")
  for (b = 0; b < nb; b++) {
    file = sprintf("%s/b%06d.cfg", dir, b)
    len = 5 + int(rand() * (per - 4))
    if (shape == "tunnel") len = 1 + int(rand() * per)
    for (k = 0; k < len; k++) {
      kind = "ok"
      if (shape == "names") {
        if (rand() < 0.03) { kind = "nxdomain"; u = sprintf("http://nosuch-%d.bench/f/%s", int(rand() * 1e9), tiny()) }
        else u = sprintf("http://n%04d.bench/f/%s", int(rand() * names), tiny())
      } else if (shape == "outage") {
        if (rand() * 100 < failpct) u = failing(); else u = plain()
      } else if (shape == "hang") {
        if (rand() * 100 < failpct) u = waiting()
        else u = sprintf("http://%s.bench/f/%s?v=%d", host[1 + int(rand() * 8)], tiny(), int(rand() * 1000000))
      } else if (shape == "retry" || shape == "fetch" || shape == "resolve" || shape == "balance") {
        if (rand() * 100 < failpct) {
          u = retrying()
          if (shape == "fetch" && kind == "nxserver") kind = "synth"
          if ((shape == "resolve" || shape == "balance") && kind == "nxserver") {
            if (rand() < 0.5) { kind = "own503" } else { kind = "nxdomain"; u = sprintf("http://nosuch-%d.bench/f/%s", int(rand() * 1e9), tiny()) }
          }
        }
        else u = sprintf("http://%s.bench/f/%s?v=%d", host[1 + int(rand() * 8)], tiny(), int(rand() * 1000000))
      } else if (shape == "long") {
        if (rand() < 0.002) u = failing(); else u = plain()
      } else if (shape == "tunnel") {
        r = rand()
        if (r < 0.55) u = sprintf("https://secure.bench/big/%s.bin", big[1 + int(rand() * 6)])
        else if (r < 0.70) u = sprintf("http://dl.bench/big/%s.bin", big[1 + int(rand() * 4)])
        else if (r < 0.85) u = sprintf("https://secure.bench/f/%s", small())
        else u = plain()
      } else u = plain()
      if (kind != "ok") print b, kind, u > (dir "/../failures.txt")
      printf "url = \"%s\"\noutput = \"/dev/null\"\n", u > file
    }
    close(file)
    if (b % 8 == 7) printf "%s fd00:1::%d http://[fd00:1::1]:9090\n", file, 2 + int(b / 8) % 4
    else printf "%s 198.18.1.%d http://198.18.1.1:9090\n", file, 2 + b % 32
  }
}' > "$WORK/batches.txt" || die "cannot write the request lists"

# long: a steady low rate (curl --rate between the transfers of one client), chosen so that
# DURATION seconds make about SIZE_MB
RATE_OPT=""
if [ "$SHAPE" = long ]; then
  PAR=4
  per_min=$(( EST * 60 / DURATION / PAR + 1 ))
  RATE_OPT="--rate $per_min/m"
  log "long run: $PAR clients at $per_min requests a minute each for $DURATION s"
fi
# retry, fetch, resolve, balance: HAProxy, Varnish, Apache and Caddy are reverse proxies, and
# their clients send origin-form requests ("GET /f/x", Host: www.bench) to their address, as
# browsers do to a site's balancer, cache or front end; the others are forward proxies, sent
# absolute-form requests (-x)
VIA='-x "$3"'
case "$SHAPE" in retry|fetch|resolve|balance) VIA='--connect-to "::${3#http://}"' ;; esac
cat > "$WORK/worker.sh" <<EOF
#!/bin/sh
# worker.sh BATCH CLIENT_ADDR PROXY: one client, keep-alive to the proxy
[ -e "$WORK/STOP" ] && exit 0
exec curl -s -k $RATE_OPT -K "\$1" --interface "\$2" $VIA --connect-timeout 5 --max-time 120 \\
  -A 'Mozilla/5.0 (X11; Linux x86_64) why502-bench' -H 'Accept: */*' \\
  -w '%{http_code} %{exitcode} %{size_download}\n' > "$WORK/res/\$(basename "\$1").res" 2>/dev/null
EOF
chmod +x "$WORK/worker.sh"

# ---------------------------------------------------------------- capture and load
capture_start "$NSG" 524288
TL0=$EPOCHREALTIME
HOLD_PIDS=()
if [ "$SHAPE" = conns ]; then
  # the idle connections first (HOLDERS processes, each its share), then the ordinary load
  for k in $(seq 0 $(( HOLDERS - 1 ))); do
    n=$(( CONNS / HOLDERS + (k < CONNS % HOLDERS ? 1 : 0) ))
    ip netns exec "$NSC" bash -c "ulimit -n $FDMAX; exec python3 '$HERE/hold-conns.py' --conns $n \
        --id $k --slow 0 --stop '$WORK/STOP' --report '$WORK/hold-$k.txt'" > "$WORK/hold-$k.log" 2>&1 &
    HOLD_PIDS+=("$!")
    PIDS+=("$!")
  done
  for i in $(seq 1 2400); do   # 10 minutes: 18,000 took 278 s at a load of 30
    [ "$(cat "$WORK"/hold-*.log 2>/dev/null | grep -c '^open ')" -ge "$HOLDERS" ] && break
    for pid in "${HOLD_PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null || die "hold-conns.py ended ($(tail -n 3 "$WORK"/hold-*.log))"
    done
    sleep 0.25
  done
  log "held connections: $(grep -h '^open ' "$WORK"/hold-*.log | paste -sd ';' -)"
  # long-lived: 64 slow downloads of the 16 MB file (32 KB/s: longer than the capture), once
  # the held connections are open. Started with them, they filled the file at 4 MB/s (both
  # legs) while a loaded Squid accepted 60-70 connections a second: 811 MiB for --size 100
  # --conns 2000, 2 GB for --size 200 --conns 18000. hold-conns.py reads them with an 8 KB
  # receive buffer: curl --limit-rate reads slowly, but the kernel's window grew to MBs and
  # the 64 sent 330 MB in their first 3 s (401 MB for --size 200, most of it theirs)
  ip netns exec "$NSC" python3 "$HERE/hold-conns.py" --conns 0 --slow 64 --id "$HOLDERS" \
      --stop "$WORK/STOP" --report "$WORK/slow.txt" > "$WORK/slow.log" 2>&1 &
  HOLD_PIDS+=("$!")
  PIDS+=("$!")
fi
ip netns exec "$NSC" xargs -P "$PAR" -L 1 -a "$WORK/batches.txt" "$WORK/worker.sh" &
LOAD_PID=$!
PIDS+=("$LOAD_PID")
TARGET=$(( SIZE_MB * 1000000 ))
why_stop=""
for i in $(seq 1 $(( MAXTIME * 4 ))); do
  sleep 0.25
  kill -0 "$LOAD_PID" 2>/dev/null || { why_stop="request lists done"; break; }
  sz=$(stat -c %s "$TMPOUT" 2>/dev/null || echo 0)
  if [ "$SHAPE" = long ]; then
    awk -v a="$TL0" -v b="$EPOCHREALTIME" -v d="$DURATION" 'BEGIN {exit !(b - a >= d)}' \
      && { why_stop="duration reached"; break; }
    [ "$sz" -ge $(( TARGET * 3 / 2 )) ] && { why_stop="1.5 x size reached"; break; }
  else
    margin=$(( PAR * (PER_CURL + 5) / 2 * BPR / 2 ))
    [ "$SHAPE" = tunnel ] && margin=$(( PAR * 3 * 1048576 ))
    [ "$sz" -ge $(( TARGET - margin )) ] && { why_stop="size reached"; break; }
  fi
  if [ $(( i % 120 )) -eq 0 ]; then
    log "$(( sz / 1000000 )) MB captured, $(ls "$WORK/res" | wc -l) client runs started"
  fi
done
[ -n "$why_stop" ] || why_stop="--max-time $MAXTIME s reached"
touch "$WORK/STOP"
CUT=0
if [ "$SHAPE" = tunnel ] || [ "$SHAPE" = conns ]; then
  # tunnel: each client finishes its list (up to 8 files of 1-32 MB) after STOP, which passed
  # the size several times over (884 MiB for --size 200); conns: the 64 slow downloads go on
  # (4-7 MB/s with both legs) while the other clients end, 40 s on a loaded machine (660 MB
  # for --size 200). The capture ends at the size instead, cutting the transfers under way as
  # any capture does (they finish uncaptured)
  for i in $(seq 1 1300); do
    kill -0 "$LOAD_PID" 2>/dev/null || break
    [ "$(stat -c %s "$TMPOUT" 2>/dev/null || echo 0)" -ge "$TARGET" ] && { CUT=1; break; }
    sleep 0.1
  done
  if [ $CUT -eq 1 ]; then
    # at once: no FIN is coming, and the 1.5 s of a plain stop took a --size 50 tunnel
    # capture to 561 MB (the clients download at 300 MB/s on an idle machine)
    TL1=$EPOCHREALTIME
    capture_stop 0
    why_stop="$why_stop; transfers under way cut at the size"
  fi
fi
if ! wait_gone 1300 "$LOAD_PID"; then
  echo "make-shape: clients still running after 130 s, ending them" >&2
  for pid in $(ip netns pids "$NSC" 2>/dev/null); do
    [[ " ${HOLD_PIDS[*]} " = *" $pid "* ]] || kill -KILL "$pid" 2>/dev/null
  done
fi
wait "$LOAD_PID" 2>/dev/null
if [ ${#HOLD_PIDS[@]} -gt 0 ]; then
  # hold-conns.py sees STOP, writes its report and keeps its connections open: they are still
  # open when the capture ends, as on a gateway (cleanup ends it)
  for i in $(seq 1 100); do
    [ "$(ls "$WORK"/hold-*.txt 2>/dev/null | wc -l)" -ge "$HOLDERS" ] && break
    sleep 0.1
  done
  # the holders' counts added up, in the order the first one writes them
  awk -F= '!($1 in s) {o[++n] = $1} {s[$1] += $2} END {for (i = 1; i <= n; i++) print o[i] "=" s[o[i]]}' \
    "$WORK"/hold-*.txt > "$WORK/hold.txt" 2>/dev/null
fi
if [ $CUT -eq 0 ]; then
  TL1=$EPOCHREALTIME
  capture_stop
fi
log "load stopped ($why_stop) after $(awk -v a="$TL0" -v b="$TL1" 'BEGIN{printf "%.1f", b - a}') s"

# ---------------------------------------------------------------- what went in
read -r _ packets _ wirebytes _ _ _ span < <("$HERE/out/pcap-loop" "$TMPOUT") || die "pcap-loop cannot read the capture"
mv -f "$TMPOUT" "$OUT" || die "cannot write $OUT"
fsize=$(stat -c %s "$OUT")
ALOG="$WORK/squid/access.log"
[ "$GW" = nginx ] && ALOG="$WORK/gw/access.log"
# HAProxy's log lines on its standard error, apart from its warnings
[ "$GW" = haproxy ] && { ALOG="$WORK/gw/access.log"; grep -E '^[0-9]+\.[0-9]+ ' "$WORK/gw/stderr.log" > "$ALOG"; }
[ "$GW" = varnish ] && { ALOG="$WORK/gw/access.log"; varnish_log_stop; }
[ "$GW" = apache ] && ALOG="$WORK/gw/access.log"
# Caddy logs JSON only: its fields in the same places (the time it logged the request, at its
# end; the body's bytes, "-" for none, as Caddy's own error answers have: the head is sent; the
# status as err=)
[ "$GW" = caddy ] && { ALOG="$WORK/gw/access.log"; python3 -c '
import json, sys
for line in sys.stdin:
    try:
        d = json.loads(line)
        q = d["request"]
        print("%.3f %d %s:%s CADDY/%d %s %s http://%s%s -/- err=%d" % (d["ts"], d["duration"] * 1e6,
              q["remote_ip"], q["remote_port"], d["status"], d.get("size") or "-", q["method"], q["host"],
              q["uri"], d["status"]))
    except (ValueError, KeyError, TypeError):
        pass' < "$WORK/gw/access.json" > "$ALOG"; }
# SMP: the workers' logs in one, by time
[ "$WORKERS" -gt 1 ] && sort -n -s -k1,1 "$WORK"/squid/access-*.log > "$ALOG" 2>/dev/null
cat "$WORK"/res/*.res 2>/dev/null > "$WORK/client-results.txt"
run_batches=$(ls "$WORK/res" | wc -l)
failures_sent > "$WORK/fail-sent.txt"
# read from the capture: the client connections to Squid held open, DNS queries a second
python3 "$HERE/capture-figures.py" "$OUT" > "$WORK/figures.txt" || die "capture-figures.py cannot read $OUT"
{
  echo "file=$(basename "$OUT")"
  echo "shape=$SHAPE"
  echo "file_bytes=$fsize"
  echo "packets=$packets"
  echo "wire_bytes=$wirebytes"
  echo "packet_time_span_s=$span"
  echo "load_seconds=$(awk -v a="$TL0" -v b="$TL1" 'BEGIN{printf "%.1f", b - a}')"
  echo "stop_reason=$why_stop"
  cat "$WORK/figures.txt"
  case "$SHAPE" in
    names) echo "names=$NAMES ttl_s=$TTL" ;;
    conns) echo "conns_asked=$CONNS"; echo "held=$(cat "$WORK/hold.txt" 2>/dev/null | tr '\n' ' ')"
           echo "slow=$(cat "$WORK/slow.txt" 2>/dev/null | grep -E '^(opened|slow_bytes|slow_open_at_stop)=' | tr '\n' ' ')" ;;
    outage) echo "fail_pct_asked=$FAILPCT" ;;
    hang) echo "fail_pct_asked=$FAILPCT"; echo "gateway=nginx (nginx-gateway.conf; the squid_ lines below are read from its access log)"
          echo "stall_origin=$(cat "$WORK/stall.txt" 2>/dev/null) (at the load's stop; the connections open stay open past the capture)" ;;
    retry) echo "fail_pct_asked=$FAILPCT"; echo "gateway=haproxy (haproxy-gateway.conf; the squid_ lines below are read from its log)" ;;
    fetch) echo "fail_pct_asked=$FAILPCT"; echo "gateway=varnish (varnish-gateway.vcl; the squid_ lines below are read from varnishncsa's log)" ;;
    resolve) echo "fail_pct_asked=$FAILPCT"; echo "gateway=apache (apache-gateway.conf; the squid_ lines below are read from its access log)" ;;
    balance) echo "fail_pct_asked=$FAILPCT"; echo "gateway=caddy (caddy-gateway.Caddyfile; the squid_ lines below are read from its access log)" ;;
    long) echo "duration_asked_s=$DURATION $RATE_OPT clients=$PAR" ;;
  esac
  echo "clients_at_once=$PAR squid_workers=$WORKERS$([ "$SHAPE" = conns ] && echo " holders=$HOLDERS")"
  echo "curl_runs=$run_batches"
  echo "client_requests=$(wc -l < "$WORK/client-results.txt")"
  squid_info "$ALOG" "$TL0" "$([ $CUT -eq 1 ] && echo "$TL1")"
  ALOG="$WORK/access-captured.log"
  echo "squid_connect=$(awk '$6 == "CONNECT"' "$ALOG" | wc -l) connect_bytes=$(awk '$6 == "CONNECT" {s += $5} END {printf "%d", s}' "$ALOG") all_bytes=$(awk '{s += $5} END {printf "%d", s}' "$ALOG")"
  echo "failures_sent=$(cat "$WORK/fail-sent.txt")"
  echo "tcpdump_dropped=${DROPS:-0}"
  echo "made=$(date -u +%Y-%m-%dT%H:%M:%SZ) by bench/make-shape.sh --shape $SHAPE --size $SIZE_MB"
} > "$OUT.info"
cp "$ALOG" "$OUT.access.log" 2>/dev/null
log "wrote $OUT ($(( fsize / 1000000 )) MB) and $OUT.info:"
sed 's/^/  /' "$OUT.info"
exit 0
}
