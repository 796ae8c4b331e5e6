#!/usr/bin/env bash
# Stops the broker started by up.sh. With --clean, also deletes its data (topics, offsets).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
STACK_DIR=${LOCAL_STACK_DIR:-$root/.local-stack}
pidfile="$STACK_DIR/kafka.pid"
say() { printf '[local-stack] %s\n' "$*" >&2; }

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

if [ -f "$pidfile" ] && pid=$(cat "$pidfile") && kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then say "Kafka did not stop in 20 s; killing it"; kill -9 "$pid"; fi
  say "Kafka stopped"
else
  say "Kafka is not running (nothing to stop)"
fi
rm -f "$pidfile"
if [ $clean = 1 ]; then
  rm -rf "$STACK_DIR/data"
  say "data deleted"
fi
