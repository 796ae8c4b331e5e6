#!/usr/bin/env bash
# Stops the broker started by up.sh (and the schema registry, when registry.sh started one).
# With --clean, also deletes its data (topics, offsets).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
STACK_DIR=${LOCAL_STACK_DIR:-$root/.local-stack}
pidfile="$STACK_DIR/kafka.pid"
. "$here/lib.sh"

# --secure stops only the secured broker (secure-broker.sh); --clean deletes the data of what stops.
clean=0; secure=0
for arg in "$@"; do
  case "$arg" in
    --clean) clean=1 ;;
    --secure) secure=1 ;;
    *) say "unknown option: $arg (known: --secure, --clean)"; exit 1 ;;
  esac
done
if [ $secure = 1 ]; then
  STACK_DIR="$STACK_DIR/secure"
  pidfile="$STACK_DIR/kafka.pid"
fi

stop_pidfile Kafka
# The schema registry that registry.sh started, with the plaintext broker.
if [ $secure = 0 ] && [ -f "$STACK_DIR/registry-${LOCAL_REGISTRY_PORT:-18081}.pid" ]; then bash "$here/registry.sh" down; fi
if [ $clean = 1 ]; then
  rm -rf "$STACK_DIR/data"
  say "data deleted"
fi
