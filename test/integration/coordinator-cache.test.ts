/**
 * KafkaJS asks where a coordinator is before each request to it; our clients remember the
 * answer for a second. On the real broker: six transactions of the committer, back to back,
 * ask for coordinators a few times in all, not four times each, and commit what they carry.
 */
import type { Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { createTransactionalCommitter } from '../../src/kafka/transactional-committer.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { connectTestKafka, readTopics, testConfig, type TestKafka } from '../support/kafka.ts';

let tk: TestKafka | undefined;
afterEach(async () => {
  await tk?.cleanup();
  tk = undefined;
});

describe('coordinator lookups', () => {
  it('are made a few times for six transactions, not before every request of each', async () => {
    const config = testConfig({ TOPIC_PARTITIONS: '1' });
    tk = await connectTestKafka(config);
    await tk.createTopics(config);
    const requests: string[] = [];
    // The real client, watched: every request its producers send is counted by API.
    const watched = Object.create(tk.kafka) as typeof tk.kafka;
    watched.producer = (options) => {
      const p: Producer = tk!.kafka.producer(options);
      p.on(p.events.REQUEST, (e) => requests.push(e.payload.apiName));
      return p;
    };
    const committer = createTransactionalCommitter({ kafka: watched, groupId: config.kafka.groupId, logger: silentLogger() });
    try {
      await committer.prepare(config.topics.raw, 0);
      requests.length = 0;
      for (let i = 0; i < 6; i++) {
        const out = { topic: config.topics.enriched, key: `doc-${i}`, value: Buffer.from(`{"n":${i}}`), headers: {} };
        await committer.commit(config.topics.raw, 0, [out], String(i + 1));
      }
    } finally {
      await committer.close();
    }
    const count = (api: string) => requests.filter((r) => r === api).length;
    expect(count('EndTxn')).toBe(6);
    expect(count('TxnOffsetCommit')).toBe(6);
    expect(count('GroupCoordinator')).toBeLessThanOrEqual(4); // 24 when asked before every request
    const read = await readTopics(tk.kafka, [config.topics.enriched], { until: (r) => r.length >= 6, timeoutMs: 30_000 });
    expect(read.map((r) => r.key).sort()).toEqual(['doc-0', 'doc-1', 'doc-2', 'doc-3', 'doc-4', 'doc-5']);
  });
});
