/**
 * The way to the dead-letter topic: the storm guard may hold a dead letter back (a reason that is
 * not the document's, while intake is stopped), and otherwise the record goes there with its
 * original key, bytes and headers, and the reason.
 */
import type { RawDocument } from '../contracts/index.ts';
import type { EnricherError } from '../errors.ts';
import type { SourceRecord } from '../kafka/records.ts';
import { encodeJson, type ValueEncoder } from '../kafka/serde.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { DeadLetterWatch, HandleResult } from './document-handler.ts';
import { dlqMessage } from './messages.ts';

export function createDeadLetterRoute(deps: { topic: string; encode: ValueEncoder; deadLetters: DeadLetterWatch | undefined; metrics: Pick<Metrics, 'dlq'>; logger: Logger }) {
  function dlq(record: Pick<SourceRecord, 'key' | 'value' | 'headers'>, origin: Pick<SourceRecord, 'topic' | 'partition' | 'offset' | 'timestamp'>, err: EnricherError, attempts: number, documentId?: string): HandleResult {
    const held = deps.deadLetters?.hold(err);
    if (held) {
      deps.logger.warn({ documentId, code: err.code, stage: err.stage, attempts }, 'not dead-lettered: held while the DLQ storm guard has intake stopped');
      return { kind: 'service-error', documentId: documentId ?? '(no id)', error: held };
    }
    deps.deadLetters?.finished('dlq', err.code);
    deps.metrics.dlq.inc({ code: err.code });
    deps.logger.warn({ documentId, code: err.code, stage: err.stage, attempts, err: err.message.slice(0, 500) }, 'routed to the DLQ');
    return {
      kind: 'done',
      route: 'dlq',
      documentId,
      messages: [dlqMessage(deps.topic, record, origin, { code: err.code, message: err.message, stage: err.stage, attempts })],
    };
  }

  /** The DLQ takes any bytes: a document its subject's schema refuses (our bug) still gets there, as plain JSON. */
  function dlqValue(doc: RawDocument): Buffer {
    try {
      return deps.encode(deps.topic, doc);
    } catch (e) {
      deps.logger.error({ documentId: doc.id, err: (e as Error).message }, 'the DLQ subject\'s schema refuses this document; it goes there as plain JSON');
      return encodeJson(doc);
    }
  }

  return { dlq, dlqValue };
}
