/**
 * The only reader of process.env. Every setting is parsed once, with zod, into a frozen
 * object that is passed down. A bad value fails at startup with the variable's name.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { parseDurationMs } from './util/duration.ts';

export const DEFAULT_CATEGORIES = [
  'business', 'finance', 'technology', 'science', 'health', 'sport', 'politics', 'legal', 'other',
] as const;

/** Sent as service_tier with every request (LLM_SERVICE_TIER); the response says which served it. */
export const SERVICE_TIERS = ['auto', 'default', 'flex', 'priority'] as const;
export type ServiceTier = (typeof SERVICE_TIERS)[number];

/** Which confidence the quality gate reads (CONFIDENCE_MODE); src/llm/chain/confidence.ts. */
export const CONFIDENCE_MODES = ['self', 'logprob', 'min'] as const;
export type ConfidenceMode = (typeof CONFIDENCE_MODES)[number];

const duration = z.string().transform((s, ctx) => {
  const ms = parseDurationMs(s);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 10s, 2m or 7d, got "${s}"` });
    return z.NEVER;
  }
  return ms;
});
const durationList = z.string().transform((s, ctx) => {
  const parts = s.split(',').map((p) => p.trim()).filter(Boolean);
  const out: number[] = [];
  for (const p of parts) {
    const ms = parseDurationMs(p);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `expected a comma-separated list of durations (10s,20s,40s), got "${p}"` });
      return z.NEVER;
    }
    out.push(ms);
  }
  if (out.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'needs at least one delay' });
    return z.NEVER;
  }
  return out;
});
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const list = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const optionalString = z.string().optional().transform((s) => (s === undefined || s.trim() === '' ? undefined : s.trim()));
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((s) => s === 'true' || s === '1' || s === 'yes');
const optionalPositive = (integer: boolean) =>
  z.string().optional().transform((s, ctx) => {
    if (s === undefined || s.trim() === '') return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      ctx.addIssue({ code: 'custom', message: `expected a positive ${integer ? 'integer' : 'number'}` });
      return z.NEVER;
    }
    return n;
  });

/** A *_FILE variable: the path of a file whose (trimmed) content is the value, read once at start. */
const fileContent = optionalString.transform((path, ctx) => {
  if (path === undefined) return undefined;
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (text === '') throw new Error('the file is empty');
    return text;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${path}: ${(e as Error).message}` });
    return z.NEVER;
  }
});

