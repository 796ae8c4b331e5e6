/**
 * Moves DLQ records back to documents.raw: original key, value and headers, plus a redrive
 * count. Each redrive is one transaction that writes the raw message and a compacted marker
 * for the DLQ record, so a record is redriven at most once even if the command is interrupted,
 * and a filtered run (--code) leaves the other records eligible for a later one. A record whose
 * document was already redriven MAX_REDRIVES times is refused: it keeps failing for a reason
 * a person must fix.
 */
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { Headers } from '../contracts/index.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { headerString } from '../kafka/serde.ts';
import { readTopicOnce } from '../kafka/topic-reader.ts';
import type { Logger } from '../observability/logger.ts';

export interface RedriveOptions {
  code?: string | undefined;
  limit?: number | undefined;
  maxRedrives: number;
  dryRun?: boolean;
}

export interface RedriveReport {
  scanned: number;
  /** Selected to go back (what a dry run would redrive). */
  selected: number;
  redriven: number;
  alreadyRedriven: number;
  refused: { key: string | null; code: string | undefined; redriveCount: number }[];
  skippedByCode: number;
}

interface DlqRecord {
  partition: number;
  offset: string;
  message: KafkaMessage;
}

const markerKey = (partition: number, offset: string) => `${partition}:${offset}`;

export async function redrive(deps: {
  kafka: KafkaClient;
  dlqTopic: string;
  /** The compacted markers of what was redriven (the catalogue's `redriven`, beside the DLQ). */
  markerTopic: string;
  rawTopic: string;
  transactionalId: string;
  logger: Logger;
  progress?: (done: number, total: number) => void;
}, opts: RedriveOptions): Promise<RedriveReport> {
  const markers = new Set<string>();
  const groupBase = `${deps.transactionalId}.reader`;
  await readTopicOnce({
    kafka: deps.kafka, topic: deps.markerTopic, groupBase, logger: deps.logger,
    onRecord: (r) => {
      if (r.key && r.value) markers.add(r.key);
    },
  });
  const records: DlqRecord[] = [];
  await readTopicOnce({
    kafka: deps.kafka, topic: deps.dlqTopic, groupBase, logger: deps.logger,
    onRecord: (r) => records.push({ partition: r.partition, offset: r.offset, message: r.message }),
  });

  const report: RedriveReport = { scanned: records.length, selected: 0, redriven: 0, alreadyRedriven: 0, refused: [], skippedByCode: 0 };
  const todo: DlqRecord[] = [];
  for (const r of records) {
    const headers = r.message.headers as Record<string, unknown>;
    if (markers.has(markerKey(r.partition, r.offset))) {
      report.alreadyRedriven++;
      continue;
    }
    const code = headerString(headers, Headers.errorCode);
    if (opts.code && code !== opts.code) {
      report.skippedByCode++;
      continue;
    }
    const count = Number(headerString(headers, Headers.redriveCount) ?? '0') || 0;
    if (count >= opts.maxRedrives) {
      report.refused.push({ key: r.message.key?.toString('utf8') ?? null, code, redriveCount: count });
      deps.logger.warn({ documentId: r.message.key?.toString('utf8'), code, redriveCount: count, maxRedrives: opts.maxRedrives }, 'refused: already redriven too often');
      continue;
    }
    if (opts.limit !== undefined && todo.length >= opts.limit) break;
    todo.push(r);
  }
  report.selected = todo.length;
  if (opts.dryRun || todo.length === 0) return report;

  const producer = deps.kafka.producer({ transactionalId: deps.transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < todo.length; i += 100) {
      const chunk = todo.slice(i, i + 100);
      // A failed transaction gets no abort of ours (transactional-committer.ts says why): the
      // producer is disconnected below; the next redrive's InitProducerId, or the transaction
      // timeout (60 s), has the coordinator abort it.
      const tx = await producer.transaction();
      await tx.sendBatch({
        acks: -1,
        topicMessages: [
          {
            topic: deps.rawTopic,
            messages: chunk.map((r) => {
              const h: IHeaders = {};
              for (const [k, v] of Object.entries(r.message.headers ?? {})) if (v !== undefined) h[k] = v;
              const count = Number(headerString(h as Record<string, unknown>, Headers.redriveCount) ?? '0') || 0;
              return { key: r.message.key, value: r.message.value, headers: { ...h, [Headers.redriveCount]: String(count + 1) } };
            }),
          },
          {
            topic: deps.markerTopic,
            messages: chunk.map((r) => ({ key: markerKey(r.partition, r.offset), value: JSON.stringify({ redriven_at: new Date().toISOString() }) })),
          },
        ],
      });
      await tx.commit();
      report.redriven += chunk.length;
      deps.progress?.(report.redriven, todo.length);
    }
  } finally {
    await producer.disconnect();
  }
  return report;
}
