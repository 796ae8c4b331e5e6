/**
 * The only reader of process.env. Every setting is parsed once, with zod, into a frozen
 * object that is passed down. A bad value fails at startup with the variable's name.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { crossSettingProblems } from './config/cross-rules.ts';
import { deepFreeze, env, leaves, readSettingFiles, toTree, type Parsed, type SettingTree } from './config/setting-tree.ts';
import { ConfigError } from './errors.ts';
import { bool, duration, durationList, extensions, fileText, int, list, optionalPositive, optionalString, saslMechanism } from './util/env-parsers.ts';
import { withoutCredentials } from './util/redact.ts';
import { CATALOGUE, type NamedTopicId } from './topics/catalogue.ts';

export { isLoopbackHost } from './config/cross-rules.ts';

export const DEFAULT_CATEGORIES = [
  'business', 'finance', 'technology', 'science', 'health', 'sport', 'politics', 'legal', 'other',
] as const;

/** Sent as service_tier with every request (LLM_SERVICE_TIER); the response says which served it. */
export const SERVICE_TIERS = ['auto', 'default', 'flex', 'priority'] as const;
export type ServiceTier = (typeof SERVICE_TIERS)[number];

/** Which confidence the quality gate reads (CONFIDENCE_MODE); src/llm/chain/confidence.ts. */
export const CONFIDENCE_MODES = ['self', 'logprob', 'min'] as const;
export type ConfidenceMode = (typeof CONFIDENCE_MODES)[number];

const topicName = (e: { env: string; default: string }) => env(e.env, z.string().min(1).default(e.default));

/** The name setting of every topic the catalogue names by a variable. */
function topicNameSettings(): { [K in NamedTopicId]: ReturnType<typeof topicName> } {
  const named = Object.entries(CATALOGUE).flatMap(([id, e]) => ('setting' in e ? [[id, topicName(e.setting)] as const] : []));
  return Object.fromEntries(named) as { [K in NamedTopicId]: ReturnType<typeof topicName> };
}

/**
 * Every setting, once: where it lands in the Config, which variable it comes from, its parser
 * and its default. The Config type is derived from this tree; the README's configuration table
 * lists the same variables (a unit test holds the two together).
 */
