/**
 * The settings tree: every environment variable the service reads, documented where it is
 * defined. Only config.ts uses it (to parse the environment) and configuration-doc.ts (to
 * render docs/configuration.md); nothing here reads the environment.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { CATALOGUE, type NamedTopicId } from '../topics/catalogue.ts';
import { bool, duration, durationList, extensions, fileText, int, keyValueList, list, optionalPositive, optionalString, saslMechanism } from '../util/env-parsers.ts';
import { env, type SettingTree } from './setting-tree.ts';

export const DEFAULT_CATEGORIES = [
  'business', 'finance', 'technology', 'science', 'health', 'sport', 'politics', 'legal', 'other',
] as const;

/** Sent as service_tier with every request (LLM_SERVICE_TIER); the response says which served it. */
export const SERVICE_TIERS = ['auto', 'default', 'flex', 'priority'] as const;
export type ServiceTier = (typeof SERVICE_TIERS)[number];

/** Which confidence the quality gate reads (CONFIDENCE_MODE); src/llm/chain/confidence.ts. */
export const CONFIDENCE_MODES = ['self', 'logprob', 'min'] as const;
export type ConfidenceMode = (typeof CONFIDENCE_MODES)[number];

/** An OTLP/HTTP URL (secret: it may carry credentials). */
const otlpUrl = optionalString.pipe(z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional());

const topicName = (e: { env: string; default: string }, about: string) => env(e.env, z.string().min(1).default(e.default), { doc: `the topic of ${about}` });

/** The name setting of every topic the catalogue names by a variable, documented by the catalogue. */
function topicNameSettings(): { [K in NamedTopicId]: ReturnType<typeof topicName> } {
  const named = Object.entries(CATALOGUE).flatMap(([id, e]) => ('setting' in e ? [[id, topicName(e.setting, e.about)] as const] : []));
  return Object.fromEntries(named) as { [K in NamedTopicId]: ReturnType<typeof topicName> };
}

/**
 * Every setting, once: where it lands in the Config, which variable it comes from, its parser,
 * its default and what it is for. The Config type is derived from this tree (config.ts), and so
 * is docs/configuration.md (configuration-doc.ts; a unit test holds the two together).
 */
