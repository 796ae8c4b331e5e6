import { createLogger, type Logger } from '../../src/observability/logger.ts';

/** Silent unless TEST_LOG_LEVEL is set (e.g. TEST_LOG_LEVEL=warn npx vitest run …). */
export function testLogger(): Logger {
  return createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name: 'test' });
}
