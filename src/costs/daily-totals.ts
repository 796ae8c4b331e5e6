/**
 * The aggregator's state, pure: running totals per UTC day and model, with breakdowns by
 * step, run and processor instance. Kafka stays out of this file so that the arithmetic and
 * the record round trip are unit-tested on their own.
 */
import { dailyCostKey, type CostEvent, type CostTotals, type DailyCost } from '../contracts/index.ts';
import { picoToUsd, usdToPico, type Pico } from './money.ts';

export interface Bucket {
  calls: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  pico: Pico;
  /** What cached input saved against the uncached input price. */
  savedPico: Pico;
}

export interface DayModelTotals {
  day: string;
  model: string;
  total: Bucket;
  byStep: Map<string, Bucket>;
  byRun: Map<string, Bucket>;
  byInstance: Map<string, Bucket>;
  byTier: Map<string, Bucket>;
  /** The part of the totals spent by shadow candidates' calls; undefined until one is counted. */
  shadow?: Bucket | undefined;
  priceSources: { table: number; override: number; fallback: number };
  /** ISO timestamp of the latest call counted. */
  lastEventAt: string;
}

export type TotalsState = Map<string, DayModelTotals>;

/** A record must stay far below the broker's 1 MB default: runs past this share one bucket. */
export const MAX_RUNS_PER_RECORD = 1000;
export const OTHER_RUNS = '(other runs)';
/** Events from a processor that did not say which instance it was. */
export const UNKNOWN_INSTANCE = '(unknown)';

/** Calls whose response named no service tier were served, and priced, at the standard tier. */
export const DEFAULT_TIER = 'default';

const emptyBucket = (): Bucket => ({ calls: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0, pico: 0n, savedPico: 0n });

function add(b: Bucket, e: Bucket): void {
  b.calls += e.calls;
  b.inputTokens += e.inputTokens;
  b.cachedInputTokens += e.cachedInputTokens;
  b.outputTokens += e.outputTokens;
  b.reasoningTokens += e.reasoningTokens;
  b.pico += e.pico;
  b.savedPico += e.savedPico;
}

function bucketIn(map: Map<string, Bucket>, key: string): Bucket {
  let b = map.get(key);
  if (!b) map.set(key, (b = emptyBucket()));
  return b;
}

/** The UTC calendar day of an ISO timestamp: the day a call is billed to. */
export function utcDay(at: string | Date): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a timestamp: ${String(at)}`);
  return d.toISOString().slice(0, 10);
}

/** Adds one (already deduplicated) event. Returns the key of the record it changed. */
export function applyCostEvent(state: TotalsState, e: CostEvent): string {
  const day = utcDay(e.timestamp);
  const key = dailyCostKey(day, e.model);
  let t = state.get(key);
  if (!t) {
    t = {
      day, model: e.model, total: emptyBucket(), byStep: new Map(), byRun: new Map(), byInstance: new Map(), byTier: new Map(),
      priceSources: { table: 0, override: 0, fallback: 0 }, lastEventAt: e.timestamp,
    };
    state.set(key, t);
  }
  const call: Bucket = {
    calls: 1, inputTokens: e.input_tokens, cachedInputTokens: e.cached_input_tokens ?? 0, outputTokens: e.output_tokens,
    reasoningTokens: e.reasoning_tokens ?? 0, pico: usdToPico(e.cost_usd), savedPico: usdToPico(e.cache_saving_usd ?? 0),
  };
  const parts = [
    t.total, bucketIn(t.byStep, e.step), bucketIn(t.byInstance, e.instance_id ?? UNKNOWN_INSTANCE), bucketIn(t.byTier, e.service_tier ?? DEFAULT_TIER),
  ];
  if (e.run_id !== undefined) {
    const run = t.byRun.has(e.run_id) || t.byRun.size < MAX_RUNS_PER_RECORD ? e.run_id : OTHER_RUNS;
    parts.push(bucketIn(t.byRun, run));
  }
  if (e.shadow) parts.push((t.shadow ??= emptyBucket()));
  for (const b of parts) add(b, call);
  t.priceSources[e.price_source]++;
  if (Date.parse(e.timestamp) > Date.parse(t.lastEventAt)) t.lastEventAt = e.timestamp;
  return key;
}

function toTotals(b: Bucket): CostTotals {
  return {
    calls: b.calls, input_tokens: b.inputTokens, cached_input_tokens: b.cachedInputTokens, output_tokens: b.outputTokens,
    reasoning_tokens: b.reasoningTokens, cost_usd: picoToUsd(b.pico), cost_pico_usd: b.pico.toString(), cache_saving_pico_usd: b.savedPico.toString(),
  };
}

/** Records written before cached and reasoning tokens were counted read them as 0. */
function fromTotals(t: CostTotals): Bucket {
  return {
    calls: t.calls, inputTokens: t.input_tokens, cachedInputTokens: t.cached_input_tokens ?? 0, outputTokens: t.output_tokens,
    reasoningTokens: t.reasoning_tokens ?? 0, pico: BigInt(t.cost_pico_usd), savedPico: BigInt(t.cache_saving_pico_usd ?? '0'),
  };
}

const mapTotals = (m: Map<string, Bucket>) => Object.fromEntries([...m].map(([k, b]) => [k, toTotals(b)]));
const mapBuckets = (r: Record<string, CostTotals>) => new Map(Object.entries(r).map(([k, t]) => [k, fromTotals(t)]));

export function toDailyCost(t: DayModelTotals, updatedAt: string): DailyCost {
  return {
    day: t.day,
    model: t.model,
    ...toTotals(t.total),
    by_step: mapTotals(t.byStep),
    by_run: mapTotals(t.byRun),
    by_instance: mapTotals(t.byInstance),
    by_tier: mapTotals(t.byTier),
    ...(t.shadow ? { shadow: toTotals(t.shadow) } : {}),
    price_sources: { ...t.priceSources },
    updated_at: updatedAt,
    last_event_at: t.lastEventAt,
  };
}

/** The inverse of toDailyCost: how the aggregator restores its state from llm.costs.daily. */
export function fromDailyCost(d: DailyCost): DayModelTotals {
  return {
    day: d.day,
    model: d.model,
    total: fromTotals(d),
    byStep: mapBuckets(d.by_step),
    byRun: mapBuckets(d.by_run),
    byInstance: mapBuckets(d.by_instance),
    byTier: mapBuckets(d.by_tier ?? {}),
    ...(d.shadow ? { shadow: fromTotals(d.shadow) } : {}),
    priceSources: { ...d.price_sources },
    lastEventAt: d.last_event_at,
  };
}

/** Spend of one day over all models, the part of it one instance made, and the part shadow candidates made. */
export function daySpend(records: Iterable<Pick<DailyCost, 'day' | 'cost_pico_usd' | 'by_instance' | 'shadow'>>, day: string, instanceId?: string): { total: Pico; instance: Pico; shadow: Pico } {
  let total = 0n;
  let instance = 0n;
  let shadow = 0n;
  for (const r of records) {
    if (r.day !== day) continue;
    total += BigInt(r.cost_pico_usd);
    if (r.shadow) shadow += BigInt(r.shadow.cost_pico_usd);
    const mine = instanceId === undefined ? undefined : r.by_instance[instanceId];
    if (mine) instance += BigInt(mine.cost_pico_usd);
  }
  return { total, instance, shadow };
}
