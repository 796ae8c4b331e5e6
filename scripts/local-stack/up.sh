#!/usr/bin/env bash
# Starts a real single-node Apache Kafka (KRaft, combined broker+controller) on 127.0.0.1:9092
# from the jars on Maven Central, run on the machine's JDK. No Docker.
# Idempotent: a running broker is left alone; jars and data are cached under .local-stack/.
#   --secure     also start a second, secured broker (secure-broker.sh: SASL_SSL on localhost:19092)
#   --registry   also start the schema registry (registry.sh: Apicurio, 127.0.0.1:18081)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
KAFKA_VERSION=${LOCAL_KAFKA_VERSION:-4.4.0}
STACK_DIR=${LOCAL_STACK_DIR:-$root/.local-stack}
HOST=127.0.0.1
PORT=${LOCAL_KAFKA_PORT:-9092}
CONTROLLER_PORT=${LOCAL_KAFKA_CONTROLLER_PORT:-9093}
# A second listener, advertised at the port of a test's fault-injecting proxy
# (test/support/kafka-fault-proxy.ts): a client that bootstraps at the proxy is then told to
# reach the broker at the proxy again, so every one of its connections can be cut. 9094 and
# 9095 by default; next to PORT, so that a second broker on another port does not collide.
PROXIED_PORT=${LOCAL_KAFKA_PROXIED_PORT:-$((PORT + 2))}
PROXY_PORT=${LOCAL_KAFKA_PROXY_PORT:-$((PORT + 3))}
READY_TIMEOUT=${LOCAL_KAFKA_READY_TIMEOUT:-90}

kafka_home="$STACK_DIR/kafka-$KAFKA_VERSION"
libs="$kafka_home/libs"
data="$STACK_DIR/data/kafka-$KAFKA_VERSION"
pidfile="$STACK_DIR/kafka.pid"
logfile="$STACK_DIR/kafka.log"

. "$here/lib.sh"

# Extra services beside the plaintext broker, one flag each; each runs after the broker is up.
secure=0; registry=0
for arg in "$@"; do
  case "$arg" in
    --secure) secure=1 ;;      # a second broker: SASL_SSL, ACLs (secure-broker.sh)
    --registry) registry=1 ;;  # Apicurio Registry on 127.0.0.1:18081 (registry.sh)
    *) die "unknown option: $arg (known: --secure, --registry)" ;;
  esac
done
if [ $secure = 1 ] || [ $registry = 1 ]; then
  bash "$0"
  if [ $secure = 1 ]; then bash "$here/secure-broker.sh"; fi
  if [ $registry = 1 ]; then bash "$here/registry.sh" up; fi
  exit 0
fi

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
kafka_fetch_jars "$libs"

# 2. Config: written every start, so a change to this script takes effect.
mkdir -p "$data"
conf="$kafka_home/server.properties"
cat > "$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT,PROXIED://$HOST:$PROXIED_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT,PROXIED://$HOST:$PROXY_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
$(kafka_common_props "$data")
PROPS
kafka_jvm "$STACK_DIR" "$kafka_home/log4j2.properties" 768m

# 3. Format the KRaft storage once.
kafka_format "$conf" "$data"

# 4. Start and wait until the broker answers.
say "starting Kafka $KAFKA_VERSION (KRaft) on $HOST:$PORT; log: $logfile"
kafka_start "$conf" "$STACK_DIR" "$pidfile" "$PORT"
say "Kafka $KAFKA_VERSION ready on $HOST:$PORT (pid $(cat "$pidfile"))"
