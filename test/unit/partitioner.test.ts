/**
 * The cheaper murmur2 partitioner must put every key where KafkaJS's DefaultPartitioner does:
 * a different partition for a key would break the order of a document's records across a deploy.
 */
import { describe, expect, it } from 'vitest';
import { kafkajs } from '../../src/kafka/load-kafkajs.ts';
import { javaCompatiblePartitioner, murmur2 } from '../../src/kafka/partitioner.ts';
import { mulberry32 } from '../support/random.ts';

const metadata = (n: number, down: number[] = []) =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: down.includes(partitionId) ? -1 : 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

describe('java-compatible partitioner', () => {
  it("hashes known keys as Kafka's Java client does", () => {
    // Values of org.apache.kafka.common.utils.Utils.murmur2 for these keys.
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('')).toBe(275646681);
  });

  it("puts every key in KafkaJS's partition, for strings and bytes of every length", () => {
    const random = mulberry32(16);
    const theirs = kafkajs.Partitioners.DefaultPartitioner();
    const ours = javaCompatiblePartitioner();
    for (let i = 0; i < 20_000; i++) {
      const length = Math.floor(random() * 70);
      const bytes = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
      const key = i % 2 === 0 ? bytes : `doc-${bytes.toString('base64')}-é✓${i}`;
      const partitionMetadata = metadata(1 + Math.floor(random() * 64));
      const args = { topic: 't', partitionMetadata, message: { key, value: null } };
      expect(ours(args), String(key)).toBe(theirs(args));
    }
  });

  it('keeps a partition given in the message, and spreads keyless messages over the available partitions', () => {
    const p = javaCompatiblePartitioner();
    expect(p({ topic: 't', partitionMetadata: metadata(3), message: { key: 'k', value: null, partition: 2 } })).toBe(2);
    const seen = new Set<number>();
    for (let i = 0; i < 30; i++) seen.add(p({ topic: 't', partitionMetadata: metadata(3, [1]), message: { key: null, value: null } }));
    expect([...seen].sort()).toEqual([0, 2]);
  });
});
