/**
 * A circuit breaker on new documents. When most recent chain attempts fail transiently (the
 * API is down, not the documents bad), intake of documents.raw pauses instead of pushing
 * every document through the retry topics. After a cool-down it lets documents in again
 * (half-open); the window then decides whether to stay open or pause again, with a longer
 * cool-down each time. Retries keep flowing meanwhile: messages wait in Kafka, none is lost.
 */
import type { IntakeControl } from './intake-control.ts';
import type { EnricherError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';

export interface OutageGuard {
  record(ok: boolean, error?: EnricherError): void;
  /** Whether intake is paused by this guard now. An observation point for its unit tests. */
  readonly open: boolean;
  stop(): void;
}

export function createOutageGuard(deps: {
  intake: IntakeControl;
  window: number;
  failureRatio: number;
  baseCooldownMs?: number;
  maxCooldownMs?: number;
  logger: Logger;
}): OutageGuard {
  const base = deps.baseCooldownMs ?? 5_000;
  const max = deps.maxCooldownMs ?? 60_000;
  let outcomes: boolean[] = [];
  let open = false;
  let trips = 0;
  let timer: NodeJS.Timeout | undefined;

  function trip(failures: number): void {
    open = true;
    const cooldown = Math.min(max, base * 2 ** trips);
    trips++;
    outcomes = [];
    deps.intake.pause('outage', `${failures}/${deps.window} recent attempts failed`);
    deps.logger.error({ failures, window: deps.window, cooldownMs: cooldown }, 'LLM outage: most recent calls fail; pausing new documents');
    timer = setTimeout(() => {
      timer = undefined;
      open = false;
      deps.logger.warn({ trips }, 'outage cool-down over: letting new documents in again (half-open)');
      deps.intake.resume('outage');
    }, cooldown);
  }

  return {
    record(ok, error) {
      // Only failures that say "the API is unwell" count; a document's own bad input does not.
      const failed = !ok && error !== undefined && error.retriable;
      outcomes.push(!failed);
      if (outcomes.length > deps.window) outcomes.shift();
      if (open || outcomes.length < deps.window) return;
      const failures = outcomes.filter((o) => !o).length;
      if (failures / outcomes.length > deps.failureRatio) trip(failures);
      // A full window at half the threshold or better means the API is healthy again: the next
      // outage starts from the short cool-down. (Requiring a spotless window would never reset
      // under ordinary background failures, and the cool-down would only grow.)
      else if (failures / outcomes.length <= deps.failureRatio / 2) trips = 0;
    },
    get open() {
      return open;
    },
    stop() {
      if (timer) clearTimeout(timer);
    },
  };
}
