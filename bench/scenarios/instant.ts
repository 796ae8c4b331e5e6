/**
 * 5. The pipeline's own ceiling: a provider that answers at once, no result cache, the pool of
 * one instance. Every document still takes its three pool slots, validates three answers,
 * writes three cost events and commits its output in a transaction; compared with a raw
 * KafkaJS consume → produce passthrough of the same messages, measured in the same run.
 */
import { measurePassthrough } from '../passthrough.ts';
import { benchEnv, createTopics, deleteRedisKeys, documents, produceAll } from '../lib.ts';
import { runProcessor } from './pipeline-ceiling.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

/** The same documents through the shared pool (Bottleneck on Redis): fewer, it is much slower. */
async function onSharedPool(n: number, partitions: number, redisUrl: string): Promise<number> {
  const poolId = `bench-instant-${Date.now().toString(36)}`;
  const env = benchEnv('instant-shared', { LLM_PROVIDER: 'offline', TOPIC_PARTITIONS: String(partitions), REDIS_URL: redisUrl, LLM_POOL_ID: poolId, LLM_CACHE_TTL: '0' });
  const t = await createTopics(env);
  try {
    await produceAll(t.kafka, t.config.topics.raw, documents(n, 'insh'));
    return (await runProcessor(t, env, n, {})).docsPerSec;
  } finally {
    await t.cleanup();
    await deleteRedisKeys(redisUrl, poolId);
  }
}

export async function instant(o: ScenarioOptions & { redisUrl?: string | undefined }): Promise<ScenarioResult> {
  const n = o.quick ? 600 : 50_000;
  const nShared = o.quick ? 150 : 3_000;
  const partitions = 3;
  const env = benchEnv('instant', { LLM_PROVIDER: 'offline', TOPIC_PARTITIONS: String(partitions) });
  const t = await createTopics(env);
  try {
    await produceAll(t.kafka, t.config.topics.raw, documents(n, 'inst'));
    const floor = await measurePassthrough(t.kafka, t.config.topics.raw, `${t.config.kafka.groupId}-passthrough`, n, partitions);
    const ours = await runProcessor(t, env, n, { profileDir: o.profileDir });
    const shared = o.redisUrl ? await onSharedPool(nShared, partitions, o.redisUrl) : undefined;
    return {
      name: 'instant',
      title: 'Pipeline ceiling: instant provider, no cache',
      metric: { label: 'pipeline ÷ passthrough (bar: against the replay\'s 0.25)', value: ours.docsPerSec / floor, target: 0.25, informational: true },
      rows: [
        ['raw KafkaJS passthrough (same run)', `${floor.toFixed(0)} msgs/s`],
        ['pipeline, instant provider, pool of one instance', `${ours.docsPerSec.toFixed(0)} docs/s (${(ours.docsPerSec / floor).toFixed(3)} of the passthrough)`],
        ['peak RSS of the processor', `${ours.peakRssMiB.toFixed(0)} MiB`],
        ['the same on the shared pool (Bottleneck on Redis)', shared === undefined ? 'not run (no Redis)' : `${shared.toFixed(0)} docs/s over ${nShared} documents`],
        ...ours.profileRows,
      ],
      params: { documents: n, partitions, provider: 'instant (answers at once)', 'result cache': 'off', 'LLM_POOL_SLOTS': 5, 'calls per document': 3 },
    };
  } finally {
    await t.cleanup();
  }
}
