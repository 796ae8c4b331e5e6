/**
 * A commit that fails part-way leaves its transaction to the next fence: the committer sends no
 * EndTxn(abort) of its own.
 *
 * Why: a broker in controlled shutdown still answers requests for a moment after its partitions
 * lost their leader (a single replica has none to hand over to). An EndTxn it takes then is
 * completed without markers on those partitions: the transaction coordinator skips a partition
 * with no leader as if it had been deleted. The records our aborted transaction had written there
 * stayed open, and the same producer id's next COMMIT marker on that partition committed them:
 * a document on documents.enriched twice (test/e2e/exactly-once.test.ts, broker restart; the
 * evidence is in docs/delivery-guarantees.md, "Faults together"). The fence that comes before our
 * next commit anyway (InitProducerId, commit-path.ts settleUnknownCommit) makes the coordinator
 * abort the open transaction itself, once the broker answers again, markers included.
 *
 * The failure is made on a healthy broker: one record of the commit is larger than its topic
 * accepts, so the Produce appends the other and fails. The link runs through the fault proxy
 * (test/support/kafka-fault-proxy.ts) only to count who sends EndTxn.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { committedOffsetReader } from '../../src/engine/partition-ownership.ts';
import { createTransactionalCommitter } from '../../src/kafka/transactional-committer.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { localProxiedListener, onLocalStack, startFaultProxy } from '../support/kafka-fault-proxy.ts';
import { openTestKafka, readTopics, testEnv } from '../support/kafka.ts';
import { sleep } from '../support/time.ts';

describe.skipIf(!onLocalStack())('a commit that fails part-way', () => {
  it('sends no EndTxn(abort): the next fence aborts what it wrote, and the retried commit is the only copy', async () => {
    const listener = await localProxiedListener();
    const proxy = await startFaultProxy(listener);
    const env = testEnv({ TOPIC_PARTITIONS: '1' });
    const config = loadConfig(env);
    const tk = await openTestKafka(config);
    const tiny = `${config.topics.enriched}.tiny`;
    await tk.admin.createTopics({ waitForLeaders: true, topics: [{ topic: tiny, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1000' }] }] });
    const viaProxy = createKafka(loadConfig({ ...env, KAFKA_BROKERS: `127.0.0.1:${listener.port}` }), silentLogger(), '-no-abort');
    const committer = createTransactionalCommitter({ kafka: viaProxy, groupId: config.kafka.groupId, logger: silentLogger() });
    const raw = config.topics.raw;
    const out = (topic: string, key: string, bytes = 10) => ({ topic, key, value: Buffer.alloc(bytes, 'x'), headers: {} });
    try {
      await committer.prepare(raw, 0);
      await expect(committer.commit(raw, 0, [out(config.topics.enriched, 'first-try'), out(tiny, 'too-large', 5_000)], '1')).rejects.toThrow();
      await sleep(1_000); // an abort sent on the way out would be through by now
      expect(proxy.requests.get('EndTxn') ?? 0).toBe(0);
      expect(proxy.requests.get('EndTxn(abort)') ?? 0).toBe(0);

      // What the commit path does next: fence (the coordinator aborts the open transaction), then commit again.
      await committer.prepare(raw, 0);
      await committer.commit(raw, 0, [out(config.topics.enriched, 'retried')], '1');

      const records = await readTopics(tk.kafka, [config.topics.enriched, tiny], { minCount: 1, quietMs: 2_000, timeoutMs: 30_000 });
      expect(records.map((r) => r.key)).toEqual(['retried']); // the first try's record was aborted, not committed later
      expect(await committedOffsetReader(() => tk.admin, config.kafka.groupId)(raw, 0)).toBe(1n);
      expect(proxy.requests.get('EndTxn(commit)')).toBe(1);
    } finally {
      await committer.close();
      await tk.admin.deleteTopics({ topics: [tiny] }).catch(() => undefined);
      await proxy.close();
    }
  }, 90_000);
});
