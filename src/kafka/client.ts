/**
 * One place that builds KafkaJS clients, so that every process logs through pino and retries
 * the same way. KafkaJS's own logs are mapped onto our logger instead of its console JSON.
 */
import type { Kafka as KafkaClient, logCreator } from 'kafkajs';
import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import { createRequire } from 'node:module';
import { cacheCoordinators } from './coordinator-cache.ts';
import { kafkajs } from './load-kafkajs.ts';
import { javaCompatiblePartitioner } from './partitioner.ts';

const { Kafka, logLevel } = kafkajs;
export type { KafkaClient };

// KafkaJS's Cluster (the class every client of this process builds) asks for coordinators once a second, not before every request.
cacheCoordinators(createRequire(import.meta.url)('kafkajs/src/cluster/index.js') as Parameters<typeof cacheCoordinators>[0]);

// KafkaJS warns about its v2 partitioner change on every producer; we use the default
// partitioner deliberately (murmur2, like the Java client), so the warning is noise.
// (A write, not a read: config.ts stays the only reader of the environment.)
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

// KafkaJS 2.2.4 arms timers with negative durations on Node >= 22 (its request queue computes
// "time left" from a stale clock); Node then warns once per process and runs the timer at once,
// which is what KafkaJS meant. Only that warning is silenced; every other one still prints.
const nodeWarningListeners = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name === 'TimeoutNegativeWarning') return;
  for (const l of nodeWarningListeners) l(w);
});

function pinoLogCreator(logger: Logger): logCreator {
  return () => ({ level, log }) => {
    const { message, ...extra } = log;
    const child = { component: 'kafkajs', ...extra };
    // KafkaJS logs at ERROR every failed request it is about to retry; our own code logs what
    // really failed, so its errors are warnings here and its warnings are information.
    if (level === logLevel.ERROR) logger.warn(child, message);
    else if (level === logLevel.WARN) logger.info(child, message);
    else if (level === logLevel.INFO) logger.debug(child, message);
    else logger.trace(child, message);
  };
}

export function createKafka(config: Pick<Config, 'kafka'>, logger: Logger, clientSuffix = ''): KafkaClient {
  const kafka = new Kafka({
    clientId: config.kafka.clientId + clientSuffix,
    brokers: [...config.kafka.brokers],
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    // Retries inside KafkaJS cover brief broker blips; longer outages are the caller's
    // business (the processor restarts its clients until BROKER_GIVE_UP_AFTER).
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
  });
  // Every producer partitions as KafkaJS's default does, with the cheaper hash (partitioner.ts).
  const producer = kafka.producer.bind(kafka);
  kafka.producer = (options) => producer({ createPartitioner: javaCompatiblePartitioner, ...options });
  return kafka;
}
