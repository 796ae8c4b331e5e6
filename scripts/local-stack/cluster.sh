#!/usr/bin/env bash
# A real 3-node Apache Kafka cluster on 127.0.0.1 (KRaft, each node broker + controller, the three
# of them the controller quorum), from the same cached jars as up.sh, for tests that lose a broker.
#   brokers 127.0.0.1:29092, :29093, :29094   controllers :29192, :29193, :29194
#   data, logs and pids under .local-stack/cluster/node-N/
# Internal topics are replicated 3 with min ISR 2, as a production cluster would have them: the
# cluster keeps working, transactions included, with one node dead.
# The single broker of up.sh (9092) is never touched.
#
#   cluster.sh up                 starts the nodes that are not running (idempotent)
#   cluster.sh down [--clean]     stops every node (SIGTERM, SIGKILL after 20 s); --clean deletes the data
#   cluster.sh stop-node N        SIGKILLs node N (a crash: no controlled shutdown); --graceful: SIGTERM
#   cluster.sh start-node N       starts node N again and waits until it answers
#   cluster.sh status             one line per node
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
KAFKA_VERSION=${LOCAL_KAFKA_VERSION:-4.4.0}
STACK_DIR=${LOCAL_STACK_DIR:-$root/.local-stack}
HOST=127.0.0.1
BROKER_BASE=${LOCAL_CLUSTER_BROKER_PORT_BASE:-29091}          # node N: BASE + N
CONTROLLER_BASE=${LOCAL_CLUSTER_CONTROLLER_PORT_BASE:-29191}  # node N: BASE + N
HEAP=${LOCAL_CLUSTER_HEAP:-384m}
# A node waits for a quorum of controllers before it reports started, and three JVMs starting at
# once on a shared 2-core machine took over 120 s under load: give them the time.
READY_TIMEOUT=${LOCAL_KAFKA_READY_TIMEOUT:-240}
NODES=(1 2 3)

libs="$STACK_DIR/kafka-$KAFKA_VERSION/libs"
dir="$STACK_DIR/cluster"

SAY_PREFIX='[local-stack cluster]'
. "$here/lib.sh"

broker_port() { echo $((BROKER_BASE + $1)); }
controller_port() { echo $((CONTROLLER_BASE + $1)); }
node_dir() { echo "$dir/node-$1"; }
valid_node() { case "${1:-}" in 1|2|3) ;; *) die "expected a node number 1, 2 or 3, got '${1:-}'";; esac; }

voters() {
  local out="" n
  for n in "${NODES[@]}"; do out+="${out:+,}$n@$HOST:$(controller_port "$n")"; done
  echo "$out"
}

# Written every start, so a change to this script takes effect.
write_config() {
  local n=$1 nd; nd=$(node_dir "$1")
  cat > "$nd/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$(voters)
listeners=PLAINTEXT://$HOST:$(broker_port "$n"),CONTROLLER://$HOST:$(controller_port "$n")
advertised.listeners=PLAINTEXT://$HOST:$(broker_port "$n")
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
$(kafka_common_props "$nd/data" 3 2)
PROPS
}

# One cluster id for the three nodes, made once; a node's storage is formatted once with it.
format_node() {
  local n=$1 nd; nd=$(node_dir "$1")
  [ -f "$nd/data/meta.properties" ] && return 0
  local idfile="$dir/cluster.id"
  if [ ! -s "$idfile" ]; then
    java -cp "$cp_arg" "${jvm_opts[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 > "$idfile"
    [ -s "$idfile" ] || die "could not generate a cluster id with kafka.tools.StorageTool"
  fi
  local out
  out=$(java -cp "$cp_arg" "${jvm_opts[@]}" kafka.tools.StorageTool format -t "$(cat "$idfile")" -c "$nd/server.properties" 2>&1) \
    || { printf '%s\n' "$out" >&2; die "formatting the KRaft storage of node $n failed"; }
}

node_pidfile() { pidfile="$(node_dir "$1")/kafka.pid"; }

