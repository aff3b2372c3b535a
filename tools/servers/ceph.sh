#!/usr/bin/env bash
# A one-node Ceph cluster with its S3 gateway (RADOS Gateway) on 127.0.0.1, for the tests and
# benchmarks of the s3:// destination. Installs Debian's packages when missing.
#
#   tools/servers/ceph.sh start   install if missing, start (or find running), print the env to use
#   tools/servers/ceph.sh stop    stop it and delete its data (memstore: it lives in memory anyway)
#   tools/servers/ceph.sh env     print the environment variables for the tests
#   tools/servers/ceph.sh rgw-stop | rgw-start   stop or start the gateway alone (the cluster and
#                                 its data stay): the tests of a server down in the middle of a pass
#
# One monitor (v1:127.0.0.1:${MON_PORT}), one OSD on memstore (nothing on disk), pool size 1, no cephx
# (auth none, crc on the wire), RGW's beast frontend on 127.0.0.1:${BACKUP_CEPH_PORT:-7480}, and
# one S3 user with a fixed access key and secret (test credentials, reachable from this host only).
set -euo pipefail

DIR=${BACKUP_CEPH_DIR:-/tmp/backup-ceph}
PORT=${BACKUP_CEPH_PORT:-7480}
MON_PORT=${BACKUP_CEPH_MON_PORT:-6789}
ACCESS_KEY=backuptestkey
SECRET_KEY=backuptestsecret
CONF="$DIR/ceph.conf"

print_env() {
  echo "export AWS_ENDPOINT_URL=http://127.0.0.1:${PORT}"
  echo "export AWS_ACCESS_KEY_ID=${ACCESS_KEY}"
  echo "export AWS_SECRET_ACCESS_KEY=${SECRET_KEY}"
  echo "export AWS_REGION=us-east-1"
}

answering() {
  # Any HTTP answer (an anonymous ListBuckets is fine) means RGW serves.
  curl -s -o /dev/null -m 2 "http://127.0.0.1:${PORT}/" 2>/dev/null
}

# The test user's signed ListBuckets succeeds: the gateway serves and knows the credentials.
serving() {
  local empty_sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
  [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' -H "x-amz-content-sha256: $empty_sha" \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "${ACCESS_KEY}:${SECRET_KEY}" \
    "http://127.0.0.1:${PORT}/" 2>/dev/null)" = 200 ]
}

# On a failed step: say which, and show the end of the setup log (CI prints it).
failed_step() {
  echo "ceph.sh: failed at line $1: $2" >&2
  [ -f "$DIR/log/setup.log" ] && tail -n 15 "$DIR/log/setup.log" | sed 's/^/ceph.sh:   /' >&2
  exit 1
}

install_missing() {
  local missing=()
  for cmd in radosgw ceph-mon ceph-osd; do command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd"); done
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "ceph.sh: installing radosgw ceph-mon ceph-osd curl (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  local try
  for try in 1 2 3; do
    if apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null &&
      apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
        radosgw ceph-mon ceph-osd curl >/dev/null; then
      return 0
    fi
    echo "ceph.sh: apt-get failed (try $try of 3)" >&2
    sleep 10
  done
  return 1
}

# The pid in a pid file, if that process is still one of ours (a stale file's pid may have been
# reused by another program after a reboot: never signal that one).
ours() {
  local pidfile="$DIR/run/$1.pid" pid comm
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  case "$comm" in ceph-mon | ceph-osd | radosgw) echo "$pid" ;; *) return 1 ;; esac
}

stop() {
  local pid
  for name in client.rgw.backup osd.0 mon.a; do
    pid=$(ours "$name") && kill "$pid" 2>/dev/null || true
  done
  for name in client.rgw.backup osd.0 mon.a; do
    for _ in $(seq 50); do
      ours "$name" >/dev/null || break
      sleep 0.2
    done
    pid=$(ours "$name") && kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$DIR"
}

