/**
 * The processor's two partition engines: one for documents.raw, one for the retry topics in a
 * group of its own, so that replaying documents.raw (a reset of the main group's offsets) leaves
 * pending retries alone. A declared LLM outage pauses them too: a retry made then would only
 * spend the document's attempts (outage-guard.ts).
 */
import type { Config } from '../config.ts';
import { Headers } from '../contracts/index.ts';
import { createPartitionedProcessor, type PartitionedProcessor } from '../engine/partitioned-processor.ts';
import type { IntakeControl } from '../guards/intake-control.ts';
import type { ServiceGuard } from '../guards/service-guard.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { headerString } from '../kafka/serde.ts';
import { retryTopics } from '../kafka/topics.ts';
import { createTransactionalCommitter } from '../kafka/transactional-committer.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { DocumentHandler, Route } from '../pipeline/document-handler.ts';

export interface ProcessorEngines {
  readonly name: string;
  readonly raw: PartitionedProcessor;
  readonly retry: PartitionedProcessor;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createProcessorEngines(deps: {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  kafka: KafkaClient;
  intake: IntakeControl;
  handler: DocumentHandler;
  service: ServiceGuard;
  onRouted?: ((route: Route, documentId: string | undefined) => void) | undefined;
  onFatal?: ((error: Error) => void) | undefined;
}): ProcessorEngines {
  const { config, logger, metrics, kafka, intake, handler, service } = deps;
  const options = {
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    heartbeatIntervalMs: config.kafka.heartbeatIntervalMs,
    giveUpAfterMs: config.kafka.giveUpAfterMs,
    maxInFlight: config.processing.maxInFlight,
    maxPendingBytes: config.processing.maxPendingBytes,
    flushIntervalMs: config.processing.flushIntervalMs,
    flushMaxMessages: config.processing.flushMaxMessages,
    shutdownTimeoutMs: config.processing.shutdownTimeoutMs,
  };
  const common = {
    kafka, intake, options, logger, metrics,
    waitOutServiceError: service.waitOutServiceError,
    ...(deps.onRouted ? { onRouted: deps.onRouted } : {}),
    ...(deps.onFatal ? { onFatal: deps.onFatal } : {}),
  };
  const raw = createPartitionedProcessor({
    ...common,
    name: 'raw',
    groupId: config.kafka.groupId,
    topics: [config.topics.raw],
    handle: (r, abandoned) => handler.handleRaw(r, abandoned),
    committer: createTransactionalCommitter({ kafka, groupId: config.kafka.groupId, logger }),
  });
  const retryGroupId = `${config.kafka.groupId}.retry`;
  const retry = createPartitionedProcessor({
    ...common,
    name: 'retry',
    groupId: retryGroupId,
    topics: retryTopics(config).map((r) => r.topic),
    handle: (r, abandoned) => handler.handleRetry(r, abandoned),
    committer: createTransactionalCommitter({ kafka, groupId: retryGroupId, logger }),
    // The schema registry is the raw documents' concern: our own retry envelopes need none.
    pauseOn: ['budget', 'service-error', 'redis', 'dlq-storm', 'outage'],
    dueAt: (m) => {
      const due = Number(headerString(m.headers as Record<string, unknown>, Headers.dueAt));
      return Number.isFinite(due) && due > 0 ? due : undefined;
    },
  });
  return {
    name: 'engines', raw, retry,
    async start() {
      await raw.start();
      await retry.start();
    },
    async stop() {
      await Promise.all([raw.stop(), retry.stop()]);
    },
  };
}