const SETTINGS = {
  kafka: {
    brokers: env('KAFKA_BROKERS', list.pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1)).default(['127.0.0.1:9092'])),
    clientId: env('KAFKA_CLIENT_ID', z.string().min(1).default('llm-enricher')),
    groupId: env('KAFKA_GROUP_ID', z.string().min(1).default('llm-enricher')),
    instanceId: env('INSTANCE_ID', z.string().min(1).default(`${hostname()}-${process.pid}`)),
    sessionTimeoutMs: env('KAFKA_SESSION_TIMEOUT', duration.default(30_000)),
    heartbeatIntervalMs: env('KAFKA_HEARTBEAT_INTERVAL', duration.default(3_000)),
    giveUpAfterMs: env('BROKER_GIVE_UP_AFTER', duration.default(300_000)),
    ssl: {
      enabled: env('KAFKA_SSL', bool.default(false)),
      caFile: env('KAFKA_SSL_CA_FILE', optionalString),
      certFile: env('KAFKA_SSL_CERT_FILE', optionalString),
      keyFile: env('KAFKA_SSL_KEY_FILE', optionalString),
      rejectUnauthorized: env('KAFKA_SSL_REJECT_UNAUTHORIZED', bool.default(true)),
    },
    sasl: {
      mechanism: env('KAFKA_SASL_MECHANISM', saslMechanism),
      username: env('KAFKA_SASL_USERNAME', optionalString, { fromFile: true }),
      password: env('KAFKA_SASL_PASSWORD', optionalString, { secret: true, fromFile: true }),
    },
    /** The OAUTHBEARER token: OAuth client credentials, or Amazon MSK IAM through its signer. */
    oauth: {
      tokenProvider: env('KAFKA_OAUTH_TOKEN_PROVIDER', z.enum(['client-credentials', 'aws-msk-iam']).default('client-credentials')),
      tokenUrl: env('KAFKA_OAUTH_TOKEN_URL', optionalString.pipe(z.url().optional())),
      clientId: env('KAFKA_OAUTH_CLIENT_ID', optionalString, { fromFile: true }),
      clientSecret: env('KAFKA_OAUTH_CLIENT_SECRET', optionalString, { secret: true, fromFile: true }),
      scope: env('KAFKA_OAUTH_SCOPE', optionalString),
      extensions: env('KAFKA_OAUTH_EXTENSIONS', extensions),
      awsRegion: env('KAFKA_AWS_REGION', optionalString),
    },
  },
  topics: {
    // One name setting per topic of the catalogue (topics/catalogue.ts), with its default.
    ...topicNameSettings(),
    partitions: env('TOPIC_PARTITIONS', int(1, 10_000).default(3)),
    replicationFactor: env('TOPIC_REPLICATION_FACTOR', int(1, 10).default(1)),
    /** `min.insync.replicas` of every topic we create; unset: the broker's default (1 on a local single broker). */
    minInsyncReplicas: env('TOPIC_MIN_INSYNC_REPLICAS', int(1, 10).optional()),
  },
  llm: {
    /** 'auto' is resolved to openai or offline by finish(). */
    provider: env('LLM_PROVIDER', z.enum(['auto', 'openai', 'offline']).default('auto')),
    apiKey: env('OPENAI_API_KEY', optionalString, { secret: true }),
    baseUrl: env('OPENAI_BASE_URL', optionalString.pipe(z.url().optional())),
    model: env('LLM_MODEL', z.string().min(1).default('gpt-4o-mini')),
    timeoutMs: env('LLM_TIMEOUT', duration.default(60_000)),
    callRetries: env('LLM_CALL_RETRIES', int(0, 10).default(2)),
    poolSlots: env('LLM_POOL_SLOTS', int(1, 10_000).default(5)),
    maxOutputTokens: env('LLM_MAX_OUTPUT_TOKENS', int(16, 100_000).default(600)),
    pricesFile: env('LLM_PRICES_FILE', optionalString),
    /** Unset: not sent, the API decides (its default is auto). */
    serviceTier: env('LLM_SERVICE_TIER', z.enum(SERVICE_TIERS).optional()),
    /** Unset: min where the provider returns token log-probabilities, else self (resolved with the provider). */
    confidenceMode: env('CONFIDENCE_MODE', z.enum(CONFIDENCE_MODES).optional()),
    categories: env('CATEGORIES', list.pipe(z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'categories are lower-case words')).min(2)).default([...DEFAULT_CATEGORIES])),
    /** May hold a password (redis://user:pass@host): shown without it. */
    redisUrl: env('REDIS_URL', optionalString.pipe(z.url().optional())),
    redisTlsCaFile: env('REDIS_TLS_CA_FILE', optionalString),
    poolId: env('LLM_POOL_ID', z.string().min(1).default('llm_api')),
    /** While the shared pool's Redis is away: pause (keep the global pool) or use a local pool. */
    redisOutage: env('REDIS_OUTAGE', z.enum(['pause', 'local']).default('pause')),
    rpm: env('LLM_RPM', optionalPositive(true)),
    tpm: env('LLM_TPM', optionalPositive(true)),
    cacheTtlMs: env('LLM_CACHE_TTL', duration.default(7 * 24 * 3_600_000)),
    cacheSize: env('LLM_CACHE_SIZE', int(0).default(10_000)),
  },
  processing: {
    qualityThreshold: env('QUALITY_THRESHOLD', z.coerce.number().min(0).max(1).default(0.8)),
    maxInFlight: env('MAX_IN_FLIGHT', int(1, 100_000).default(64)),
    maxPendingBytes: env('MAX_PENDING_BYTES', int(1024).default(64 * 1024 * 1024)),
    flushIntervalMs: env('FLUSH_INTERVAL', duration.default(100)),
    flushMaxMessages: env('FLUSH_MAX_MESSAGES', int(1, 100_000).default(500)),
    shutdownTimeoutMs: env('SHUTDOWN_TIMEOUT', duration.default(30_000)),
    maxDocumentBytes: env('MAX_DOCUMENT_BYTES', int(1024).default(1_048_576)),
  },
  retry: {
    /** Clamped to maxDelayMs and de-duplicated by finish(). */
    delaysMs: env('RETRY_DELAYS', durationList.default([10_000, 20_000, 40_000])),
    maxDelayMs: env('RETRY_MAX_DELAY', duration.pipe(z.number().min(1000, 'must be at least 1s')).default(120_000)),
    outageWindow: env('OUTAGE_WINDOW', int(4, 10_000).default(50)),
    outageFailureRatio: env('OUTAGE_FAILURE_RATIO', z.coerce.number().gt(0).max(1).default(0.5)),
    serviceProbeIntervalMs: env('SERVICE_PROBE_INTERVAL', duration.default(30_000)),
    maxRedrives: env('MAX_REDRIVES', int(1, 100).default(3)),
    dlqStormWindow: env('DLQ_STORM_WINDOW', int(4, 100_000).default(50)),
    dlqStormShare: env('DLQ_STORM_SHARE', z.coerce.number().gt(0).max(1).default(0.5)),
    dlqStormCooldownMs: env('DLQ_STORM_COOLDOWN', duration.default(300_000)),
  },
  budget: {
    dailyUsd: env('DAILY_BUDGET_USD', optionalPositive(false)),
  },
  /** The cost aggregator (`enricher aggregate-costs`). */
  costs: {
    /** Defaults to `<KAFKA_GROUP_ID>.cost-aggregator` (finish()). */
    aggregatorGroupId: env('COST_AGGREGATOR_GROUP_ID', optionalString),
    flushIntervalMs: env('COST_FLUSH_INTERVAL', duration.default(1_000)),
    flushMaxEvents: env('COST_FLUSH_MAX_EVENTS', int(1, 1_000_000).default(5_000)),
    dedupWindow: env('COST_DEDUP_WINDOW', int(0, 10_000_000).default(200_000)),
  },
  /** The review console (`enricher review`). */
  review: {
    port: env('REVIEW_PORT', int(0, 65_535).default(8089)),
    host: env('REVIEW_HOST', z.string().min(1).default('127.0.0.1')),
    usersFile: env('REVIEW_USERS_FILE', optionalString),
    proxyUserHeader: env('REVIEW_PROXY_USER_HEADER', optionalString.pipe(z.string().regex(/^[a-z0-9-]+$/i, 'a header name').optional())),
    proxyRoleHeader: env('REVIEW_PROXY_ROLE_HEADER', optionalString.pipe(z.string().regex(/^[a-z0-9-]+$/i, 'a header name').optional())),
    anonymousRole: env('REVIEW_ANONYMOUS_ROLE', z.enum(['off', 'viewer', 'reviewer']).default('off')),
    sessionSecret: env('REVIEW_SESSION_SECRET', optionalString.pipe(z.string().min(32, 'at least 32 characters').optional()), { secret: true, fromFile: true }),
    sessionTtlMs: env('REVIEW_SESSION_TTL', duration.pipe(z.number().min(60_000, 'at least 1m')).default(8 * 3_600_000)),
    cookieSecure: env('REVIEW_COOKIE_SECURE', bool.default(true)),
    bulkMax: env('REVIEW_BULK_MAX', int(1, 10_000).default(500)),
  },
  /** The schema registry (Confluent REST API: Confluent, Apicurio's ccompat, Karapace); none means plain JSON. */
  schemaRegistry: {
    /** Secret: a URL may carry credentials. */
    url: env('SCHEMA_REGISTRY_URL', optionalString.pipe(z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional()), { secret: true }),
    username: env('SCHEMA_REGISTRY_USERNAME', optionalString, { fromFile: true }),
    password: env('SCHEMA_REGISTRY_PASSWORD', optionalString, { secret: true, fromFile: true }),
    /** PEM of the CA that signed the registry's certificate (for https:// with a private CA). */
    ca: env('SCHEMA_REGISTRY_CA_FILE', fileText),
  },
  log: {
    level: env('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  },
  metrics: {
    port: env('METRICS_PORT', int(0, 65_535).default(0)),
  },
} satisfies SettingTree;

/** The parsed settings, with the few that finish() resolves narrowed to what they become. */
export type Config = Parsed<typeof SETTINGS> & {
  readonly llm: { readonly provider: 'openai' | 'offline' };
  readonly costs: { readonly aggregatorGroupId: string };
  readonly schemaRegistry: { readonly auth: { readonly username: string; readonly password: string } | undefined };
};

const LEAVES = leaves(SETTINGS);
const envSchema = z.object(Object.fromEntries(LEAVES.map((l) => [l.setting.env, l.setting.schema])));

const SECRET_VARIABLES = new Set(LEAVES.filter((l) => l.setting.secret).map((l) => l.setting.env));

/** Every environment variable the service reads (the README documents each), `<NAME>_FILE` variants included. */
export const SETTING_VARIABLES: readonly string[] = LEAVES.flatMap((l) => (l.setting.fromFile ? [l.setting.env, `${l.setting.env}_FILE`] : [l.setting.env]));

/** The settings derived from others. */
function finish(c: Record<string, unknown>): Config {
  const parsed = c as unknown as Parsed<typeof SETTINGS>;
  const provider = parsed.llm.provider === 'auto' ? (parsed.llm.apiKey ? 'openai' : 'offline') : parsed.llm.provider;
  // Tiers above the cap are clamped, then de-duplicated, so the topic names stay unique.
  const delaysMs = [...new Set(parsed.retry.delaysMs.map((d) => Math.min(d, parsed.retry.maxDelayMs)))];
  const { username, password } = parsed.schemaRegistry;
  return {
    ...parsed,
    llm: { ...parsed.llm, provider },
    schemaRegistry: { ...parsed.schemaRegistry, auth: username !== undefined && password !== undefined ? { username, password } : undefined },
    retry: { ...parsed.retry, delaysMs },
    costs: { ...parsed.costs, aggregatorGroupId: parsed.costs.aggregatorGroupId ?? `${parsed.kafka.groupId}.cost-aggregator` },
  };
}

/**
 * Parses the environment. Throws ConfigError naming every bad variable. `overrides` win over
 * the environment: a command that must run a setting its own way (the demo's offline provider)
 * says so here instead of building a Config by hand.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Record<string, string> = {}): Config {
  // Empty strings mean "unset" to users of shells and compose files.
  const cleaned = Object.fromEntries(Object.entries({ ...env, ...overrides }).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
  const fileProblems = readSettingFiles(LEAVES, cleaned);
  const parsed = envSchema.safeParse(cleaned);
  // A secret's value is never echoed back (an error message may end up in a log); a URL is shown without its credentials.
  const shown = (name: string) => (SECRET_VARIABLES.has(name) ? '' : ` (got "${name === 'REDIS_URL' ? withoutCredentials(cleaned[name]!) : cleaned[name]}")`);
  const lines = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}${i.path[0] ? shown(String(i.path[0])) : ''}`);
  // Rules across settings are checked even when others failed, so every problem is named at once.
  lines.push(...fileProblems, ...crossSettingProblems(cleaned));
  const values = parsed.success ? (parsed.data as Record<string, unknown>) : undefined;
  if (values && (values.KAFKA_HEARTBEAT_INTERVAL as number) >= (values.KAFKA_SESSION_TIMEOUT as number)) {
    lines.push('  KAFKA_HEARTBEAT_INTERVAL: must be shorter than KAFKA_SESSION_TIMEOUT');
  }
  if (lines.length > 0 || !values) throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  return deepFreeze(finish(toTree(LEAVES, values)));
}
