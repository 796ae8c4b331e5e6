import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { pino } from 'pino';
import { createLogger, loggerOptions, skipsRedactionOfFlatValues } from '../../src/observability/logger.ts';

describe('log redaction', () => {
  it('keeps Kafka and Redis credentials out of a line, even when a whole config or token is logged', () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _e, cb) => { lines.push(String(chunk)); cb(); } });
    const logger = createLogger({ level: 'info', destination });
    const config = loadConfig({
      KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'app', KAFKA_SASL_PASSWORD: 'kafka-pw-1',
      REDIS_URL: 'rediss://u:redis-pw-2@h:6380', OPENAI_API_KEY: 'sk-key-3',
    });
    logger.info({ config }, 'config');
    logger.info({ sasl: { password: 'kafka-pw-4' }, oauth: { clientSecret: 'oauth-5' }, token: 'tok-6', access_token: 'tok-7', KAFKA_SASL_PASSWORD: 'kafka-pw-8' }, 'objects');
    const text = lines.join('');
    expect(text).toContain('"username":"app"');
    for (const s of ['kafka-pw-1', 'redis-pw-2', 'sk-key-3', 'kafka-pw-4', 'oauth-5', 'tok-6', 'tok-7', 'kafka-pw-8']) expect(text).not.toContain(s);
  });
});

describe('flat values skip the redactor', () => {
  function capture(make: (d: Writable) => ReturnType<typeof createLogger>) {
    const lines: string[] = [];
    const logger = make(new Writable({ write: (chunk, _e, cb) => { lines.push(String(chunk).replace(/"time":"[^"]+"/, '')); cb(); } }));
    return { logger, lines };
  }

  it('writes every line as pino\'s own redaction does, secrets included', () => {
    const ours = capture((destination) => createLogger({ level: 'info', destination }));
    const pinos = capture((destination) => pino(loggerOptions('info'), destination));
    expect(skipsRedactionOfFlatValues(ours.logger)).toBe(true); // pino still keeps its stringifiers where the shortcut looks
    expect(skipsRedactionOfFlatValues(pinos.logger)).toBe(false);
    const err = Object.assign(new Error('401 from the API'), { headers: { authorization: 'Bearer sk-err-1' }, status: 401 });
    for (const { logger } of [ours, pinos]) {
      const child = logger.child({ consumer: 'raw', redis: 'redis://h:6379' });
      child.info({ documentId: 'd-1', route: 'enriched', confidence: 0.9, category: 'business', attempt: 1 }, 'routed');
      child.info({ documentId: 'd-2', route: 'review', reasons: ['LOW_CONFIDENCE', 'PARTIAL'], confidence: Number.NaN, attempt: 2, ok: true, n: [1, 2] }, 'routed');
      child.warn({ err, llm: { apiKey: 'sk-llm-2', model: 'm' }, client: { token: 'tok-3', password: 'pw-4' }, list: [{ token: 'tok-5' }], nothing: null }, 'objects');
      child.error({ err: new Error('plain'), headers: { authorization: 'Bearer sk-6' }, 'weird "key"': 'a\nb\u2028' }, 'with %s', 'interpolation');
    }
    expect(ours.lines).toEqual(pinos.lines);
    const text = ours.lines.join('');
    for (const s of ['sk-err-1', 'sk-llm-2', 'tok-3', 'pw-4', 'sk-6']) expect(text).not.toContain(s);
    expect(text).toContain('"reasons":["LOW_CONFIDENCE","PARTIAL"]');
  });
});
