/**
 * The only reader of process.env. Every setting is parsed once, with zod, into a frozen
 * object that is passed down. A bad value fails at startup with the variable's name.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { bool, duration, durationList, extensions, int, list, optionalPositive, optionalString, saslMechanism } from './util/env-parsers.ts';
import { withoutCredentials } from './util/redact.ts';

export const DEFAULT_CATEGORIES = [
  'business', 'finance', 'technology', 'science', 'health', 'sport', 'politics', 'legal', 'other',
] as const;

/**
 * One setting: the environment variable it is read from, and its parser with the default.
 * `secret`: its value is never echoed in an error. `fromFile`: `<NAME>_FILE` may name a file
 * holding the value instead (a mounted Kubernetes or Docker secret).
 */
const env = <S extends z.ZodType>(name: string, schema: S, opts: { secret?: boolean; fromFile?: boolean } = {}) => ({ env: name, schema, ...opts });
type Setting = { env: string; schema: z.ZodType; secret?: boolean; fromFile?: boolean };
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
    raw: env('TOPIC_RAW', z.string().min(1).default('documents.raw')),
    enriched: env('TOPIC_ENRICHED', z.string().min(1).default('documents.enriched')),
    review: env('TOPIC_REVIEW', z.string().min(1).default('documents.review')),
    dlq: env('TOPIC_DLQ', z.string().min(1).default('documents.dlq')),
    retryPrefix: env('TOPIC_RETRY_PREFIX', z.string().min(1).default('documents.retry')),
    costEvents: env('TOPIC_COST_EVENTS', z.string().min(1).default('llm.cost-events')),
    costsDaily: env('TOPIC_COSTS_DAILY', z.string().min(1).default('llm.costs.daily')),
    budgetAlerts: env('TOPIC_BUDGET_ALERTS', z.string().min(1).default('llm.budget-alerts')),
    config: env('TOPIC_CONFIG', z.string().min(1).default('pipeline.config')),
    partitions: env('TOPIC_PARTITIONS', int(1, 10_000).default(3)),
    replicationFactor: env('TOPIC_REPLICATION_FACTOR', int(1, 10).default(1)),
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
    categories: env('CATEGORIES', list.pipe(z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'categories are lower-case words')).min(2)).default([...DEFAULT_CATEGORIES])),
    /** May hold a password (redis://user:pass@host): shown without it. */
    redisUrl: env('REDIS_URL', optionalString.pipe(z.url().optional())),
    redisTlsCaFile: env('REDIS_TLS_CA_FILE', optionalString),
    poolId: env('LLM_POOL_ID', z.string().min(1).default('llm_api')),
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
};

function leaves(tree: SettingTree, path: string[] = []): { path: string[]; setting: Setting }[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    'env' in v && typeof v.env === 'string' ? [{ path: [...path, k], setting: v as Setting }] : leaves(v as SettingTree, [...path, k]),
  );
}

const LEAVES = leaves(SETTINGS);
const envSchema = z.object(Object.fromEntries(LEAVES.map((l) => [l.setting.env, l.setting.schema])));

const SECRET_VARIABLES = new Set(LEAVES.filter((l) => l.setting.secret).map((l) => l.setting.env));

/** Every environment variable the service reads (the README documents each), `<NAME>_FILE` variants included. */
export const SETTING_VARIABLES: readonly string[] = LEAVES.flatMap((l) => (l.setting.fromFile ? [l.setting.env, `${l.setting.env}_FILE`] : [l.setting.env]));

/** The Kafka connection variables set in `env`: for tools that start children on the same cluster. */
export function kafkaConnectionEnv(env: Record<string, string | undefined>): Record<string, string> {
  const names = new Set(SETTING_VARIABLES.filter((n) => n === 'KAFKA_BROKERS' || /^KAFKA_(SSL|SASL|OAUTH|AWS)(_|$)/.test(n)));
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => names.has(e[0]) && !!e[1]));
}

/** Puts each parsed variable where its setting lives in the tree. */
function toTree(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { path, setting } of LEAVES) {
    let node = out;
    for (const k of path.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]!] = values[setting.env];
  }
  return out;
}

/**
 * `<NAME>_FILE` → the file's content as `<NAME>` (one trailing newline dropped). Returns the
 * problems: both set, or a file that cannot be read. The path is shown, never the content.
 */
