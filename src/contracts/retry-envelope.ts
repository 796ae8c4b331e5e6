import { z } from 'zod';
import { ChainProgress } from './chain-progress.ts';
import { RawDocument } from './raw-document.ts';

/** What travels on documents.retry.<delay>: the document, what is done, and when to try again. */
export const RetryEnvelope = z
  .object({
    document: RawDocument,
    progress: ChainProgress,
    /**
     * The attempt this delivery is: 2 for the first retry. A failure during a declared LLM outage
     * is not counted, so a document that failed its first delivery then comes back as attempt 1.
     */
    attempt: z.number().int().min(1),
    /** How often the document was put back without spending an attempt because an LLM outage was declared. */
    outage_deferrals: z.number().int().nonnegative().optional(),
    first_failed_at: z.iso.datetime(),
    due_at: z.iso.datetime(),
    last_error: z.object({ code: z.string(), message: z.string(), stage: z.string() }),
    original: z.object({
      topic: z.string(),
      partition: z.number().int().nonnegative(),
      offset: z.string(),
      timestamp: z.string(),
    }),
    run_id: z.string().optional(),
  })
  .meta({ id: 'RetryEnvelope', description: 'A document waiting for its next attempt on a retry topic' });
export type RetryEnvelope = z.infer<typeof RetryEnvelope>;
