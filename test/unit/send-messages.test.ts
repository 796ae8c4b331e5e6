/**
 * The producer's send (src/kafka/send-messages.ts) with stand-ins for KafkaJS's cluster, brokers
 * and sequence keeper, and KafkaJS's own retrier and grouping: the partition skipped on retry
 * (KafkaJS issue #1303), which needs a leader to move between attempts, i.e. several brokers.
 * On the real broker: test/integration/producer-send.test.ts; on a real cluster losing a
 * broker: test/long/cluster.test.ts.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createSendMessages, type SendInternals } from '../../src/kafka/send-messages.ts';

const require = createRequire(import.meta.url);
const internals: SendInternals = {
  groupMessagesPerPartition: require('kafkajs/src/producer/groupMessagesPerPartition.js'),
  responseSerializer: require('kafkajs/src/producer/responseSerializer.js'),
  staleMetadata: require('kafkajs/src/protocol/error.js').staleMetadata,
  KafkaJSMetadataNotLoaded: require('kafkajs/src/errors.js').KafkaJSMetadataNotLoaded,
};
const createRetry = require('kafkajs/src/retry/index.js') as (o: object) => <T>(fn: (bail: (e: Error) => void, retryCount: number, retryTime: number) => Promise<T>) => Promise<T>;
const connectionError = () => Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError', retriable: true });

function world() {
  /** partition → leader node id; a test moves leaders between attempts. */
  const leaders = new Map<number, number>([[0, 1], [1, 2]]);
  const written: { node: number; partition: number; firstSequence: number; values: string[] }[] = [];
  const down = new Set<number>();
  const sequences = new Map<number, number>();
  const broker = (nodeId: number) => ({
    nodeId,
    async produce(req: { topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: { value: string }[] }[] }[] }) {
      if (down.has(nodeId)) {
        down.delete(nodeId);
        leaders.set(1, 1); // the partition it led has moved to node 1, which already answered
        throw connectionError();
      }
      for (const t of req.topicData) for (const p of t.partitions) written.push({ node: nodeId, partition: p.partition, firstSequence: p.firstSequence, values: p.messages.map((m) => m.value) });
      return { topics: req.topicData.map((t) => ({ topicName: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })) })) };
    },
  });
  const brokers = new Map([[1, broker(1)], [2, broker(2)]]);
  const cluster = {
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {},
    async addMultipleTargetTopics() {},
    findTopicPartitionMetadata: () => [...leaders].map(([partitionId, leader]) => ({ partitionId, leader })),
    async findBroker({ nodeId }: { nodeId: number }) {
      return brokers.get(nodeId)!;
    },
    removeBroker() {},
    isConnected: () => true,
    async connect() {},
  };
  const eos = {
    isTransactional: () => false,
    getTransactionalId: () => '',
    getProducerId: () => 7,
    getProducerEpoch: () => 0,
    getSequence: (_t: string, p: number) => sequences.get(p) ?? 0,
    updateSequence: (_t: string, p: number, n: number) => void sequences.set(p, (sequences.get(p) ?? 0) + n),
    async addPartitionsToTransaction() {},
    async initProducerId() {},
    async acquireBrokerLock() {},
    releaseBrokerLock() {},
  };
  const send = createSendMessages(internals)({
    logger: { debug: () => undefined, error: () => undefined },
    cluster, eosManager: eos,
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    retrier: createRetry({ retries: 5, initialRetryTime: 1, maxRetryTime: 5 }),
  });
  return { send, written, down, sequences };
}

describe('the producer send', () => {
  it('resends a partition whose leader moved, between attempts, to a broker that had already answered', async () => {
    const w = world();
    w.down.add(2); // node 2 fails the first attempt; its partition 1 moves to node 1
    const results = await w.send({
      acks: -1, timeout: 1000, compression: 0,
      topicMessages: [{ topic: 't', messages: [{ partition: 0, value: 'a' }, { partition: 1, value: 'b' }] }],
    });
    expect(w.written.map((x) => `${x.partition}@${x.node}:${x.values.join('')}`).sort()).toEqual(['0@1:a', '1@1:b']);
    expect(results.map((r) => r.partition).sort()).toEqual([0, 1]);
  });

  it('keeps a batch\'s sequence across its retries, and gives each partition its own', async () => {
    const w = world();
    w.down.add(2);
    await w.send({ acks: -1, timeout: 1000, compression: 0, topicMessages: [{ topic: 't', messages: [{ partition: 0, value: 'a' }, { partition: 1, value: 'b' }, { partition: 1, value: 'c' }] }] });
    await w.send({ acks: -1, timeout: 1000, compression: 0, topicMessages: [{ topic: 't', messages: [{ partition: 1, value: 'd' }] }] });
    expect(w.written.filter((x) => x.partition === 1).map((x) => [x.firstSequence, x.values.join('')])).toEqual([[0, 'bc'], [2, 'd']]);
    expect(w.sequences.get(1)).toBe(3);
  });
});
