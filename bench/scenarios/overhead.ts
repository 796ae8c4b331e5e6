/**
 * 2. Pipeline overhead: the offline provider with no latency, so the pipeline runs as fast as
 * it can; compared with a raw KafkaJS consume → produce passthrough of the same messages.
 */
import { measurePassthrough } from '../passthrough.ts';
import { benchEnv, createTopics, documents, produceAll, startChild, throughput, watchOutputs } from '../lib.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

export async function overhead(o: ScenarioOptions): Promise<ScenarioResult> {
  const n = o.quick ? 600 : 20_000;
  const env = benchEnv('overhead', { LLM_PROVIDER: 'offline', TOPIC_PARTITIONS: '3' });
  const t = await createTopics(env);
  try {
    await produceAll(t.kafka, t.config.topics.raw, documents(n, 'ovh'));

    // Passthrough first: raw → a topic of its own, same messages.
    const floor = { docsPerSec: await measurePassthrough(t.kafka, t.config.topics.raw, `${t.config.kafka.groupId}-passthrough`, n, 3) };

    // The full pipeline (exactly-once output, cost events, the offline chain) as its own process.
    const w = await watchOutputs(t.kafka, [t.config.topics.enriched, t.config.topics.review, t.config.topics.dlq]);
    const child = startChild(['src/cli/main.ts', 'start'], env, o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : []);
    await w.waitFor(n, 900_000);
    const rss = child.peakRssMiB();
    await child.stop();
    const ours = throughput(w.seen);
    await w.stop();

    return {
      name: 'overhead',
      title: 'Pipeline overhead',
      metric: { label: 'pipeline ÷ passthrough', value: ours.docsPerSec / floor.docsPerSec, target: 0.5 },
      rows: [
        ['raw KafkaJS passthrough', `${floor.docsPerSec.toFixed(0)} msgs/s`],
        ['full pipeline (offline provider, exactly-once)', `${ours.docsPerSec.toFixed(1)} docs/s`],
        ['peak RSS of the processor', `${rss.toFixed(0)} MiB`],
        ['same pipeline, instant provider (no NLP)', 'the instant scenario below: the processor as its own process, 50,000 documents'],
      ],
      params: { documents: n, partitions: 3, provider: 'offline (no latency)', 'result cache': 'off' },
    };
  } finally {
    await t.cleanup();
  }
}
