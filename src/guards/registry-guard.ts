/**
 * A schema registry that does not answer is an outage of a dependency, like the LLM API's:
 * the raw consumer pauses (reason 'registry'), the documents that needed a writer's schema wait
 * in the engine, uncommitted, and run again once the registry's probe passes. Nothing is
 * dead-lettered and nothing is skipped. The retry consumer goes on: it needs no registry (its
 * messages are ours, read by our own contract, and our schema ids were resolved at start).
 */
import type { RegistrySerde } from '../kafka/registry/schema-registry.ts';
import type { Logger } from '../observability/logger.ts';
import type { IntakeControl } from './intake-control.ts';
import { createServiceGuard, type ServiceGuard } from './service-guard.ts';

export function createRegistryGuard(deps: {
  registry: Pick<RegistrySerde, 'verify' | 'url'>;
  intake: IntakeControl;
  intervalMs: number;
  logger: Logger;
}): ServiceGuard {
  return createServiceGuard({
    intake: deps.intake,
    probe: () => deps.registry.verify(),
    intervalMs: deps.intervalMs,
    logger: deps.logger,
    reason: 'registry',
    service: 'schema registry',
    fixHint: () => `check that the schema registry at ${deps.registry.url} answers and holds our subjects`,
  });
}
