/**
 * Which documents the shadow answers: a hash of the document id against SHADOW_SAMPLE, so the
 * pick depends on the id alone: every instance, every retry and every replay picks the same
 * documents, and a larger sample picks a superset of a smaller one.
 */
import { createHash } from 'node:crypto';

/** Where a document id falls in [0, 1): the first 48 bits of its SHA-256. */
export function samplePoint(documentId: string): number {
  const h = createHash('sha256').update(documentId, 'utf8').digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}

/** Whether the shadow answers this document at this sample share (0 < sample ≤ 1). */
export function shadowPicks(documentId: string, sample: number): boolean {
  return sample >= 1 || samplePoint(documentId) < sample;
}
