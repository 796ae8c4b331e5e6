/**
 * The encoder a process needs for the topics it writes: plain JSON without a schema registry;
 * with one, the wire format, after the topics' subjects are registered (so a contract the
 * registry refuses stops the command before it writes anything).
 */
import type { Config } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import { plainJson, type ValueEncoder } from '../serde.ts';
import { createRegistrySerde } from './schema-registry.ts';
import { valueContracts } from './subjects.ts';

export async function encoderFor(config: Config, logger: Logger, topics: readonly string[]): Promise<ValueEncoder> {
  if (!config.schemaRegistry.url) return plainJson;
  const registry = createRegistrySerde(config, logger);
  await registry.prepare(valueContracts(config).filter((s) => topics.includes(s.topic)));
  return registry.encode;
}
