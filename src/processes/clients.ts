/**
 * Where every client of the service is made: the Kafka client (with our KafkaJS fixes, the
 * connection's security and the access guard), the schema registry's serde when one is
 * configured, and the options of every Redis connection. The processes and every command get
 * their clients here and nowhere else, so a change to how we connect is made once.
 */
import type { RedisOptions } from 'ioredis';
import { SETTING_VARIABLES, type Config } from '../config.ts';
import type { SetupError } from '../errors.ts';
import { createKafka, type KafkaClient } from '../kafka/client.ts';
import { createRegistrySerde, type RegistrySerde } from '../kafka/registry/schema-registry.ts';
import { subjectsWrittenBy } from '../kafka/registry/subjects.ts';
import type { ValueEncoder } from '../kafka/serde.ts';
import type { Command } from '../topics/catalogue.ts';
import { redisConnectionOptions } from '../llm/redis-client.ts';
import type { Logger } from '../observability/logger.ts';

/** A Kafka client for one command or process; `purpose` goes into its client id (`llm-enricher-<purpose>`). */
export function kafkaClient(config: Config, logger: Logger, purpose: string, opts: { onAccessDenied?: (e: SetupError) => void } = {}): KafkaClient {
  return createKafka(config, logger, purpose ? `-${purpose}` : '', opts);
}

/** The schema registry's serde, or none without SCHEMA_REGISTRY_URL (then every value is plain JSON). */
export function registryClient(config: Config, logger: Logger): RegistrySerde | undefined {
  return config.schemaRegistry.url ? createRegistrySerde(config, logger) : undefined;
}

/** TLS and credentials of every Redis connection (the LLM pool, the result cache), built once. */
export function redisOptions(config: Config): RedisOptions {
  return redisConnectionOptions(config.llm);
}

/**
 * The encoder of a command's writes: plain JSON without a schema registry; with one, the wire
 * format, once the subjects of the topics it writes are registered (so a contract the registry
 * refuses stops the command before it writes anything).
 */
export async function encoderFor(config: Config, logger: Logger, command: Command): Promise<ValueEncoder | undefined> {
  const registry = registryClient(config, logger);
  if (!registry) return undefined;
  await registry.prepare(subjectsWrittenBy(config, command));
  return registry.encode;
}

/** The Kafka connection variables set in `env`: what a child process needs to reach the same cluster (the benchmark's, the tests'). */
export function kafkaConnectionEnv(env: Record<string, string | undefined>): Record<string, string> {
  const names = new Set(SETTING_VARIABLES.filter((n) => n === 'KAFKA_BROKERS' || /^KAFKA_(SSL|SASL|OAUTH|AWS)(_|$)/.test(n)));
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => names.has(e[0]) && !!e[1]));
}
