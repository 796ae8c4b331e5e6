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
    output_tokens: z.number().int().nonnegative(),
    cost_usd: z.number().nonnegative(),
    price_source: z.enum(['table', 'override', 'fallback']),
    attempt: z.number().int().min(1),
    /** Whether the call returned a usable answer; failed calls that were billed still count. */
    ok: z.boolean(),
    run_id: z.string().optional(),
    instance_id: z.string().optional(),
    timestamp: z.iso.datetime(),
  })
  .meta({ id: 'CostEvent', description: 'The cost of one real LLM API call' });
export type CostEvent = z.infer<typeof CostEvent>;
