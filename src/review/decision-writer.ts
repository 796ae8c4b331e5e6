/**
 * Writes decisions exactly once, across any number of console instances.
 *
 * Each partition p of documents.review.decisions has one transactional id,
 * `<group>.review.tx.<topic>.<p>`, the same in every instance. To decide about a document whose
 * decision key falls in p, an instance must hold that id: initialising its producer runs
 * InitProducerId, which bumps the epoch (fencing whoever held it before) and ends that holder's
 * open transaction. The instance then reads p up to its end, so it knows every decision ever
 * committed there, checks the document (not decided, same version), and commits the decision
 * and its output in one transaction. A commit can only succeed while the epoch is still ours,
 * so nobody else wrote to p between our read and our commit: two instances cannot both decide
 * the same version. The loser's transaction fails as fenced; it takes the id back, reads the
 * winner's decision and answers "already decided by X at T". The argument, in full:
 * docs/review-console.md.
 */
import type { Producer } from 'kafkajs';
import type { Config } from '../config.ts';
import type { ReviewDecision } from '../contracts/index.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { kafkajs } from '../kafka/load-kafkajs.ts';
import { plainJson, type ValueEncoder } from '../kafka/serde.ts';
import { topicOffsets } from '../kafka/topic-reader.ts';
import type { Logger } from '../observability/logger.ts';
import type { PreparedDecision } from './decision-outputs.ts';
import type { DecisionCheck } from './review-state.ts';
import { sleep } from '../util/sleep.ts';
import { traceContextHeaders } from '../observability/tracing/document-trace.ts';

export type WriteResult =
  | { status: 'written'; decision: ReviewDecision }
  | { status: 'decided'; by: ReviewDecision }
  | { status: 'stale' }
  | { status: 'unavailable'; message: string };

export interface DecisionWriterDeps {
  kafka: KafkaClient;
  topic: string;
  transactionalIdBase: string;
  logger: Logger;
  /** The console's view of the decisions, fed by its follower of the decisions topic. */
  state: {
    check(d: ReviewDecision): DecisionCheck;
    /** Resolves true once the follower has read partition p of the decisions topic up to `offset`. */
    waitSeen(partition: number, offset: bigint, timeoutMs: number): Promise<boolean>;
    /** A decision we just committed, applied before the follower reads it back. */
    applyOwn(d: ReviewDecision): void;
  };
  /** Encodes the decision records (default plain JSON; the wire format with a schema registry). */
  encode?: ValueEncoder;
  maxAttempts?: number;
  catchUpTimeoutMs?: number;
}

export interface DecisionWriter {
  start(): Promise<void>;
  /** Writes what may still be written, one transaction per decisions partition; one result per input, in order. */
  write(batch: readonly PreparedDecision[]): Promise<WriteResult[]>;
  /** The partition of the decisions topic a document's decision goes to. */
  partitionOf(documentId: string): number;
  close(): Promise<void>;
}

const MAX_PER_TRANSACTION = 100;

interface Slot {
  producer: Producer | undefined;
  /** Decisions of one partition are written one transaction at a time. */
  lock: Promise<unknown>;
}

