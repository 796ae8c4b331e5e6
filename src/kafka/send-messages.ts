/**
 * KafkaJS 2.2.4's producer send (kafkajs/src/producer/sendMessages.js), replaced: see
 * load-kafkajs.ts, which puts this in its place, and docs/delivery-guarantees.md for the runs
 * that found the two defects of the original.
 *
 * 1. A retry resent only to brokers that had not answered yet. A partition whose leadership
 *    moved, between attempts, to a broker that had already answered was never sent, and the
 *    send resolved as if it had been (KafkaJS issue #1303): for a transaction, an input's
 *    offset committed without its output.
 * 2. A failed request rolled back the sequence numbers of every partition in it, those the
 *    broker had appended included. The next batch to such a partition then reused a sequence
 *    the broker already held: refused for ever (OUT_OF_ORDER_SEQUENCE_NUMBER, issue #598), or,
 *    with the same record count, taken for a duplicate and silently dropped.
 *
 * Here each partition's batch is tracked until the broker acknowledged it: a retry sends every
 * partition still without an answer, to its leader now, whoever that is. A batch keeps the
 * sequence it was first given for all its retries, as the Java client does, so a batch the
 * broker appended but whose answer was lost is recognised as a duplicate, not appended twice.
 * When a send fails for good, the batches without an answer are of unknown outcome: an
 * idempotent producer takes a new producer id (fresh sequences: nothing can be refused or
 * dropped; a batch appended after all may be written twice, which idempotence alone never
 * promised across a failed send), and a transactional one rolls them back, as before (its
 * transaction is aborted, and our transactional producers are replaced after a failed commit).
 */

/** The KafkaJS internals the send works with (their shapes as KafkaJS 2.2.4 has them). */
export interface SendInternals {
  groupMessagesPerPartition(args: { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: unknown }): Record<string, unknown[]>;
  responseSerializer(response: unknown): Array<{ topicName: string; partition: number } & Record<string, unknown>>;
  staleMetadata(e: unknown): boolean;
  KafkaJSMetadataNotLoaded: new (message: string) => Error;
}

interface Broker {
  nodeId: number;
  produce(args: Record<string, unknown>): Promise<unknown>;
}

interface Cluster {
  refreshMetadataIfNecessary(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number; leader: number | null | undefined }>;
  findBroker(args: { nodeId: number }): Promise<Broker>;
  removeBroker(args: { host: string; port: number }): void;
  isConnected(): boolean;
  connect(): Promise<void>;
}

interface EosManager {
  isTransactional(): boolean;
  getTransactionalId(): string;
  getProducerId(): number;
  getProducerEpoch(): number;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
  addPartitionsToTransaction(topicData: unknown[]): Promise<void>;
  initProducerId(): Promise<void>;
  acquireBrokerLock(broker: Broker): Promise<void>;
  releaseBrokerLock(broker: Broker): void;
}

type Retrier = <T>(fn: (bail: (e: Error) => void, retryCount: number, retryTime: number) => Promise<T>) => Promise<T>;

interface Batch {
  topic: string;
  partition: number;
  messages: unknown[];
  /** The sequence given at the first send, with the producer id and epoch it belongs to. */
  sequence?: { first: number; producerId: number; epoch: number };
  acknowledged?: Array<Record<string, unknown>>;
}

class PartitionWithoutLeader extends Error {
  readonly retriable = true;
  readonly type = 'LEADER_NOT_AVAILABLE';
}

