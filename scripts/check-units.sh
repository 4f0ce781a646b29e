#!/usr/bin/env bash
# Checks the systemd units: `systemd-analyze verify` on both (with ExecStart pointed at the
# built binary, so this works before `make install`), prints the service's exposure score
# from `systemd-analyze security`, and, as root, starts fvd as the units do
# (scripts/socket-activation-check.sh): FAIL when it does not serve.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v systemd-analyze >/dev/null || { echo "check-units: systemd-analyze not installed (apt-get install systemd)"; exit 1; }
fvd="$(pwd)/.build/release/fvd"
[ -x "$fvd" ] || { echo "check-units: build first (swift build -c release)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp systemd/fvd.socket "$tmp/fvd.socket"
sed "s|/usr/local/bin/fvd|$fvd|" systemd/fvd.service > "$tmp/fvd.service"
SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$tmp/fvd.socket" "$tmp/fvd.service"
echo "systemd-analyze verify: OK"
if systemd-analyze security --offline=true "$tmp/fvd.service" > "$tmp/security.txt" 2>&1; then :; fi
grep -E "Overall exposure level" "$tmp/security.txt" || tail -3 "$tmp/security.txt"
# The units' real use: fvd started through socket activation, as the unit starts it, serving
# members of the socket's group and refusing others.
if [ "$(id -u)" -eq 0 ]; then
  scripts/socket-activation-check.sh || { echo "check-units: FAIL (socket activation)"; exit 1; }
else
  echo "socket activation: not checked (run as root: it acts as the service's and the clients' uids)"
fi