function readSettingFiles(cleaned: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const { setting } of LEAVES.filter((l) => l.setting.fromFile)) {
    const path = cleaned[`${setting.env}_FILE`];
    if (path === undefined) continue;
    if (cleaned[setting.env] !== undefined) {
      problems.push(`  ${setting.env}_FILE: set ${setting.env} or ${setting.env}_FILE, not both`);
      continue;
    }
    try {
      cleaned[setting.env] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      problems.push(`  ${setting.env}_FILE: cannot read "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  return problems;
}

/** The files a TLS setting names must be readable PEM files; checked at start, before anything connects. */
function pemFileProblem(name: string, path: string | undefined): string[] {
  if (path === undefined) return [];
  try {
    if (!readFileSync(path, 'utf8').includes('-----BEGIN ')) return [`  ${name}: "${path}" is not a PEM file (no "-----BEGIN" line)`];
    return [];
  } catch (e) {
    return [`  ${name}: cannot read "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`];
  }
}

/** The rules across the connection settings: what each SASL mechanism and TLS option needs. */
function connectionRules(c: Record<string, string>): string[] {
  const out: string[] = [];
  const need = (name: string, why: string) => c[name] === undefined && out.push(`  ${name}: required ${why}`);
  const mechanism = c.KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  const ssl = ['true', '1', 'yes'].includes(c.KAFKA_SSL?.trim().toLowerCase() ?? '');
  for (const name of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'KAFKA_SSL_REJECT_UNAUTHORIZED']) {
    if (c[name] !== undefined && !ssl) out.push(`  ${name}: only applies with KAFKA_SSL=true`);
  }
  if ((c.KAFKA_SSL_CERT_FILE === undefined) !== (c.KAFKA_SSL_KEY_FILE === undefined)) {
    out.push('  KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE: mutual TLS needs both the certificate and its key');
  }
  if (mechanism === 'plain' || mechanism?.startsWith('scram-')) {
    need('KAFKA_SASL_USERNAME', `with KAFKA_SASL_MECHANISM=${mechanism} (or KAFKA_SASL_USERNAME_FILE)`);
    need('KAFKA_SASL_PASSWORD', `with KAFKA_SASL_MECHANISM=${mechanism} (or KAFKA_SASL_PASSWORD_FILE)`);
  } else if (mechanism === undefined && (c.KAFKA_SASL_USERNAME ?? c.KAFKA_SASL_PASSWORD) !== undefined) {
    out.push('  KAFKA_SASL_MECHANISM: required with KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD (plain, scram-sha-256, scram-sha-512)');
  }
  const oauthSet = Object.keys(c).filter((n) => /^KAFKA_(OAUTH|AWS)_/.test(n));
  if (mechanism === 'oauthbearer') {
    if ((c.KAFKA_OAUTH_TOKEN_PROVIDER ?? 'client-credentials') === 'client-credentials') {
      need('KAFKA_OAUTH_TOKEN_URL', 'with KAFKA_SASL_MECHANISM=oauthbearer');
      need('KAFKA_OAUTH_CLIENT_ID', 'with KAFKA_SASL_MECHANISM=oauthbearer (or KAFKA_OAUTH_CLIENT_ID_FILE)');
      need('KAFKA_OAUTH_CLIENT_SECRET', 'with KAFKA_SASL_MECHANISM=oauthbearer (or KAFKA_OAUTH_CLIENT_SECRET_FILE)');
    } else {
      need('KAFKA_AWS_REGION', 'with KAFKA_OAUTH_TOKEN_PROVIDER=aws-msk-iam');
    }
  } else if (oauthSet.length > 0) {
    out.push(`  ${oauthSet.join(', ')}: only apply with KAFKA_SASL_MECHANISM=oauthbearer`);
  }
  if (c.REDIS_TLS_CA_FILE !== undefined && !c.REDIS_URL?.startsWith('rediss://')) {
    out.push('  REDIS_TLS_CA_FILE: needs a rediss:// REDIS_URL (TLS)');
  }
  for (const name of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'REDIS_TLS_CA_FILE']) out.push(...pemFileProblem(name, c[name]));
  return out;
}

/** The settings derived from others. */
function finish(c: Record<string, unknown>): Config {
  const parsed = c as unknown as Parsed<typeof SETTINGS>;
  const provider = parsed.llm.provider === 'auto' ? (parsed.llm.apiKey ? 'openai' : 'offline') : parsed.llm.provider;
  // Tiers above the cap are clamped, then de-duplicated, so the topic names stay unique.
  const delaysMs = [...new Set(parsed.retry.delaysMs.map((d) => Math.min(d, parsed.retry.maxDelayMs)))];
  return {
    ...parsed,
    llm: { ...parsed.llm, provider },
    retry: { ...parsed.retry, delaysMs },
    costs: { ...parsed.costs, aggregatorGroupId: parsed.costs.aggregatorGroupId ?? `${parsed.kafka.groupId}.cost-aggregator` },
  };
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
  const cleaned = Object.fromEntries(Object.entries({ ...env, ...overrides }).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
  const fileProblems = readSettingFiles(cleaned);
  const parsed = envSchema.safeParse(cleaned);
  // A secret's value is never echoed back (an error message may end up in a log); a URL is shown without its credentials.
  const shown = (name: string) => (SECRET_VARIABLES.has(name) ? '' : ` (got "${name === 'REDIS_URL' ? withoutCredentials(cleaned[name]!) : cleaned[name]}")`);
  const lines = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}${i.path[0] ? shown(String(i.path[0])) : ''}`);
  lines.push(...fileProblems, ...connectionRules(cleaned));
  // Rules across settings are checked even when others failed, so every problem is named at once.
  if ((cleaned.LLM_PROVIDER ?? '').trim() === 'openai' && !(cleaned.OPENAI_API_KEY ?? '').trim()) {
    lines.push('  OPENAI_API_KEY: required when LLM_PROVIDER=openai');
  }
  const categories = cleaned.CATEGORIES?.split(',').map((c) => c.trim());
  if (categories && !categories.includes('other')) {
    lines.push('  CATEGORIES: must include "other", the category for text that fits none');
  }
  const values = parsed.success ? (parsed.data as Record<string, unknown>) : undefined;
  if (values && (values.KAFKA_HEARTBEAT_INTERVAL as number) >= (values.KAFKA_SESSION_TIMEOUT as number)) {
    lines.push('  KAFKA_HEARTBEAT_INTERVAL: must be shorter than KAFKA_SESSION_TIMEOUT');
  }
  if (lines.length > 0 || !values) throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  return deepFreeze(finish(toTree(values)));
}