# Frees the ports of an earlier cluster (a daemon that has not let go of its port yet would answer
# the new one's clients with the old cluster's fsid).
ports_free() {
  for _ in $(seq 50); do
    ss -ltn 2>/dev/null | grep -qE "127\.0\.0\.1:(${MON_PORT}|${PORT}) " || return 0
    sleep 0.2
  done
  echo "ceph.sh: 127.0.0.1:${MON_PORT} or :${PORT} is still in use" >&2
  return 1
}

# One attempt at a fresh cluster; run in a subshell, so a failed step ends only the attempt.
start_once() {
  trap 'failed_step $LINENO "$BASH_COMMAND"' ERR
  stop
  ports_free
  mkdir -p "$DIR"/{run,log,mon,osd}
  local fsid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$CONF" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:${MON_PORT}
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
ms mon client mode = crc
ms client mode = crc
ms cluster mode = crc
ms service mode = crc
ms bind msgr2 = false
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd objectstore = memstore
memstore device bytes = 4294967296
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
mon data = $DIR/mon/\$cluster-\$id
osd data = $DIR/osd/\$cluster-\$id
keyring = $DIR/keyring
[client.rgw.backup]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $DIR/rgw
rgw dns name = 127.0.0.1
CONF
  monmaptool --create --addv a "v1:127.0.0.1:${MON_PORT}" --fsid "$fsid" "$DIR/monmap" >/dev/null
  ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring" 2>>"$DIR/log/setup.log"
  ceph-mon -c "$CONF" -i a 2>>"$DIR/log/setup.log"
  # The OSD is registered with its own uuid, which its --mkfs then uses: with a uuid chosen by
  # --mkfs instead, the monitor sometimes answers the booting OSD "wrong fsid" and it exits (seen
  # once in six starts here).
  local id osd_uuid
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(ceph -c "$CONF" --connect-timeout 30 osd create "$osd_uuid" 2>>"$DIR/log/setup.log")
  mkdir -p "$DIR/osd/ceph-$id" "$DIR/rgw"
  ceph-osd -c "$CONF" -i "$id" --mkfs --osd-uuid "$osd_uuid" 2>>"$DIR/log/setup.log" >/dev/null
  ceph-osd -c "$CONF" -i "$id" 2>>"$DIR/log/setup.log"
  radosgw -c "$CONF" -n client.rgw.backup 2>>"$DIR/log/setup.log"
  for _ in $(seq 120); do answering && break; sleep 0.5; done
  if ! answering; then
    echo "ceph.sh: RGW did not answer on 127.0.0.1:$PORT within 60 s; see $DIR/log" >&2
    exit 1
  fi
  # The user, until a signed request with its keys succeeds (the cluster may still be settling).
  for _ in $(seq 30); do
    radosgw-admin -c "$CONF" -n client.rgw.backup user create --uid=backup --display-name=backup \
      --access-key="$ACCESS_KEY" --secret="$SECRET_KEY" >/dev/null 2>>"$DIR/log/setup.log" || true
    serving && break
    sleep 2
  done
  if ! serving; then
    echo "ceph.sh: RGW answers on 127.0.0.1:$PORT but refuses the test user's keys; see $DIR/log" >&2
    exit 1
  fi
}

start() {
  if serving; then print_env; return 0; fi
  install_missing
  local try
  for try in 1 2 3; do
    if (start_once); then
      print_env
      return 0
    fi
    echo "ceph.sh: start attempt $try of 3 failed" >&2
  done
  stop
  return 1
}

rgw_stop() {
  local pid
  pid=$(ours client.rgw.backup) || return 0
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$DIR/run/client.rgw.backup.pid" "$DIR/run/client.rgw.backup.asok"
}

rgw_start() {
  answering && return 0
  radosgw -c "$CONF" -n client.rgw.backup 2>>"$DIR/log/setup.log"
  for _ in $(seq 120); do answering && return 0; sleep 0.5; done
  echo "ceph.sh: RGW did not answer again within 60 s; see $DIR/log" >&2
  exit 1
}

case "${1:-}" in
start) start ;;
rgw-stop) rgw_stop ;;
rgw-start) rgw_start ;;
stop) stop ;;
env) print_env ;;
*) echo "usage: $0 start|stop|env|rgw-stop|rgw-start" >&2; exit 2 ;;
esac
