# The one place that names the images and their versions. Sourced by build.sh; read by the
# container tests (test/containers/images.ts) and checked against docker-compose.yml, the
# Dockerfile and deploy/ by test/unit/container-files.test.ts.
NODE_IMAGE=node:24-slim
KAFKA_VERSION=4.4.0
KAFKA_IMAGE=apache/kafka:$KAFKA_VERSION
REDIS_IMAGE=redis:7
REGISTRY_VERSION=3.3.3
REGISTRY_IMAGE=apicurio/apicurio-registry:$REGISTRY_VERSION
APP_IMAGE=llm-enricher:latest
# Not a public image: the Debian base the stand-ins are built on (never pushed, never pulled).
BASE_IMAGE=llm-enricher-standin/debian:bookworm
