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

SAY_PREFIX='[local-stack --secure]'
. "$here/lib.sh"

if pid=$(running_pid) && port_open "$PORT"; then
  say "secured Kafka already running (pid $pid) on localhost:$PORT"
  exit 0
fi
port_open "$PORT" && die "something else listens on 127.0.0.1:$PORT; the secured broker needs that port"
command -v openssl >/dev/null 2>&1 || die "openssl is needed to make the local CA and certificates (Debian: apt-get install openssl)"
node_bin="$root/node_modules/.bin/node"
[ -x "$node_bin" ] || die "run npm ci first: the ACLs are created with the project's pinned Node ($node_bin)"

# 1. Jars: shared with the plaintext broker (fetched here when another broker holds 9092).
kafka_fetch_jars "$libs"

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
$(kafka_common_props "$data")
PROPS
umask 022
kafka_jvm "$dir" "$dir/log4j2.properties" 512m

# 5. Format once, with the SCRAM users.
scram=()
for u in admin app norights; do
  var="$(echo "$u" | tr '[:lower:]' '[:upper:]')_PASSWORD"
  for m in SCRAM-SHA-256 SCRAM-SHA-512; do scram+=(--add-scram "$m=[name=$u,password=${!var}]"); done
done
kafka_format "$conf" "$data" "${scram[@]}"

# 6. Start, wait, then grant the app user its ACLs (as the super user admin).
say "starting the secured Kafka $KAFKA_VERSION on localhost:$PORT (SASL_SSL); log: $logfile"
kafka_start "$conf" "$dir" "$pidfile" "$PORT"
"$node_bin" "$here/secure-acls.ts" "$creds" "$tls/ca.pem" "localhost:$PORT" || die "could not create the ACLs"
say "secured Kafka ready on localhost:$PORT (pid $(cat "$pidfile")); users and passwords in $creds, CA in $tls/ca.pem"
