#!/usr/bin/env bash
# Stops the broker started by up.sh (and the schema registry, when registry.sh started one).
# With --clean, also deletes its data (topics, offsets).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
STACK_DIR=${LOCAL_STACK_DIR:-$root/.local-stack}
pidfile="$STACK_DIR/kafka.pid"
say() { printf '[local-stack] %s\n' "$*" >&2; }

if [ -f "$pidfile" ] && pid=$(cat "$pidfile") && kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then say "Kafka did not stop in 20 s; killing it"; kill -9 "$pid"; fi
  say "Kafka stopped"
else
  say "Kafka is not running (nothing to stop)"
fi
rm -f "$pidfile"
if [ -f "$STACK_DIR/registry-${LOCAL_REGISTRY_PORT:-18081}.pid" ]; then bash "$here/registry.sh" down; fi
if [ "${1:-}" = "--clean" ]; then
  rm -rf "$STACK_DIR/data"
  say "data deleted"
fi
