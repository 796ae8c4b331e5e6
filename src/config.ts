/**
 * The only reader of process.env. Every setting is parsed once, with zod, into a frozen
 * object that is passed down. A bad value fails at startup with the variable's name.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { parseDurationMs } from './util/duration.ts';

export const DEFAULT_CATEGORIES = [
  'business', 'finance', 'technology', 'science', 'health', 'sport', 'politics', 'legal', 'other',
] as const;

const duration = z.string().transform((s, ctx) => {
  const ms = parseDurationMs(s);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 10s or 2m, got "${s}"` });
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
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const list = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
const optionalString = z.string().optional().transform((s) => (s === undefined || s.trim() === '' ? undefined : s.trim()));
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

/** Each variable, its parser and default. The README's configuration table mirrors this list. */
const envSchema = z.object({
  KAFKA_BROKERS: list.pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1)).default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).default('llm-enricher'),
  KAFKA_GROUP_ID: z.string().min(1).default('llm-enricher'),
  INSTANCE_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
  KAFKA_SESSION_TIMEOUT: duration.default(30_000),
  KAFKA_HEARTBEAT_INTERVAL: duration.default(3_000),
  TOPIC_RAW: z.string().min(1).default('documents.raw'),
  TOPIC_ENRICHED: z.string().min(1).default('documents.enriched'),
  TOPIC_REVIEW: z.string().min(1).default('documents.review'),
  TOPIC_DLQ: z.string().min(1).default('documents.dlq'),
  TOPIC_RETRY_PREFIX: z.string().min(1).default('documents.retry'),
  TOPIC_COST_EVENTS: z.string().min(1).default('llm.cost-events'),
  TOPIC_COSTS_DAILY: z.string().min(1).default('llm.costs.daily'),
  TOPIC_BUDGET_ALERTS: z.string().min(1).default('llm.budget-alerts'),
  TOPIC_CONFIG: z.string().min(1).default('pipeline.config'),
  TOPIC_PARTITIONS: int(1, 10_000).default(3),
  TOPIC_REPLICATION_FACTOR: int(1, 10).default(1),

  LLM_PROVIDER: z.enum(['auto', 'openai', 'offline']).default('auto'),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString.pipe(z.url().optional()),
  LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  LLM_TIMEOUT: duration.default(60_000),
  LLM_CALL_RETRIES: int(0, 10).default(2),
  LLM_POOL_SLOTS: int(1, 10_000).default(5),
  LLM_MAX_OUTPUT_TOKENS: int(16, 100_000).default(600),
  LLM_PRICES_FILE: optionalString,
  CATEGORIES: list.pipe(z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'categories are lower-case words')).min(2)).default([...DEFAULT_CATEGORIES]),
  QUALITY_THRESHOLD: z.coerce.number().min(0).max(1).default(0.8),

  MAX_IN_FLIGHT: int(1, 100_000).default(64),
  MAX_PENDING_BYTES: int(1024).default(64 * 1024 * 1024),
  FLUSH_INTERVAL: duration.default(100),
  FLUSH_MAX_MESSAGES: int(1, 100_000).default(500),
  SHUTDOWN_TIMEOUT: duration.default(30_000),
  BROKER_GIVE_UP_AFTER: duration.default(300_000),
  MAX_DOCUMENT_BYTES: int(1024).default(1_048_576),

  RETRY_DELAYS: durationList.default([10_000, 20_000, 40_000]),
  RETRY_MAX_DELAY: duration.pipe(z.number().min(1000, 'must be at least 1s')).default(120_000),
  OUTAGE_WINDOW: int(4, 10_000).default(50),
  OUTAGE_FAILURE_RATIO: z.coerce.number().gt(0).max(1).default(0.5),
  SERVICE_PROBE_INTERVAL: duration.default(30_000),
  MAX_REDRIVES: int(1, 100).default(3),

  DAILY_BUDGET_USD: optionalPositive(false),
  COST_AGGREGATOR_GROUP_ID: optionalString,
  COST_FLUSH_INTERVAL: duration.default(1_000),
  COST_FLUSH_MAX_EVENTS: int(1, 1_000_000).default(5_000),
  COST_DEDUP_WINDOW: int(0, 10_000_000).default(200_000),
  REDIS_URL: optionalString.pipe(z.url().optional()),
  LLM_POOL_ID: z.string().min(1).default('llm_api'),
  LLM_RPM: optionalPositive(true),
  LLM_TPM: optionalPositive(true),
  LLM_CACHE_TTL: duration.default(7 * 24 * 3_600_000),
  LLM_CACHE_SIZE: int(0).default(10_000),

  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  METRICS_PORT: int(0, 65_535).default(0),
});

type Env = z.infer<typeof envSchema>;

