#!/bin/bash
# A one-machine Slurm cluster for trying and testing `fvctl atlas --slurm` (docs/ATLAS.md):
#   scripts/slurm-local.sh start    installs Debian's slurm-wlm and munge if missing, then starts
#                                   munged, slurmctld and slurmd with a config for this machine
#   scripts/slurm-local.sh stop     stops the three daemons this script started
#   scripts/slurm-local.sh status   sinfo
# Runs as root, without cgroups (proctrack/linuxproc, task/none) and without an accounting
# database, which is what these machines allow. Not for a real cluster: its admins have one.
set -eu

state=/run/fvd-slurm-local
conf=/etc/slurm/slurm.conf

need_root() {
    if [ "$(id -u)" != 0 ]; then echo "slurm-local.sh: run as root (it installs packages and starts system daemons)" >&2; exit 1; fi
}

install_if_missing() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null && command -v sbatch >/dev/null; then
        return
    fi
    echo "slurm-local.sh: installing slurm-wlm and munge from Debian" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
}

# Starts a daemon with no descriptor of ours but /dev/null on 0-2. Daemons keep what they
# inherit for their whole life: munged kept the socket by which the Swift tests' Process waits
# for this script, and CI waited on it for 90 minutes. Their logs go to their own files.
detached() {
    (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
        done
        exec "$@" </dev/null >/dev/null 2>&1
    )
}

start_munge() {
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
    mkdir -p /etc/munge /var/lib/munge /run/munge /var/log/munge
    if [ ! -s /etc/munge/munge.key ]; then
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    fi
    chown -R munge:munge /etc/munge /var/lib/munge /run/munge /var/log/munge
    chmod 0400 /etc/munge/munge.key
    chmod 0700 /etc/munge
    detached su -s /bin/sh munge -c /usr/sbin/munged
    for _ in $(seq 50); do
        if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
        sleep 0.1
    done
    echo "slurm-local.sh: munged did not start (see /var/log/munge/munged.log)" >&2
    exit 1
}

write_config() {
    local host cpus mem
    host=$(hostname -s)
    cpus=$(nproc)
    # A little under what the machine has, as Slurm wants.
    mem=$(( $(free -m | awk '/^Mem:/ {print $2}') * 9 / 10 ))
    mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
    cat > "$conf" <<EOF
# Written by fvd's scripts/slurm-local.sh: a one-machine cluster (see ../shared/SLURM.md).
ClusterName=fvdlocal
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
    need_root
    install_if_missing
    mkdir -p "$state"
    start_munge
    if sinfo -h >/dev/null 2>&1; then echo "slurm-local.sh: a cluster already answers" >&2; sinfo; return; fi
    write_config
    detached slurmctld
    sleep 1
    detached slurmd
    for _ in $(seq 100); do
        if sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
            pgrep -x slurmctld > "$state/slurmctld.pid" || true
            pgrep -x slurmd > "$state/slurmd.pid" || true
            pgrep -x munged > "$state/munged.pid" || true
            sinfo
            return
        fi
        sleep 0.2
    done
    echo "slurm-local.sh: the node did not come up idle; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
    sinfo >&2 || true
    exit 1
}

stop() {
    need_root
    scancel --user=root >/dev/null 2>&1 || true
    for d in slurmd slurmctld munged; do
        # Every pid the file names (pgrep may have listed a daemon's exiting parent too).
        # shellcheck disable=SC2046
        if [ -s "$state/$d.pid" ]; then kill $(cat "$state/$d.pid") 2>/dev/null || true; fi
        rm -f "$state/$d.pid"
    done
    # Wait for them to go, so that a following start finds the ports free.
    for _ in $(seq 50); do
        pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null || break
        sleep 0.1
    done
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) sinfo ;;
    *) echo "usage: scripts/slurm-local.sh start|stop|status" >&2; exit 64 ;;
esac
