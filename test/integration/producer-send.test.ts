/**
 * The producer's send, as src/kafka/send-messages.ts replaces KafkaJS's (on the real broker).
 * KafkaJS 2.2.4 rolled back the sequence numbers of every partition of a failed request, those
 * the broker had appended included: the next batch to such a partition reused a sequence the
 * broker held, and with the same record count the broker took it for a retry of that batch and
 * dropped it, answering success. Here a request with a record too large for its topic fails
 * while the other topic's batch in the same request is appended; the next record to that other
 * topic must be written. (The other defect, a retry skipping a partition whose leader moved to a
 * broker that had already answered, needs several brokers: test/long/cluster.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/client.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { randomName, readTopics, testConfig } from '../support/kafka.ts';

describe('a producer send that fails for one topic of its request', () => {
  it('keeps the sequence of the batch the broker appended, so the next record is written, not dropped as a duplicate', async () => {
    const config = testConfig();
    const kafka = createKafka(config, silentLogger(), '-send-test');
    const admin = kafka.admin();
    await admin.connect();
    const ok = randomName('send-ok');
    const small = randomName('send-small');
    await admin.createTopics({
      topics: [{ topic: ok, numPartitions: 1 }, { topic: small, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1024' }] }],
      waitForLeaders: true,
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({ topic: ok, messages: [{ key: 'k', value: 'first' }] });
      // One request for both topics: the broker appends ok's batch and refuses small's.
      await expect(producer.sendBatch({
        topicMessages: [
          { topic: ok, messages: [{ key: 'k', value: 'second' }] },
          { topic: small, messages: [{ key: 'k', value: 'x'.repeat(4096) }] },
        ],
      })).rejects.toThrow();
      await producer.send({ topic: ok, messages: [{ key: 'k', value: 'third' }] });
      const records = await readTopics(kafka, [ok], { minCount: 3, quietMs: 1_000, timeoutMs: 20_000 });
      expect(records.map((r) => r.value?.toString())).toEqual(['first', 'second', 'third']);
    } finally {
      await producer.disconnect();
      await admin.deleteTopics({ topics: [ok, small] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
