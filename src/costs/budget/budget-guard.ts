/**
 * Daily budget enforcement in the processor. When the day's spend (the aggregator's totals
 * plus this instance's calls not aggregated yet, see estimateSpend) reaches the budget:
 *  - intake of documents.raw pauses (reason "budget"), so no new documents are fetched;
 *  - every new LLM call is held: before it is queued for a pool slot (beforeCall, which
 *    knows the document) and again once it holds a slot (gate), so a call that was already
 *    waiting for a slot does not start either. Calls on the wire finish; the overshoot is at
 *    most those, one per pool slot.
 * Held documents stay in flight and uncommitted: a restart reprocesses them, nothing is lost.
 * Everything resumes at the next UTC day, or as soon as the budget is raised or removed.
 */
import type { CallContext } from '../../llm/chain/call-step.ts';
import type { LlmLimiter, Turn } from '../../llm/limiter/limiter.ts';
import type { CostEvent } from '../../contracts/index.ts';
import type { IntakeControl } from '../../guards/intake-control.ts';
import type { Logger } from '../../observability/logger.ts';
import type { MutableRuntimeSettings } from '../../settings/runtime-settings.ts';
import { estimateSpend, isExceeded, msUntilNextUtcDay, reachedLevels } from './budget-levels.ts';
import { utcDay } from '../daily-totals.ts';
import { picoToUsd, usdToPico, type Pico } from '../money.ts';

const DAY_MS = 86_400_000;

export interface SpendSource {
  spend(day: string, instanceId: string): { total: Pico; instance: Pico };
}

export interface BudgetStatus {
  day: string;
  spendUsd: number;
  budgetUsd: number | undefined;
  exceeded: boolean;
  heldCalls: number;
}

export interface BudgetGuard {
  /** Counts one of this instance's own calls (called as its cost event is emitted). */
  recordOwn(event: CostEvent): void;
  /** The beforeCall hook of the step caller: resolves when a call may start. */
  beforeCall(ctx: CallContext): Promise<void>;
  /** The same hold, taken inside the pool slot. */
  gateLimiter(limiter: LlmLimiter): LlmLimiter;
  /** Takes the current totals as the baseline for this instance id, and watches the clock. */
  start(): void;
  stop(): void;
  evaluate(): void;
  /** An observation point for tests: the day, the spend and whether calls are held. */
  status(): BudgetStatus;
}

