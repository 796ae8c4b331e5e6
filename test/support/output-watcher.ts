/**
 * One read_committed consumer that follows topics from the beginning for a whole test, so that
 * a test sending documents in rounds can wait for each round without a new group join (a few
 * seconds) per round, as readTopics would need.
 */
import type { KafkaClient } from '../../src/kafka/client.ts';
import { randomName } from './kafka.ts';
import { sleep } from './time.ts';

export interface WatchedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
}

export interface OutputWatcher {
  /** Every record read so far, in arrival order. */
  readonly records: readonly WatchedRecord[];
  /** How many records each key has had so far. */
  count(key: string): number;
  /** Resolves true once every key was seen, false after timeoutMs. */
  waitFor(keys: readonly string[], timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

export async function watchTopics(kafka: KafkaClient, topics: string[]): Promise<OutputWatcher> {
  const consumer = kafka.consumer({ groupId: randomName('watch'), readUncommitted: false, maxWaitTimeInMs: 100, sessionTimeout: 10_000 });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  const records: WatchedRecord[] = [];
  const counts = new Map<string, number>();
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const key = message.key?.toString('utf8') ?? null;
      records.push({ topic, partition, offset: message.offset, key });
      if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
    },
  });
  const count = (key: string) => counts.get(key) ?? 0;
  return {
    records,
    count,
    async waitFor(keys, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (keys.some((k) => count(k) === 0)) {
        if (Date.now() > deadline) return false;
        await sleep(25);
      }
      return true;
    },
    stop: () => consumer.disconnect(),
  };
}
