#!/usr/bin/env bash
# Installs what why502 needs to build, test, fuzz and benchmark on Debian 12.
# Idempotent: packages already present are skipped, so a second run costs seconds.
# Usage: scripts/install-deps.sh [--build-only]
set -euo pipefail

build_pkgs=(gcc make cmake pkg-config libpcap-dev libssl-dev libcmocka-dev libnghttp2-dev)
test_pkgs=(clang libclang-rt-14-dev tcpdump tshark iproute2 iptables squid nginx-light libnginx-mod-stream
           dnsmasq-base unbound curl openssl python3 procps hyperfine time ethtool
           haproxy apache2 caddy mitmproxy varnish python3-h2 chromium)

pkgs=("${build_pkgs[@]}")
[ "${1:-}" = "--build-only" ] || pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "install-deps: all ${#pkgs[@]} packages present"; exit 0; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
# policy-rc.d keeps Debian's packaged services (squid, nginx) from starting at install:
# the lab starts its own instances inside network namespaces.
restore_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  restore_policy=1
fi
trap '[ $restore_policy -eq 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