export const SETTINGS = {
  kafka: {
    brokers: env('KAFKA_BROKERS', list.pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1)).default(['127.0.0.1:9092']), { doc: 'comma-separated host:port list' }),
    clientId: env('KAFKA_CLIENT_ID', z.string().min(1).default('llm-enricher'), { doc: 'client id prefix' }),
    groupId: env('KAFKA_GROUP_ID', z.string().min(1).default('llm-enricher'), { doc: 'processor group on documents.raw; the retry consumer uses `<group>.retry`, and every other group and transactional id starts with it' }),
    instanceId: env('INSTANCE_ID', z.string().min(1).default(`${hostname()}-${process.pid}`), { doc: 'this instance\'s name in cost events and logs', shown: '`<hostname>-<pid>`' }),
    sessionTimeoutMs: env('KAFKA_SESSION_TIMEOUT', duration.default(30_000), { doc: 'consumer session timeout: how soon a dead instance\'s partitions move' }),
    heartbeatIntervalMs: env('KAFKA_HEARTBEAT_INTERVAL', duration.default(3_000), { doc: 'consumer heartbeat; shorter than the session timeout' }),
    giveUpAfterMs: env('BROKER_GIVE_UP_AFTER', duration.default(300_000), { doc: 'a process exits 1 after the cluster was unreachable this long' }),
    ssl: {
      enabled: env('KAFKA_SSL', bool.default(false), { doc: 'TLS to the brokers ([connecting](connecting.md))' }),
      caFile: env('KAFKA_SSL_CA_FILE', optionalString, { doc: 'PEM file of the CA that signed the brokers\' certificates (a private CA: Aiven, self-run clusters)', unset: 'the system\'s CAs' }),
      certFile: env('KAFKA_SSL_CERT_FILE', optionalString, { doc: 'client certificate (PEM), for mutual TLS' }),
      keyFile: env('KAFKA_SSL_KEY_FILE', optionalString, { doc: 'the client certificate\'s key (PEM), for mutual TLS' }),
      rejectUnauthorized: env('KAFKA_SSL_REJECT_UNAUTHORIZED', bool.default(true), { doc: '`false` skips the check of the brokers\' certificates, with a warning at start: for debugging only' }),
    },
    sasl: {
      mechanism: env('KAFKA_SASL_MECHANISM', saslMechanism, { doc: '`plain`, `scram-sha-256`, `scram-sha-512` or `oauthbearer`' }),
      username: env('KAFKA_SASL_USERNAME', optionalString, { doc: 'for `plain` and `scram-*`', fromFile: true }),
      password: env('KAFKA_SASL_PASSWORD', optionalString, { doc: 'for `plain` and `scram-*`', secret: true, fromFile: true }),
    },
    /** The OAUTHBEARER token: OAuth client credentials, or Amazon MSK IAM through its signer. */
    oauth: {
      tokenProvider: env('KAFKA_OAUTH_TOKEN_PROVIDER', z.enum(['client-credentials', 'aws-msk-iam']).default('client-credentials'), { doc: 'where `oauthbearer` tokens come from: `client-credentials` (an OAuth token endpoint) or `aws-msk-iam` (Amazon MSK IAM)' }),
      tokenUrl: env('KAFKA_OAUTH_TOKEN_URL', optionalString.pipe(z.url().optional()), { doc: 'the identity provider\'s token endpoint' }),
      clientId: env('KAFKA_OAUTH_CLIENT_ID', optionalString, { doc: 'the OAuth client id', fromFile: true }),
      clientSecret: env('KAFKA_OAUTH_CLIENT_SECRET', optionalString, { doc: 'the OAuth client secret', secret: true, fromFile: true }),
      scope: env('KAFKA_OAUTH_SCOPE', optionalString, { doc: 'the scope to ask for' }),
      extensions: env('KAFKA_OAUTH_EXTENSIONS', extensions, { doc: 'SASL extensions, `key=value,…` (Confluent Cloud: `logicalCluster=lkc-…,identityPoolId=pool-…`)' }),
      awsRegion: env('KAFKA_AWS_REGION', optionalString, { doc: 'the MSK cluster\'s region, for `aws-msk-iam`' }),
    },
  },
  topics: {
    // One name setting per topic of the catalogue (topics/catalogue.ts), with its default.
    ...topicNameSettings(),
    partitions: env('TOPIC_PARTITIONS', int(1, 10_000).default(3), { doc: 'partitions of the topics this service creates (compacted singletons keep 1)' }),
    replicationFactor: env('TOPIC_REPLICATION_FACTOR', int(1, 10).default(1), { doc: 'replication of the topics this service creates; 3 on a cluster of 3 or more brokers' }),
    /** `min.insync.replicas` of every topic we create; unset: the broker's default (1 on a local single broker). */
    minInsyncReplicas: env('TOPIC_MIN_INSYNC_REPLICAS', int(1, 10).optional(), { doc: '`min.insync.replicas` of every topic this service creates; at most `TOPIC_REPLICATION_FACTOR`; 2 on a cluster of 3 or more brokers ([why](scaling-out.md#on-a-cluster-of-several-brokers))', unset: 'the broker\'s default' }),
  },
  llm: {
    /** 'auto' is resolved to openai or offline by finish(). */
    provider: env('LLM_PROVIDER', z.enum(['auto', 'openai', 'offline']).default('auto'), { doc: '`openai`, `offline`, or `auto` (openai when a key is set)' }),
    apiKey: env('OPENAI_API_KEY', optionalString, { doc: 'the key; required for `LLM_PROVIDER=openai`', secret: true, fromFile: true }),
    baseUrl: env('OPENAI_BASE_URL', optionalString.pipe(z.url().optional()), { doc: 'any OpenAI-compatible server (Ollama, vLLM, LiteLLM, …)', unset: 'the SDK\'s default' }),
    model: env('LLM_MODEL', z.string().min(1).default('gpt-4o-mini'), { doc: 'model of every step without a model of its own ([prompts and models](prompts-and-models.md))' }),
    /** Each defaults to LLM_MODEL (finish()); a step's calls are asked of, priced at and cached under its model. */
    modelExtract: env('LLM_MODEL_EXTRACT', optionalString, { doc: 'the extract step\'s model', unset: '`LLM_MODEL`' }),
    modelSummarize: env('LLM_MODEL_SUMMARIZE', optionalString, { doc: 'the summarize step\'s model', unset: '`LLM_MODEL`' }),
    modelClassify: env('LLM_MODEL_CLASSIFY', optionalString, { doc: 'the classify step\'s model', unset: '`LLM_MODEL`' }),
    /** Resolved by finish(): relative to the working directory, or the package's own prompts/. */
    promptsDir: env('PROMPTS_DIR', optionalString, { doc: 'the folder of the prompt files, one per chain step (`extract.md`, `summarize.md`, `classify.md`); their content hash is the prompt version ([prompts and models](prompts-and-models.md))', unset: 'the bundled `prompts/` folder of the package' }),
    timeoutMs: env('LLM_TIMEOUT', duration.default(60_000), { doc: 'per HTTP request' }),
    callRetries: env('LLM_CALL_RETRIES', int(0, 10).default(2), { doc: 'short retries inside a call (the SDK\'s, honouring Retry-After); a 429 that refused the call alone is tried again as often, outside the pool' }),
    poolSlots: env('LLM_POOL_SLOTS', int(1, 10_000).default(5), { doc: 'LLM calls in flight at once (per instance, or global with Redis)' }),
    maxOutputTokens: env('LLM_MAX_OUTPUT_TOKENS', int(16, 100_000).default(600), { doc: 'max completion tokens per call' }),
    pricesFile: env('LLM_PRICES_FILE', optionalString, { doc: 'JSON `{"model": {"inputPer1k": n, "cachedInputPer1k": n, "outputPer1k": n, "flex": {…}, "priority": {…}}}` overriding the price table ([costs](costs.md))' }),
    /** Unset: not sent, the API decides (its default is auto). */
    serviceTier: env('LLM_SERVICE_TIER', z.enum(SERVICE_TIERS).optional(), { doc: '`auto`, `default`, `flex` or `priority`, sent as `service_tier` with every request; calls are priced by the tier the response reports', unset: 'not sent (the API\'s default, `auto`)' }),
    /** Unset: min where the provider returns token log-probabilities, else self (resolved with the provider). */
    confidenceMode: env('CONFIDENCE_MODE', z.enum(CONFIDENCE_MODES).optional(), { doc: 'what the gate reads: `self` (the model\'s stated confidence), `logprob` (the probability of the category\'s tokens), `min` (the lower of the two) ([the gate](quality-gate.md))', unset: '`min` where the provider returns token log-probabilities, else `self`' }),
    categories: env('CATEGORIES', list.pipe(z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'categories are lower-case words')).min(2)).default([...DEFAULT_CATEGORIES]), { doc: 'the categories the classifier chooses from; must include `other`' }),
    /** May hold a password (redis://user:pass@host): shown without it. */
    redisUrl: env('REDIS_URL', optionalString.pipe(z.url().optional()), { doc: 'shared pool, shared rate limits and result cache across instances; `rediss://` for TLS, a password or ACL user in the URL (`rediss://user:password@host:6380`)' }),
    redisTlsCaFile: env('REDIS_TLS_CA_FILE', optionalString, { doc: 'PEM file of the CA of a `rediss://` server with a private certificate', unset: 'the system\'s CAs' }),
    poolId: env('LLM_POOL_ID', z.string().min(1).default('llm_api'), { doc: 'the shared pool\'s id in Redis (and the result cache\'s key prefix)' }),
    /** While the shared pool's Redis is away: pause (keep the global pool) or use a local pool. */
    redisOutage: env('REDIS_OUTAGE', z.enum(['pause', 'local']).default('pause'), { doc: 'while the pool\'s Redis is away: `pause` (no call starts, intake pauses; the global pool holds) or `local` (each instance falls back to a pool of its own, with a warning)' }),
    rpm: env('LLM_RPM', optionalPositive(true), { doc: 'requests per minute: shared by every instance with `REDIS_URL`, per instance without it' }),
    tpm: env('LLM_TPM', optionalPositive(true), { doc: 'tokens per minute: shared by every instance with `REDIS_URL`, per instance without it' }),
    cacheTtlMs: env('LLM_CACHE_TTL', duration.default(7 * 24 * 3_600_000), { doc: 'result cache entry lifetime in Redis; `0` turns the Redis cache off' }),
    cacheSize: env('LLM_CACHE_SIZE', int(0).default(10_000), { doc: 'in-memory result cache entries without Redis; `0` turns the cache off, the Redis one included' }),
  },
  processing: {
    qualityThreshold: env('QUALITY_THRESHOLD', z.coerce.number().min(0).max(1).default(0.8), { doc: 'initial gate threshold (change it at run time with `enricher config set`)' }),
    maxInFlight: env('MAX_IN_FLIGHT', int(1, 100_000).default(64), { doc: 'documents in flight per consumer' }),
    maxPendingBytes: env('MAX_PENDING_BYTES', int(1024).default(64 * 1024 * 1024), { doc: 'finished output held behind a gap before intake waits' }),
    flushIntervalMs: env('FLUSH_INTERVAL', duration.default(100), { doc: 'how often finished work is committed (`0`: as soon as a prefix is done)' }),
    flushMaxMessages: env('FLUSH_MAX_MESSAGES', int(1, 100_000).default(500), { doc: 'commit sooner once this many are finished' }),
    shutdownTimeoutMs: env('SHUTDOWN_TIMEOUT', duration.default(30_000), { doc: 'time to finish in-flight work on SIGTERM' }),
    maxDocumentBytes: env('MAX_DOCUMENT_BYTES', int(1024).default(1_048_576), { doc: 'larger raw messages go to the DLQ (`DOCUMENT_TOO_LARGE`)' }),
  },
  retry: {
    /** Clamped to maxDelayMs and de-duplicated by finish(). */
    delaysMs: env('RETRY_DELAYS', durationList.default([10_000, 20_000, 40_000]), { doc: 'retry tiers, one topic each; their count is the number of retries' }),
    maxDelayMs: env('RETRY_MAX_DELAY', duration.pipe(z.number().min(1000, 'must be at least 1s')).default(120_000), { doc: 'cap on any tier' }),
    outageWindow: env('OUTAGE_WINDOW', int(4, 10_000).default(50), { doc: 'the outage guard judges the last this-many chain attempts' }),
    outageFailureRatio: env('OUTAGE_FAILURE_RATIO', z.coerce.number().gt(0).max(1).default(0.5), { doc: 'more than this share failing transiently declares an LLM outage: intake and retries pause, and attempts made during it do not count ([failure handling](failure-handling.md))' }),
    serviceProbeIntervalMs: env('SERVICE_PROBE_INTERVAL', duration.default(30_000), { doc: 'health probe pace while paused on an auth/model error or an unreachable schema registry' }),
    maxRedrives: env('MAX_REDRIVES', int(1, 100).default(3), { doc: 'redrive refuses a message redriven this often' }),
    dlqStormWindow: env('DLQ_STORM_WINDOW', int(4, 100_000).default(50), { doc: 'the DLQ storm guard judges the last this-many finished documents' }),
    dlqStormShare: env('DLQ_STORM_SHARE', z.coerce.number().gt(0).max(1).default(0.5), { doc: 'more than this share dead-lettered for a reason not their input stops intake (`1` turns it off)' }),
    dlqStormCooldownMs: env('DLQ_STORM_COOLDOWN', duration.default(300_000), { doc: 'the storm guard resumes by itself after this (or at once on `enricher resume`)' }),
  },
  /** A shadow candidate on live traffic ([shadow runs](prompts-and-models.md#shadow-runs)): on when SHADOW_MODEL or SHADOW_PROMPTS_DIR is set. */
  shadow: {
    model: env('SHADOW_MODEL', optionalString, { doc: 'the shadow candidate\'s model, for every step; with the offline provider, `offline-small` is a second offline model that answers differently ([shadow runs](prompts-and-models.md#shadow-runs))', unset: 'the primary\'s step models (a shadow of `SHADOW_PROMPTS_DIR` alone); with neither set, no shadow' }),
    promptsDir: env('SHADOW_PROMPTS_DIR', optionalString, { doc: 'the shadow candidate\'s prompt files (as `PROMPTS_DIR`)', unset: 'the primary\'s prompt files' }),
    sample: env('SHADOW_SAMPLE', z.coerce.number().gt(0, 'must be above 0').max(1, 'must be at most 1').default(0.1), { doc: 'the share of documents the shadow also answers, picked by a hash of the document id (a replay picks the same ones)' }),
    budgetShare: env('SHADOW_BUDGET_SHARE', z.coerce.number().gt(0, 'must be above 0').max(1, 'must be at most 1').default(0.1), { doc: 'the most of the day\'s budget (`DAILY_BUDGET_USD`) the shadow may spend; without a budget, only the sample bounds it' }),
  },
  budget: {
    dailyUsd: env('DAILY_BUDGET_USD', optionalPositive(false), { doc: 'daily LLM budget (change it at run time with `enricher config set`)', unset: 'no budget' }),
  },
  /** The cost aggregator (`enricher aggregate-costs`). */
  costs: {
    /** Defaults to `<KAFKA_GROUP_ID>.cost-aggregator` (finish()). */
    aggregatorGroupId: env('COST_AGGREGATOR_GROUP_ID', optionalString, { doc: 'the cost aggregator\'s group', unset: '`<KAFKA_GROUP_ID>.cost-aggregator`' }),
    flushIntervalMs: env('COST_FLUSH_INTERVAL', duration.default(1_000), { doc: 'the aggregator\'s flush pace' }),
    flushMaxEvents: env('COST_FLUSH_MAX_EVENTS', int(1, 1_000_000).default(5_000), { doc: 'the aggregator flushes sooner after this many events' }),
    dedupWindow: env('COST_DEDUP_WINDOW', int(0, 10_000_000).default(200_000), { doc: 'call ids the aggregator remembers for dedup' }),
  },
  /** The review console (`enricher review`). */
  review: {
    port: env('REVIEW_PORT', int(0, 65_535).default(8089), { doc: 'where the review console (`enricher review`) listens' }),
    host: env('REVIEW_HOST', z.string().min(1).default('127.0.0.1'), { doc: 'the review console\'s address' }),
    usersFile: env('REVIEW_USERS_FILE', optionalString, { doc: 'JSON of users, roles (`reviewer`, `viewer`) and scrypt hashes (`enricher review-user`)' }),
    proxyUserHeader: env('REVIEW_PROXY_USER_HEADER', optionalString.pipe(z.string().regex(/^[a-z0-9-]+$/i, 'a header name').optional()), { doc: 'trust this header from a reverse proxy as the signed-in user (the proxy must set or strip it)' }),
    proxyRoleHeader: env('REVIEW_PROXY_ROLE_HEADER', optionalString.pipe(z.string().regex(/^[a-z0-9-]+$/i, 'a header name').optional()), { doc: 'a header whose value lists `reviewer` for people who may decide' }),
    anonymousRole: env('REVIEW_ANONYMOUS_ROLE', z.enum(['off', 'viewer', 'reviewer']).default('off'), { doc: '`viewer` or `reviewer` without signing in; only with a loopback `REVIEW_HOST`' }),
    sessionSecret: env('REVIEW_SESSION_SECRET', optionalString.pipe(z.string().min(32, 'at least 32 characters').optional()), { doc: 'HMAC key of session cookies and CSRF tokens (32+ characters); set it so sessions survive restarts and work across instances', unset: 'random per process', secret: true, fromFile: true }),
    sessionTtlMs: env('REVIEW_SESSION_TTL', duration.pipe(z.number().min(60_000, 'at least 1m')).default(8 * 3_600_000), { doc: 'how long a sign-in lasts' }),
    cookieSecure: env('REVIEW_COOKIE_SECURE', bool.default(true), { doc: '`Secure` `__Host-` cookies; `false` only for plain HTTP on a host that is not loopback' }),
    bulkMax: env('REVIEW_BULK_MAX', int(1, 10_000).default(500), { doc: 'most items one bulk action decides' }),
  },
  /** The schema registry (Confluent REST API: Confluent, Apicurio's ccompat, Karapace); none means plain JSON. */
  schemaRegistry: {
    /** Secret: a URL may carry credentials. */
    url: env('SCHEMA_REGISTRY_URL', optionalString.pipe(z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional()), { doc: 'a Confluent-API schema registry (Confluent, Apicurio\'s `/apis/ccompat/v7`, Karapace): every value is written in the wire format, `documents.raw` takes both ([schema registry](schema-registry.md))', unset: 'plain JSON', secret: true }),
    username: env('SCHEMA_REGISTRY_USERNAME', optionalString, { doc: 'basic auth for the registry (with the password, or neither)', fromFile: true }),
    password: env('SCHEMA_REGISTRY_PASSWORD', optionalString, { doc: 'basic auth for the registry (with the user name, or neither)', secret: true, fromFile: true }),
    /** PEM of the CA that signed the registry's certificate (for https:// with a private CA). */
    ca: env('SCHEMA_REGISTRY_CA_FILE', fileText, { doc: 'PEM of the CA that signed an https:// registry\'s certificate' }),
  },
  log: {
    level: env('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), { doc: 'pino level' }),
  },
  metrics: {
    port: env('METRICS_PORT', int(0, 65_535).default(0), { doc: '`/metrics`, `/healthz` and `/readyz` on this port; `0`: none' }),
  },
  /**
   * OpenTelemetry export (traces and the /metrics series over OTLP/HTTP), with the variables the
   * specification names, so the settings a platform already sets for every service work here.
   */
  telemetry: {
    endpoint: env('OTEL_EXPORTER_OTLP_ENDPOINT', otlpUrl, { doc: 'OTLP/HTTP base URL (a collector, Jaeger, Tempo…): traces go to `<url>/v1/traces`, metrics to `<url>/v1/metrics` ([observability](observability.md))', unset: 'no export: tracing off', secret: true }),
    tracesEndpoint: env('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', otlpUrl, { doc: 'the full URL for traces, instead of the base URL\'s', unset: '`<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`', secret: true }),
    metricsEndpoint: env('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', otlpUrl, { doc: 'the full URL for metrics, instead of the base URL\'s', unset: '`<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/metrics`', secret: true }),
    protocol: env('OTEL_EXPORTER_OTLP_PROTOCOL', z.string().trim().pipe(z.enum(['http/protobuf', 'http/json'], { error: 'expected http/protobuf or http/json (grpc is not supported: use a collector\'s OTLP/HTTP port, 4318)' })).default('http/protobuf'), { doc: '`http/protobuf` or `http/json`' }),
    headers: env('OTEL_EXPORTER_OTLP_HEADERS', keyValueList, { doc: 'headers of every export request, `key=value` pairs separated by commas (an API key: it is never logged)', secret: true, fromFile: true }),
    timeoutMs: env('OTEL_EXPORTER_OTLP_TIMEOUT', int(1).default(10_000), { doc: 'one export request\'s timeout, in milliseconds' }),
    serviceName: env('OTEL_SERVICE_NAME', z.string().min(1).default('llm-enricher'), { doc: 'the `service.name` resource attribute' }),
    resourceAttributes: env('OTEL_RESOURCE_ATTRIBUTES', keyValueList, { doc: 'more resource attributes, `key=value` pairs separated by commas (`deployment.environment.name=prod`)' }),
    sampler: env('OTEL_TRACES_SAMPLER', z.enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']).default('parentbased_always_on'), { doc: 'which attempts are traced: `parentbased_*` follows the sampling decision of the producer\'s trace' }),
    samplerArg: env('OTEL_TRACES_SAMPLER_ARG', z.coerce.number().min(0).max(1).default(1), { doc: 'the ratio of the `*traceidratio` samplers, 0 to 1' }),
    tracesExporter: env('OTEL_TRACES_EXPORTER', z.enum(['otlp', 'none']).default('otlp'), { doc: '`none` exports no traces (metrics still go)' }),
    metricsExporter: env('OTEL_METRICS_EXPORTER', z.enum(['otlp', 'none']).default('otlp'), { doc: '`none` exports no metrics over OTLP (/metrics is unaffected)' }),
    metricExportIntervalMs: env('OTEL_METRIC_EXPORT_INTERVAL', int(100).default(60_000), { doc: 'how often metrics are exported, in milliseconds' }),
    disabled: env('OTEL_SDK_DISABLED', bool.default(false), { doc: '`true` turns every export off, whatever else is set' }),
    captureContent: env('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', bool.default(false), { doc: '`true` puts prompts and answers in the step spans (`gen_ai.input.messages`, `gen_ai.output.messages`): document text leaves with the traces, so only where that is allowed' }),
  },
} satisfies SettingTree;
