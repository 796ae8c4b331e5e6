/**
 * The price list: USD per 1K tokens, per model and service tier.
 *
 * Where the figures come from (read 2026-11-25):
 * - standard, cached-input and flex prices: LiteLLM's model price map,
 *   model_prices_and_context_window.json (input_cost_per_token, cache_read_input_token_cost,
 *   output_cost_per_token and their _flex / _priority variants), as synced from BerriAI/litellm
 *   main on 2026-07-24; these are OpenAI's list prices per token (here × 1000);
 * - priority prices: OpenAI's "Priority processing for API customers" page
 *   (openai.com/api-priority-processing), which agrees with LiteLLM's _priority fields for every
 *   model below. LiteLLM lists a priority input price for gpt-5-nano but no output price, and
 *   OpenAI's page does not list gpt-5-nano at all: it has no priority price here.
 *
 * Cached input is 50 % off for the gpt-4o family, 75 % off for gpt-4.1 and the o-series, and
 * 90 % off for gpt-5. gpt-4, gpt-4-turbo and gpt-3.5-turbo have no prompt caching: their cached
 * price is the full input price. Flex is half the standard price, listed for o3, o4-mini and the
 * gpt-5 family only. Every price is a whole number of pico-dollars per token, so costs are exact.
 */

export const PRICED_TIERS = ['flex', 'priority'] as const;
/** 'default' is the standard tier; the others are priced where the provider lists them. */
export type TierName = 'default' | (typeof PRICED_TIERS)[number];

export interface TierPrice {
  inputPer1k: number;
  /** Input tokens read from the provider's prompt cache. */
  cachedInputPer1k: number;
  outputPer1k: number;
}

export interface ModelPrice extends TierPrice {
  flex?: TierPrice;
  priority?: TierPrice;
}

const p = (inputPer1k: number, cachedInputPer1k: number, outputPer1k: number): TierPrice => ({ inputPer1k, cachedInputPer1k, outputPer1k });

export const PRICE_TABLE: Readonly<Record<string, ModelPrice>> = Object.freeze({
  // The seed's prices. No prompt caching.
  'gpt-4-turbo': p(0.01, 0.01, 0.03),
  'gpt-4': p(0.03, 0.03, 0.06),
  'gpt-3.5-turbo': p(0.0005, 0.0005, 0.0015),
  // Current models.
  'gpt-4o': { ...p(0.0025, 0.00125, 0.01), priority: p(0.00425, 0.002125, 0.017) },
  'gpt-4o-mini': { ...p(0.00015, 0.000075, 0.0006), priority: p(0.00025, 0.000125, 0.001) },
  'gpt-4.1': { ...p(0.002, 0.0005, 0.008), priority: p(0.0035, 0.000875, 0.014) },
  'gpt-4.1-mini': { ...p(0.0004, 0.0001, 0.0016), priority: p(0.0007, 0.000175, 0.0028) },
  'gpt-4.1-nano': { ...p(0.0001, 0.000025, 0.0004), priority: p(0.0002, 0.00005, 0.0008) },
  'o3': { ...p(0.002, 0.0005, 0.008), flex: p(0.001, 0.00025, 0.004), priority: p(0.0035, 0.000875, 0.014) },
  'o4-mini': { ...p(0.0011, 0.000275, 0.0044), flex: p(0.00055, 0.0001375, 0.0022), priority: p(0.002, 0.0005, 0.008) },
  'gpt-5': { ...p(0.00125, 0.000125, 0.01), flex: p(0.000625, 0.0000625, 0.005), priority: p(0.0025, 0.00025, 0.02) },
  'gpt-5-mini': { ...p(0.00025, 0.000025, 0.002), flex: p(0.000125, 0.0000125, 0.001), priority: p(0.00045, 0.000045, 0.0036) },
  'gpt-5-nano': { ...p(0.00005, 0.000005, 0.0004), flex: p(0.000025, 0.0000025, 0.0002) },
} satisfies Record<string, ModelPrice>);

/** Deliberately the price of an expensive model: an unknown model over-reports, never under. */
export const FALLBACK_PRICE: ModelPrice = Object.freeze(p(0.01, 0.01, 0.03));

/**
 * The offline provider's second model (llm/offline/small-model.ts), priced as gpt-4.1-nano, so
 * that a shadow of it against the default offline model (priced as LLM_MODEL, gpt-4o-mini by
 * default) looks like a cheaper candidate. Not an API's price: looked up after the table.
 */
export const OFFLINE_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'offline-small': p(0.0001, 0.0001, 0.0004),
});
