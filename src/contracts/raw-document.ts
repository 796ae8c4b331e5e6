import { z } from 'zod';

/** What ingestion services publish to documents.raw. */
// Loose: fields we do not know are kept, so a retried or redriven document loses nothing.
export const RawDocument = z
  .looseObject({
    id: z.string().trim().min(1, 'id must not be empty').max(512),
    content: z.string().refine((s) => s.trim().length > 0, 'content must not be empty'),
    title: z.string().optional(),
    source: z.string().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    ingested_at: z.iso.datetime({ offset: true }).optional(),
  })
  .meta({ id: 'RawDocument', description: 'A document as published by ingestion to documents.raw' });
export type RawDocument = z.infer<typeof RawDocument>;
