import { z } from 'zod';

export const PipelineAlertKind = z.enum(['dlq-storm', 'resume']);
export type PipelineAlertKind = z.infer<typeof PipelineAlertKind>;

/**
 * On pipeline.alerts: what a processor raises when it stops itself (`dlq-storm`, keyed
 * `dlq-storm|<instance>`), and the operator's answer (`resume`, keyed `resume`, written by
 * `enricher resume`), which every running processor follows.
 */
export const PipelineAlert = z
  .object({
    kind: PipelineAlertKind,
    /** The processor that raised it, or `enricher-cli@<host>` for an operator's command. */
    source: z.string().min(1),
    raised_at: z.iso.datetime(),
    message: z.string(),
    /** dlq-storm: dead letters for non-input reasons among the last `window` documents. */
    dead_lettered: z.number().int().nonnegative().optional(),
    window: z.number().int().positive().optional(),
    /** dlq-storm: DLQ_STORM_SHARE, the share it exceeded. */
    share: z.number().positive().max(1).optional(),
    /** dlq-storm: the dead letters in the window by error code. */
    codes: z.record(z.string(), z.number().int().nonnegative()).optional(),
    cooldown_ms: z.number().int().nonnegative().optional(),
  })
  .meta({ id: 'PipelineAlert', description: 'A processor stopped itself (DLQ storm), or an operator resumed it' });
export type PipelineAlert = z.infer<typeof PipelineAlert>;
