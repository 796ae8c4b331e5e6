#!/usr/bin/env bash
# A second, secured Kafka broker beside the plaintext one (`npm run stack:up -- --secure`):
#   SASL_SSL on localhost:19092 (controller on 127.0.0.1:19093), its own data, pid and log
#   under .local-stack/secure/, a self-signed CA and broker certificate made with openssl,
#   SCRAM users created at format time (kafka-storage format --add-scram), PLAIN and OAUTHBEARER
#   (Kafka's unsecured JWT validator, for tests that serve their own token endpoint), the
#   StandardAuthorizer with ACLs: `app` gets exactly the rights the README lists, `norights` none.
# Clients must connect by the name `localhost`: the certificate holds no other (a test relies
# on 127.0.0.1 being refused as a hostname mismatch).
# Idempotent: a running secured broker is left alone. The plaintext broker is never touched.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
KAFKA_VERSION=${LOCAL_KAFKA_VERSION:-4.4.0}
STACK_DIR=${LOCAL_STACK_DIR:-$root/.local-stack}
PORT=${LOCAL_SECURE_KAFKA_PORT:-19092}
CONTROLLER_PORT=${LOCAL_SECURE_KAFKA_CONTROLLER_PORT:-19093}
READY_TIMEOUT=${LOCAL_KAFKA_READY_TIMEOUT:-90}

libs="$STACK_DIR/kafka-$KAFKA_VERSION/libs"
dir="$STACK_DIR/secure"
tls="$dir/tls"
data="$dir/data/kafka-$KAFKA_VERSION"
pidfile="$dir/kafka.pid"
logfile="$dir/kafka.log"
creds="$dir/credentials.env"

