#!/usr/bin/env bash
# Azurite, Microsoft's Azure Storage emulator (blob service only), on 127.0.0.1:10000 for the
# tests of the azure:// destination. Installed with npm outside the project's package graph
# (npm install -g) when missing.
#
#   tools/servers/azurite.sh start   install if missing, start (or find running), print the env
#   tools/servers/azurite.sh stop    stop it and delete its data
#   tools/servers/azurite.sh halt    stop it, keep its data (a later start serves it again)
#
# BACKUP_AZURITE_PORT and BACKUP_AZURITE_DIR run a second, private instance (the test of a
# server stopped mid-pass halts and restarts its own, not the shared one).
#   tools/servers/azurite.sh env     print the environment variables for the tests
set -euo pipefail

DIR=${BACKUP_AZURITE_DIR:-/tmp/backup-azurite}
PORT=${BACKUP_AZURITE_PORT:-10000}
VERSION=3.37.0
# Azurite's well-known development account (public, documented by Microsoft; emulator only).
ACCOUNT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

print_env() {
  echo "export AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};BlobEndpoint=http://127.0.0.1:${PORT}/${ACCOUNT};'"
}

answering() {
  curl -s -o /dev/null -m 2 "http://127.0.0.1:${PORT}/${ACCOUNT}?comp=list" 2>/dev/null
}

start() {
  if answering; then print_env; return 0; fi
  if ! command -v azurite-blob >/dev/null 2>&1; then
    echo "azurite.sh: installing azurite@${VERSION} (npm install -g)" >&2
    npm install -g "azurite@${VERSION}" >/dev/null 2>&1
  fi
  mkdir -p "$DIR"
  nohup azurite-blob --blobHost 127.0.0.1 --blobPort "$PORT" --location "$DIR" \
    --skipApiVersionCheck --loose >"$DIR/azurite.log" 2>&1 &
  echo $! >"$DIR/pid"
  for _ in $(seq 60); do answering && break; sleep 0.5; done
  if ! answering; then
    echo "azurite.sh: Azurite did not answer on 127.0.0.1:$PORT within 30 s; see $DIR/azurite.log" >&2
    exit 1
  fi
  print_env
}

halt() {
  # Only if that pid is still Azurite (node running azurite-blob), never a reused pid.
  if [ -f "$DIR/pid" ] && grep -q azurite "/proc/$(cat "$DIR/pid")/cmdline" 2>/dev/null; then
    local pid
    pid=$(cat "$DIR/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
  fi
  rm -f "$DIR/pid"
}

stop() {
  halt
  rm -rf "$DIR"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
halt) halt ;;
env) print_env ;;
*) echo "usage: $0 start|stop|halt|env" >&2; exit 2 ;;
esac
