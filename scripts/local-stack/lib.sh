# Shared by the local-stack scripts (up.sh, secure-broker.sh, registry.sh, down.sh); sourced
# after they set here (and, for the broker functions, KAFKA_VERSION and READY_TIMEOUT).

# A script may set its own prefix before sourcing (secure-broker.sh says which broker).
say() { printf '%s %s\n' "${SAY_PREFIX:-[local-stack]}" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The pid in $pidfile, when that process is alive.
running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid; pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Stops the process in $pidfile (TERM, then KILL after 20 s) and removes the file; $1 names it.
stop_pidfile() {
  local pid
  if pid=$(running_pid); then
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then say "$1 did not stop in 20 s; killing it"; kill -9 "$pid"; fi
    say "$1 stopped"
  else
    say "$1 is not running (nothing to stop)"
  fi
  rm -f "$pidfile"
}

# The jars, resolved once from Maven Central with Maven, then cached in $1.
kafka_fetch_jars() {
  local libs=$1
  [ -f "$libs/.complete" ] && return 0
  command -v mvn >/dev/null 2>&1 || die "Maven is not installed; it is needed once to fetch the Kafka jars (Debian: apt-get install maven)."
  say "fetching Kafka $KAFKA_VERSION jars with Maven (first start only)…"
  rm -rf "$libs"; mkdir -p "$libs"
  mvn -q -B -f "$here/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2 \
    || die "Maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its dependencies"
  touch "$libs/.complete"
}

# The properties every local broker has, for its data directory $1. $2 replicas of every internal
# topic (default 1: a single node) and $3 its min ISR (default 1); a cluster of three sets 3 and 2,
# so that every internal topic is on all three nodes and writable with one of them dead.
kafka_common_props() {
  local rf=${2:-1} isr=${3:-1}
  cat <<PROPS
log.dirs=$1
num.partitions=3
default.replication.factor=$rf
auto.create.topics.enable=false
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
min.insync.replicas=$isr
# Tests create and join many groups; do not wait 3 s for more members on each.
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=67108864
message.max.bytes=16777216
replica.fetch.max.bytes=16777216
PROPS
}

# Log4j to <logs dir>/kafka.log; sets cp_arg and jvm_opts for a broker with its logs in $1, log4j file $2, heap $3.
kafka_jvm() {
  cat > "$2" <<'L4J'
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
  jvm_opts=(-Xms256m "-Xmx$3" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    -Dkafka.logs.dir="$1" -Dlog4j2.configurationFile="$2")
}

# Formats the KRaft storage of config $1 once (data dir $2); more arguments go to the format command.
kafka_format() {
  local conf=$1 data=$2; shift 2
  [ -f "$data/meta.properties" ] && return 0
  local cluster_id
  cluster_id=$(java -cp "$cp_arg" "${jvm_opts[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
  [ -n "$cluster_id" ] || die "could not generate a cluster id with kafka.tools.StorageTool"
  # Its output lists the SCRAM credentials it stores (salted): shown only when it fails.
  local out
  out=$(java -cp "$cp_arg" "${jvm_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" "$@" 2>&1) \
    || { printf '%s\n' "$out" >&2; die "formatting the KRaft storage in $data failed"; }
}

# Starts the broker of config $1 (logs in $2, pid in $3) and waits until it answers on port $4.
kafka_start() {
  local conf=$1 logs=$2 pidfile=$3 port=$4 logfile="$2/kafka.log"
  : > "$logfile"
  nohup java -cp "$cp_arg" "${jvm_opts[@]}" kafka.Kafka "$conf" >"$logs/kafka.stdout" 2>&1 &
  echo $! > "$pidfile"
  local deadline=$((SECONDS + READY_TIMEOUT))
  until port_open "$port" && grep -q "Kafka Server started" "$logfile" 2>/dev/null; do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      tail -n 30 "$logs/kafka.stdout" "$logfile" >&2 || true
      die "Kafka exited during start (see $logfile)"
    fi
    [ $SECONDS -lt $deadline ] || die "Kafka did not become ready within ${READY_TIMEOUT}s (see $logfile)"
    sleep 0.3
  done
}
