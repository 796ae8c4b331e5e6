/**
 * Budget arithmetic, pure: which alert levels a day's spend has reached, which alerts are
 * still due, and what a processor should believe the day's spend to be.
 */
import type { BudgetAlert, BudgetLevel } from '../../contracts/index.ts';
import { maxPico, picoToUsd, usdToPico, type Pico } from '../money.ts';

export const BUDGET_LEVELS: readonly { level: BudgetLevel; pct: number }[] = [
  { level: 'warning', pct: 80 },
  { level: 'exceeded', pct: 100 },
];

/** The levels a spend has reached, lowest first; none without a budget. */
export function reachedLevels(spend: Pico, budgetUsd: number | undefined): BudgetLevel[] {
  if (budgetUsd === undefined || !(budgetUsd > 0)) return [];
  const budget = usdToPico(budgetUsd);
  // spend / budget >= pct / 100, in integers.
  return BUDGET_LEVELS.filter((l) => spend * 100n >= budget * BigInt(l.pct)).map((l) => l.level);
}

export function isExceeded(spend: Pico, budgetUsd: number | undefined): boolean {
  return reachedLevels(spend, budgetUsd).includes('exceeded');
}

export const alertKey = (day: string, level: BudgetLevel) => `${day}|${level}`;

/** Alerts that are due now: levels reached today that were not alerted today. */
export function dueAlerts(args: {
  day: string;
  spend: Pico;
  budgetUsd: number | undefined;
  alreadySent: ReadonlySet<string>;
  at: Date;
  source: string;
}): BudgetAlert[] {
  const { day, spend, budgetUsd } = args;
  if (budgetUsd === undefined) return [];
  return reachedLevels(spend, budgetUsd)
    .filter((level) => !args.alreadySent.has(alertKey(day, level)))
    .map((level) => ({
      day,
      level,
      threshold_pct: BUDGET_LEVELS.find((l) => l.level === level)!.pct,
      budget_usd: budgetUsd,
      spend_usd: picoToUsd(spend),
      spend_pct: Math.round((picoToUsd(spend) / budgetUsd) * 10_000) / 100,
      raised_at: args.at.toISOString(),
      source: args.source,
    }));
}

/**
 * A processor's view of the day's spend: the aggregated total, with this instance's share
 * replaced by what the instance knows it spent, when that is more.
 *
 * The aggregate carries each instance's aggregated spend (by_instance), so "my spend not yet
 * aggregated" is exactly own − aggregated-own, whatever order the aggregator read partitions
 * in. (A cut by the aggregate's last_event_at is not safe: the aggregator may have counted a
 * later event of another partition before an earlier one of ours, and would then hide it.)
 * `ownBaseline` is what the aggregate held for this instance id when the process started,
 * for an instance id reused across restarts. The estimate never counts less than the
 * aggregate plus our own unaggregated calls; it cannot see other instances' unaggregated
 * calls (at most one aggregator flush interval of them).
 */
export function estimateSpend(a: { aggregateTotal: Pico; aggregateOwn: Pico; ownBaseline: Pico; ownSinceStart: Pico }): Pico {
  const others = a.aggregateTotal - a.aggregateOwn;
  return (others > 0n ? others : 0n) + maxPico(a.aggregateOwn, a.ownBaseline + a.ownSinceStart);
}

/** Milliseconds from `now` to the next UTC midnight, when the day's spend starts again at zero. */
export function msUntilNextUtcDay(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return next - now.getTime();
}