export function createSendMessages(internals: SendInternals) {
  return ({ logger, cluster, partitioner, eosManager, retrier }: { logger: { debug(msg: string, extra: object): void; error(msg: string, extra: object): void }; cluster: Cluster; partitioner: unknown; eosManager: EosManager; retrier: Retrier }) =>
    async ({ acks, timeout, compression, topicMessages }: { acks: number; timeout: number; compression: unknown; topicMessages: Array<{ topic: string; messages: unknown[] }> }) => {
      const batches: Batch[] = [];
      const topics = topicMessages.map((t) => t.topic);

      /** The messages of each topic by partition: fixed at the first attempt, so a retry resends the same batches. */
      function group(): void {
        for (const { topic, messages } of topicMessages) {
          const partitionMetadata = cluster.findTopicPartitionMetadata(topic);
          if (partitionMetadata.length === 0) throw new internals.KafkaJSMetadataNotLoaded('Producing to topic without metadata');
          const perPartition = internals.groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner });
          for (const [partition, ms] of Object.entries(perPartition)) batches.push({ topic, partition: Number(partition), messages: ms });
        }
      }

      /** Sends one leader the batches it leads; marks each acknowledged one. */
      async function sendTo(broker: Broker, mine: Batch[]): Promise<void> {
        await eosManager.acquireBrokerLock(broker);
        try {
          const byTopic = new Map<string, Batch[]>();
          for (const b of mine) byTopic.set(b.topic, [...(byTopic.get(b.topic) ?? []), b]);
          const topicData = [...byTopic].map(([topic, bs]) => ({ topic, partitions: bs.map((b) => ({ partition: b.partition, messages: b.messages })) }));
          if (eosManager.isTransactional()) await eosManager.addPartitionsToTransaction(topicData);
          const producerId = eosManager.getProducerId();
          const epoch = eosManager.getProducerEpoch();
          for (const t of topicData) {
            for (const entry of t.partitions as Array<{ partition: number; messages: unknown[]; firstSequence?: number }>) {
              const b = mine.find((x) => x.topic === t.topic && x.partition === entry.partition)!;
              // A new producer id or epoch starts its sequences afresh: the batch is new to it.
              if (!b.sequence || b.sequence.producerId !== producerId || b.sequence.epoch !== epoch) {
                b.sequence = { first: eosManager.getSequence(b.topic, b.partition), producerId, epoch };
                eosManager.updateSequence(b.topic, b.partition, b.messages.length);
              }
              entry.firstSequence = b.sequence.first;
            }
          }
          const response = await broker.produce({
            transactionalId: eosManager.isTransactional() ? eosManager.getTransactionalId() : undefined,
            producerId, producerEpoch: epoch, acks, timeout, compression, topicData,
          });
          const results = acks !== 0 ? internals.responseSerializer(response) : [];
          for (const b of mine) b.acknowledged = results.filter((r) => r.topicName === b.topic && r.partition === b.partition);
        } finally {
          eosManager.releaseBrokerLock(broker);
        }
      }

      async function attempt(): Promise<void> {
        await cluster.refreshMetadataIfNecessary();
        if (batches.length === 0) group();
        const byLeader = new Map<number, Batch[]>();
        for (const b of batches) {
          if (b.acknowledged) continue;
          const leader = cluster.findTopicPartitionMetadata(b.topic).find((p) => p.partitionId === b.partition)?.leader;
          // KafkaJS skipped a partition it found no leader for; it must wait for one instead.
          if (leader === null || leader === undefined || leader < 0) throw new PartitionWithoutLeader(`no leader known for ${b.topic}[${b.partition}]`);
          byLeader.set(leader, [...(byLeader.get(leader) ?? []), b]);
        }
        // Every request ends before the next attempt starts: a batch is never on the wire twice at once.
        const settled = await Promise.allSettled([...byLeader].map(async ([nodeId, mine]) => sendTo(await cluster.findBroker({ nodeId }), mine)));
        const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (failed) throw failed.reason;
      }

      try {
        await retrier(async (bail, retryCount, retryTime) => {
          await cluster.addMultipleTargetTopics(topics);
          try {
            await attempt();
          } catch (err) {
            const e = err as Error & { host?: string; port?: number; retriable?: boolean };
            if (e.name === 'KafkaJSConnectionClosedError') cluster.removeBroker({ host: e.host!, port: e.port! });
            if (!cluster.isConnected()) {
              logger.debug(`Cluster has disconnected, reconnecting: ${e.message}`, { retryCount, retryTime });
              await cluster.connect();
              await cluster.refreshMetadata();
              throw e;
            }
            if (internals.staleMetadata(e) || e instanceof PartitionWithoutLeader || e.name === 'KafkaJSMetadataNotLoaded' || e.name === 'KafkaJSConnectionError' ||
              e.name === 'KafkaJSConnectionClosedError' || (e.name === 'KafkaJSProtocolError' && e.retriable)) {
              logger.error(`Failed to send messages: ${e.message}`, { retryCount, retryTime });
              await cluster.refreshMetadata();
              throw e;
            }
            logger.error(e.message, { retryCount, retryTime });
            if (e.retriable) throw e;
            bail(e);
          }
        });
      } catch (e) {
        await forgetUnacknowledged();
        throw e;
      }
      return batches.flatMap((b) => b.acknowledged ?? []);

      /** After a send failed for good: its unacknowledged batches may or may not be in the log. */
      async function forgetUnacknowledged(): Promise<void> {
        const unknown = batches.filter((b) => !b.acknowledged && b.sequence);
        if (unknown.length === 0) return;
        if (eosManager.isTransactional()) {
          for (const b of unknown) {
            if (b.sequence!.producerId === eosManager.getProducerId() && b.sequence!.epoch === eosManager.getProducerEpoch()) eosManager.updateSequence(b.topic, b.partition, -b.messages.length);
          }
          return;
        }
        await eosManager.initProducerId().catch((e: Error) => logger.error(`Could not take a new producer id after a failed send: ${e.message}`, {}));
      }
    };
}
