/**
 * Model prices in USD per 1K tokens, and the cost of one call. A model we do not know is
 * never priced silently: it gets the explicit fallback price, a warning naming it, a metric,
 * and price_source "fallback" on its cost events.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';

export interface Price {
  inputPer1k: number;
  outputPer1k: number;
}
export type PriceSource = 'table' | 'override' | 'fallback';

/** The seed's prices, then current OpenAI models (list prices, USD per 1K tokens). */
export const PRICE_TABLE: Readonly<Record<string, Price>> = Object.freeze({
  'gpt-4-turbo': { inputPer1k: 0.01, outputPer1k: 0.03 },
  'gpt-4': { inputPer1k: 0.03, outputPer1k: 0.06 },
  'gpt-3.5-turbo': { inputPer1k: 0.0005, outputPer1k: 0.0015 },
  'gpt-4o': { inputPer1k: 0.0025, outputPer1k: 0.01 },
  'gpt-4o-mini': { inputPer1k: 0.00015, outputPer1k: 0.0006 },
  'gpt-4.1': { inputPer1k: 0.002, outputPer1k: 0.008 },
  'gpt-4.1-mini': { inputPer1k: 0.0004, outputPer1k: 0.0016 },
  'gpt-4.1-nano': { inputPer1k: 0.0001, outputPer1k: 0.0004 },
  'o3': { inputPer1k: 0.002, outputPer1k: 0.008 },
  'o4-mini': { inputPer1k: 0.0011, outputPer1k: 0.0044 },
  'gpt-5': { inputPer1k: 0.00125, outputPer1k: 0.01 },
  'gpt-5-mini': { inputPer1k: 0.00025, outputPer1k: 0.002 },
  'gpt-5-nano': { inputPer1k: 0.00005, outputPer1k: 0.0004 },
});

/** Deliberately the price of an expensive model: an unknown model over-reports, never under. */
export const FALLBACK_PRICE: Price = Object.freeze({ inputPer1k: 0.01, outputPer1k: 0.03 });

const PriceFile = z.record(
  z.string().min(1),
  z.object({ inputPer1k: z.number().nonnegative(), outputPer1k: z.number().nonnegative() }).strict(),
);

export function loadPriceOverrides(path: string): Record<string, Price> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`invalid configuration:\n  LLM_PRICES_FILE: cannot read ${path}: ${(e as Error).message}`);
  }
  const parsed = PriceFile.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid configuration:\n  LLM_PRICES_FILE: ${path} must map model names to {"inputPer1k": n, "outputPer1k": n}: ` +
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  return parsed.data;
}

/** Dated snapshots ("gpt-4o-mini-2024-07-18") are priced as their family: the longest known prefix. */
function lookup(table: Readonly<Record<string, Price>>, model: string): Price | undefined {
  if (table[model]) return table[model];
  let best: string | undefined;
  for (const name of Object.keys(table)) {
    if (model.startsWith(`${name}-`) && (!best || name.length > best.length)) best = name;
  }
  return best ? table[best] : undefined;
}

export interface Pricing {
  price(model: string, inputTokens: number, outputTokens: number): { costUsd: number; source: PriceSource };
}

export function createPricing(deps: {
  overrides?: Record<string, Price> | undefined;
  logger: Logger;
  onFallback?: (model: string) => void;
}): Pricing {
  const warned = new Set<string>();
  return {
    price(model, inputTokens, outputTokens) {
      let p = deps.overrides ? lookup(deps.overrides, model) : undefined;
      let source: PriceSource = 'override';
      if (!p) {
        p = lookup(PRICE_TABLE, model);
        source = 'table';
      }
      if (!p) {
        p = FALLBACK_PRICE;
        source = 'fallback';
        deps.onFallback?.(model);
        if (!warned.has(model)) {
          warned.add(model);
          deps.logger.warn({ model, fallback: FALLBACK_PRICE }, `no price for model "${model}": using the fallback price; add it to LLM_PRICES_FILE`);
        }
      }
      // Rounded to 1e-12 so that sums of many calls stay exact to well below a cent.
      const costUsd = Math.round(((inputTokens * p.inputPer1k + outputTokens * p.outputPer1k) / 1000) * 1e12) / 1e12;
      return { costUsd, source };
    },
  };
}