export function createDecisionWriter(deps: DecisionWriterDeps): DecisionWriter {
  const { kafka, topic, logger, state } = deps;
  const maxAttempts = deps.maxAttempts ?? 4;
  const slots = new Map<number, Slot>();
  const partitioner = kafkajs.Partitioners.DefaultPartitioner();
  let partitionCount = 0;

  const slotOf = (p: number) => {
    let s = slots.get(p);
    if (!s) slots.set(p, (s = { producer: undefined, lock: Promise.resolve() }));
    return s;
  };

  async function drop(s: Slot): Promise<void> {
    const p = s.producer;
    s.producer = undefined;
    await p?.disconnect().catch(() => undefined);
  }

  /** Takes partition p's transactional id (fencing its last holder) and reads p to its end. */
  async function acquire(p: number): Promise<Producer> {
    const producer = kafka.producer({ transactionalId: `${deps.transactionalIdBase}.${p}`, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 30_000 });
    try {
      await producer.connect();
      // KafkaJS runs the transactional InitProducerId (the fencing step) at the first transaction(), not at connect.
      const tx = await producer.transaction();
      await tx.abort();
      const high = BigInt((await topicOffsets(kafka, topic)).find((o) => o.partition === p)?.high ?? '0');
      if (high > 0n && !(await state.waitSeen(p, high - 1n, deps.catchUpTimeoutMs ?? 15_000))) {
        throw new Error(`the decisions follower did not reach offset ${high} of ${topic}[${p}] in time`);
      }
      return producer;
    } catch (e) {
      await producer.disconnect().catch(() => undefined);
      throw e;
    }
  }

  async function writePartition(p: number, batch: readonly PreparedDecision[]): Promise<Map<string, WriteResult>> {
    const results = new Map<string, WriteResult>();
    const s = slotOf(p);
    let lastError = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const producer = s.producer ?? (s.producer = await acquire(p));
        // Checked while holding p's id: the state holds every decision committed in p.
        const todo: PreparedDecision[] = [];
        for (const d of batch) {
          const c = state.check(d.decision);
          if (c.kind === 'open') todo.push(d);
          else results.set(d.decision.decision_id, c.kind === 'mine' ? { status: 'written', decision: d.decision } : c.kind === 'decided' ? { status: 'decided', by: c.by } : { status: 'stale' });
        }
        if (todo.length === 0) return results;
        // A failed transaction gets no abort of ours (transactional-committer.ts says why): the
        // catch below drops the producer, and taking the id back makes the coordinator abort it.
        const tx = await producer.transaction();
        const outputs = new Map<string, { key: Buffer | string | null; value: Buffer | null; headers: PreparedDecision['output']['headers'] }[]>();
        for (const d of todo) {
          const list = outputs.get(d.output.topic) ?? [];
          list.push({ key: d.output.key, value: d.output.value, headers: d.output.headers });
          outputs.set(d.output.topic, list);
        }
        await tx.sendBatch({
          acks: -1,
          topicMessages: [
            ...[...outputs].map(([t, messages]) => ({ topic: t, messages })),
            // A decision continues the trace of the document it decides (the review record's traceparent).
            { topic, messages: todo.map((d) => ({ key: d.decision.document_id, value: (deps.encode ?? plainJson)(topic, d.decision), partition: p, headers: traceContextHeaders(d.output.headers) })) },
          ],
        });
        await tx.commit();
        for (const d of todo) {
          state.applyOwn(d.decision);
          results.set(d.decision.decision_id, { status: 'written', decision: d.decision });
        }
        return results;
      } catch (e) {
        // Fenced by another console, or an outcome we cannot know. Taking the id back ends any
        // transaction of ours still open; the read that follows then shows whether a decision
        // committed (found by its id: "mine") or not (written again).
        lastError = (e as Error).message;
        logger.warn({ partition: p, attempt, err: lastError, documents: batch.map((d) => d.decision.document_id).slice(0, 20) }, 'decision write failed; taking the decisions partition back and checking again');
        await drop(s);
        await sleep(100 * attempt);
      }
    }
    for (const d of batch) {
      if (!results.has(d.decision.decision_id)) results.set(d.decision.decision_id, { status: 'unavailable', message: `Kafka did not take the decision (${lastError}); nothing was published, try again` });
    }
    return results;
  }

  function partitionOf(documentId: string): number {
    const partitionMetadata = Array.from({ length: partitionCount }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    return partitioner({ topic, partitionMetadata, message: { key: documentId, value: null } });
  }

  return {
    async start() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const md = await admin.fetchTopicMetadata({ topics: [topic] });
        partitionCount = md.topics[0]?.partitions.length ?? 0;
      } finally {
        await admin.disconnect();
      }
      if (partitionCount === 0) throw new Error(`topic ${topic} has no partitions`);
    },
    partitionOf,
    async write(batch) {
      // One transaction per decisions partition and chunk: a bulk action of hundreds stays a modest transaction.
      const chunks: { p: number; list: PreparedDecision[] }[] = [];
      const open = new Map<number, PreparedDecision[]>();
      for (const d of batch) {
        const p = partitionOf(d.decision.document_id);
        let list = open.get(p);
        if (!list || list.length >= MAX_PER_TRANSACTION) {
          list = [];
          open.set(p, list);
          chunks.push({ p, list });
        }
        list.push(d);
      }
      const merged = new Map<string, WriteResult>();
      await Promise.all(chunks.map(async ({ p, list }) => {
        const s = slotOf(p);
        const run = s.lock.then(() => writePartition(p, list));
        s.lock = run.catch(() => undefined);
        for (const [id, r] of await run) merged.set(id, r);
      }));
      return batch.map((d) => merged.get(d.decision.decision_id)!);
    },
    async close() {
      await Promise.all([...slots.values()].map(async (s) => {
        await s.lock;
        await drop(s);
      }));
    },
  };
}

/** The transactional id prefix of the decisions topic's writers: the same in every console instance of a deployment. */
export function decisionsTransactionalIdBase(config: Pick<Config, 'kafka' | 'topics'>): string {
  return `${config.kafka.groupId}.review.tx.${config.topics.reviewDecisions}`;
}