say() { printf '[local-stack --secure] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid; pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

if pid=$(running_pid) && port_open "$PORT"; then
  say "secured Kafka already running (pid $pid) on localhost:$PORT"
  exit 0
fi
port_open "$PORT" && die "something else listens on 127.0.0.1:$PORT; the secured broker needs that port"
command -v openssl >/dev/null 2>&1 || die "openssl is needed to make the local CA and certificates (Debian: apt-get install openssl)"
node_bin="$root/node_modules/.bin/node"
[ -x "$node_bin" ] || die "run npm ci first: the ACLs are created with the project's pinned Node ($node_bin)"

# 1. Jars: the plaintext stack fetches them; fetch them here too when it has not (another broker on 9092).
if [ ! -f "$libs/.complete" ]; then
  command -v mvn >/dev/null 2>&1 || die "Maven is needed once to fetch the Kafka jars (Debian: apt-get install maven)"
  say "fetching Kafka $KAFKA_VERSION jars with Maven (first start only)…"
  rm -rf "$libs"; mkdir -p "$libs"
  mvn -q -B -f "$here/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2 \
    || die "Maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  touch "$libs/.complete"
fi

# 2. Credentials, made once. SCRAM users live in the KRaft metadata, so new credentials mean new data.
mkdir -p "$dir" "$tls"
if [ ! -f "$creds" ]; then
  rm -rf "$dir/data"
  umask 077
  {
    echo "ADMIN_PASSWORD=admin-$(openssl rand -hex 12)"
    echo "APP_PASSWORD=app-$(openssl rand -hex 12)"
    echo "NORIGHTS_PASSWORD=norights-$(openssl rand -hex 12)"
    echo "KEYSTORE_PASSWORD=$(openssl rand -hex 12)"
  } > "$creds"
  umask 022
fi
# shellcheck disable=SC1090
. "$creds"

# 3. A CA, the broker's certificate (for the name localhost only) and a client certificate for mutual TLS.
if [ ! -f "$tls/broker.p12" ]; then
  say "making a local CA and certificates in $tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=llm-enricher local CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  sign() { # name subject extensions
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$tls/$1.key" -out "$tls/$1.csr" 2>/dev/null
    printf '%s\n' "$3" > "$tls/$1.ext"
    openssl x509 -req -in "$tls/$1.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
      -days 825 -sha256 -extfile "$tls/$1.ext" -out "$tls/$1.pem" 2>/dev/null
    rm -f "$tls/$1.csr" "$tls/$1.ext"
  }
  sign broker "/CN=localhost" "subjectAltName=DNS:localhost"$'\n'"extendedKeyUsage=serverAuth,clientAuth"
  sign client "/CN=app" "extendedKeyUsage=clientAuth"
  openssl pkcs12 -export -in "$tls/broker.pem" -inkey "$tls/broker.key" -certfile "$tls/ca.pem" \
    -name broker -passout "pass:$KEYSTORE_PASSWORD" -out "$tls/broker.p12"
  chmod 600 "$tls"/*.key "$tls/broker.p12"
fi

# 4. Config, written every start. It holds passwords: readable by this user only.
mkdir -p "$data"
conf="$dir/server.properties"
plain_users="user_admin=\"$ADMIN_PASSWORD\" user_app=\"$APP_PASSWORD\" user_norights=\"$NORIGHTS_PASSWORD\""
umask 077
cat > "$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=SASL_SSL://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=SASL_SSL://localhost:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=SASL_SSL
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
sasl.mechanism.inter.broker.protocol=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$ADMIN_PASSWORD" user_admin="$ADMIN_PASSWORD";
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$ADMIN_PASSWORD" $plain_users;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
# OAUTHBEARER with unsigned JWTs (alg none): the principal is the token's sub. For local tests only.
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";
listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler
# A session ends with its token: clients must re-authenticate with a fresh one.
listener.name.sasl_ssl.oauthbearer.connections.max.reauth.ms=600000
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls/broker.p12
ssl.keystore.password=$KEYSTORE_PASSWORD
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
listener.name.sasl_ssl.ssl.client.auth=requested
ssl.endpoint.identification.algorithm=https
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
log.dirs=$data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=67108864
message.max.bytes=16777216
replica.fetch.max.bytes=16777216
PROPS
umask 022
cat > "$dir/log4j2.properties" <<'L4J'
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.state.name = state.change.logger
logger.state.level = WARN
L4J

cp_arg="$libs/*"
jvm_opts=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  -Dkafka.logs.dir="$dir" -Dlog4j2.configurationFile="$dir/log4j2.properties")

# 5. Format once, with the SCRAM users.
if [ ! -f "$data/meta.properties" ]; then
  cluster_id=$(java -cp "$cp_arg" "${jvm_opts[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
  [ -n "$cluster_id" ] || die "could not generate a cluster id"
  scram=()
  for u in admin app norights; do
    var="$(echo "$u" | tr '[:lower:]' '[:upper:]')_PASSWORD"
    for m in SCRAM-SHA-256 SCRAM-SHA-512; do scram+=(--add-scram "$m=[name=$u,password=${!var}]"); done
  done
  java -cp "$cp_arg" "${jvm_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" "${scram[@]}" >/dev/null \
    || die "formatting the secured broker's storage in $data failed"
fi

# 6. Start, wait, then grant the app user its ACLs (as the super user admin).
say "starting the secured Kafka $KAFKA_VERSION on localhost:$PORT (SASL_SSL); log: $logfile"
: > "$logfile"
nohup java -cp "$cp_arg" "${jvm_opts[@]}" kafka.Kafka "$conf" >"$dir/kafka.stdout" 2>&1 &
echo $! > "$pidfile"
deadline=$((SECONDS + READY_TIMEOUT))
until port_open "$PORT" && grep -q "Kafka Server started" "$logfile" 2>/dev/null; do
  if ! running_pid >/dev/null; then
    tail -n 30 "$dir/kafka.stdout" "$logfile" >&2 || true
    die "the secured Kafka exited during start (see $logfile)"
  fi
  [ $SECONDS -lt $deadline ] || die "the secured Kafka did not become ready within ${READY_TIMEOUT}s (see $logfile)"
  sleep 0.3
done
"$node_bin" "$here/secure-acls.ts" "$creds" "$tls/ca.pem" "localhost:$PORT" || die "could not create the ACLs"
say "secured Kafka ready on localhost:$PORT (pid $(cat "$pidfile")); users and passwords in $creds, CA in $tls/ca.pem"
