/**
 * read_committed through our Kafka client must never show a record of an aborted transaction,
 * whatever offset a fetch starts at. KafkaJS 2.2.4's own filter activates one aborted
 * transaction per record, so a fetch that starts while two aborted transactions are open
 * shows the second one's records (src/kafka/read-committed-filter.ts replaces it). Our retry
 * consumer reads transactional retry topics: a leaked retry is a duplicate output.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { createKafka } from '../../src/kafka/client.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { connectTestKafka, randomName, testConfig, type TestKafka } from '../support/kafka.ts';
import { sleep } from '../support/time.ts';

let tk: TestKafka | undefined;
const producers: Producer[] = [];
afterEach(async () => {
  await Promise.all(producers.map((p) => p.disconnect()));
  producers.length = 0;
  await tk?.cleanup();
  tk = undefined;
});

describe('read_committed', () => {
  it('shows no record of an aborted transaction to a fetch that starts inside two of them', async () => {
    const config = testConfig();
    tk = await connectTestKafka(config);
    const kafka = createKafka(config, silentLogger());
    const topic = randomName('rc');
    await tk.admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const tx = async (id: string) => {
      const p = kafka.producer({ transactionalId: randomName(id), idempotent: true, maxInFlightRequests: 1 });
      producers.push(p);
      await p.connect();
      return p;
    };
    const [p1, p2] = [await tx('p1'), await tx('p2')];
    // offset 0: p1's aborted record; 1: p2's aborted record; 2, 3: the abort markers;
    // 4: p2's committed record; 5: its commit marker; 6: a non-transactional record.
    const t1 = await p1.transaction();
    await t1.send({ topic, messages: [{ key: 'p1-aborted', value: 'x' }] });
    const t2 = await p2.transaction();
    await t2.send({ topic, messages: [{ key: 'p2-aborted', value: 'x' }] });
    await t1.abort();
    await t2.abort();
    const t3 = await p2.transaction();
    await t3.send({ topic, messages: [{ key: 'p2-committed', value: 'x' }] });
    await t3.commit();
    const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    producers.push(plain);
    await plain.connect();
    await plain.send({ topic, messages: [{ key: 'plain', value: 'x' }] });

    // A group whose committed offset is 1: its first fetch starts inside both aborted transactions.
    const groupId = randomName('rc-group');
    await tk.admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] });
    const seen: string[] = [];
    const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.key!.toString());
          if (message.key!.toString() === 'plain') resolve();
        },
      });
    });
    await Promise.race([done, sleep(20_000)]);
    await consumer.disconnect();
    expect(seen).toEqual(['p2-committed', 'plain']);
  }, 60_000);
});
