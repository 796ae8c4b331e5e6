/**
 * Model prices in USD per 1K tokens, and the cost of one call as the provider bills it:
 * uncached input, cached input (the prompt prefix the provider read from its cache) and output,
 * each at its own price, at the service tier the response says served the call.
 *
 * What is never priced silently: a model we do not know, and a tier we have no price for. Both
 * get the standard (or fallback) price, a warning naming them, a metric, and price_source
 * "fallback" on their cost events.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { FALLBACK_PRICE, OFFLINE_MODEL_PRICES, PRICED_TIERS, PRICE_TABLE, type ModelPrice, type TierName, type TierPrice } from './price-table.ts';

export { FALLBACK_PRICE, PRICE_TABLE, PRICED_TIERS, type ModelPrice, type TierName, type TierPrice } from './price-table.ts';

export type PriceSource = 'table' | 'override' | 'fallback';

const per1k = z.number().nonnegative();
const TierPriceFile = z
  .object({ inputPer1k: per1k, cachedInputPer1k: per1k.optional(), outputPer1k: per1k })
  .strict()
  .refine((p) => p.cachedInputPer1k === undefined || p.cachedInputPer1k <= p.inputPer1k, {
    message: 'cachedInputPer1k cannot be above inputPer1k',
  });
const PriceFile = z.record(
  z.string().min(1),
  z
    .object({
      inputPer1k: per1k,
      cachedInputPer1k: per1k.optional(),
      outputPer1k: per1k,
      flex: TierPriceFile.optional(),
      priority: TierPriceFile.optional(),
    })
    .strict()
    .refine((p) => p.cachedInputPer1k === undefined || p.cachedInputPer1k <= p.inputPer1k, {
      message: 'cachedInputPer1k cannot be above inputPer1k',
    }),
);

/** Without cachedInputPer1k a model has no prompt caching: cached tokens cost the full input price. */
function complete(p: { inputPer1k: number; cachedInputPer1k?: number | undefined; outputPer1k: number }): TierPrice {
  return { inputPer1k: p.inputPer1k, cachedInputPer1k: p.cachedInputPer1k ?? p.inputPer1k, outputPer1k: p.outputPer1k };
}

export function loadPriceOverrides(path: string): Record<string, ModelPrice> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`invalid configuration:\n  LLM_PRICES_FILE: cannot read ${path}: ${(e as Error).message}`);
  }
  const parsed = PriceFile.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid configuration:\n  LLM_PRICES_FILE: ${path} must map model names to ` +
        '{"inputPer1k": n, "cachedInputPer1k": n (optional), "outputPer1k": n, "flex": {…} (optional), "priority": {…} (optional)}: ' +
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  return Object.fromEntries(
    Object.entries(parsed.data).map(([model, p]) => [
      model,
      {
        ...complete(p),
        ...(p.flex ? { flex: complete(p.flex) } : {}),
        ...(p.priority ? { priority: complete(p.priority) } : {}),
      },
    ]),
  );
}

/** Dated snapshots ("gpt-4o-mini-2024-07-18") are priced as their family: the longest known prefix. */
function lookup(table: Readonly<Record<string, ModelPrice>>, model: string): ModelPrice | undefined {
  if (table[model]) return table[model];
  let best: string | undefined;
  for (const name of Object.keys(table)) {
    if (model.startsWith(`${name}-`) && (!best || name.length > best.length)) best = name;
  }
  return best ? table[best] : undefined;
}

/** What the response says was used: the tokens and the tier (null or absent when it did not say). */
export interface UsageToPrice {
  model: string;
  inputTokens: number;
  /** The part of inputTokens read from the provider's prompt cache. */
  cachedInputTokens: number;
  /** All output, reasoning included: reasoning tokens are already inside this count. */
  outputTokens: number;
  serviceTier?: string | null | undefined;
}

export interface PricedCall {
  costUsd: number;
  source: PriceSource;
  /** What the cached tokens would have cost more at the uncached input price of the same tier. */
  cacheSavingUsd: number;
  /** The tier whose prices were used. */
  pricedTier: TierName;
}

export interface Pricing {
  price(usage: UsageToPrice): PricedCall;
}

const PICO_PER_USD = 1e12;
/** USD per 1K tokens → pico-dollars per token (exact integers for every listed price). */
const picoPerToken = (usdPer1k: number) => usdPer1k * 1e9;

/** The tier a response reported: absent means the provider has no tiers, which is standard pricing. */
function reportedTier(tier: string | null | undefined): TierName | 'unknown' {
  if (tier === undefined || tier === null || tier === '' || tier === 'default') return 'default';
  return (PRICED_TIERS as readonly string[]).includes(tier) ? (tier as TierName) : 'unknown';
}

export function createPricing(deps: {
  overrides?: Record<string, ModelPrice> | undefined;
  logger: Logger;
  onFallback?: (model: string) => void;
}): Pricing {
  const warned = new Set<string>();
  const warnOnce = (key: string, fields: Record<string, unknown>, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    deps.logger.warn(fields, message);
  };
  return {
    price(u) {
      let prices = deps.overrides ? lookup(deps.overrides, u.model) : undefined;
      let source: PriceSource = 'override';
      if (!prices) {
        prices = lookup(PRICE_TABLE, u.model) ?? lookup(OFFLINE_MODEL_PRICES, u.model);
        source = 'table';
      }
      if (!prices) {
        prices = FALLBACK_PRICE;
        source = 'fallback';
        deps.onFallback?.(u.model);
        warnOnce(`model:${u.model}`, { model: u.model, fallback: FALLBACK_PRICE }, `no price for model "${u.model}": using the fallback price; add it to LLM_PRICES_FILE`);
      }
      const tier = reportedTier(u.serviceTier);
      let p: TierPrice = prices;
      let pricedTier: TierName = 'default';
      if (tier === 'flex' || tier === 'priority') {
        const listed = prices[tier];
        if (listed) {
          p = listed;
          pricedTier = tier;
        }
      }
      if (tier !== pricedTier) {
        if (source !== 'fallback') {
          // Standard price: over-reports a cheaper tier, and says so rather than guess a discount.
          source = 'fallback';
          deps.onFallback?.(u.model);
          warnOnce(
            `tier:${u.model}:${String(u.serviceTier)}`,
            { model: u.model, serviceTier: u.serviceTier },
            `no price for service tier "${String(u.serviceTier)}" of model "${u.model}": priced at the standard price; add it to LLM_PRICES_FILE`,
          );
        }
      }
      // Cached tokens are part of the prompt tokens: a server reporting more is capped, not trusted.
      const cached = Math.min(Math.max(0, u.cachedInputTokens), u.inputTokens);
      const uncached = u.inputTokens - cached;
      const pico = Math.round(
        uncached * picoPerToken(p.inputPer1k) + cached * picoPerToken(p.cachedInputPer1k) + u.outputTokens * picoPerToken(p.outputPer1k),
      );
      const saved = Math.round(cached * (picoPerToken(p.inputPer1k) - picoPerToken(p.cachedInputPer1k)));
      return { costUsd: pico / PICO_PER_USD, source, cacheSavingUsd: saved / PICO_PER_USD, pricedTier };
    },
  };
}
