/**
 * 4. Scale-out: three processor processes in one group sharing one pool of S slots through
 * Redis. The bound is the same S / (3·L): the pool is global, so more instances must not mean
 * more calls in flight.
 */
import { benchEnv, createTopics, documents, firstRequestAt, produceAll, startChild, startFakeLlm, throughput, watchOutputs } from '../lib.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

export async function scaleout(o: ScenarioOptions & { redisUrl: string }): Promise<ScenarioResult> {
  const latencyMs = o.quick ? 50 : 200;
  const slots = 5;
  const n = o.quick ? 60 : 600;
  const bound = slots / ((3 * latencyMs) / 1000);
  const llm = await startFakeLlm(latencyMs);
  const env = benchEnv('scaleout', {
    LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'bench', OPENAI_BASE_URL: llm.url, LLM_POOL_SLOTS: String(slots),
    TOPIC_PARTITIONS: '3', REDIS_URL: o.redisUrl, LLM_POOL_ID: `bench-pool-${Date.now()}`,
  });
  const t = await createTopics(env);
  try {
    await produceAll(t.kafka, t.config.topics.raw, documents(n, 'scale'));
    const w = await watchOutputs(t.kafka, [t.config.topics.enriched, t.config.topics.review, t.config.topics.dlq]);
    const children = ['a', 'b', 'c'].map((x) => startChild(['src/cli/main.ts', 'start'], { ...env, INSTANCE_ID: `scale-${x}` }));
    await w.waitFor(n, 600_000);
    const ours = throughput(w.seen, await firstRequestAt(llm, 'scale-'));
    const stats = await llm.stats();
    await Promise.all(children.map((c) => c.stop()));
    await w.stop();
    return {
      name: 'scaleout',
      title: 'Scale-out: 3 instances, one Redis pool',
      metric: { label: 'throughput ÷ bound', value: ours.docsPerSec / bound, target: 0.95 },
      rows: [
        ['bound S / (3·L)', `${bound.toFixed(2)} docs/s`],
        ['3 instances', `${ours.docsPerSec.toFixed(2)} docs/s (${(ours.docsPerSec / bound).toFixed(3)} of the bound)`],
        ['server max in-flight', `${String(stats.maxInFlight)} (pool: ${slots})`],
      ],
      params: { instances: 3, partitions: 3, documents: n, 'LLM latency ms': latencyMs, 'pool slots': slots },
    };
  } finally {
    await t.cleanup();
    await llm.child.stop();
  }
}
