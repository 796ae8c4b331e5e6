/**
 * Reads a topic (read_committed) from the beginning up to the end offsets it has when called:
 * for compacted state topics and for scans such as redrive. On transactional topics the last
 * offsets are often commit markers that no consumer sees as messages, so a partition counts as
 * done when a batch's last offset (which includes markers) reaches the end, or when the
 * consumer has been quiet for `quietMs` after its first batch.
 */
import type { KafkaMessage } from 'kafkajs';
import type { KafkaClient } from './client.ts';

export async function readToEnd(
  kafka: KafkaClient,
  topic: string,
  onRecord: (partition: number, message: KafkaMessage) => void,
  opts: { quietMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  if (remaining.size === 0) return;

  const consumer = kafka.consumer({ groupId: `read-to-end-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`, readUncommitted: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let last: number | undefined;
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      last = Date.now();
      const end = remaining.get(batch.partition);
      if (end === undefined) return;
      for (const m of batch.messages) if (BigInt(m.offset) < end) onRecord(batch.partition, m);
      if (BigInt(batch.lastOffset()) + 1n >= end) remaining.delete(batch.partition);
    },
  });
  const quiet = opts.quietMs ?? 2000;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  try {
    // Quiet counts only once records flow: joining a group can take seconds on its own.
    while (remaining.size > 0 && (last === undefined || Date.now() - last < quiet) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await consumer.disconnect();
  }
}
