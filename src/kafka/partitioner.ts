/**
 * KafkaJS's default partitioner (the Java client's: murmur2 of the key), with the hash computed
 * in 32-bit integers (Math.imul) instead of KafkaJS's 64-bit Long objects, which allocated
 * several objects per four bytes of key: every cost event and output paid for it, and it
 * showed in the processor's profile. Same partition for every key and partition count (a unit
 * test holds it to KafkaJS's own), so records keep their partitions across the change.
 */
import { randomInt } from 'node:crypto';
import type { ICustomPartitioner } from 'kafkajs';

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/** Murmur2 as Kafka's Java client hashes a key (its Utils.murmur2), as a signed 32-bit integer. */
export function murmur2(key: Buffer | string): number {
  const data = typeof key === 'string' ? Buffer.from(key) : key;
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  switch (length & 3) {
    case 3:
      h ^= data[whole + 2]! << 16;
    // falls through
    case 2:
      h ^= data[whole + 1]! << 8;
    // falls through
    case 1:
      h ^= data[whole]!;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

const toPositive = (x: number) => x & 0x7fffffff;

/** The partitioner KafkaJS calls DefaultPartitioner: the message's partition, else the key's hash, else round robin. */
export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const numPartitions = partitionMetadata.length;
    if (message.key !== null && message.key !== undefined) return toPositive(murmur2(message.key)) % numPartitions;
    const next = (counters.get(topic) ?? randomInt(2 ** 31)) + 1;
    counters.set(topic, next);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return available[toPositive(next) % available.length]!.partitionId;
    return toPositive(next) % numPartitions;
  };
};
