/**
 * A commit of unknown outcome, settled while its partition moved to another processor: the
 * case the random trials of commit-faults-proxy.test.ts only reach by luck, set up step by step
 * with the fault proxy (test/support/kafka-fault-proxy.ts).
 *
 * Processor A reaches the broker through the proxy, B directly. A's commit of round two is cut
 * before its EndTxn reaches the broker: nothing is committed, and A cannot know. A settles it
 * (commit-path.ts settleUnknownCommit): it fences, then reads the group's committed offset, and
 * the answer to that read is delayed by 15 s. Meanwhile B joins (its client id sorts first, so
 * the round-robin assignor gives it the topic's one partition), fences, reads the same offset
 * and commits round two. When A's answer arrives it still says "round two not committed", which
 * was true when the broker answered. The partition is B's now: A must not commit round two again.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startTestApp } from '../support/app.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { describeFired, localProxiedListener, onLocalStack, startFaultProxy, type FiredFault } from '../support/kafka-fault-proxy.ts';
import { openTestKafka, outputTopics, readTopics, sendMessages, testEnv } from '../support/kafka.ts';
import { readCommittedWithJava } from '../support/java-reader.ts';
import { capturingLogger } from '../support/logger.ts';
import { watchTopics } from '../support/output-watcher.ts';
import { sleep, waitUntil } from '../support/time.ts';

const ANSWER_DELAY_MS = 15_000;

describe.skipIf(!onLocalStack())('a commit of unknown outcome whose partition moves while it is settled', () => {
  it('is not committed by the old owner once the new owner committed the same documents', async () => {
    const listener = await localProxiedListener();
    const env = testEnv({ TOPIC_PARTITIONS: '1', FLUSH_INTERVAL: '100ms', KAFKA_SESSION_TIMEOUT: '10s', KAFKA_HEARTBEAT_INTERVAL: '1s' });
    const config = loadConfig(env);
    const tk = await openTestKafka(config);
    const outputs = outputTopics(config);
    const proxy = await startFaultProxy(listener);
    const a = capturingLogger('debug');
    const b = capturingLogger('debug');
    const fired: FiredFault[] = [];
    const group = config.kafka.groupId;
    proxy.onFired((f) => {
      fired.push(f);
      // The settling of the failed commit: its read of the group's offset (not the retry group's).
      if (f.fault.api === 'EndTxn') proxy.arm({ api: 'OffsetFetch', mode: 'delay-response', holdMs: ANSWER_DELAY_MS, key: new RegExp(`^${group.replace(/[.]/g, '\\.')}$`) });
    });
    const appA = await startTestApp(loadConfig({ ...env, KAFKA_BROKERS: `127.0.0.1:${listener.port}`, INSTANCE_ID: 'a' }), {}, a.logger);
    const watcher = await watchTopics(tk.kafka, outputs);
    try {
      const round1 = corpusDocs(3, 'r1');
      await sendMessages(tk.kafka, config.topics.raw, round1.map(toMessage));
      expect(await watcher.waitFor(round1.map((d) => d.id), 30_000), 'round one committed by A').toBe(true);

      proxy.arm({ api: 'EndTxn', mode: 'drop-request', key: /\.tx\./ });
      const round2 = corpusDocs(3, 'r2');
      await sendMessages(tk.kafka, config.topics.raw, round2.map(toMessage));
      await waitUntil(() => fired.some((f) => f.fault.api === 'OffsetFetch'), 30_000, 'A settling its failed commit (the delayed offset read)');
      const answerAt = fired.find((f) => f.fault.api === 'OffsetFetch')!.at + ANSWER_DELAY_MS;

      // B's member id ("a-enricher-…") sorts before A's ("llm-enricher-…"): it gets the partition.
      const appB = await startTestApp(loadConfig({ ...env, INSTANCE_ID: 'b', KAFKA_CLIENT_ID: 'a-enricher' }), {}, b.logger);
      expect(await watcher.waitFor(round2.map((d) => d.id), 30_000), 'round two committed by B').toBe(true);
      await waitUntil(() => a.lines.some((l) => l.msg === 'partition state dropped'), 30_000, 'A to lose the partition');
      // A's answer arrives; give it time to act on it.
      await sleep(Math.max(0, answerAt - Date.now()) + 5_000);
      await appA.stop();
      await appB.stop();

      const records = await readTopics(tk.kafka, outputs, { minCount: 6, quietMs: 3_000, timeoutMs: 30_000 });
      const count = (id: string) => records.filter((r) => r.key === id).length;
      const counts = Object.fromEntries([...round1, ...round2].map((d) => [d.id, count(d.id)]));
      const engine = (lines: Record<string, unknown>[]) => lines
        .filter((l) => /commit|partition|fenced|owner/.test(String(l.msg)))
        .map((l) => `${String(l.time).slice(11, 23)} ${String(l.msg)} ${JSON.stringify({ ...l, level: undefined, time: undefined, pid: undefined, name: undefined, msg: undefined, hostname: undefined })}`);
      if (Object.values(counts).some((n) => n !== 1)) {
        // Our KafkaJS reader runs our own read_committed filter: the Java client's view too.
        const java = await readCommittedWithJava(config.kafka.brokers[0]!, outputs);
        const javaCounts = Object.fromEntries([...round1, ...round2].map((d) => [d.id, java.filter((r) => r.key === d.id).length]));
        console.log([
          `faults: ${fired.map(describeFired).join('; ')}`,
          `KafkaJS reader: ${JSON.stringify(counts)}`, `Java reader:    ${JSON.stringify(javaCounts)}`,
          ...records.filter((r) => r.key?.startsWith('r2')).map((r) => `  ${r.key} at ${r.topic}/${r.partition}@${r.offset}`),
          'A:', ...engine(a.lines), 'B:', ...engine(b.lines),
        ].join('\n'));
      }
      expect(counts).toEqual(Object.fromEntries([...round1, ...round2].map((d) => [d.id, 1])));
    } finally {
      await appA.stop();
      await watcher.stop();
      await proxy.close();
    }
  }, 150_000);
});
