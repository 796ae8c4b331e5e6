import { z } from 'zod';
import { StepName } from './enrichment.ts';

/** One per real LLM API call (cache hits emit none), on llm.cost-events keyed by call_id. */
export const CostEvent = z
  .object({
    call_id: z.string().min(1),
    document_id: z.string(),
    step: StepName,
    model: z.string(),
    provider: z.enum(['openai', 'offline']),
    input_tokens: z.number().int().nonnegative(),
    /** The part of input_tokens read from the provider's prompt cache, billed at the cached price. */
    cached_input_tokens: z.number().int().nonnegative().optional(),
    output_tokens: z.number().int().nonnegative(),
    /** The part of output_tokens spent on reasoning: recorded, never billed on top. */
    reasoning_tokens: z.number().int().nonnegative().optional(),
    /** The service tier the response reported (default, flex, priority, …); absent when it said none. */
    service_tier: z.string().min(1).optional(),
    cost_usd: z.number().nonnegative(),
    /** What the cached input saved against the uncached input price of the same tier. */
    cache_saving_usd: z.number().nonnegative().optional(),
    /** fallback: an unknown model, or a tier without a price (priced at the standard price). */
    price_source: z.enum(['table', 'override', 'fallback']),
    attempt: z.number().int().min(1),
    /** Whether the call returned a usable answer; failed calls that were billed still count. */
    ok: z.boolean(),
    run_id: z.string().optional(),
    /** A shadow candidate's call (SHADOW_MODEL): it counts against the budget, and is reported apart. Absent: the primary's. */
    shadow: z.boolean().optional(),
    instance_id: z.string().optional(),
    timestamp: z.iso.datetime(),
  })
  .meta({ id: 'CostEvent', description: 'The cost of one real LLM API call' });
export type CostEvent = z.infer<typeof CostEvent>;
