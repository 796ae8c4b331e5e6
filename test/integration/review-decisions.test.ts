/**
 * The review console's decisions on the real broker: two console instances deciding the same
 * items at the same moment produce one output per item, and the loser learns who won; a commit
 * whose outcome is unknown is settled without a second output; a decision about an old version
 * is refused; and a new instance rebuilds the open queue from the two topics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import type { KafkaClient } from '../../src/kafka/client.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { decisionsTransactionalIdBase } from '../../src/review/decision-writer.ts';
import { decide } from '../../src/review/decide.ts';
import { createDecisionWriter, type DecisionWriter } from '../../src/review/decision-writer.ts';
import { createReviewState, type ReviewState } from '../../src/review/review-state.ts';
import { createStateSync, type StateSync } from '../../src/review/state-sync.ts';
import { connectTestKafka, testConfig, type TestKafka } from '../support/kafka.ts';
import { testLogger } from '../support/logger.ts';
import { collectOutputs, countKeys, jsonValue, produceReviewItems, reviewItem, type OutputCollector } from '../support/review.ts';
import { sleep } from '../support/time.ts';

interface Instance {
  name: string;
  state: ReviewState;
  sync: StateSync;
  writer: DecisionWriter;
  stop(): Promise<void>;
}

/** One console instance's state and writer, on a Kafka client of its own (as a second process would have). */
async function instance(config: Config, name: string, kafka: KafkaClient = createKafka(config, testLogger(), `-${name}`)): Promise<Instance> {
  const state = createReviewState();
  const logger = testLogger();
  const sync = createStateSync({ kafka, topics: { review: config.topics.review, decisions: config.topics.reviewDecisions }, groupBase: `${config.kafka.groupId}.${name}`, instanceId: name, state, logger });
  const writer = createDecisionWriter({
    kafka, topic: config.topics.reviewDecisions, transactionalIdBase: decisionsTransactionalIdBase(config), logger,
    state: { check: (d) => state.check(d), waitSeen: (p, o, ms) => sync.waitSeen(p, o, ms), applyOwn: (d) => state.applyDecision(d) },
  });
  expect(await sync.start(60_000)).toBe(true);
  await writer.start();
  return { name, state, sync, writer, stop: async () => { await writer.close(); await sync.stop(); } };
}

const deps = (config: Config, i: Instance) => ({ writer: i.writer, config, logger: testLogger() });