export interface Config {
  readonly kafka: {
    brokers: readonly string[]; clientId: string; groupId: string; instanceId: string; giveUpAfterMs: number;
    sessionTimeoutMs: number; heartbeatIntervalMs: number;
  };
  readonly topics: {
    raw: string; enriched: string; review: string; dlq: string; retryPrefix: string;
    costEvents: string; costsDaily: string; budgetAlerts: string; config: string;
    partitions: number; replicationFactor: number;
  };
  readonly llm: {
    provider: 'openai' | 'offline'; apiKey: string | undefined; baseUrl: string | undefined; model: string;
    timeoutMs: number; callRetries: number; poolSlots: number; maxOutputTokens: number;
    pricesFile: string | undefined; categories: readonly string[];
    redisUrl: string | undefined; poolId: string; rpm: number | undefined; tpm: number | undefined;
    cacheTtlMs: number; cacheSize: number;
  };
  readonly processing: {
    qualityThreshold: number; maxInFlight: number; maxPendingBytes: number; flushIntervalMs: number;
    flushMaxMessages: number; shutdownTimeoutMs: number; maxDocumentBytes: number;
  };
  readonly retry: {
    delaysMs: readonly number[]; maxDelayMs: number; outageWindow: number; outageFailureRatio: number;
    serviceProbeIntervalMs: number; maxRedrives: number;
  };
  readonly budget: { dailyUsd: number | undefined };
  /** The cost aggregator (`enricher aggregate-costs`). */
  readonly costs: { aggregatorGroupId: string; flushIntervalMs: number; flushMaxEvents: number; dedupWindow: number };
  readonly log: { level: Env['LOG_LEVEL'] };
  readonly metrics: { port: number };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Parses the environment. Throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset" to users of shells and compose files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  // The key's value is never echoed back: an error message may end up in a log.
  const shown = (name: string) => (name === 'OPENAI_API_KEY' ? '' : ` (got "${String(cleaned[name])}")`);
  const lines = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}${i.path[0] ? shown(String(i.path[0])) : ''}`);
  // Rules across settings are checked even when others failed, so every problem is named at once.
  if ((cleaned.LLM_PROVIDER ?? '').trim() === 'openai' && !(cleaned.OPENAI_API_KEY ?? '').trim()) {
    lines.push('  OPENAI_API_KEY: required when LLM_PROVIDER=openai');
  }
  const categories = cleaned.CATEGORIES?.split(',').map((c) => c.trim());
  if (categories && !categories.includes('other')) {
    lines.push('  CATEGORIES: must include "other", the category for text that fits none');
  }
  if (parsed.success && parsed.data.KAFKA_HEARTBEAT_INTERVAL >= parsed.data.KAFKA_SESSION_TIMEOUT) {
    lines.push('  KAFKA_HEARTBEAT_INTERVAL: must be shorter than KAFKA_SESSION_TIMEOUT');
  }
  if (lines.length > 0 || !parsed.success) throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  const e = parsed.data;
  const provider = e.LLM_PROVIDER === 'auto' ? (e.OPENAI_API_KEY ? 'openai' : 'offline') : e.LLM_PROVIDER;
  // Tiers above the cap are clamped, then de-duplicated, so the topic names stay unique.
  const delays = [...new Set(e.RETRY_DELAYS.map((d) => Math.min(d, e.RETRY_MAX_DELAY)))];

  return deepFreeze<Config>({
    kafka: {
      brokers: e.KAFKA_BROKERS, clientId: e.KAFKA_CLIENT_ID, groupId: e.KAFKA_GROUP_ID, instanceId: e.INSTANCE_ID,
      giveUpAfterMs: e.BROKER_GIVE_UP_AFTER, sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT, heartbeatIntervalMs: e.KAFKA_HEARTBEAT_INTERVAL,
    },
    topics: {
      raw: e.TOPIC_RAW, enriched: e.TOPIC_ENRICHED, review: e.TOPIC_REVIEW, dlq: e.TOPIC_DLQ,
      retryPrefix: e.TOPIC_RETRY_PREFIX, costEvents: e.TOPIC_COST_EVENTS, costsDaily: e.TOPIC_COSTS_DAILY,
      budgetAlerts: e.TOPIC_BUDGET_ALERTS, config: e.TOPIC_CONFIG,
      partitions: e.TOPIC_PARTITIONS, replicationFactor: e.TOPIC_REPLICATION_FACTOR,
    },
    llm: {
      provider, apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL, model: e.LLM_MODEL,
      timeoutMs: e.LLM_TIMEOUT, callRetries: e.LLM_CALL_RETRIES, poolSlots: e.LLM_POOL_SLOTS,
      maxOutputTokens: e.LLM_MAX_OUTPUT_TOKENS, pricesFile: e.LLM_PRICES_FILE, categories: e.CATEGORIES,
      redisUrl: e.REDIS_URL, poolId: e.LLM_POOL_ID, rpm: e.LLM_RPM, tpm: e.LLM_TPM,
      cacheTtlMs: e.LLM_CACHE_TTL, cacheSize: e.LLM_CACHE_SIZE,
    },
    processing: {
      qualityThreshold: e.QUALITY_THRESHOLD, maxInFlight: e.MAX_IN_FLIGHT, maxPendingBytes: e.MAX_PENDING_BYTES,
      flushIntervalMs: e.FLUSH_INTERVAL, flushMaxMessages: e.FLUSH_MAX_MESSAGES,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT, maxDocumentBytes: e.MAX_DOCUMENT_BYTES,
    },
    retry: {
      delaysMs: delays, maxDelayMs: e.RETRY_MAX_DELAY, outageWindow: e.OUTAGE_WINDOW,
      outageFailureRatio: e.OUTAGE_FAILURE_RATIO, serviceProbeIntervalMs: e.SERVICE_PROBE_INTERVAL,
      maxRedrives: e.MAX_REDRIVES,
    },
    budget: { dailyUsd: e.DAILY_BUDGET_USD },
    costs: {
      aggregatorGroupId: e.COST_AGGREGATOR_GROUP_ID ?? `${e.KAFKA_GROUP_ID}.cost-aggregator`,
      flushIntervalMs: e.COST_FLUSH_INTERVAL, flushMaxEvents: e.COST_FLUSH_MAX_EVENTS, dedupWindow: e.COST_DEDUP_WINDOW,
    },
    log: { level: e.LOG_LEVEL },
    metrics: { port: e.METRICS_PORT },
  });
}
