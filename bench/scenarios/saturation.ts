/**
 * 1. LLM-bound saturation: one partition, every call takes L ms, a pool of S slots. No
 * processor can beat S / (3·L) docs/s; ours should sit at it, the naive one sits at 1 / (3·L).
 */
import { loadConfig } from '../../src/config.ts';
import { runNaiveBaseline } from '../naive-baseline.ts';
import { benchEnv, createTopics, documents, firstRequestAt, produceAll, startChild, startFakeLlm, throughput, watchOutputs } from '../lib.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

export async function saturation(o: ScenarioOptions): Promise<ScenarioResult> {
  const latencyMs = o.quick ? 50 : 200;
  const slots = 5;
  const n = o.quick ? 60 : 1000;
  const naiveN = o.quick ? 12 : 100;
  const bound = slots / ((3 * latencyMs) / 1000);
  const llm = await startFakeLlm(latencyMs);
  try {
    const llmEnv = { LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'bench', OPENAI_BASE_URL: llm.url, LLM_POOL_SLOTS: String(slots), TOPIC_PARTITIONS: '1' };

    // Ours: the real CLI as its own process.
    const env = benchEnv('saturation', llmEnv);
    const t = await createTopics(env);
    await produceAll(t.kafka, t.config.topics.raw, documents(n, 'sat'));
    const w = await watchOutputs(t.kafka, [t.config.topics.enriched, t.config.topics.review, t.config.topics.dlq]);
    const child = startChild(['src/cli/main.ts', 'start'], env);
    await w.waitFor(n, 600_000);
    const ours = throughput(w.seen, await firstRequestAt(llm, 'sat-'));
    await child.stop();
    await w.stop();
    await t.cleanup();

    // Naive: same chain, same server, one document at a time.
    const envN = benchEnv('saturation-naive', llmEnv);
    const tn = await createTopics(envN);
    await produceAll(tn.kafka, tn.config.topics.raw, documents(naiveN, 'naive'));
    const wn = await watchOutputs(tn.kafka, [tn.config.topics.enriched, tn.config.topics.review, tn.config.topics.dlq]);
    const naive = await runNaiveBaseline(loadConfig(envN));
    await wn.waitFor(naiveN, 600_000);
    const base = throughput(wn.seen, await firstRequestAt(llm, 'naive-'));
    await naive.stop();
    await wn.stop();
    await tn.cleanup();

    return {
      name: 'saturation',
      title: 'LLM-bound saturation',
      metric: { label: 'ours ÷ bound', value: ours.docsPerSec / bound, target: 0.95 },
      rows: [
        ['bound S / (3·L)', `${bound.toFixed(2)} docs/s`],
        ['ours', `${ours.docsPerSec.toFixed(2)} docs/s (${(ours.docsPerSec / bound).toFixed(3)} of the bound) over ${n} documents`],
        ['naive eachMessage', `${base.docsPerSec.toFixed(2)} docs/s (${(base.docsPerSec / bound).toFixed(3)} of the bound) over ${naiveN} documents`],
        ['ours ÷ naive', `${(ours.docsPerSec / base.docsPerSec).toFixed(2)}×`],
      ],
      params: { partitions: 1, documents: n, 'naive documents': naiveN, 'LLM latency ms': latencyMs, 'pool slots': slots, 'MAX_IN_FLIGHT': 64 },
    };
  } finally {
    await llm.child.stop();
  }
}
