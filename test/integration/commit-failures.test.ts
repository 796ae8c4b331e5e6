/**
 * A commit whose outcome is unknown (the broker went away or timed out mid-commit) must end
 * with every input exactly once in the output, whichever way it really went: it went through,
 * it did not, or another owner fenced us and committed part of our work meanwhile. A fenced
 * commit must hand the partition back readable, even while it waited for a retry to be due.
 *
 * The engine runs in-process against the real broker with the real transactional committer;
 * only the error the committer reports is injected (the fault a real broker gives at random).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/client.ts';
import { createTransactionalCommitter, type Committer } from '../../src/kafka/transactional-committer.ts';
import { createIntakeControl } from '../../src/guards/intake-control.ts';
import { createPartitionedProcessor, type PartitionedProcessor } from '../../src/engine/partitioned-processor.ts';
import type { OutgoingMessage, SourceRecord } from '../../src/kafka/records.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { connectTestKafka, randomName, readTopics, testConfig, type TestKafka } from '../support/kafka.ts';
import { testLogger } from '../support/logger.ts';
import { sleep } from '../support/time.ts';

const N = 20;
const SLOW_INDEX = 5; // in flight while the first commit (of 0..4) is attempted
let tk: TestKafka | undefined;
let processor: PartitionedProcessor | undefined;
const extra: Committer[] = [];

afterEach(async () => {
  await processor?.stop();
  await Promise.all(extra.map((c) => c.close()));
  extra.length = 0;
  await tk?.cleanup();
  processor = undefined;
  tk = undefined;
});

const timeout = () => Object.assign(new Error('Request commit timed out (injected)'), { name: 'KafkaJSRequestTimeoutError' });

type Fault = (real: Committer, args: { groupId: string; topic: string; partition: number; messages: OutgoingMessage[]; nextOffset: string }) => Promise<void>;

/** dueLater: keys of records that are not due until this long after they are produced (as retries). */
async function run(fault: Fault, dueLater: { keys: string[]; ms: number } = { keys: [], ms: 0 }): Promise<{ byKey: Map<string, string[]>; faults: number }> {
  const config = testConfig({ TOPIC_PARTITIONS: '1' });
  tk = await connectTestKafka(config);
  const input = randomName('uc-in');
  const output = randomName('uc-out');
  await tk.admin.createTopics({ topics: [input, output].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })), waitForLeaders: true });
  const kafka = createKafka(config, silentLogger());
  const groupId = `${input}-group`;
  const real = createTransactionalCommitter({ kafka, groupId, logger: silentLogger() });
  let faults = 0;
  const committer: Committer = {
    ...real,
    async commit(topic, partition, messages, nextOffset) {
      if (faults === 0 && messages.length > 0) {
        faults++;
        try {
          return await fault(real, { groupId, topic, partition, messages, nextOffset });
        } catch (e) {
          await real.release(topic, partition); // as the committer does after any failed commit
          throw e;
        }
      }
      return real.commit(topic, partition, messages, nextOffset);
    },
  };
  const echo = (r: SourceRecord, by: string): OutgoingMessage => ({ topic: output, key: r.key, value: Buffer.from(by), headers: {} });
  processor = createPartitionedProcessor({
    name: 'uc', kafka, groupId, topics: [input], committer,
    handle: async (r) => {
      if (r.key?.toString() === `d-${SLOW_INDEX}`) await sleep(2500);
      return { kind: 'done', route: 'enriched', documentId: r.key?.toString(), messages: [echo(r, 'us')] };
    },
    waitOutServiceError: async () => undefined,
    dueAt: (m) => (m.headers?.due ? Number(m.headers.due.toString()) : undefined),
    intake: createIntakeControl(),
    options: {
      sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, giveUpAfterMs: 60_000, maxInFlight: 50,
      maxPendingBytes: 1 << 20, flushIntervalMs: 1_000, flushMaxMessages: 1_000, shutdownTimeoutMs: 5_000,
    },
    logger: testLogger(), metrics: createMetrics(),
  });
  const producer = tk.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const due = String(Date.now() + dueLater.ms);
  await producer.send({
    topic: input,
    messages: Array.from({ length: N }, (_, i) => ({ key: `d-${i}`, value: `${i}`, headers: dueLater.keys.includes(`d-${i}`) ? { due } : {} })),
  });
  await producer.disconnect();
  await processor.start();
  const records = await readTopics(tk.kafka, [output], { minCount: N, quietMs: 2000, timeoutMs: 60_000 });
  const byKey = new Map<string, string[]>();
  for (const r of records) byKey.set(r.key!, [...(byKey.get(r.key!) ?? []), r.value!.toString()]);
  return { byKey, faults };
}

function expectExactlyOnce(byKey: Map<string, string[]>): void {
  const counts = Array.from({ length: N }, (_, i) => byKey.get(`d-${i}`)?.length ?? 0);
  expect(counts).toEqual(Array(N).fill(1));
}

describe('a commit that fails', () => {
  it('with an unknown outcome, that did go through, is not committed again', async () => {
    const { byKey, faults } = await run(async (real, a) => {
      await real.commit(a.topic, a.partition, a.messages, a.nextOffset);
      throw timeout();
    });
    expect(faults).toBe(1);
    expectExactlyOnce(byKey);
  }, 90_000);

  it('with an unknown outcome, that did not go through, is committed on the next flush', async () => {
    const { byKey, faults } = await run(async () => {
      throw timeout();
    });
    expect(faults).toBe(1);
    expectExactlyOnce(byKey);
  }, 90_000);

  it('with an unknown outcome, while another owner fenced us and committed part of our work: our copy of that part is dropped', async () => {
    let otherCommitted: string[] = [];
    const { byKey, faults } = await run(async (_real, a) => {
      // A newer owner (same transactional id) fences us, then commits d-0..d-9 with its own
      // outputs: beyond our attempt (d-0..d-4) and past d-5, which we still have in flight.
      const other = createTransactionalCommitter({ kafka: tk!.kafka, groupId: a.groupId, logger: silentLogger() });
      extra.push(other);
      await other.prepare(a.topic, a.partition);
      const theirs = Array.from({ length: 10 }, (_, i) => ({ topic: a.messages[0]!.topic, key: `d-${i}`, value: Buffer.from('other'), headers: {} }));
      await other.commit(a.topic, a.partition, theirs, '10');
      otherCommitted = theirs.map((m) => m.key);
      throw timeout();
    });
    expect(faults).toBe(1);
    expect(otherCommitted).toHaveLength(10);
    expectExactlyOnce(byKey);
    // Below the other owner's commit, only its outputs; above it, ours.
    for (let i = 0; i < N; i++) expect(byKey.get(`d-${i}`)).toEqual([i < 10 ? 'other' : 'us']);
  }, 90_000);

  it('fenced while it waited for a retry that was not due: the partition is read again, not left paused', async () => {
    // d-15.. are not due for 4 s, so the partition is paused when the first commit is fenced.
    const { byKey, faults } = await run(async (real, a) => {
      const other = createTransactionalCommitter({ kafka: tk!.kafka, groupId: a.groupId, logger: silentLogger() });
      extra.push(other);
      await other.prepare(a.topic, a.partition);
      await real.commit(a.topic, a.partition, a.messages, a.nextOffset); // fails: fenced
    }, { keys: ['d-15', 'd-16', 'd-17', 'd-18', 'd-19'], ms: 4_000 });
    expect(faults).toBe(1);
    expectExactlyOnce(byKey);
  }, 90_000);
});
