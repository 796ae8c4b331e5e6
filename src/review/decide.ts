/** Turns reviewers' decisions into written records, with one log line per decision (who, what, where). */
import type { Config } from '../config.ts';
import type { ValueEncoder } from '../kafka/serde.ts';
import type { Logger } from '../observability/logger.ts';
import { prepareDecision, type DecisionInput } from './decision-outputs.ts';
import type { DecisionWriter, WriteResult } from './decision-writer.ts';
import type { QueueItem } from './review-state.ts';

export async function decide(
  deps: { writer: DecisionWriter; config: Pick<Config, 'topics'>; logger: Logger; encode?: ValueEncoder },
  reviewer: string,
  requests: readonly { q: QueueItem; input: DecisionInput }[],
  opts: { bulk?: boolean } = {},
): Promise<WriteResult[]> {
  const prepared = requests.map((r) => prepareDecision(r.q, r.input, { reviewer, topics: deps.config.topics, encode: deps.encode, ...(opts.bulk ? { bulk: true } : {}) }));
  const results = await deps.writer.write(prepared);
  results.forEach((r, i) => {
    const d = prepared[i]!.decision;
    const base = { documentId: d.document_id, reviewer, decision: d.decision, bulk: opts.bulk ?? false };
    if (r.status === 'written') deps.logger.info({ ...base, category: d.category, rejectReason: d.reject_reason, outputTopic: d.output_topic, item: d.item }, 'review decision published');
    else if (r.status === 'decided') deps.logger.info({ ...base, decidedBy: r.by.reviewer, decidedAt: r.by.decided_at }, 'review decision refused: already decided');
    else deps.logger.warn({ ...base, status: r.status, ...(r.status === 'unavailable' ? { err: r.message } : {}) }, 'review decision not written');
  });
  return results;
}
