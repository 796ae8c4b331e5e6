#!/usr/bin/env bash
# `npm run images`: every image that docker-compose.yml and the container tests need.
#
# A user whose Docker reaches an image registry needs none of the stand-ins: each public image is
# pulled first (short timeout), and only when it is missing and cannot be pulled is a local
# stand-in built and tagged with the public name, so that the Dockerfile and docker-compose.yml
# stay exactly what a registry user runs. The stand-ins come from Debian packages (debootstrap
# from the mirror this machine's apt uses), the Node 24 binary from the npm `node` package the
# project pins, and the Kafka / Apicurio jars from Maven Central through Maven. Every image is
# cached by the engine: a second run rebuilds nothing. docs/containers.md says how far each
# stand-in may differ from the real image.
#
#   build.sh              base images (pulled or stood in), then the project's image
#   build.sh --rebuild    rebuild the stand-ins even when present (the project's image always builds)
#   build.sh --no-app     only the base images
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/versions.sh"
CACHE_DIR=${IMAGES_CACHE_DIR:-$root/.images-cache}
PULL_TIMEOUT=${IMAGES_PULL_TIMEOUT:-20}
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}

say() { printf '[images] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
image_present() { docker image inspect "$1" >/dev/null 2>&1; }
# Maven's quiet mode still prints bare colour resets; the output is kept for its errors.
no_colour() { sed -e 's/\x1b\[[0-9;]*m//g' | grep -v '^[[:space:]]*$' || true; }

rebuild=0; app=1
for arg in "$@"; do
  case "$arg" in
    --rebuild) rebuild=1 ;;
    --no-app) app=0 ;;
    *) die "unknown option: $arg (known: --rebuild, --no-app)" ;;
  esac
done

[ "$(id -u)" = 0 ] || say "not root: debootstrap (for the Debian base) needs root; the rest only the docker group"
docker info >/dev/null 2>&1 || die "no Docker engine answers (Debian: apt-get install docker.io, then start dockerd); see docs/containers.md"
mkdir -p "$CACHE_DIR"
. "$here/base.sh"

# A context directory in the cache holding the stand-in's own files ($1: its folder here).
context() { local ctx="$CACHE_DIR/context-$1"; rm -rf "$ctx"; mkdir -p "$ctx"; cp -r "$here/$1/." "$ctx/"; echo "$ctx"; }
standin_build() { # tag, context, extra build args…
  local tag=$1 ctx=$2 log="$CACHE_DIR/build-${1//[\/:]/-}.log"; shift 2
  nice -n 10 docker build -t "$tag" --build-arg "BASE=$BASE_IMAGE" "$@" "$ctx" > "$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "docker build of the $tag stand-in failed (log: $log)"; }
}

build_node() {
  local bin="$root/node_modules/node/bin/node" npm_dir
  [ -x "$bin" ] || die "no Node binary at node_modules/node/bin/node: run npm ci first (the npm 'node' package the project pins)"
  local version; version=$("$bin" --version)
  case "$version" in v24.*) ;; *) die "node_modules/node is $version, not Node 24" ;; esac
  npm_dir="$(npm root -g)/npm"
  [ -f "$npm_dir/bin/npm-cli.js" ] || die "no npm found at $npm_dir"
  local ctx; ctx=$(context node)
  cp "$bin" "$ctx/node"; cp -r "$npm_dir" "$ctx/npm"
  standin_build "$NODE_IMAGE" "$ctx" --build-arg "NODE_VERSION=${version#v}"
  rm -rf "$ctx"
}

build_kafka() {
  local libs="$CACHE_DIR/kafka-$KAFKA_VERSION-libs"
  if [ ! -f "$libs/.complete" ]; then
    command -v mvn >/dev/null 2>&1 || die "Maven is needed once to fetch the Kafka jars (Debian: apt-get install maven)"
    say "fetching the Kafka $KAFKA_VERSION jars with Maven…"
    rm -rf "$libs"; mkdir -p "$libs"
    mvn -q -B -Dstyle.color=never -f "$here/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs" 2>&1 | no_colour >&2 || die "Maven could not fetch the Kafka $KAFKA_VERSION jars"
    touch "$libs/.complete"
  fi
  local ctx; ctx=$(context kafka)
  mkdir -p "$ctx/libs"; cp "$libs"/*.jar "$ctx/libs/"; rm -f "$ctx/pom.xml"
  standin_build "$KAFKA_IMAGE" "$ctx" --build-arg "KAFKA_VERSION=$KAFKA_VERSION"
  rm -rf "$ctx"
}

build_redis() { local ctx; ctx=$(context redis); standin_build "$REDIS_IMAGE" "$ctx"; rm -rf "$ctx"; }

# A Java 21+ home on this machine (Apicurio 3 needs it; Debian bookworm packages only 17).
java21_home() {
  local c m best="" best_m=0
  for c in ${REGISTRY_JAVA_HOME:+"$REGISTRY_JAVA_HOME/bin/java"} ${JAVA_HOME:+"$JAVA_HOME/bin/java"} /usr/lib/jvm/*/bin/java; do
    [ -x "$c" ] || continue
    m=$("$c" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1)
    if [ "${m:-0}" -ge 21 ] && [ "$m" -gt "$best_m" ]; then best=$(dirname "$(dirname "$c")"); best_m=$m; fi
  done
  [ -n "$best" ] && echo "$best"
}

