import { z } from 'zod';

/**
 * Money on llm.costs.daily is summed in integer pico-dollars (1e-12 USD), which is exact; the
 * `cost_usd` next to it is that sum as a float for readers. `cost_pico_usd` is a decimal string
 * because a day's total can pass 2^53 pico-dollars (about $9,007).
 */
const PicoUsd = z.string().regex(/^\d+$/, 'a non-negative integer, in pico-dollars');

export const CostTotals = z
  .object({
    calls: z.number().int().nonnegative(),
    input_tokens: z.number().int().nonnegative(),
    /** Optional so that records written before they were counted still read (as 0). */
    cached_input_tokens: z.number().int().nonnegative().optional(),
    output_tokens: z.number().int().nonnegative(),
    reasoning_tokens: z.number().int().nonnegative().optional(),
    cost_usd: z.number().nonnegative(),
    cost_pico_usd: PicoUsd,
    /** What cached input saved against the uncached input price, in pico-dollars. */
    cache_saving_pico_usd: PicoUsd.optional(),
  })
  .meta({ id: 'CostTotals' });
export type CostTotals = z.infer<typeof CostTotals>;

/** The cost aggregator's running totals for one UTC day and one model, on llm.costs.daily keyed `day|model`. */
export const DailyCost = z
  .object({
    day: z.iso.date(),
    model: z.string().min(1),
    ...CostTotals.shape,
    by_step: z.record(z.string(), CostTotals),
    /** Runs are ingestion batches (the x-run-id header); calls without a run are not listed. */
    by_run: z.record(z.string(), CostTotals),
    /** Per processor instance: lets a processor tell its own aggregated spend from everyone else's. */
    by_instance: z.record(z.string(), CostTotals),
    /** By the service tier the responses reported ("default" when they reported none). */
    by_tier: z.record(z.string(), CostTotals).optional(),
    /** The part of the totals spent by shadow candidates' calls (cost events with `shadow`); absent when none. */
    shadow: CostTotals.optional(),
    price_sources: z.object({
      table: z.number().int().nonnegative(),
      override: z.number().int().nonnegative(),
      fallback: z.number().int().nonnegative(),
    }),
    updated_at: z.iso.datetime(),
    /** The latest call timestamp counted in this record. */
    last_event_at: z.iso.datetime(),
  })
  .meta({ id: 'DailyCost', description: 'Spend of one UTC day on one model, written by the cost aggregator' });
export type DailyCost = z.infer<typeof DailyCost>;

export function dailyCostKey(day: string, model: string): string {
  return `${day}|${model}`;
}
