#!/usr/bin/env bash
# The local schema registry: Apicurio Registry (its Confluent-compatible API at
# /apis/ccompat/v7) from Maven Central, in-memory storage, on 127.0.0.1. No Docker.
#   registry.sh [up]   start it (idempotent: a running one is left alone)
#   registry.sh down   stop it
# Apicurio 3 needs Java 21+: a JDK of 21 or newer is looked for in REGISTRY_JAVA_HOME, JAVA_HOME,
# on PATH, then under /usr/lib/jvm; Debian's openjdk-21 is installed when none is found.
# In-memory storage: a restarted registry has forgotten every schema (README, "Contracts and
# the schema registry", says what that means for messages already written).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
VERSION=${LOCAL_REGISTRY_VERSION:-3.3.3}
STACK_DIR=${LOCAL_STACK_DIR:-$root/.local-stack}
HOST=127.0.0.1
PORT=${LOCAL_REGISTRY_PORT:-18081}
# Quarkus's management interface (health, metrics) would take 0.0.0.0:9000: keep it on loopback,
# on a port of this instance's own, so that two registries can run side by side.
MANAGEMENT_PORT=${LOCAL_REGISTRY_MANAGEMENT_PORT:-$((PORT + 10000))}
READY_TIMEOUT=${LOCAL_REGISTRY_READY_TIMEOUT:-180}

home="$STACK_DIR/apicurio-registry-$VERSION"
pidfile="$STACK_DIR/registry-$PORT.pid"
logfile="$STACK_DIR/registry-$PORT.log"
api="http://$HOST:$PORT/apis/ccompat/v7"

. "$here/lib.sh"
answers() { curl -sf -o /dev/null --max-time 2 "$api/subjects"; }
java_major() { "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1; }

find_java() {
  local c best="" best_major=0 m
  for c in ${REGISTRY_JAVA_HOME:+"$REGISTRY_JAVA_HOME/bin/java"} ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    m=$(java_major "$c"); m=${m:-0}
    if [ "$m" -ge 21 ] && [ "$m" -gt "$best_major" ]; then best=$c; best_major=$m; fi
  done
  [ -n "$best" ] && echo "$best"
}

if [ "${1:-up}" = "down" ]; then
  stop_pidfile "schema registry on $HOST:$PORT"
  exit 0
fi

mkdir -p "$STACK_DIR"
if running_pid >/dev/null && answers; then
  say "schema registry already running on $api"
  exit 0
fi
if port_open "$PORT" && ! running_pid >/dev/null; then
  answers || die "something else listens on $HOST:$PORT and is not a schema registry"
  say "a schema registry not started by this script answers on $api; using it"
  exit 0
fi

java=$(find_java || true)
if [ -z "$java" ]; then
  say "no Java 21+ found; installing Debian's openjdk-21-jdk-headless"
  { apt-get update -qq && apt-get install -y -qq openjdk-21-jdk-headless >/dev/null; } \
    || die "Apicurio Registry $VERSION needs Java 21 or newer and none could be found or installed; set REGISTRY_JAVA_HOME"
  java=$(find_java) || die "openjdk-21 was installed but no Java 21+ is found"
fi

# 1. The distribution: fetched once from Maven Central with Maven (about 160 MB), then cached.
if [ ! -f "$home/.complete" ]; then
  command -v mvn >/dev/null 2>&1 || die "Maven is needed once to fetch Apicurio Registry (Debian: apt-get install maven)"
  say "fetching Apicurio Registry $VERSION with Maven (first start only, about 160 MB)…"
  rm -rf "$home"; mkdir -p "$home"
  mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$VERSION:tar.gz:all" -DoutputDirectory="$home" >&2 \
    || die "Maven could not fetch io.apicurio:apicurio-registry-app:$VERSION:tar.gz:all"
  tar -xzf "$home/apicurio-registry-app-$VERSION-all.tar.gz" -C "$home"
  rm -f "$home/apicurio-registry-app-$VERSION-all.tar.gz"
  [ -f "$home/quarkus-run.jar" ] || die "the Apicurio archive has no quarkus-run.jar"
  touch "$home/.complete"
fi

# 2. Start (in-memory H2 storage is Apicurio's default) and wait until the Confluent API answers.
say "starting Apicurio Registry $VERSION on $api with $java ($("$java" -version 2>&1 | head -n 1)); log: $logfile"
started=$(date +%s%N)
cd "$home"
QUARKUS_HTTP_HOST=$HOST QUARKUS_HTTP_PORT=$PORT QUARKUS_MANAGEMENT_HOST=$HOST QUARKUS_MANAGEMENT_PORT=$MANAGEMENT_PORT \
  nohup "$java" -Xms128m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar quarkus-run.jar >"$logfile" 2>&1 &
echo $! > "$pidfile"
cd "$root"
deadline=$((SECONDS + READY_TIMEOUT))
until answers; do
  running_pid >/dev/null || { tail -n 30 "$logfile" >&2 || true; die "the schema registry exited during start (see $logfile)"; }
  [ $SECONDS -lt $deadline ] || die "the schema registry did not answer within ${READY_TIMEOUT}s (see $logfile)"
  sleep 0.2
done
ms=$(( ($(date +%s%N) - started) / 1000000 ))
say "schema registry ready on $api in ${ms} ms (pid $(cat "$pidfile"))"
