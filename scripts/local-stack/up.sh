#!/usr/bin/env bash
# Starts a real single-node Apache Kafka (KRaft, combined broker+controller) on 127.0.0.1:9092
# from the jars on Maven Central, run on the machine's JDK. No Docker.
# Idempotent: a running broker is left alone; jars and data are cached under .local-stack/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
KAFKA_VERSION=${LOCAL_KAFKA_VERSION:-4.4.0}
STACK_DIR=${LOCAL_STACK_DIR:-$root/.local-stack}
HOST=127.0.0.1
PORT=${LOCAL_KAFKA_PORT:-9092}
CONTROLLER_PORT=${LOCAL_KAFKA_CONTROLLER_PORT:-9093}
READY_TIMEOUT=${LOCAL_KAFKA_READY_TIMEOUT:-90}

kafka_home="$STACK_DIR/kafka-$KAFKA_VERSION"
libs="$kafka_home/libs"
data="$STACK_DIR/data/kafka-$KAFKA_VERSION"
pidfile="$STACK_DIR/kafka.pid"
logfile="$STACK_DIR/kafka.log"

say() { printf '[local-stack] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# Extra services beside the plaintext broker, one flag each; each runs after the broker is up.
extras=()
for arg in "$@"; do
  case "$arg" in
    --secure) extras+=("$here/secure-broker.sh") ;;  # a second broker: SASL_SSL, ACLs (secure-broker.sh)
    *) die "unknown option: $arg (known: --secure)" ;;
  esac
done
if [ ${#extras[@]} -gt 0 ]; then
  bash "$0"
  for extra in "${extras[@]}"; do bash "$extra"; done
  exit 0
fi

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid; pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

mkdir -p "$STACK_DIR"

if pid=$(running_pid) && port_open "$PORT"; then
  say "Kafka $KAFKA_VERSION already running (pid $pid) on $HOST:$PORT"
  exit 0
fi
if port_open "$PORT" && ! running_pid >/dev/null; then
  say "something else already listens on $HOST:$PORT; using it as the broker (not started by this script)"
  exit 0
fi

command -v java >/dev/null 2>&1 || die "Java is not installed. Kafka $KAFKA_VERSION needs a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless)."
java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1)
[ "${java_major:-0}" -ge 17 ] || die "Kafka $KAFKA_VERSION needs Java 17 or newer; 'java' is version ${java_major:-unknown}. Set JAVA_HOME or put a newer java first on PATH."

# 1. Jars: resolved once from Maven Central with Maven, then cached.
if [ ! -f "$libs/.complete" ]; then
  command -v mvn >/dev/null 2>&1 || die "Maven is not installed; it is needed once to fetch the Kafka jars (Debian: apt-get install maven)."
  say "fetching Kafka $KAFKA_VERSION jars with Maven (first start only)…"
  rm -rf "$libs"; mkdir -p "$libs"
  mvn -q -B -f "$here/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2 \
    || die "Maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its dependencies"
  touch "$libs/.complete"
fi

# 2. Config: written every start, so a change to this script takes effect.
mkdir -p "$data"
conf="$kafka_home/server.properties"
cat > "$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=3
auto.create.topics.enable=false
# A single node: every internal topic has one replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
# Tests create and join many groups; do not wait 3 s for more members on each.
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=67108864
message.max.bytes=16777216
replica.fetch.max.bytes=16777216
PROPS
cat > "$kafka_home/log4j2.properties" <<'L4J'
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
L4J

cp_arg="$libs/*"
jvm_opts=(-Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  -Dkafka.logs.dir="$STACK_DIR" -Dlog4j2.configurationFile="$kafka_home/log4j2.properties")

# 3. Format the KRaft storage once.
if [ ! -f "$data/meta.properties" ]; then
  cluster_id=$(java -cp "$cp_arg" "${jvm_opts[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
  [ -n "$cluster_id" ] || die "could not generate a cluster id with kafka.tools.StorageTool"
  java -cp "$cp_arg" "${jvm_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" >&2 \
    || die "formatting the KRaft storage in $data failed"
fi

# 4. Start and wait until the broker answers.
say "starting Kafka $KAFKA_VERSION (KRaft) on $HOST:$PORT; log: $logfile"
: > "$logfile"
nohup java -cp "$cp_arg" "${jvm_opts[@]}" kafka.Kafka "$conf" >"$STACK_DIR/kafka.stdout" 2>&1 &
echo $! > "$pidfile"

deadline=$((SECONDS + READY_TIMEOUT))
until port_open "$PORT" && grep -q "Kafka Server started" "$logfile" 2>/dev/null; do
  if ! running_pid >/dev/null; then
    tail -n 30 "$STACK_DIR/kafka.stdout" "$logfile" >&2 || true
    die "Kafka exited during start (see $logfile)"
  fi
  [ $SECONDS -lt $deadline ] || die "Kafka did not become ready within ${READY_TIMEOUT}s (see $logfile)"
  sleep 0.3
done
say "Kafka $KAFKA_VERSION ready on $HOST:$PORT (pid $(cat "$pidfile"))"
