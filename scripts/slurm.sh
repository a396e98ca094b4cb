#!/usr/bin/env bash
# A single-node SLURM cluster on this machine for the test suite: `scripts/slurm.sh start|stop`.
# Installs Debian's slurm-wlm and munge when missing; slurmctld and slurmd listen on loopback.
# No accounting daemon: openboard reads job states with scontrol, which needs none.
set -euo pipefail
STATE="${OPENBOARD_SLURM_DIR:-/tmp/openboard-test-slurm}"
CONF_DIR=/etc/slurm

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

install() {
  if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    echo "installing SLURM (Debian packages slurm-wlm, munge)" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq slurm-wlm munge >/dev/null
  fi
}

configure() {
  local host cpus memory
  host="$(hostname -s)"
  cpus="$(nproc)"
  memory="$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))"
  $SUDO mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/d" /run/munge /var/log/munge /var/lib/munge
  $SUDO tee "$CONF_DIR/slurm.conf" >/dev/null <<CONF
ClusterName=openboard
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=${STATE}/ctld
SlurmdSpoolDir=${STATE}/d
SlurmctldPidFile=${STATE}/slurmctld.pid
SlurmdPidFile=${STATE}/slurmd.pid
SlurmctldLogFile=${STATE}/slurmctld.log
SlurmdLogFile=${STATE}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
InactiveLimit=0
KillWait=5
OverTimeLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  if [ ! -s /etc/munge/munge.key ]; then
    $SUDO mkdir -p /etc/munge
    $SUDO dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  if id munge >/dev/null 2>&1; then
    $SUDO chown -R munge: /etc/munge /run/munge /var/log/munge /var/lib/munge
  fi
  $SUDO chmod 400 /etc/munge/munge.key
}

start() {
  install
  configure
  if ! pgrep -x munged >/dev/null; then
    if id munge >/dev/null 2>&1; then $SUDO runuser -u munge -- munged --force; else $SUDO munged --force; fi
  fi
  pgrep -x slurmctld >/dev/null || $SUDO slurmctld
  pgrep -x slurmd >/dev/null || $SUDO slurmd
  for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      return 0
    fi
    $SUDO scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 || true
    sleep 1
  done
  echo "SLURM did not come up; see $STATE/slurmctld.log and $STATE/slurmd.log" >&2
  exit 1
}

stop() {
  $SUDO pkill -x slurmd || true
  $SUDO pkill -x slurmctld || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