export function createBudgetGuard(deps: {
  settings: Pick<MutableRuntimeSettings, 'dailyBudgetUsd' | 'onChange'>;
  intake: IntakeControl;
  spendSource: SpendSource;
  instanceId: string;
  logger: Logger;
  now?: () => Date;
}): BudgetGuard {
  const { settings, intake, spendSource, instanceId, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const own = new Map<string, Pico>();
  const baseline = new Map<string, Pico>();
  const warned = new Set<string>();
  let exceeded = false;
  let held = 0;
  let release: (() => void) | undefined;
  let released: Promise<void> = Promise.resolve();
  let dayTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  /** The UTC day last asked for, with its bounds: every call asks, and toISOString per call showed in profiles. */
  let known = { from: 0, to: 0, day: '' };

  function dayAt(ms: number): string {
    if (ms >= known.from && ms < known.to) return known.day;
    const from = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
    known = { from, to: from + DAY_MS, day: utcDay(new Date(from)) };
    return known.day;
  }

  function spendOf(day: string): Pico {
    const agg = spendSource.spend(day, instanceId);
    return estimateSpend({ aggregateTotal: agg.total, aggregateOwn: agg.instance, ownBaseline: baseline.get(day) ?? 0n, ownSinceStart: own.get(day) ?? 0n });
  }

  function current(): { spend: Pico; status: BudgetStatus } {
    const day = dayAt(now().getTime());
    const budgetUsd = settings.dailyBudgetUsd();
    const spend = spendOf(day);
    return { spend, status: { day, spendUsd: picoToUsd(spend), budgetUsd, exceeded: isExceeded(spend, budgetUsd), heldCalls: held } };
  }

  function evaluate(): void {
    if (stopped) return;
    // Without a budget nothing can be reached; only a hold from before must still be let go.
    if (!exceeded && settings.dailyBudgetUsd() === undefined) return;
    const { spend, status: s } = current();
    const fields = { day: s.day, spendUsd: s.spendUsd, budgetUsd: s.budgetUsd };
    if (!warned.has(s.day) && reachedLevels(spend, s.budgetUsd).includes('warning')) {
      warned.add(s.day);
      logger.warn(fields, 'daily LLM budget 80 % used (aggregated spend plus this instance’s unaggregated calls)');
    }
    if (s.exceeded && !exceeded) {
      exceeded = true;
      released = new Promise<void>((r) => (release = r));
      intake.pause('budget', `$${s.spendUsd.toFixed(4)} of $${s.budgetUsd} spent on ${s.day}`);
      logger.error(fields, 'daily LLM budget reached: intake paused and new LLM calls held until the budget is raised or the UTC day ends');
    } else if (!s.exceeded && exceeded) {
      exceeded = false;
      release?.();
      intake.resume('budget');
      logger.info({ ...fields, heldCalls: held }, 'daily LLM budget no longer reached (raised, removed, or a new day): resuming');
    }
  }

  /** Undefined when a call may start now (no promise to wait on: this runs for every call); else what to wait on. */
  function hold(ctx: CallContext | undefined): Promise<void> | undefined {
    evaluate();
    return exceeded ? waitWhileExceeded(ctx) : undefined;
  }

  async function waitWhileExceeded(ctx: CallContext | undefined): Promise<void> {
    held++;
    if (ctx) logger.warn({ documentId: ctx.documentId, attempt: ctx.attempt, ...current().status }, 'LLM call held: daily budget reached');
    try {
      // A stopped guard never lets a held call through: the document is handed back uncommitted.
      while (exceeded) await released;
    } finally {
      held--;
    }
  }

  function scheduleDayChange(): void {
    dayTimer = setTimeout(() => {
      evaluate();
      if (!stopped) scheduleDayChange();
    }, msUntilNextUtcDay(now()) + 50);
    dayTimer.unref();
  }

  return {
    recordOwn(event) {
      const at = Date.parse(event.timestamp);
      const day = Number.isNaN(at) ? utcDay(event.timestamp) : dayAt(at);
      own.set(day, (own.get(day) ?? 0n) + usdToPico(event.cost_usd));
      if (own.size > 3) for (const d of [...own.keys()].sort().slice(0, own.size - 3)) own.delete(d);
      evaluate();
    },
    beforeCall: (ctx) => hold(ctx) ?? Promise.resolve(),
    gateLimiter(limiter) {
      return {
        scope: limiter.scope,
        weighted: limiter.weighted,
        // Waits for the budget outside the pool, then checks again inside the slot (the budget
        // may have run out while it queued): a spent budget gives its slot back instead of
        // sitting on it, so a shared pool's slots never expire under a held call and the day's
        // reset cannot release more than the pool's worth of calls at once.
        schedule: async <T>(weight: number, fn: () => Promise<T>, turn?: Turn): Promise<T> => {
          for (;;) {
            const wait = hold(undefined);
            if (wait) await wait;
            const outcome = await limiter.schedule(weight, async () => (exceeded ? { held: true as const } : { held: false as const, value: await fn() }), turn);
            if (!outcome.held) return outcome.value;
          }
        },
        hold: (ms, reason) => limiter.hold(ms, reason),
        running: () => limiter.running(),
        stop: () => limiter.stop(),
      };
    },
    start() {
      // What the aggregate already holds under our instance id was spent by an earlier process
      // with the same id; it is not in `own`, which counts from now.
      const today = utcDay(now());
      baseline.set(today, spendSource.spend(today, instanceId).instance);
      settings.onChange(() => evaluate());
      scheduleDayChange();
      evaluate();
    },
    stop() {
      stopped = true;
      if (dayTimer) clearTimeout(dayTimer);
    },
    evaluate,
    status: () => current().status,
  };
}
