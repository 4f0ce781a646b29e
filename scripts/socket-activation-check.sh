#!/usr/bin/env bash
# Starts the built fvd exactly as the shipped units do, without systemd as PID 1: systemd's own
# `systemd-socket-activate` listens on the socket (mode, group and directory mode from
# systemd/fvd.socket) and hands it to the ExecStart= line of systemd/fvd.service as fd 3 on the
# first connection; fvd runs as an unprivileged uid with HOME=/, no XDG_* variables, the unit's
# UMask= and CACHE_DIRECTORY, as the unit runs it. Then three users try it:
#   - a member of the socket's group is served (status, then a small render, which is cached);
#   - a second member (another uid) is served by the same daemon;
#   - a uid outside the group is refused, told which group to ask for.
# Prints PASS or FAIL with the reason; exits 0 only on PASS. Needs root (to act as other uids),
# systemd-socket-activate (Debian's systemd package) and setpriv (util-linux).
#   scripts/socket-activation-check.sh [FVD_BINARY FVCTL_BINARY WEIGHTS]
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
fvd=${1:-$root/.build/release/fvd}
fvctl=${2:-$root/.build/release/fvctl}
weights=${3:-$root/weights/vgg16.fvw}

fail() { echo "socket activation: FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "run as root (it acts as several uids)"
command -v systemd-socket-activate >/dev/null || fail "systemd-socket-activate not found (apt-get install systemd)"
command -v setpriv >/dev/null || fail "setpriv not found (apt-get install util-linux)"
for f in "$fvd" "$fvctl"; do [ -x "$f" ] || fail "$f is not built (swift build -c release)"; done
[ -r "$weights" ] || fail "no weights at $weights (scripts/setup.sh)"

# Numeric ids that name nobody on a test machine: the service's user, the socket's group, two
# members, one outsider.
svc=${FVD_CHECK_UID_BASE:-61000}
group=$svc; daemon_uid=$((svc + 1)); alice=$((svc + 2)); bob=$((svc + 3)); eve=$((svc + 4))

# What the units say.
unit_value() { sed -n "s/^$2=//p" "systemd/$1" | tail -1; }
exec_start=$(unit_value fvd.service ExecStart)
umask_value=$(unit_value fvd.service UMask)
socket_mode=$(unit_value fvd.socket SocketMode)
dir_mode=$(unit_value fvd.socket DirectoryMode)
cache_mode=$(unit_value fvd.service CacheDirectoryMode)
[ -n "$exec_start" ] && [ -n "$socket_mode" ] || fail "cannot read ExecStart= or SocketMode= from systemd/"
FVD_OPTIONS=""
# shellcheck disable=SC1091
. systemd/fvd.default

work=$(mktemp -d /tmp/fvd-socket-activation-XXXXXX)
chmod 0755 "$work"
activator=""
cleanup() {
  [ -n "$activator" ] && kill "$activator" 2>/dev/null
  pkill -u "$daemon_uid" -f "$fvd" 2>/dev/null
  sleep 0.2
  rm -rf "$work"
}
trap cleanup EXIT
# RuntimeDirectory as systemd makes it for the socket (DirectoryMode=), the cache as
# CacheDirectory= makes it (owned by the service's user), and a place each client may write.
install -d -m "$dir_mode" "$work/run/fvd"
install -d -m "$cache_mode" -o "$daemon_uid" -g "$group" "$work/cache"
for u in $alice $bob $eve; do install -d -m 0700 -o "$u" -g "$u" "$work/home-$u"; done
# Copies of the binaries and weights in a directory every uid may read, as `make install` puts
# them: the build tree may sit below a directory the service's uid cannot enter.
install -d -m 0755 "$work/bin" "$work/share"
install -m 0755 "$fvd" "$work/bin/fvd" && install -m 0755 "$fvctl" "$work/bin/fvctl" \
  && install -m 0644 "$weights" "$work/share/vgg16.fvw" || fail "cannot copy the binaries and weights to $work"
fvd=$work/bin/fvd; fvctl=$work/bin/fvctl; weights=$work/share/vgg16.fvw
sock="$work/run/fvd/fvd.sock"
log="$work/fvd.log"
# The installed paths the unit names, pointed at this build; $FVD_OPTIONS as systemd expands it.
command_line=${exec_start//\/usr\/local\/bin\/fvd/$fvd}
command_line=${command_line//\/usr\/local\/share\/fvd\/vgg16.fvw/$weights}
command_line=${command_line//\$FVD_OPTIONS/$FVD_OPTIONS}
read -r -a argv <<<"$command_line"

had_home_state=$(ls -d /.fvd /.cache/fvd 2>/dev/null)

# The service's environment: nothing but what systemd gives a system service.
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ LANG=C.UTF-8 \
  systemd-socket-activate -l "$sock" -E CACHE_DIRECTORY="$work/cache" \
  setpriv --reuid="$daemon_uid" --regid="$group" --clear-groups \
  /bin/sh -c "umask $umask_value && exec \"\$@\"" fvd-unit "${argv[@]}" >"$log" 2>&1 &
activator=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || fail "systemd-socket-activate did not create $sock: $(cat "$log")"
# SocketUser=root, SocketGroup=, SocketMode= as systemd applies them.
chown "root:$group" "$sock"
chmod "$socket_mode" "$sock"

# as UID [GROUPS] -- fvctl ARGS: a client's session, in its own directory.
as() {
  local uid=$1 groups=(--clear-groups); shift
  [ -n "$1" ] && groups=(--groups="$1"); shift
  (cd "$work/home-$uid" && env -i PATH=/usr/bin:/bin HOME="$work/home-$uid" \
    setpriv --reuid="$uid" --regid="$uid" "${groups[@]}" "$fvctl" "$@")
}

out=$(as "$alice" "$group" status --socket "$sock" --no-start --json 2>&1) \
  || fail "the first client (uid $alice, in the socket's group) was not served: $out; fvd's log: $(cat "$log")"
case "$out" in *'"version"'*) ;; *) fail "status answered without a version: $out" ;; esac
echo "first answer under socket activation (uid $alice): $out"
out=$(as "$alice" "$group" pattern block1_conv1 3 --size 16 --steps 2 --socket "$sock" --no-start -o "$work/home-$alice/r.png" 2>&1) \
  || fail "a render for uid $alice failed: $out; fvd's log: $(cat "$log")"
[ -s "$work/home-$alice/r.png" ] || fail "the render wrote no picture: $out"
out=$(as "$bob" "$group" status --socket "$sock" --no-start 2>&1) \
  || fail "a second member (uid $bob) was not served: $out"
out=$(as "$eve" "" status --socket "$sock" --no-start 2>&1)
status=$?
[ "$status" -eq 3 ] || fail "a uid outside the group (uid $eve) got exit $status, not 3: $out"
case "$out" in *"not in group $group"*) ;; *) fail "the outsider was not told which group to ask for: $out" ;; esac
echo "outsider (uid $eve): $out"

# The daemon: one process, still serving, that used the passed socket, wrote its cache where
# the unit says, and touched nothing under HOME=/.
pgrep -u "$daemon_uid" -f "$fvd" >/dev/null || fail "fvd is not running after the clients: $(cat "$log")"
grep -q "listening on the socket systemd passed" "$log" || fail "fvd did not say it used the passed socket: $(cat "$log")"
grep -q " error: " "$log" && fail "fvd logged an error: $(grep " error: " "$log")"
ls "$work/cache" | grep -q . || fail "nothing was cached in CACHE_DIRECTORY ($work/cache): $(cat "$log")"
[ "$(ls -d /.fvd /.cache/fvd 2>/dev/null)" = "$had_home_state" ] || fail "fvd created state under HOME=/ ($(ls -d /.fvd /.cache/fvd 2>/dev/null))"
echo "socket activation: PASS (fvd as uid $daemon_uid from the unit's ExecStart=, socket $socket_mode group $group)"
