/**
 * Before any command runs: the Kafka connection is tried once (and, for the processor, Redis),
 * so that settings that can never work end the process within seconds with one fatal line that
 * names the cause and the setting, instead of a minute of retries (exit 1; a bad config exits 2).
 */
import { ConfigError, SetupError } from '../errors.ts';
import { checkKafkaConnection } from '../kafka/connection-check.ts';
import { checkRedisConnection } from '../llm/redis-client.ts';
import { redisOptions } from '../processes/clients.ts';
import type { Logger } from '../observability/logger.ts';
import type { Boot } from './boot.ts';

/** Logs a SetupError as the one fatal line and exits 1; anything else is not ours to handle. */
export function exitOnSetupError(e: unknown, logger: Logger): void {
  if (!(e instanceof SetupError)) return;
  logger.fatal({ code: e.code, setting: e.setting }, e.message);
  process.exit(1);
}

export async function checkConnections(boot: Boot, command: string): Promise<void> {
  const { config, logger } = boot();
  try {
    await checkKafkaConnection(config, logger);
    if (command === 'start' && config.llm.redisUrl) await checkRedisConnection(config.llm.redisUrl, redisOptions(config));
  } catch (e) {
    exitOnSetupError(e, logger);
    if (e instanceof ConfigError) {
      process.stderr.write(`enricher: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}
