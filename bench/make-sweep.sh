#!/usr/bin/env bash
# Makes the captures of run.sh --scale: one shape at a fixed size with one knob turned, so that
# the cost of why502 can be read against that knob alone (make-shape.sh does each capture).
#
#   bench/make-sweep.sh [--size MB] [--dir DIR] [--jobs 1|2] [--tag PREFIX] [--force] [SET...]
#
#   SET      names (--names 100 400 1200 3000), outage (--fail-pct 0.01 1 10 20),
#            conns (--conns 2000 6000 12000 18000 24000), hang (--fail-pct 0.5 2 8: the share
#            of requests that wait, nginx in front), retry (--fail-pct 0.5 2 8 20: the share of
#            requests that fail, HAProxy in front, retrying), rate (the request rate: retry at
#            --parallel 8 16 32 64, hang at --parallel 16 32 64 128, the failure share left at
#            its default; the rate is what the clients get of the machine: on two cores about
#            130-500 requests a second through HAProxy, 30-110 through nginx, whose clients
#            wait on the failing requests), fetch, balance, resolve (--fail-pct 2 20: the share
#            of requests that fail through Varnish, Caddy and Apache); default: all nine, in
#            that order
#   --size   MB of each capture (default 100). A conns capture grows past it: the held
#            connections are opened (and the slow downloads run) before the size is looked at
#   --dir    where the captures go (default bench/out/sweep): DIR/SHAPE-KNOB.pcap, .info, .log
#            (the rate set: DIR/rate-SHAPE-CLIENTS.pcap, and its .info ends with sweep=rate, by
#            which run.sh --scale reads the set's cost against the request rate)
#   --jobs   captures made at once (default 1; 2 is safe on 2 cores: tcpdump drops nothing);
#            the rate set's are made one at a time whatever it says
#   --tag    namespace tags are PREFIX0, PREFIX1, ... (default sw: w5b-sw0-gw, ...)
#   --force  make a capture again even when DIR/SHAPE-KNOB.pcap and its .info exist
#
# Prints one line per capture (made, kept, failed: see its .log beside it). Exit 0 when every
# capture exists at the end, 1 otherwise.
# The whole script is one block, read before it runs (as make-shape.sh): editing the file while
# a sweep runs (the rate set alone takes some ten minutes) cannot change what that run does.
{
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SIZE=100
DIR="$HERE/out/sweep"
JOBS=1
PREFIX=sw
FORCE=0
SETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE="${2:-}"; shift 2 ;;
    --dir) DIR="${2:-}"; shift 2 ;;
    --jobs) JOBS="${2:-}"; shift 2 ;;
    --tag) PREFIX="${2:-}"; shift 2 ;;
    --force) FORCE=1; shift ;;
    names|outage|conns|hang|retry|rate|fetch|balance|resolve) SETS+=("$1"); shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "make-sweep: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
[[ "$SIZE" =~ ^[0-9]+$ ]] && [ "$SIZE" -gt 0 ] || { echo "make-sweep: --size wants MB" >&2; exit 2; }
[[ "$JOBS" =~ ^[12]$ ]] || { echo "make-sweep: --jobs wants 1 or 2" >&2; exit 2; }
[[ "$PREFIX" =~ ^[a-z0-9]{1,5}$ ]] || { echo "make-sweep: --tag wants 1..5 of a-z0-9" >&2; exit 2; }
[ ${#SETS[@]} -gt 0 ] || SETS=(names outage conns hang retry rate fetch balance resolve)
mkdir -p "$DIR" || exit 1
DIR="$(realpath "$DIR")"

# one line per capture: NAME SHAPE OPTION VALUE TAG (NAME: the file's, without .pcap)
list() {
  local i=0 s v
  for s in "${SETS[@]}"; do
    case "$s" in
      names) for v in 100 400 1200 3000; do echo "names-$v names --names $v $PREFIX$i"; i=$((i + 1)); done ;;
      outage) for v in 0.01 1 10 20; do echo "outage-$v outage --fail-pct $v $PREFIX$i"; i=$((i + 1)); done ;;
      conns) for v in 2000 6000 12000 18000 24000; do echo "conns-$v conns --conns $v $PREFIX$i"; i=$((i + 1)); done ;;
      hang) for v in 0.5 2 8; do echo "hang-$v hang --fail-pct $v $PREFIX$i"; i=$((i + 1)); done ;;
      retry) for v in 0.5 2 8 20; do echo "retry-$v retry --fail-pct $v $PREFIX$i"; i=$((i + 1)); done ;;
      rate)
        for v in 8 16 32 64; do echo "rate-retry-$v retry --parallel $v $PREFIX$i"; i=$((i + 1)); done
        for v in 16 32 64 128; do echo "rate-hang-$v hang --parallel $v $PREFIX$i"; i=$((i + 1)); done ;;
      fetch|balance|resolve) for v in 2 20; do echo "$s-$v $s --fail-pct $v $PREFIX$i"; i=$((i + 1)); done ;;
    esac
  done
}
one() { # one NAME SHAPE OPTION VALUE TAG
  local f="$DIR/$1.pcap" t0=$SECONDS rc
  if [ $FORCE -eq 0 ] && [ -s "$f" ] && [ -s "$f.info" ]; then echo "kept   $f"; return 0; fi
  "$HERE/make-shape.sh" --shape "$2" --size "$SIZE" --tag "$5" --out "$f" "$3" "$4" \
    > "$DIR/$1.log" 2>&1 < /dev/null
  rc=$?
  if [ $rc -eq 0 ] && [ "${1%%-*}" = rate ]; then
    echo "sweep=rate" >> "$f.info" || rc=1
  fi
  if [ $rc -eq 0 ]; then echo "made   $f ($(( $(stat -c %s "$f") / 1000000 )) MB, $(( SECONDS - t0 )) s)"
  else echo "FAILED $f (exit $rc, $(( SECONDS - t0 )) s): $(tail -1 "$DIR/$1.log")"; fi
  return $rc
}
export -f one
export HERE DIR SIZE FORCE
# the rate set's captures one at a time, after the others: the rate is what the machine's free
# cores give the clients, and a capture made beside another would have less
list | grep -v '^rate-' | xargs -r -P "$JOBS" -L 1 bash -c 'one "$@"' one
list | grep '^rate-' | xargs -r -P 1 -L 1 bash -c 'one "$@"' one
ok=1
while read -r name _; do [ -s "$DIR/$name.pcap" ] || ok=0; done < <(list)
[ $ok -eq 1 ]
exit $?
}