/** One setting: the environment variable it is read from, and its parser with the default. */
const env = <S extends z.ZodType>(name: string, schema: S) => ({ env: name, schema });
type Setting = ReturnType<typeof env>;
type SettingTree = { [key: string]: Setting | SettingTree };

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
  },
  topics: {
    raw: env('TOPIC_RAW', z.string().min(1).default('documents.raw')),
    enriched: env('TOPIC_ENRICHED', z.string().min(1).default('documents.enriched')),
    review: env('TOPIC_REVIEW', z.string().min(1).default('documents.review')),
    dlq: env('TOPIC_DLQ', z.string().min(1).default('documents.dlq')),
    retryPrefix: env('TOPIC_RETRY_PREFIX', z.string().min(1).default('documents.retry')),
    costEvents: env('TOPIC_COST_EVENTS', z.string().min(1).default('llm.cost-events')),
    costsDaily: env('TOPIC_COSTS_DAILY', z.string().min(1).default('llm.costs.daily')),
    budgetAlerts: env('TOPIC_BUDGET_ALERTS', z.string().min(1).default('llm.budget-alerts')),
    config: env('TOPIC_CONFIG', z.string().min(1).default('pipeline.config')),
    alerts: env('TOPIC_ALERTS', z.string().min(1).default('pipeline.alerts')),
    rejected: env('TOPIC_REJECTED', z.string().min(1).default('documents.rejected')),
    reviewDecisions: env('TOPIC_REVIEW_DECISIONS', z.string().min(1).default('documents.review.decisions')),
    partitions: env('TOPIC_PARTITIONS', int(1, 10_000).default(3)),
    replicationFactor: env('TOPIC_REPLICATION_FACTOR', int(1, 10).default(1)),
  },
  llm: {
    /** 'auto' is resolved to openai or offline by finish(). */
    provider: env('LLM_PROVIDER', z.enum(['auto', 'openai', 'offline']).default('auto')),
    apiKey: env('OPENAI_API_KEY', optionalString),
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
    redisUrl: env('REDIS_URL', optionalString.pipe(z.url().optional())),
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
    sessionSecret: env('REVIEW_SESSION_SECRET', optionalString.pipe(z.string().min(32, 'at least 32 characters').optional())),
    sessionTtlMs: env('REVIEW_SESSION_TTL', duration.pipe(z.number().min(60_000, 'at least 1m')).default(8 * 3_600_000)),
    cookieSecure: env('REVIEW_COOKIE_SECURE', bool.default(true)),
    bulkMax: env('REVIEW_BULK_MAX', int(1, 10_000).default(500)),
  },
  /** The schema registry (Confluent REST API: Confluent, Apicurio's ccompat, Karapace); none means plain JSON. */
  schemaRegistry: {
    url: env('SCHEMA_REGISTRY_URL', optionalString.pipe(z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional())),
    username: env('SCHEMA_REGISTRY_USERNAME', optionalString),
    usernameFile: env('SCHEMA_REGISTRY_USERNAME_FILE', fileContent),
    password: env('SCHEMA_REGISTRY_PASSWORD', optionalString),
    passwordFile: env('SCHEMA_REGISTRY_PASSWORD_FILE', fileContent),
    /** PEM of the CA that signed the registry's certificate (for https:// with a private CA). */
    ca: env('SCHEMA_REGISTRY_CA_FILE', fileContent),
  },
  log: {
    level: env('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  },
  metrics: {
    port: env('METRICS_PORT', int(0, 65_535).default(0)),
  },
} satisfies SettingTree;

type Parsed<T> = { readonly [K in keyof T]: T[K] extends Setting ? z.output<T[K]['schema']> : Parsed<T[K]> };

/** The parsed settings, with the few that finish() resolves narrowed to what they become. */
export type Config = Parsed<typeof SETTINGS> & {
  readonly llm: { readonly provider: 'openai' | 'offline' };
  readonly costs: { readonly aggregatorGroupId: string };
  readonly schemaRegistry: { readonly auth: { readonly username: string; readonly password: string } | undefined };
};

/** Values never echoed in an error message: an error message may end up in a log. */

/** The registry's credentials come from the variable or its *_FILE, never both, and in pairs. */
function schemaRegistryRules(cleaned: Record<string, string | undefined>): string[] {
  const set = (name: string) => (cleaned[name] ?? '').trim() !== '';
  const lines: string[] = [];
  for (const v of ['SCHEMA_REGISTRY_USERNAME', 'SCHEMA_REGISTRY_PASSWORD']) {
    if (set(v) && set(`${v}_FILE`)) lines.push(`  ${v}: set either ${v} or ${v}_FILE, not both`);
  }
  const user = set('SCHEMA_REGISTRY_USERNAME') || set('SCHEMA_REGISTRY_USERNAME_FILE');
  const password = set('SCHEMA_REGISTRY_PASSWORD') || set('SCHEMA_REGISTRY_PASSWORD_FILE');
  if (user !== password) lines.push(`  SCHEMA_REGISTRY_${user ? 'PASSWORD' : 'USERNAME'}: basic auth needs both a username and a password`);
  const url = (cleaned.SCHEMA_REGISTRY_URL ?? '').trim();
  if ((user || password || set('SCHEMA_REGISTRY_CA_FILE')) && url === '') lines.push('  SCHEMA_REGISTRY_URL: required when the registry\'s credentials or CA are set');
  if (set('SCHEMA_REGISTRY_CA_FILE') && url !== '' && !url.startsWith('https://')) lines.push('  SCHEMA_REGISTRY_CA_FILE: needs an https:// SCHEMA_REGISTRY_URL');
  return lines;
}

function leaves(tree: SettingTree, path: string[] = []): { path: string[]; setting: Setting }[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    'env' in v && typeof v.env === 'string' ? [{ path: [...path, k], setting: v as Setting }] : leaves(v as SettingTree, [...path, k]),
  );
}

