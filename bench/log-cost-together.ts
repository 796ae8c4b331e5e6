/**
 * The log levels side by side: two processors replaying the same documents at the same time,
 * one at info (a `routed` line per document) and one at warn, each on its own topics and group,
 * both hitting one warm Redis result cache. Whatever else loads the machine loads both alike,
 * which alternating runs (bench/log-cost.ts) cannot promise on a shared machine. The levels
 * swap sides every round.
 *
 *   node bench/log-cost-together.ts [--docs 20000] [--runs 6]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { benchEnv, createTopics, resetToEarliest, deleteRedisKeys, documents, produceAll, topicEnds } from './lib.ts';
import { runProcessor } from './scenarios/pipeline-ceiling.ts';

const { values } = parseArgs({ options: { docs: { type: 'string', default: '20000' }, runs: { type: 'string', default: '6' } } });
const n = Number(values.docs);
const runs = Number(values.runs);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const poolId = `bench-logtogether-${Date.now().toString(36)}`;
const common = { LLM_PROVIDER: 'offline', TOPIC_PARTITIONS: '3', REDIS_URL: redisUrl, LLM_POOL_ID: poolId, LLM_CACHE_SIZE: '10000' };
const sides = [benchEnv('logsidea', common), benchEnv('logsideb', common)];
const topics = [await createTopics(sides[0]!), await createTopics(sides[1]!)];
const rate: Record<string, number[]> = { info: [], warn: [] };
const cpu: Record<string, number[]> = { info: [], warn: [] };
const ratios: number[] = [];
try {
  const docs = documents(n, 'log');
  for (const t of topics) await produceAll(t.kafka, t.config.topics.raw, docs);
  const first = await runProcessor(topics[0]!, sides[0]!, n, { localPool: true }); // fills the cache both sides read
  process.stderr.write(`first pass ${first.docsPerSec.toFixed(0)} docs/s\n`);
  for (let i = 0; i < runs; i++) {
    const levels = i % 2 === 0 ? ['info', 'warn'] : ['warn', 'info'];
    const results = await Promise.all(topics.map(async (t, s) => {
      await resetToEarliest(t);
      const after = await topicEnds(t.kafka, [t.config.topics.enriched, t.config.topics.review, t.config.topics.dlq]);
      return runProcessor(t, { ...sides[s]!, LOG_LEVEL: levels[s]! }, n, { after });
    }));
    const by: Record<string, (typeof results)[number]> = { [levels[0]!]: results[0]!, [levels[1]!]: results[1]! };
    for (const l of ['info', 'warn']) {
      rate[l]!.push(by[l]!.docsPerSec);
      cpu[l]!.push(by[l]!.cpuSecondsPerDoc * 1e6);
    }
    ratios.push(by.info!.docsPerSec / by.warn!.docsPerSec);
    process.stderr.write(`round ${i + 1}: info ${by.info!.docsPerSec.toFixed(0)} docs/s (${(by.info!.cpuSecondsPerDoc * 1e6).toFixed(0)} µs CPU a document), `
      + `warn ${by.warn!.docsPerSec.toFixed(0)} docs/s (${(by.warn!.cpuSecondsPerDoc * 1e6).toFixed(0)} µs), info ÷ warn ${ratios.at(-1)!.toFixed(3)}, load ${loadavg()[0]!.toFixed(1)}\n`);
  }
} finally {
  for (const t of topics) await t.cleanup();
  await deleteRedisKeys(redisUrl, poolId);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const line = (xs: number[], d: number) => `median ${median(xs).toFixed(d)}, min ${Math.min(...xs).toFixed(d)}, max ${Math.max(...xs).toFixed(d)}`;
for (const l of ['info', 'warn']) process.stdout.write(`${l}: docs/s ${line(rate[l]!, 0)}; CPU µs a document ${line(cpu[l]!, 0)}\n`);
process.stdout.write(`info ÷ warn, round by round: ${line(ratios, 3)} [${ratios.map((r) => r.toFixed(3)).join(', ')}] (${runs} rounds of ${n} documents)\n`);
process.exit(0);
