/**
 * What the logs cost: the cache-warm replay (bench/scenarios/replay.ts) run again and again over
 * the same documents, alternating the processor's LOG_LEVEL between the default (info: one
 * `routed` line per document) and warn, so that both levels see the same machine load.
 *
 *   node bench/log-cost.ts [--docs 20000] [--runs 4] [--levels info,warn] [--compare DIR] [--profile DIR]
 *
 * One topic set and one first pass (the instant provider filling the Redis result cache); then
 * `--runs` rounds of replays (offsets reset to the earliest before each), one per level, the
 * order rotating from round to round. --compare DIR adds the same levels run by the processor of
 * another checkout (e.g. `git archive <commit> | tar -x -C DIR`, node_modules linked): before
 * and after a change, paired in the same rounds. Prints each run's docs/s and the processor's
 * CPU time (start-up included, the same for every variant), its CPU time a document from the
 * first output the reader saw to the last (start-up left out), and per variant their median, min
 * and max. CPU time moves less than docs/s when other work shares the machine.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { benchEnv, createTopics, resetToEarliest, deleteRedisKeys, documents, produceAll, root, topicEnds } from './lib.ts';
import { runProcessor } from './scenarios/pipeline-ceiling.ts';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '4' },
    levels: { type: 'string', default: 'info,warn' },
    compare: { type: 'string' },
    profile: { type: 'string' },
  },
});
const n = Number(values.docs);
const runs = Number(values.runs);
const trees = [{ name: 'this', cwd: root }, ...(values.compare ? [{ name: 'compare', cwd: values.compare }] : [])];
const variants = trees.flatMap((t) => values.levels!.split(',').map((level) => ({ ...t, level, key: `${t.name} ${level}` })));
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const poolId = `bench-logcost-${Date.now().toString(36)}`;
const env = benchEnv('logcost', { LLM_PROVIDER: 'offline', TOPIC_PARTITIONS: '3', REDIS_URL: redisUrl, LLM_POOL_ID: poolId, LLM_CACHE_SIZE: '10000' });
const t = await createTopics(env);
const rate = new Map<string, number[]>(variants.map((v) => [v.key, []]));
const cpu = new Map<string, number[]>(variants.map((v) => [v.key, []]));
const cpuPerDoc = new Map<string, number[]>(variants.map((v) => [v.key, []]));
try {
  await produceAll(t.kafka, t.config.topics.raw, documents(n, 'log'));
  const first = await runProcessor(t, env, n, { localPool: true });
  process.stderr.write(`first pass ${first.docsPerSec.toFixed(0)} docs/s\n`);
  const outputs = [t.config.topics.enriched, t.config.topics.review, t.config.topics.dlq];
  for (let i = 0; i < runs; i++) {
    const order = variants.map((_, j) => variants[(i + j) % variants.length]!);
    for (const v of order) {
      await resetToEarliest(t);
      const after = await topicEnds(t.kafka, outputs);
      const r = await runProcessor(t, { ...env, LOG_LEVEL: v.level }, n, { after, profileDir: values.profile, cwd: v.cwd });
      rate.get(v.key)!.push(r.docsPerSec);
      cpu.get(v.key)!.push(r.cpuSeconds);
      cpuPerDoc.get(v.key)!.push(r.cpuSecondsPerDoc * 1e6);
      process.stderr.write(`round ${i + 1} ${v.key}: ${r.docsPerSec.toFixed(0)} docs/s, processor CPU ${r.cpuSeconds.toFixed(2)} s (${(r.cpuSecondsPerDoc * 1e6).toFixed(0)} µs a document while outputs came), load ${loadavg()[0]!.toFixed(1)}`
        + `${r.profileRows.length ? `\n  ${r.profileRows.map((x) => x.join(': ')).join('\n  ')}` : ''}\n`);
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
const line = (xs: number[], d: number) => `median ${median(xs).toFixed(d)}, min ${Math.min(...xs).toFixed(d)}, max ${Math.max(...xs).toFixed(d)} [${xs.map((x) => x.toFixed(d)).join(', ')}]`;
for (const v of variants) {
  process.stdout.write(`${v.key}: docs/s ${line(rate.get(v.key)!, 0)}; processor CPU s ${line(cpu.get(v.key)!, 2)}; CPU µs a document ${line(cpuPerDoc.get(v.key)!, 0)}\n`);
}
process.stdout.write(`(${runs} rounds of ${n} documents)\n`);
process.exit(0);