# Sets cp_arg and jvm_opts for node $1 (the heap smaller than up.sh's: three of them share 2 cores).
node_jvm() {
  local nd; nd=$(node_dir "$1")
  mkdir -p "$nd/data"
  kafka_jvm "$nd" "$nd/log4j2.properties" "$HEAP"
  local i
  for i in "${!jvm_opts[@]}"; do
    if [[ ${jvm_opts[$i]} == -Xms* ]]; then jvm_opts[$i]=-Xms128m; fi
  done
}

preflight() {
  command -v java >/dev/null 2>&1 || die "Java is not installed. Kafka $KAFKA_VERSION needs a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless)."
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1)
  [ "${major:-0}" -ge 17 ] || die "Kafka $KAFKA_VERSION needs Java 17 or newer; 'java' is version ${major:-unknown}."
  kafka_fetch_jars "$libs"
}

# Starts the given nodes side by side and waits for each: a node reports started only once a
# quorum of controllers (two of three) answers, so starting them one after another would hang.
start_nodes() {
  local n waits=() names=()
  for n in "$@"; do
    node_pidfile "$n"
    if pid=$(running_pid) && port_open "$(broker_port "$n")"; then say "node $n already running (pid $pid) on $HOST:$(broker_port "$n")"; continue; fi
    port_open "$(broker_port "$n")" && die "something else listens on $HOST:$(broker_port "$n"); node $n needs that port"
    port_open "$(controller_port "$n")" && die "something else listens on $HOST:$(controller_port "$n"); node $n's controller needs that port"
    node_jvm "$n"
    write_config "$n"
    format_node "$n"
    say "starting node $n on $HOST:$(broker_port "$n") (controller :$(controller_port "$n")); log: $(node_dir "$n")/kafka.log"
    ( kafka_start "$(node_dir "$n")/server.properties" "$(node_dir "$n")" "$pidfile" "$(broker_port "$n")" ) &
    waits+=($!); names+=("$n")
  done
  local i failed=0
  for i in "${!waits[@]}"; do
    if wait "${waits[$i]}"; then say "node ${names[$i]} ready on $HOST:$(broker_port "${names[$i]}") (pid $(cat "$(node_dir "${names[$i]}")/kafka.pid"))"
    else failed=1; fi
  done
  [ $failed = 0 ] || die "a node did not start (its kafka.log is named above)"
}

# SIGKILL by default: what a test that loses a broker needs (no controlled shutdown, no leadership handed over).
stop_node() {
  local n=$1 mode=${2:-kill}
  node_pidfile "$n"
  if [ "$mode" = graceful ]; then stop_pidfile "node $n"; return; fi
  if pid=$(running_pid); then
    kill -9 "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    say "node $n killed (SIGKILL, pid $pid)"
  else
    say "node $n is not running (nothing to kill)"
  fi
  rm -f "$pidfile"
}

cmd=${1:-}; shift || true
case "$cmd" in
  up)
    [ $# = 0 ] || die "up takes no options"
    preflight
    start_nodes "${NODES[@]}"
    say "cluster ready: $HOST:$(broker_port 1),$HOST:$(broker_port 2),$HOST:$(broker_port 3)"
    ;;
  down)
    clean=0
    for arg in "$@"; do case "$arg" in --clean) clean=1 ;; *) die "unknown option: $arg (known: --clean)" ;; esac; done
    # Side by side: a node stopping alone waits on a quorum the others are leaving too.
    for n in "${NODES[@]}"; do ( stop_node "$n" graceful ) & done
    wait
    if [ $clean = 1 ]; then rm -rf "$dir"; say "data deleted"; fi
    ;;
  stop-node)
    valid_node "${1:-}"
    case "${2:-}" in '') stop_node "$1" kill ;; --graceful) stop_node "$1" graceful ;; *) die "unknown option: $2 (known: --graceful)" ;; esac
    ;;
  start-node)
    valid_node "${1:-}"
    preflight
    start_nodes "$1"
    ;;
  status)
    for n in "${NODES[@]}"; do
      node_pidfile "$n"
      if pid=$(running_pid); then echo "node $n: running (pid $pid), broker $HOST:$(broker_port "$n")"; else echo "node $n: stopped"; fi
    done
    ;;
  *)
    die "usage: cluster.sh up | down [--clean] | stop-node N [--graceful] | start-node N | status"
    ;;
esac