REGISTRY_JAVA_MODULES=java.se,jdk.unsupported,jdk.management,jdk.naming.dns,jdk.zipfs,jdk.crypto.cryptoki,jdk.localedata,jdk.jfr
build_registry() {
  local app="$CACHE_DIR/apicurio-registry-$REGISTRY_VERSION" jhome
  jhome=$(java21_home) || die "the registry stand-in needs a Java 21+ on this machine (set REGISTRY_JAVA_HOME), or skip it: docs/containers.md"
  if [ ! -f "$app/.complete" ]; then
    command -v mvn >/dev/null 2>&1 || die "Maven is needed once to fetch Apicurio Registry (Debian: apt-get install maven)"
    say "fetching Apicurio Registry $REGISTRY_VERSION with Maven (about 160 MB)…"
    rm -rf "$app"; mkdir -p "$app"
    mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$REGISTRY_VERSION:tar.gz:all" -DoutputDirectory="$app" 2>&1 | no_colour >&2 \
      || die "Maven could not fetch io.apicurio:apicurio-registry-app:$REGISTRY_VERSION"
    tar -xzf "$app/apicurio-registry-app-$REGISTRY_VERSION-all.tar.gz" -C "$app" && rm -f "$app"/*.tar.gz
    [ -f "$app/quarkus-run.jar" ] || die "the Apicurio archive has no quarkus-run.jar"
    touch "$app/.complete"
  fi
  local ctx; ctx=$(context registry)
  say "registry stand-in: Java from $jhome"
  cp -r "$app" "$ctx/app"; rm -f "$ctx/app/.complete"
  # A runtime of the modules Quarkus uses, by jlink (from the JDK's own run-time image where it has
  # no jmods, JEP 493); where jlink cannot, the whole JDK without its sources and headers.
  if ! "$jhome/bin/jlink" --add-modules "$REGISTRY_JAVA_MODULES" --strip-debug --no-header-files --no-man-pages \
      --output "$ctx/jre" >"$CACHE_DIR/jlink.log" 2>&1; then
    say "jlink could not build a runtime (log: $CACHE_DIR/jlink.log); copying the whole JDK"
    rm -rf "$ctx/jre"; mkdir -p "$ctx/jre"
    (cd "$jhome" && tar -c --exclude=./lib/src.zip --exclude=./jmods --exclude=./man --exclude=./include --exclude=./demo --exclude=./sample .) | tar -x -C "$ctx/jre"
  fi
  standin_build "$REGISTRY_IMAGE" "$ctx" --build-arg "REGISTRY_VERSION=$REGISTRY_VERSION"
  rm -rf "$ctx"
}

times_file="$CACHE_DIR/build-times.txt"
: > "$times_file"
# Present → kept; else pulled (where a registry answers); else the stand-in is built.
ensure() {
  local image=$1 builder=$2 t0=$SECONDS
  if [ $rebuild = 0 ] && image_present "$image"; then say "$image present"; echo "$image present" >> "$times_file"; return 0; fi
  if [ $rebuild = 0 ] && timeout "$PULL_TIMEOUT" docker pull -q "$image" >/dev/null 2>&1; then
    say "$image pulled in $((SECONDS - t0)) s"; echo "$image pulled $((SECONDS - t0)) s" >> "$times_file"; return 0
  fi
  if [ $rebuild = 0 ]; then
    say "$image cannot be pulled: building a local stand-in"
    [ -n "${told:-}" ] || say "(where Docker reaches an image registry, the public images are pulled and none of this is built)"
    told=1
  fi
  build_base
  "$builder"
  say "$image stand-in built in $((SECONDS - t0)) s"; echo "$image stand-in $((SECONDS - t0)) s" >> "$times_file"
}

t_all=$SECONDS
[ $rebuild = 1 ] && docker image rm "$BASE_IMAGE" >/dev/null 2>&1 || true
ensure "$NODE_IMAGE" build_node
ensure "$KAFKA_IMAGE" build_kafka
ensure "$REDIS_IMAGE" build_redis
if [ "${IMAGES_SKIP_REGISTRY:-0}" = 1 ]; then say "IMAGES_SKIP_REGISTRY=1: no $REGISTRY_IMAGE (docker-compose.yml cannot start without it)"; else ensure "$REGISTRY_IMAGE" build_registry; fi

if [ $app = 1 ]; then
  t0=$SECONDS
  say "building $APP_IMAGE from the Dockerfile…"
  # npm inside the build reaches what this machine's npm reaches: its registry and the CAs it trusts.
  npm_args=(--build-arg "NPM_REGISTRY=$(npm config get registry 2>/dev/null || true)")
  cafile=$(npm config get cafile 2>/dev/null || true)
  rm -f "$root/docker/build-ca/npm-ca.pem"
  if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -f "$cafile" ]; then cp "$cafile" "$root/docker/build-ca/npm-ca.pem"; fi
  trap 'rm -f "$root/docker/build-ca/npm-ca.pem"' EXIT
  nice -n 10 docker build -t "$APP_IMAGE" "${npm_args[@]}" "$root" > "$CACHE_DIR/app-build.log" 2>&1 \
    || { tail -n 20 "$CACHE_DIR/app-build.log" >&2; die "docker build of $APP_IMAGE failed (log: $CACHE_DIR/app-build.log)"; }
  say "$APP_IMAGE built in $((SECONDS - t0)) s ($(docker image inspect -f '{{.Size}}' "$APP_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
  echo "$APP_IMAGE built $((SECONDS - t0)) s" >> "$times_file"
fi
say "done in $((SECONDS - t_all)) s (times: ${times_file#$root/})"
