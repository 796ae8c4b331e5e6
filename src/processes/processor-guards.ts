/**
 * The processor's guards, wired: the LLM outage guard, the DLQ storm guard with its alerts on
 * pipeline.alerts, the schema registry's guard, and the service guard that holds a document
 * for whichever condition is not its fault (each waited out where it is watched).
 */
import type { Config } from '../config.ts';
import type { EnricherError } from '../errors.ts';
import { createDlqStormGuard, type DlqStormGuard } from '../guards/dlq-storm-guard.ts';
import type { IntakeControl } from '../guards/intake-control.ts';
import { createOutageGuard, type OutageGuard } from '../guards/outage-guard.ts';
import type { RedisOutageGuard } from '../guards/redis-outage-guard.ts';
import { createRegistryGuard } from '../guards/registry-guard.ts';
import { createServiceGuard, type ServiceGuard } from '../guards/service-guard.ts';
import type { KafkaClient } from '../kafka/client.ts';
import type { RegistrySerde } from '../kafka/registry/schema-registry.ts';
import type { ValueEncoder } from '../kafka/serde.ts';
import type { ProviderWithProbe } from '../llm/providers/create-provider.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createAlertChannel, type AlertChannel } from '../operations/pipeline-alerts.ts';

export interface ProcessorGuards {
  readonly outage: OutageGuard;
  readonly storm: DlqStormGuard;
  readonly alerts: AlertChannel;
  /** Holds a document whose failure is the service's, until the service is usable again. */
  readonly service: ServiceGuard;
  /** Ends every wait: the documents held are handed back uncommitted (shutdown). */
  release(): void;
}

export function createProcessorGuards(deps: {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  kafka: KafkaClient;
  intake: IntakeControl;
  provider: ProviderWithProbe;
  redis: RedisOutageGuard | undefined;
  registry: RegistrySerde | undefined;
  encode: ValueEncoder;
}): ProcessorGuards {
  const { config, logger, intake, registry, redis } = deps;
  const outage = createOutageGuard({ intake, window: config.retry.outageWindow, failureRatio: config.retry.outageFailureRatio, logger });
  const alerts = createAlertChannel({ kafka: deps.kafka, topic: config.topics.alerts, groupBase: config.kafka.groupId, instanceId: config.kafka.instanceId, logger, encode: deps.encode });
  const storm = createDlqStormGuard({
    window: config.retry.dlqStormWindow, share: config.retry.dlqStormShare, cooldownMs: config.retry.dlqStormCooldownMs, intake, logger,
    onTrip: (a) => {
      deps.metrics.dlqStorms.inc();
      const alert = {
        kind: 'dlq-storm' as const, source: config.kafka.instanceId, raised_at: new Date().toISOString(), message: 'intake stopped: most recent documents were dead-lettered for reasons that are not their input',
        dead_lettered: a.deadLettered, window: a.window, share: a.share, codes: a.codes, cooldown_ms: a.cooldownMs,
      };
      alerts.raise(alert).catch((e: unknown) => logger.error({ err: (e as Error).message, topic: config.topics.alerts }, 'could not write the DLQ storm alert'));
    },
  });
  alerts.onResume((a) => storm.resume('operator', a.source));
  const registryGuard = registry ? createRegistryGuard({ registry, intake, intervalMs: config.retry.serviceProbeIntervalMs, logger }) : undefined;
  // The LLM API's guard; the conditions other guards watch are waited out there, by error code.
  const service = createServiceGuard({
    intake, probe: () => deps.provider.probe(), intervalMs: config.retry.serviceProbeIntervalMs, logger,
    waits: {
      DLQ_STORM: (_e, id) => storm.waitForResume(id),
      ...(redis ? { REDIS_UNAVAILABLE: (_e: EnricherError, id: string) => redis.waitUntilAvailable(id) } : {}),
      ...(registryGuard ? { REGISTRY_UNAVAILABLE: (e: EnricherError, id: string) => registryGuard.waitOutServiceError(e, id) } : {}),
    },
  });
  return {
    outage, storm, alerts, service,
    release() {
      service.stop();
      registryGuard?.stop();
      outage.stop();
      storm.stop();
      redis?.stop();
    },
  };
}
