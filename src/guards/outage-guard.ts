/**
 * A circuit breaker for an LLM outage. When most recent chain attempts fail transiently (the
 * API is down, not the documents bad), the guard declares an outage: intake pauses, of new
 * documents and of retries alike, instead of pushing every document through the retry tiers
 * until they run out. After a cool-down it lets documents in again (half-open); the outcomes
 * that follow decide whether the outage is over or intake pauses again, with a longer cool-down
 * each time. Messages wait in Kafka meanwhile; none is lost.
 *
 * A declared outage is the service's problem, not the document's: from the trip until the guard
 * has seen the API healthy again, a document that fails transiently goes back to a retry tier
 * without spending an attempt (see failure-routing.ts), so no outage, however long, can
 * dead-letter a document.
 */
import type { IntakeControl } from './intake-control.ts';
import { ErrorCodes, type EnricherError, type ErrorCode } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';

export interface OutageGuard {
  record(ok: boolean, error?: EnricherError): void;
  /** Whether intake is paused by this guard now. */
  readonly open: boolean;
  /** Whether an outage is declared: paused, or half-open and not yet judged over. */
  readonly declared: boolean;
  stop(): void;
}

type State = 'closed' | 'open' | 'half-open';

/**
 * The failures that say "the LLM API is unwell". Not a cost event Kafka would not take
 * (KAFKA_UNAVAILABLE: a broker lost, the broker watchdog's business), nor an answer the model
 * got wrong (LLM_BAD_OUTPUT), nor anything a document did.
 */
const API_UNWELL: ReadonlySet<ErrorCode> = new Set([
  ErrorCodes.LLM_SERVER_ERROR, ErrorCodes.LLM_TIMEOUT, ErrorCodes.LLM_CONNECTION, ErrorCodes.LLM_RATE_LIMITED, ErrorCodes.LLM_CONFLICT,
]);

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
  const { window, failureRatio } = deps;
  /** More failures than this in a window is an outage. */
  const tolerated = Math.floor(failureRatio * window);
  let outcomes: boolean[] = [];
  let state: State = 'closed';
  let trips = 0;
  let declaredAt = 0;
  let timer: NodeJS.Timeout | undefined;

  function trip(failures: number, judged: number): void {
    if (state === 'closed') declaredAt = Date.now();
    state = 'open';
    const cooldown = Math.min(max, base * 2 ** trips);
    trips++;
    outcomes = [];
    deps.intake.pause('outage', `${failures}/${judged} recent attempts failed`);
    deps.logger.error({ failures, window, cooldownMs: cooldown, trips }, 'LLM outage: most recent calls fail; pausing new documents and retries (attempts made during the outage do not count)');
    timer = setTimeout(() => {
      timer = undefined;
      state = 'half-open';
      deps.logger.warn({ trips }, 'outage cool-down over: letting documents in again (half-open)');
      deps.intake.resume('outage');
    }, cooldown);
  }

  /** Half-open: judged as soon as the window's verdict is certain, not only once it is full. */
  function judgeHalfOpen(): void {
    const failures = outcomes.filter((o) => !o).length;
    const successes = outcomes.length - failures;
    if (failures > tolerated) return trip(failures, outcomes.length);
    if (successes >= window - tolerated) {
      state = 'closed';
      deps.logger.info({ failures, judged: outcomes.length, outageMs: Date.now() - declaredAt }, 'LLM outage over: the API answers again');
      if (failures <= (failureRatio * window) / 2) trips = 0;
      outcomes = [];
    }
  }

  return {
    record(ok, error) {
      // Only failures that say "the API is unwell" count; a document's own bad input does not.
      const failed = !ok && error !== undefined && error.retriable && API_UNWELL.has(error.code);
      if (state === 'open') return; // the cool-down decides; what was in flight says nothing new
      outcomes.push(!failed);
      if (state === 'half-open') return judgeHalfOpen();
      if (outcomes.length > window) outcomes.shift();
      if (outcomes.length < window) return;
      const failures = outcomes.filter((o) => !o).length;
      if (failures > tolerated) trip(failures, window);
      // A full window at half the threshold or better means the API is healthy again: the next
      // outage starts from the short cool-down. (Requiring a spotless window would never reset
      // under ordinary background failures, and the cool-down would only grow.)
      else if (failures <= (failureRatio * window) / 2) trips = 0;
    },
    get open() {
      return state === 'open';
    },
    get declared() {
      return state !== 'closed';
    },
    stop() {
      if (timer) clearTimeout(timer);
    },
  };
}
