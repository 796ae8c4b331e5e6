/**
 * What the logs cost: the cache-warm replay (bench/scenarios/replay.ts) run again and again over
 * the same documents, alternating the processor's LOG_LEVEL between the default (info: one
 * `routed` line per document) and warn, so that both levels see the same machine load.
 *
 *   node bench/log-cost.ts [--docs 20000] [--runs 4] [--profile DIR]
 *
 * One topic set and one first pass (the instant provider filling the Redis result cache); then
 * `--runs` pairs of replays (offsets reset to the earliest before each), the order within a pair
 * alternating. Prints each run's docs/s and, per level, the median, min and max.
 */
import { parseArgs } from 'node:util';
import { applyReplay, planReplay } from '../src/operations/replay.ts';
import { benchEnv, createTopics, deleteRedisKeys, documents, produceAll, topicEnds, type Topics } from './lib.ts';
import { runProcessor } from './scenarios/pipeline-ceiling.ts';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '4' },
    profile: { type: 'string' },
    levels: { type: 'string', default: 'info,warn' },
  },
});
const n = Number(values.docs);
const runs = Number(values.runs);
const levels = values.levels!.split(',');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function resetToEarliest(t: Topics): Promise<void> {
  const admin = t.kafka.admin();
  await admin.connect();
  try {
    await applyReplay(admin, await planReplay(admin, t.config.kafka.groupId, t.config.topics.raw, { kind: 'earliest' }));
  } finally {
    await admin.disconnect();
  }
}

const poolId = `bench-logcost-${Date.now().toString(36)}`;
const env = benchEnv('logcost', { LLM_PROVIDER: 'offline', TOPIC_PARTITIONS: '3', REDIS_URL: redisUrl, LLM_POOL_ID: poolId, LLM_CACHE_SIZE: '10000' });
const t = await createTopics(env);
const figures = new Map<string, number[]>(levels.map((l) => [l, []]));
try {
  await produceAll(t.kafka, t.config.topics.raw, documents(n, 'log'));
  const first = await runProcessor(t, env, n, { localPool: true });
  process.stderr.write(`first pass ${first.docsPerSec.toFixed(0)} docs/s\n`);
  const outputs = [t.config.topics.enriched, t.config.topics.review, t.config.topics.dlq];
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? levels : [...levels].reverse();
    for (const level of order) {
      await resetToEarliest(t);
      const after = await topicEnds(t.kafka, outputs);
      const r = await runProcessor(t, { ...env, LOG_LEVEL: level }, n, { after, profileDir: values.profile });
      figures.get(level)!.push(r.docsPerSec);
      process.stderr.write(`run ${i + 1} ${level}: ${r.docsPerSec.toFixed(0)} docs/s${r.profileRows.length ? `\n  ${r.profileRows.map((x) => x.join(': ')).join('\n  ')}` : ''}\n`);
    }
  }
} finally {
  await t.cleanup();
  await deleteRedisKeys(redisUrl, poolId);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
for (const [level, xs] of figures) {
  process.stdout.write(`${level}: median ${median(xs).toFixed(0)} docs/s, min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)} over ${xs.length} runs [${xs.map((x) => x.toFixed(0)).join(', ')}]\n`);
}
const [a, b] = levels.map((l) => median(figures.get(l)!));
if (a !== undefined && b !== undefined) process.stdout.write(`${levels[0]} / ${levels[1]}: ${(a / b).toFixed(3)}\n`);
process.exit(0);
