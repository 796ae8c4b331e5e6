/**
 * stop() must leave nothing connected to the broker: the consumer, the admin client and every
 * partition's transactional producer (one per input partition, made by the committer). The
 * check counts this process's established TCP connections to the broker port (Linux /proc), and
 * also follows the connect / disconnect events of each producer the engine made.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { createKafka, type KafkaClient } from '../../src/kafka/client.ts';
import { createTransactionalCommitter } from '../../src/kafka/transactional-committer.ts';
import { createIntakeControl } from '../../src/guards/intake-control.ts';
import { createPartitionedProcessor, type PartitionedProcessor } from '../../src/engine/partitioned-processor.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { connectTestKafka, randomName, testConfig, type TestKafka } from '../support/kafka.ts';
import { testLogger } from '../support/logger.ts';

const PARTITIONS = 3;
let tk: TestKafka | undefined;
let processor: PartitionedProcessor | undefined;
afterEach(async () => {
  await processor?.stop();
  await tk?.cleanup();
  processor = undefined;
  tk = undefined;
});

/** This process's established TCP connections to `port` (sockets it holds open, from /proc). */
function connectionsTo(port: number): number {
  const ours = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) ours.add(m[1]!);
    } catch {
      // closed while we listed it
    }
  }
  let n = 0;
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const remotePort = parseInt(cols[2]!.split(':').pop()!, 16);
      const established = cols[3] === '01';
      if (remotePort === port && established && ours.has(cols[9]!)) n++;
    }
  }
  return n;
}

/** The client the engine is given, made to note each producer it creates and whether it is connected. */
function watchingProducers(kafka: KafkaClient) {
  const connected = new Map<Producer, boolean>();
  const client = new Proxy(kafka, {
    get(target, prop, receiver) {
      if (prop !== 'producer') return Reflect.get(target, prop, receiver);
      return (...args: Parameters<KafkaClient['producer']>) => {
        const p = target.producer(...args);
        connected.set(p, false);
        p.on(p.events.CONNECT, () => connected.set(p, true));
        p.on(p.events.DISCONNECT, () => connected.set(p, false));
        return p;
      };
    },
  });
  return { client, made: () => connected.size, stillConnected: () => [...connected.values()].filter(Boolean).length };
}

describe('stopping the engine', () => {
  it('closes every connection it opened, each partition\'s transactional producer included', async () => {
    const config = testConfig();
    const port = Number(config.kafka.brokers[0]!.split(':').pop());
    tk = await connectTestKafka(config);
    const input = randomName('stop-in');
    const output = randomName('stop-out');
    await tk.admin.createTopics({ topics: [{ topic: input, numPartitions: PARTITIONS, replicationFactor: 1 }, { topic: output, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const before = connectionsTo(port); // the test's own admin client
    const sender = tk.kafka.producer();
    await sender.connect();
    await sender.send({ topic: input, messages: Array.from({ length: PARTITIONS * 10 }, (_, i) => ({ partition: i % PARTITIONS, key: `d-${i}`, value: `${i}` })) });
    await sender.disconnect();

    const kafka = watchingProducers(createKafka(config, silentLogger()));
    const groupId = `${input}-group`;
    processor = createPartitionedProcessor({
      name: 'stop', kafka: kafka.client, groupId, topics: [input],
      committer: createTransactionalCommitter({ kafka: kafka.client, groupId, logger: silentLogger() }),
      handle: async (r) => ({ kind: 'done', route: 'enriched', documentId: r.key?.toString(), messages: [{ topic: output, key: r.key, value: r.value, headers: {} }] }),
      waitOutServiceError: async () => undefined,
      intake: createIntakeControl(),
      options: {
        sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, giveUpAfterMs: 60_000, maxInFlight: 50,
        maxPendingBytes: 1 << 20, flushIntervalMs: 100, flushMaxMessages: 1_000, shutdownTimeoutMs: 5_000,
      },
      logger: testLogger(), metrics: createMetrics(),
    });
    await processor.start();
    await expect.poll(() => processor!.stats().committed, { timeout: 60_000, interval: 200 }).toBe(PARTITIONS * 10);
    expect(kafka.made()).toBeGreaterThanOrEqual(PARTITIONS); // a transactional producer per partition
    expect(kafka.stillConnected()).toBe(PARTITIONS);
    expect(connectionsTo(port)).toBeGreaterThan(before);

    await processor.stop();
    processor = undefined;
    expect(kafka.stillConnected()).toBe(0);
    // A socket closes a moment after KafkaJS lets go of it (the sender's too).
    await expect.poll(() => connectionsTo(port), { timeout: 10_000, interval: 100 }).toBe(before);
  }, 90_000);
});
