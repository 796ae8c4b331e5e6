import { describe, expect, it } from 'vitest';
import { DEFAULT_CATEGORIES, loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

/** Runs loadConfig and returns the ConfigError it must throw. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  const cfg = loadConfig({});

  it('uses the documented defaults for an empty environment', () => {
    expect(cfg.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(cfg.kafka.clientId).toBe('llm-enricher');
    expect(cfg.kafka.groupId).toBe('llm-enricher');
    expect(cfg.kafka.sessionTimeoutMs).toBe(30_000);
    expect(cfg.kafka.heartbeatIntervalMs).toBe(3_000);
    expect(cfg.llm.poolSlots).toBe(5);
    expect(cfg.llm.model).toBe('gpt-4o-mini');
    expect(cfg.llm.categories).toEqual([...DEFAULT_CATEGORIES]);
    expect(cfg.processing.qualityThreshold).toBe(0.8);
    expect(cfg.retry.delaysMs).toEqual([10_000, 20_000, 40_000]);
    expect(cfg.retry.maxDelayMs).toBe(120_000);
    expect(cfg.budget.dailyUsd).toBeUndefined();
    expect(cfg.log.level).toBe('info');
    expect(cfg.topics.raw).toBe('documents.raw');
    expect(cfg.topics.dlq).toBe('documents.dlq');
    expect(cfg.costs.aggregatorGroupId).toBe('llm-enricher.cost-aggregator');
  });

  it('picks the offline provider without an API key', () => {
    expect(cfg.llm.provider).toBe('offline');
    expect(cfg.llm.apiKey).toBeUndefined();
  });

  it('picks the openai provider when a key is set and LLM_PROVIDER is auto', () => {
    const c = loadConfig({ OPENAI_API_KEY: 'sk-test-123' });
    expect(c.llm.provider).toBe('openai');
    expect(c.llm.apiKey).toBe('sk-test-123');
  });

  it('honours an explicit offline provider even with a key', () => {
    expect(loadConfig({ OPENAI_API_KEY: 'sk-test-123', LLM_PROVIDER: 'offline' }).llm.provider).toBe('offline');
  });

  it('derives the aggregator group from KAFKA_GROUP_ID', () => {
    expect(loadConfig({ KAFKA_GROUP_ID: 'g1' }).costs.aggregatorGroupId).toBe('g1.cost-aggregator');
    expect(loadConfig({ KAFKA_GROUP_ID: 'g1', COST_AGGREGATOR_GROUP_ID: 'agg' }).costs.aggregatorGroupId).toBe('agg');
  });
});

describe('loadConfig parsing', () => {
  it('parses valid values of every kind', () => {
    const c = loadConfig({
      KAFKA_BROKERS: 'a:9092, b:9093',
      LLM_POOL_SLOTS: '12',
      QUALITY_THRESHOLD: '0.65',
      RETRY_DELAYS: '1s, 500ms,2m',
      RETRY_MAX_DELAY: '5m',
      LLM_TIMEOUT: '1.5s',
      CATEGORIES: 'news,other',
      OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1',
      DAILY_BUDGET_USD: '12.5',
      LLM_RPM: '600',
      LOG_LEVEL: 'debug',
      KAFKA_SESSION_TIMEOUT: '45s',
      KAFKA_HEARTBEAT_INTERVAL: '1500ms',
    });
    expect(c.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(c.llm.poolSlots).toBe(12);
    expect(c.processing.qualityThreshold).toBe(0.65);
    expect(c.retry.delaysMs).toEqual([1000, 500, 120_000]);
    expect(c.retry.maxDelayMs).toBe(300_000);
    expect(c.llm.timeoutMs).toBe(1500);
    expect(c.llm.categories).toEqual(['news', 'other']);
    expect(c.llm.baseUrl).toBe('http://127.0.0.1:8080/v1');
    expect(c.budget.dailyUsd).toBe(12.5);
    expect(c.llm.rpm).toBe(600);
    expect(c.log.level).toBe('debug');
    expect(c.kafka.sessionTimeoutMs).toBe(45_000);
    expect(c.kafka.heartbeatIntervalMs).toBe(1500);
  });

  it('accepts the threshold bounds 0 and 1', () => {
    expect(loadConfig({ QUALITY_THRESHOLD: '0' }).processing.qualityThreshold).toBe(0);
    expect(loadConfig({ QUALITY_THRESHOLD: '1' }).processing.qualityThreshold).toBe(1);
  });

  it('treats empty strings as unset', () => {
    const c = loadConfig({
      LLM_POOL_SLOTS: '',
      QUALITY_THRESHOLD: '',
      KAFKA_BROKERS: '',
      RETRY_DELAYS: '',
      OPENAI_API_KEY: '',
      OPENAI_BASE_URL: '',
      DAILY_BUDGET_USD: '',
      LOG_LEVEL: '',
      LLM_PROVIDER: '',
    });
    expect(c.llm.poolSlots).toBe(5);
    expect(c.processing.qualityThreshold).toBe(0.8);
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.retry.delaysMs).toEqual([10_000, 20_000, 40_000]);
    expect(c.llm.provider).toBe('offline');
    expect(c.llm.apiKey).toBeUndefined();
    expect(c.llm.baseUrl).toBeUndefined();
    expect(c.budget.dailyUsd).toBeUndefined();
    expect(c.log.level).toBe('info');
  });

  it('treats a whitespace-only API key as unset', () => {
    const c = loadConfig({ OPENAI_API_KEY: '   ' });
    expect(c.llm.apiKey).toBeUndefined();
    expect(c.llm.provider).toBe('offline');
  });

  it('clamps retry delays above RETRY_MAX_DELAY and de-duplicates the result in order', () => {
    const c = loadConfig({ RETRY_DELAYS: '10s,3m,20s,5m', RETRY_MAX_DELAY: '2m' });
    expect(c.retry.delaysMs).toEqual([10_000, 120_000, 20_000]);
  });

  it('clamps the default tiers when RETRY_MAX_DELAY is below them', () => {
    expect(loadConfig({ RETRY_MAX_DELAY: '15s' }).retry.delaysMs).toEqual([10_000, 15_000]);
  });
});

describe('loadConfig service tier and confidence mode', () => {
  it('leaves both unset by default: no service_tier sent, the mode resolved with the provider', () => {
    const c = loadConfig({});
    expect(c.llm.serviceTier).toBeUndefined();
    expect(c.llm.confidenceMode).toBeUndefined();
  });

  it.each(['auto', 'default', 'flex', 'priority'] as const)('accepts LLM_SERVICE_TIER=%s', (tier) => {
    expect(loadConfig({ LLM_SERVICE_TIER: tier }).llm.serviceTier).toBe(tier);
  });

  it.each(['self', 'logprob', 'min'] as const)('accepts CONFIDENCE_MODE=%s', (mode) => {
    expect(loadConfig({ CONFIDENCE_MODE: mode }).llm.confidenceMode).toBe(mode);
  });
});

describe('loadConfig durations in days', () => {
  it('accepts LLM_CACHE_TTL=7d, the README default, as a user would copy it', () => {
    expect(loadConfig({ LLM_CACHE_TTL: '7d' }).llm.cacheTtlMs).toBe(7 * 24 * 3_600_000);
  });
});

describe('loadConfig overrides', () => {
  it('lets a command override a variable of the environment', () => {
    const c = loadConfig({ OPENAI_API_KEY: 'sk-test-123', LLM_PROVIDER: 'openai' }, { LLM_PROVIDER: 'offline' });
    expect(c.llm.provider).toBe('offline');
  });
});

describe('loadConfig errors', () => {
  it.each([
    ['LLM_POOL_SLOTS', 'abc'],
    ['LLM_POOL_SLOTS', '0'],
    ['LLM_POOL_SLOTS', '2.5'],
    ['QUALITY_THRESHOLD', '1.5'],
    ['QUALITY_THRESHOLD', '-0.1'],
    ['QUALITY_THRESHOLD', 'high'],
    ['RETRY_DELAYS', '10s,banana'],
    ['RETRY_DELAYS', '0s'],
    ['RETRY_DELAYS', ' , '],
    ['RETRY_MAX_DELAY', 'forever'],
    ['LLM_TIMEOUT', '10 seconds'],
    ['KAFKA_SESSION_TIMEOUT', '30 s please'],
    ['KAFKA_HEARTBEAT_INTERVAL', '-3s'],
    ['KAFKA_BROKERS', 'nohostport'],
    ['KAFKA_BROKERS', 'a:9092,b'],
    ['OPENAI_BASE_URL', 'not-a-url'],
    ['DAILY_BUDGET_USD', '-1'],
    ['DAILY_BUDGET_USD', '0'],
    ['DAILY_BUDGET_USD', 'lots'],
    ['LLM_RPM', '1.5'],
    ['LOG_LEVEL', 'loud'],
    ['LLM_PROVIDER', 'anthropic'],
    ['CATEGORIES', 'Business,other'],
    ['CATEGORIES', 'other'],
    ['METRICS_PORT', '70000'],
    ['LLM_SERVICE_TIER', 'scale'],
    ['LLM_SERVICE_TIER', 'FLEX'],
    ['CONFIDENCE_MODE', 'max'],
  ])('%s=%s throws a ConfigError naming the variable', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.message).toContain(name);
    expect(err.message).toMatch(/^invalid configuration:/);
  });

  it('names the offending value so the user can find it', () => {
    const err = configError({ LLM_POOL_SLOTS: 'abc' });
    expect(err.message).toContain('"abc"');
  });

  it('requires OPENAI_API_KEY when LLM_PROVIDER=openai', () => {
    const err = configError({ LLM_PROVIDER: 'openai' });
    expect(err.message).toContain('OPENAI_API_KEY');
    expect(err.message).toContain('LLM_PROVIDER=openai');
    expect(loadConfig({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-x' }).llm.provider).toBe('openai');
  });

  it('requires "other" among CATEGORIES', () => {
    const err = configError({ CATEGORIES: 'news,sport' });
    expect(err.message).toContain('CATEGORIES');
    expect(err.message).toContain('"other"');
  });

  it('reports several bad variables together', () => {
    const err = configError({ LLM_POOL_SLOTS: 'abc', QUALITY_THRESHOLD: '1.5', LOG_LEVEL: 'loud', KAFKA_BROKERS: 'nohostport' });
    for (const name of ['LLM_POOL_SLOTS', 'QUALITY_THRESHOLD', 'LOG_LEVEL', 'KAFKA_BROKERS']) expect(err.message).toContain(name);
    // One line per problem.
    expect(err.message.split('\n').length).toBeGreaterThanOrEqual(5);
  });

  // loadConfig's doc says it "Throws ConfigError naming every bad variable", but the two
  // cross-field checks (OPENAI_API_KEY for LLM_PROVIDER=openai, "other" in CATEGORIES) only run
  // after the schema passed, and each throws alone: a user fixes one error only to meet the next.
  it('names schema errors and cross-field errors together (every bad variable)', () => {
    const err = configError({ LLM_POOL_SLOTS: 'abc', LLM_PROVIDER: 'openai', CATEGORIES: 'news,sport' });
    expect(err.message).toContain('LLM_POOL_SLOTS');
    expect(err.message).toContain('OPENAI_API_KEY');
    expect(err.message).toContain('CATEGORIES');
  });

  it('never puts the API key in a ConfigError message', () => {
    const key = 'sk-live-SECRET-0123456789abcdef';
    const cases: Record<string, string>[] = [
      { OPENAI_API_KEY: key, LLM_POOL_SLOTS: 'abc' },
      { OPENAI_API_KEY: key, OPENAI_BASE_URL: 'not-a-url', LOG_LEVEL: 'loud' },
      { OPENAI_API_KEY: key, CATEGORIES: 'news,sport' },
      { OPENAI_API_KEY: key, LLM_PROVIDER: 'bogus', QUALITY_THRESHOLD: '7' },
    ];
    for (const env of cases) {
      const err = configError(env);
      expect(err.message).not.toContain(key);
      expect(err.message).not.toContain('SECRET');
    }
  });
});

describe('loadConfig result', () => {
  it('is deeply frozen', () => {
    const c = loadConfig({ OPENAI_API_KEY: 'sk-x' });
    expect(Object.isFrozen(c)).toBe(true);
    for (const section of Object.values(c)) expect(Object.isFrozen(section)).toBe(true);
    expect(Object.isFrozen(c.kafka.brokers)).toBe(true);
    expect(Object.isFrozen(c.llm.categories)).toBe(true);
    expect(Object.isFrozen(c.retry.delaysMs)).toBe(true);
    // ESM is strict mode: writes to frozen objects throw.
    expect(() => {
      (c.llm as { model: string }).model = 'gpt-4';
    }).toThrow(TypeError);
    expect(() => {
      (c.llm.categories as string[]).push('x');
    }).toThrow(TypeError);
    expect(() => {
      (c.retry.delaysMs as number[])[0] = 1;
    }).toThrow(TypeError);
    expect(c.llm.model).toBe('gpt-4o-mini');
  });

  it('returns independent results for independent environments', () => {
    const a = loadConfig({ CATEGORIES: 'a1,other' });
    const b = loadConfig({});
    expect(a.llm.categories).toEqual(['a1', 'other']);
    expect(b.llm.categories).toEqual([...DEFAULT_CATEGORIES]);
  });
});
