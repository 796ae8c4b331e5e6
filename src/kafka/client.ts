/**
 * One place that builds KafkaJS clients, so that every process logs through pino, retries the
 * same way and connects with the same security (TLS, SASL: security.ts). KafkaJS's own logs
 * are mapped onto our logger instead of its console JSON, and a refused operation is named
 * with its topic or group (access-guard.ts).
 */
import type { Kafka as KafkaClient, logCreator } from 'kafkajs';
import type { Config } from '../config.ts';
import type { SetupError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { GuardedKafka } from './access-guard.ts';
import { kafkajs } from './load-kafkajs.ts';
import { javaCompatiblePartitioner } from './partitioner.ts';
import { kafkaPrincipal, kafkaSaslOptions, kafkaTlsOptions, REAUTHENTICATION_THRESHOLD_MS, type SecurityDeps } from './security.ts';

const { logLevel } = kafkajs;
export type { KafkaClient };

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

function pinoLogCreator(logger: Logger, onEntry: (message: string, error: unknown) => void): logCreator {
  return () => ({ level, log }) => {
    const { message, ...extra } = log;
    onEntry(message, (extra as { error?: unknown }).error);
    // Said once for every transactional producer (ours retry 12 times, not for ever). What a
    // send that fails for good leaves behind is handled (send-messages.ts: a new producer id, or
    // the producer replaced after a failed commit), so the warning only hid real lines.
    if (message === 'Limiting retries for the idempotent producer may invalidate EoS guarantees') return;
    const child = { component: 'kafkajs', ...extra };
    // KafkaJS logs at ERROR every failed request it is about to retry; our own code logs what
    // really failed, so its errors are warnings here and its warnings are information.
    if (level === logLevel.ERROR) logger.warn(child, message);
    else if (level === logLevel.WARN) logger.info(child, message);
    else if (level === logLevel.INFO) logger.debug(child, message);
    else logger.trace(child, message);
  };
}

export interface KafkaClientOptions extends SecurityDeps {
  /** A refused operation in the background (a commit, a consumer joining its group): the caller stops. */
  onAccessDenied?: (e: SetupError) => void;
  /** KafkaJS's retries of a failed request; the start-up check asks for none, to answer at once. */
  retries?: number;
}

export function createKafka(config: Pick<Config, 'kafka'>, logger: Logger, clientSuffix = '', options: KafkaClientOptions = {}): KafkaClient {
  const ssl = kafkaTlsOptions(config.kafka);
  const sasl = kafkaSaslOptions(config.kafka, logger, options);
  let refused: { kind: 'group' | 'transactional id'; at: number } | undefined;
  const noteRefusal = (message: string, error: unknown) => {
    if (!/GroupCoordinator/.test(message)) return;
    if (/Group authorization failed/i.test(String(error ?? ''))) refused = { kind: 'group', at: Date.now() };
    else if (/Transactional Id authorization failed/i.test(String(error ?? ''))) refused = { kind: 'transactional id', at: Date.now() };
  };
  const kafka = new GuardedKafka(
    {
      clientId: config.kafka.clientId + clientSuffix,
      brokers: [...config.kafka.brokers],
      ...(ssl ? { ssl } : {}),
      ...(sasl ? { sasl } : {}),
      reauthenticationThreshold: REAUTHENTICATION_THRESHOLD_MS,
      logLevel: logLevel.WARN,
      logCreator: pinoLogCreator(logger, noteRefusal),
      connectionTimeout: ssl ? 5_000 : 3_000,
      requestTimeout: 30_000,
      // Retries inside KafkaJS cover brief broker blips; longer outages are the caller's
      // business (the processor restarts its clients until BROKER_GIVE_UP_AFTER).
      retry: { initialRetryTime: 300, retries: options.retries ?? 8, maxRetryTime: 10_000 },
    },
    {
      principal: kafkaPrincipal(config.kafka),
      coordinatorRefused: () => (refused && Date.now() - refused.at < 30_000 ? refused.kind : undefined),
      ...(options.onAccessDenied ? { onDenied: options.onAccessDenied } : {}),
    },
  );
  // Every producer partitions as KafkaJS's default does, with the cheaper hash (partitioner.ts).
  const producer = kafka.producer.bind(kafka);
  kafka.producer = (producerOptions) => producer({ createPartitioner: javaCompatiblePartitioner, ...producerOptions });
  return kafka;
}
