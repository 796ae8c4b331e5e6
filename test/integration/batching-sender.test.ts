/**
 * The cost events' sender on the real broker: a lone message goes out at once, messages sent
 * while a request is on its way go together in the next one, one request at a time, every
 * message acknowledged (and readable) once its promise resolves; a producer that cannot send
 * rejects every message of its batch. Requests are counted by watching the real producer's
 * sendBatch, not by replacing it.
 */
import type { Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatchingSender } from '../../src/kafka/batching-sender.ts';
import { connectTestKafka, readTopics, testConfig, type TestKafka } from '../support/kafka.ts';

let tk: TestKafka | undefined;
let producer: Producer | undefined;
afterEach(async () => {
  await producer?.disconnect().catch(() => undefined);
  producer = undefined;
  await tk?.cleanup();
  tk = undefined;
});

async function setup(maxBatch?: number) {
  const config = testConfig({ TOPIC_PARTITIONS: '2' });
  tk = await connectTestKafka(config);
  await tk.createTopics(config);
  producer = tk.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const requests: number[] = [];
  let onWire = 0;
  let maxOnWire = 0;
  const p = producer;
  const watched = {
    sendBatch: async (batch: Parameters<Producer['sendBatch']>[0]) => {
      requests.push(batch.topicMessages!.reduce((n, t) => n + t.messages.length, 0));
      maxOnWire = Math.max(maxOnWire, ++onWire);
      try {
        return await p.sendBatch(batch);
      } finally {
        onWire--;
      }
    },
  };
  return { topic: config.topics.costEvents, sender: createBatchingSender(watched, maxBatch === undefined ? {} : { maxBatch }), requests, maxOnWire: () => maxOnWire, kafka: tk.kafka };
}

describe('batching sender', () => {
  it('sends a lone message at once and what arrives meanwhile in the next request, one request at a time', async () => {
    const { topic, sender, requests, maxOnWire, kafka } = await setup();
    await sender.send(topic, { key: 'lone', value: 'x' });
    expect(requests).toEqual([1]);

    // A first wave in one tick, then a second wave while the first is on its way.
    const first = Array.from({ length: 50 }, (_, i) => sender.send(topic, { key: `a${i}`, value: 'x' }));
    await new Promise((r) => setImmediate(r));
    const second = Array.from({ length: 70 }, (_, i) => sender.send(topic, { key: `b${i}`, value: 'x' }));
    await Promise.all([...first, ...second]);
    expect(requests.slice(1)).toEqual([50, 70]);
    expect(maxOnWire()).toBe(1);

    const read = await readTopics(kafka, [topic], { until: (r) => r.length >= 121, timeoutMs: 30_000 });
    expect(new Set(read.map((r) => r.key)).size).toBe(121);
  });

  it('splits a wave larger than its batch size, and flush waits for all of it', async () => {
    const { topic, sender, requests, kafka } = await setup(40);
    let acknowledged = 0;
    for (let i = 0; i < 100; i++) void sender.send(topic, { key: `c${i}`, value: 'x' }).then(() => acknowledged++);
    await sender.flush();
    await new Promise((r) => setImmediate(r));
    expect(acknowledged).toBe(100);
    expect(requests).toEqual([40, 40, 20]);
    const read = await readTopics(kafka, [topic], { until: (r) => r.length >= 100, timeoutMs: 30_000 });
    expect(read).toHaveLength(100);
  });

  it('rejects every message of a batch the producer could not send', async () => {
    const { topic, sender } = await setup();
    await producer!.disconnect();
    const results = await Promise.allSettled([sender.send(topic, { key: 'd1', value: 'x' }), sender.send(topic, { key: 'd2', value: 'x' })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