describe('review decisions across console instances (real broker)', () => {
  let config: Config;
  let tk: TestKafka;
  let outputs: OutputCollector;
  const started: Instance[] = [];
  const keyed = (topic: string, key: string) => outputs.on(topic).filter((r) => r.key === key);
  /** Waits for `test`, then a little longer: a duplicate, were there one, would have the time to arrive. */
  const settled = async (test: () => boolean) => {
    await outputs.waitFor(test, 60_000);
    await sleep(1500);
  };

  beforeAll(async () => {
    config = testConfig();
    tk = await connectTestKafka(config);
    await tk.createTopics(config);
    outputs = await collectOutputs(tk.kafka, config);
  });
  afterAll(async () => {
    await Promise.all(started.map((i) => i.stop()));
    await outputs.stop();
    await tk.cleanup();
  });

  it('two instances deciding the same 30 items at once: one output per item, the loser told who won', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `race-${i}`);
    // Each review record carries the trace its processor's span began (a W3C traceparent per item).
    const traceparent = (id: string) => `00-${Buffer.from(id.padEnd(16, '.')).toString('hex').slice(0, 32)}-00f067aa0ba902b7-01`;
    await produceReviewItems(tk.kafka, config, ids.map((id) => reviewItem(id)), undefined, (it) => ({ traceparent: traceparent(it.document_id) }));
    const a = await instance(config, 'console-a');
    const b = await instance(config, 'console-b');
    started.push(a, b);
    expect(a.state.openItems()).toHaveLength(30);

    const results = await Promise.all(ids.map(async (id) => {
      const [ra, rb] = await Promise.all([
        decide(deps(config, a), 'alice', [{ q: a.state.item(id)!, input: { kind: 'accept' } }]),
        decide(deps(config, b), 'bob', [{ q: b.state.item(id)!, input: { kind: 'reject', reason: 'DUPLICATE' } }]),
      ]);
      return { id, a: ra[0]!, b: rb[0]! };
    }));

    for (const r of results) {
      const statuses = [r.a.status, r.b.status].sort();
      expect(statuses, r.id).toEqual(['decided', 'written']);
      const loser = r.a.status === 'decided' ? r.a : r.b;
      const winner = r.a.status === 'written' ? 'alice' : 'bob';
      expect(loser.status === 'decided' && loser.by.reviewer).toBe(winner);
    }
    const raced = () => [...outputs.on(config.topics.enriched), ...outputs.on(config.topics.rejected)].filter((r) => r.key?.startsWith('race-'));
    const racedDecisions = () => outputs.on(config.topics.reviewDecisions).filter((r) => r.key?.startsWith('race-'));
    await settled(() => raced().length >= 30 && racedDecisions().length >= 30);
    expect(raced()).toHaveLength(30);
    expect([...countKeys(raced()).values()].every((n) => n === 1)).toBe(true);
    expect(new Set(raced().map((r) => r.key))).toEqual(new Set(ids));
    expect(racedDecisions()).toHaveLength(30);
    // Each output agrees with the decision recorded beside it.
    const byDoc = new Map(racedDecisions().map((d) => [d.key, jsonValue<{ decision: string; output_topic: string; reviewer: string }>(d)]));
    for (const o of raced()) {
      const d = byDoc.get(o.key!)!;
      expect(d.output_topic).toBe(o.topic);
      expect(jsonValue<{ review: { reviewer: string; decision: string } }>(o).review).toMatchObject({ reviewer: d.reviewer, decision: d.decision });
    }
    // The trace goes on: the output and the decision each carry the review record's traceparent.
    for (const r of [...raced(), ...racedDecisions()]) expect(r.headers.traceparent, `${r.topic} ${r.key}`).toBe(traceparent(r.key!));
    const aWins = results.filter((r) => r.a.status === 'written').length;
    console.log(`race: console-a won ${aWins}, console-b won ${30 - aWins} of 30`);
  });

  it('a commit whose outcome is unknown is settled by reading the decision back: no second output', async () => {
    const id = 'unknown-outcome-1';
    await produceReviewItems(tk.kafka, config, [reviewItem(id)]);
    // A client whose next commit goes through and then reports a timeout, as a lost response would.
    const real = createKafka(config, testLogger(), '-flaky');
    let failNext = true;
    const flaky = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'producer') return Reflect.get(target, prop, receiver);
        return (...args: Parameters<KafkaClient['producer']>) => {
          const producer = target.producer(...args);
          return new Proxy(producer, {
            get(p, k, r) {
              if (k !== 'transaction') return Reflect.get(p, k, r);
              return async () => {
                const tx = await p.transaction();
                return new Proxy(tx, {
                  get(t, m, rr) {
                    if (m !== 'commit') return Reflect.get(t, m, rr);
                    return async () => {
                      await t.commit();
                      if (failNext) {
                        failNext = false;
                        throw new Error('Request commit timed out (injected after the commit went through)');
                      }
                    };
                  },
                });
              };
            },
          });
        };
      },
    });
    const c = await instance(config, 'console-flaky', flaky);
    started.push(c);
    await expect.poll(() => c.state.item(id) !== undefined, { timeout: 30_000 }).toBe(true);
    const [r] = await decide(deps(config, c), 'alice', [{ q: c.state.item(id)!, input: { kind: 'accept' } }]);
    expect(failNext).toBe(false);
    expect(r!.status).toBe('written');
    await settled(() => keyed(config.topics.reviewDecisions, id).length >= 1 && keyed(config.topics.enriched, id).length >= 1);
    expect(keyed(config.topics.enriched, id)).toHaveLength(1);
    expect(keyed(config.topics.reviewDecisions, id)).toHaveLength(1);
  });

  it('a decision about an older version of a document is refused; the newer one stays open', async () => {
    const id = 'versioned-1';
    await produceReviewItems(tk.kafka, config, [reviewItem(id, { confidence: 0.3 })]);
    const c = await instance(config, 'console-v');
    started.push(c);
    const old = c.state.item(id)!;
    await produceReviewItems(tk.kafka, config, [reviewItem(id, { confidence: 0.4 })]);
    await expect.poll(() => c.state.item(id)!.version.offset !== old.version.offset, { timeout: 30_000 }).toBe(true);
    const [r] = await decide(deps(config, c), 'alice', [{ q: old, input: { kind: 'accept' } }]);
    expect(r!.status).toBe('stale');
    expect(c.state.isOpen(c.state.item(id)!)).toBe(true);
  });

  it('a new instance rebuilds the open queue from documents.review and the decisions topic', async () => {
    const fresh = await instance(config, 'console-restarted');
    started.push(fresh);
    const open = fresh.state.openItems().map((q) => q.documentId).sort();
    // The 30 raced items and the unknown-outcome one are decided; the versioned one is open (its new version).
    expect(open).toEqual(['versioned-1']);
    expect([...fresh.state.decisions()]).toHaveLength(31);
  });
});
