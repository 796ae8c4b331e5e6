/**
 * A consumer group's lag on a topic, per partition: the high watermark minus the group's
 * committed offset (from the low watermark when it has none: the group starts at the earliest
 * record). Read-uncommitted watermarks: a partition last written by a transaction counts its
 * commit marker as one record behind, as Kafka's own tools do.
 */
import type { Admin } from 'kafkajs';

export interface GroupPartitionLag {
  topic: string;
  partition: number;
  /** The group's committed offset; undefined when it has none. */
  committed: string | undefined;
  high: string;
  lag: number;
}

export async function groupLag(admin: Admin, groupId: string, topic: string, only?: readonly number[]): Promise<GroupPartitionLag[]> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
  const wanted = only ? new Set(only) : undefined;
  return ends
    .filter((e) => !wanted || wanted.has(e.partition))
    .map((e) => {
      const c = byPartition.get(e.partition);
      const from = c !== undefined && Number(c) >= 0 ? c : undefined;
      return { topic, partition: e.partition, committed: from, high: e.high, lag: Number(BigInt(e.high) - BigInt(from ?? e.low)) };
    })
    .sort((a, b) => a.partition - b.partition);
}
