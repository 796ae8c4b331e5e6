/**
 * A topic follower (src/kafka/topic-reader.ts: the processor's pipeline.config, budget and
 * pipeline.alerts readers, the review console's state) whose consumer loses its connection while
 * it joins its group. KafkaJS then restarts the consumer by itself; before, the follower's seek
 * to its starting offsets came right after run() and threw "Consumer group was not initialized":
 * a processor started during the combined-faults run (issue 21) exited with it. The follower
 * reaches the broker through the fault proxy, which cuts the link on its group join.
 */
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/client.ts';
import { createTopicFollower } from '../../src/kafka/topic-reader.ts';
import { createLogger, silentLogger } from '../../src/observability/logger.ts';
import { localProxiedListener, onLocalStack, startFaultProxy } from '../support/kafka-fault-proxy.ts';
import { randomName, sendMessages, testConfig } from '../support/kafka.ts';

describe.skipIf(!onLocalStack())('a topic follower whose consumer crashes while it joins', () => {
  it('starts from its offsets all the same, and goes on following', async () => {
    const listener = await localProxiedListener();
    const proxy = await startFaultProxy(listener);
    const direct = createKafka(testConfig(), silentLogger(), '-test');
    const admin = direct.admin();
    await admin.connect();
    const topic = randomName('follow');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const seen: string[] = [];
    const follower = createTopicFollower({
      kafka: createKafka(testConfig({ KAFKA_BROKERS: `127.0.0.1:${listener.port}` }), silentLogger(), '-test'),
      topic, groupId: randomName('follower'), logger: process.env.TEST_LOG_LEVEL ? createLogger({ level: process.env.TEST_LOG_LEVEL }) : silentLogger(), deleteGroupOnStop: true,
      from: new Map([[0, 2n]]),
      onRecord: (r) => seen.push(String(r.value)),
    });
    try {
      await sendMessages(direct, topic, ['a', 'b', 'c'].map((v) => ({ key: 'k', value: v })));
      proxy.arm({ api: 'SyncGroup', mode: 'drop-response' });
      expect(await follower.start(60_000)).toBe(true); // a rejoin waits out the crashed member's session (10 s)
      expect(proxy.fired.map((f) => f.fault.api)).toEqual(['SyncGroup']);
      await sendMessages(direct, topic, [{ key: 'k', value: 'd' }]);
      await new Promise((r) => setTimeout(r, 3_000));
      expect(seen).toEqual(['c', 'd']);
    } finally {
      await follower.stop();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
      await proxy.close();
    }
  });
});
