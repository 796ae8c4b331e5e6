/**
 * The two shapes a record has inside this service: where one came from (SourceRecord, read by
 * the engine and handed to the pipeline) and what we write (OutgoingMessage, built by the
 * pipeline and sent by the committer). They live here, beside the clients that read and send
 * them, so that kafka/ depends on nothing above it.
 */
import type { IHeaders, KafkaMessage } from 'kafkajs';

export interface OutgoingMessage {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | null;
  headers: IHeaders;
}

/** Where a message came from: enough to find it again and to say so on the DLQ. */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

/**
 * A record's headers without the undefined entries KafkaJS's types allow, optionally without
 * some names: our own x- headers are replaced, never stacked, when a message passes through twice.
 */
export function normalizeHeaders(h: KafkaMessage['headers'] | IHeaders | undefined, drop: readonly string[] = []): IHeaders {
  const out: IHeaders = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined && !drop.includes(k)) out[k] = v;
  return out;
}
