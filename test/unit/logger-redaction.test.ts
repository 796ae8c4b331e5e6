import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';

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
