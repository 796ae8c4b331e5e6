# The service image: one image runs every command (`start`, `aggregate-costs`, `review`,
# `replay`, `produce`, `topics create`, …); the command is the container's arguments.
#   docker run --rm llm-enricher:latest --help
# Built and tested on the project's machines: docs/containers.md (`npm run images` builds it,
# with local stand-ins for node:24-slim where no image registry answers).
# Legacy builder compatible (no BuildKit-only syntax): Debian's Docker 20.10 builds it.

# 1. Production dependencies only, from the lockfile. No install scripts: nothing of ours needs one.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# From the machine's npm configuration (build.sh passes them; both optional): NPM_REGISTRY, a
# registry mirror; docker/build-ca/npm-ca.pem, the CA certificates npm trusts (a TLS-inspecting
# proxy's). Only this stage sees them: the runtime image has neither.
ARG NPM_REGISTRY=
COPY docker/build-ca/ /tmp/build-ca/
RUN if [ -s /tmp/build-ca/npm-ca.pem ]; then export NODE_EXTRA_CA_CERTS=/tmp/build-ca/npm-ca.pem; fi \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund ${NPM_REGISTRY:+--registry=$NPM_REGISTRY} \
 && npm cache clean --force

# 2. The runtime: Node, tini as PID 1 (signals reach the CLI, which stops within SHUTDOWN_TIMEOUT
# with every transaction settled; zombies are reaped), the code, the sample corpus. Non-root.
FROM node:24-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    METRICS_PORT=9464
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY data ./data
COPY prompts ./prompts
COPY docker/healthcheck.mjs ./docker/healthcheck.mjs
# A directory the non-root user may write, for files a command makes (compose keeps the review
# console's users file there, in a volume).
RUN mkdir -p /var/lib/enricher && chown node:node /var/lib/enricher
USER node
# 9464: /metrics, /healthz, /readyz of `start`. 8089: the review console (`review`, REVIEW_HOST=0.0.0.0).
EXPOSE 9464 8089
# /healthz of the command that runs (the processor's on METRICS_PORT, the console's on REVIEW_PORT);
# a command without an HTTP endpoint (aggregate-costs, one-shot commands) is healthy while it runs.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "docker/healthcheck.mjs"]
# Secrets: every secret setting also takes <NAME>_FILE (OPENAI_API_KEY_FILE, KAFKA_SASL_PASSWORD_FILE,
# REVIEW_SESSION_SECRET_FILE, …), e.g. a Docker or Kubernetes secret mounted under /run/secrets.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/enricher.mjs"]
CMD ["start"]
