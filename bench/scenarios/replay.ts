/**
 * 6. Replay with the result cache warm: documents already processed once (the instant
 * provider, the result cache on Redis) are replayed the documented way (the
 * group's offsets reset to the start, the processor started again). Every step is a cache hit,
 * so no call and no cost event: what is left is the pipeline's own work per document. Compared
 * with a raw KafkaJS passthrough of the same messages, measured in the same run.
 */
import { measurePassthrough } from '../passthrough.ts';
import { benchEnv, createTopics, resetToEarliest, deleteRedisKeys, documents, produceAll, topicEnds, writtenSince } from '../lib.ts';
import { runProcessor } from './pipeline-ceiling.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

const TARGET_DOCS_PER_SEC = 5_000;
const TARGET_SHARE = 0.25;

export async function replay(o: ScenarioOptions & { redisUrl: string }): Promise<ScenarioResult> {
  const n = o.quick ? 600 : 50_000;
  const partitions = 3;
  const poolId = `bench-replay-${Date.now().toString(36)}`;
  const env = benchEnv('replay', {
    LLM_PROVIDER: 'offline', TOPIC_PARTITIONS: String(partitions), REDIS_URL: o.redisUrl, LLM_POOL_ID: poolId, LLM_CACHE_SIZE: '10000',
  });
  const t = await createTopics(env);
  try {
    await produceAll(t.kafka, t.config.topics.raw, documents(n, 'rep'));
    const floor = await measurePassthrough(t.kafka, t.config.topics.raw, `${t.config.kafka.groupId}-passthrough`, n, partitions);

    // First pass: every step calls the (instant) provider and writes its answer to the cache. On
    // the pool of one instance: the shared pool takes a few hundred calls a second (see instant).
    const first = await runProcessor(t, env, n, { localPool: true });

    // The replay: the group stopped (the child is gone), its offsets back to the start, started again.
    await resetToEarliest(t);
    const outputs = [t.config.topics.enriched, t.config.topics.review, t.config.topics.dlq];
    const before = await topicEnds(t.kafka, [...outputs, t.config.topics.costEvents]);
    const costsBefore = new Map([...before].filter(([k]) => k.startsWith(`${t.config.topics.costEvents}:`)));
    const again = await runProcessor(t, env, n, { profileDir: o.profileDir, after: before });
    const costEvents = await writtenSince(t.kafka, costsBefore);

    const target = Math.min(TARGET_DOCS_PER_SEC, TARGET_SHARE * floor);
    return {
      name: 'replay',
      title: 'Replay with the result cache warm',
      metric: { label: `docs/s (target: the lower of ${TARGET_DOCS_PER_SEC} and ${TARGET_SHARE} × passthrough)`, value: again.docsPerSec, target: Math.round(target) },
      rows: [
        ['raw KafkaJS passthrough (same run)', `${floor.toFixed(0)} msgs/s`],
        ['replay, every step a cache hit', `${again.docsPerSec.toFixed(0)} docs/s (${(again.docsPerSec / floor).toFixed(3)} of the passthrough)`],
        ['LLM calls during the replay (cost events written)', String(costEvents)],
        ['first pass: instant provider, pool of one instance, writing the cache', `${first.docsPerSec.toFixed(0)} docs/s`],
        ['peak RSS of the processor (replay)', `${again.peakRssMiB.toFixed(0)} MiB`],
        ...again.profileRows,
      ],
      params: { documents: n, partitions, 'result cache': 'Redis (warm)', pool: 'shared, on Redis', 'replay': 'group offsets reset to the earliest' },
    };
  } finally {
    await t.cleanup();
    await deleteRedisKeys(o.redisUrl, poolId);
  }
}