const LEAVES = leaves(SETTINGS);
const envSchema = z.object(Object.fromEntries(LEAVES.map((l) => [l.setting.env, l.setting.schema])));

/** Every environment variable the service reads (the README documents each). */
export const SETTING_VARIABLES: readonly string[] = LEAVES.map((l) => l.setting.env);

/** Puts each parsed variable where its setting lives in the tree. */
function toTree(values: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const { path, setting } of LEAVES) {
    const [group, key] = path as [string, string];
    (out[group] ??= {})[key] = values[setting.env];
  }
  return out;
}

/** The settings derived from others. */
function finish(c: Record<string, Record<string, unknown>>): Config {
  const parsed = c as unknown as Parsed<typeof SETTINGS>;
  const provider = parsed.llm.provider === 'auto' ? (parsed.llm.apiKey ? 'openai' : 'offline') : parsed.llm.provider;
  // Tiers above the cap are clamped, then de-duplicated, so the topic names stay unique.
  const delaysMs = [...new Set(parsed.retry.delaysMs.map((d) => Math.min(d, parsed.retry.maxDelayMs)))];
  const r = parsed.schemaRegistry;
  const username = r.username ?? r.usernameFile;
  const password = r.password ?? r.passwordFile;
  return {
    ...parsed,
    llm: { ...parsed.llm, provider },
    schemaRegistry: { ...r, auth: username !== undefined && password !== undefined ? { username, password } : undefined },
    retry: { ...parsed.retry, delaysMs },
    costs: { ...parsed.costs, aggregatorGroupId: parsed.costs.aggregatorGroupId ?? `${parsed.kafka.groupId}.cost-aggregator` },
  };
}

/** Values never echoed back in an error message: it may end up in a log. */
/** Variables whose values are never echoed (a URL may carry credentials). */
const SECRET_VARIABLES = new Set(['OPENAI_API_KEY', 'REVIEW_SESSION_SECRET', 'SCHEMA_REGISTRY_URL', 'SCHEMA_REGISTRY_PASSWORD']);

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Parses the environment. Throws ConfigError naming every bad variable. `overrides` win over
 * the environment: a command that must run a setting its own way (the demo's offline provider)
 * says so here instead of building a Config by hand.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Record<string, string> = {}): Config {
  // Empty strings mean "unset" to users of shells and compose files.
  const cleaned = Object.fromEntries(Object.entries({ ...env, ...overrides }).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  // Secrets are never echoed back: an error message may end up in a log.
  const shown = (name: string) => (SECRET_VARIABLES.has(name) ? '' : ` (got "${String(cleaned[name])}")`);
  const lines = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}${i.path[0] ? shown(String(i.path[0])) : ''}`);
  // Rules across settings are checked even when others failed, so every problem is named at once.
  if ((cleaned.LLM_PROVIDER ?? '').trim() === 'openai' && !(cleaned.OPENAI_API_KEY ?? '').trim()) {
    lines.push('  OPENAI_API_KEY: required when LLM_PROVIDER=openai');
  }
  const categories = cleaned.CATEGORIES?.split(',').map((c) => c.trim());
  if (categories && !categories.includes('other')) {
    lines.push('  CATEGORIES: must include "other", the category for text that fits none');
  }
  lines.push(...schemaRegistryRules(cleaned));
  const values = parsed.success ? (parsed.data as Record<string, unknown>) : undefined;
  if (values && values.REVIEW_ANONYMOUS_ROLE !== 'off' && !isLoopbackHost(values.REVIEW_HOST as string)) {
    lines.push('  REVIEW_ANONYMOUS_ROLE: anonymous access is only allowed when REVIEW_HOST is a loopback address (127.0.0.1, ::1, localhost)');
  }
  if (values && (values.KAFKA_HEARTBEAT_INTERVAL as number) >= (values.KAFKA_SESSION_TIMEOUT as number)) {
    lines.push('  KAFKA_HEARTBEAT_INTERVAL: must be shorter than KAFKA_SESSION_TIMEOUT');
  }
  if (lines.length > 0 || !values) throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  return deepFreeze(finish(toTree(values)));
}
