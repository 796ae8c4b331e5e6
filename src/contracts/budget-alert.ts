import { z } from 'zod';

export const BudgetLevel = z.enum(['warning', 'exceeded']);
export type BudgetLevel = z.infer<typeof BudgetLevel>;

/** On llm.budget-alerts keyed `day|level`: at most one per UTC day and level. */
export const BudgetAlert = z
  .object({
    day: z.iso.date(),
    level: BudgetLevel,
    /** 80 for a warning, 100 when the budget is spent. */
    threshold_pct: z.number().int().positive(),
    budget_usd: z.number().positive(),
    spend_usd: z.number().nonnegative(),
    /** Spend as a percentage of the budget (rounded to 0.01). */
    spend_pct: z.number().nonnegative(),
    raised_at: z.iso.datetime(),
    source: z.string().min(1),
  })
  .meta({ id: 'BudgetAlert', description: 'The day’s LLM spend reached 80 % or 100 % of the daily budget' });
export type BudgetAlert = z.infer<typeof BudgetAlert>;
