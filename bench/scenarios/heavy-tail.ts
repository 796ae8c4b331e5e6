/**
 * 7. Saturation under realistic LLM latency: a lognormal call latency (median 800 ms, p99 8 s),
 * 5 % of calls answered 429 with a Retry-After of 1–3 s (in bursts of three, saying the budget
 * is left: the provider's capacity refusing calls, not the account's rate limit), 6 partitions,
 * a pool of 5, MAX_IN_FLIGHT at its default. The bound is slots ÷ (3 × mean latency), the mean
 * of the answers the server actually served in this run (the sample mean of a heavy tail
 * wanders by a few per cent from run to run; the distribution's own mean is shown beside it).
 * Throughput is taken between the 10th and the 90th percentile of the outputs: the pool's
 * steady state, without the first answers' wait and the last documents' drain.
 */
import { lognormalMeanMs } from '../../test/support/fake-openai-latency.ts';
import { benchEnv, createTopics, documents, percentile, produceAll, startChild, startFakeLlm, watchOutputs } from '../lib.ts';
import { perDocument, slotUsage } from '../slot-usage.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

export async function heavyTail(o: ScenarioOptions): Promise<ScenarioResult> {
  const model = o.quick ? { medianMs: 40, p99Ms: 400 } : { medianMs: 800, p99Ms: 8000 };
  const slots = 5;
  const partitions = 6;
  const n = o.quick ? 60 : 400;
  const throttle = { share: 0.05, retryAfter: '1-3', burst: 3 };
  const llm = await startFakeLlm(0, [
    '--latency-median', String(model.medianMs), '--latency-p99', String(model.p99Ms), '--seed', '16',
    '--throttle-share', String(throttle.share), '--throttle-retry-after', throttle.retryAfter, '--throttle-burst', String(throttle.burst),
  ]);
  const env = benchEnv('heavy-tail', {
    LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'bench', OPENAI_BASE_URL: llm.url, LLM_POOL_SLOTS: String(slots), TOPIC_PARTITIONS: String(partitions),
  });
  const t = await createTopics(env);
  try {
    await produceAll(t.kafka, t.config.topics.raw, documents(n, 'ht'));
    const w = await watchOutputs(t.kafka, [t.config.topics.enriched, t.config.topics.review, t.config.topics.dlq]);
    const child = startChild(['src/cli/main.ts', 'start'], env);
    await w.waitFor(n, 3_600_000);
    await child.stop();
    await w.stop();
    const stats = await llm.stats();
    const requests = (await llm.requests()).filter((r) => r.documentId?.startsWith('ht-'));

    const outs = [...w.seen.values()].sort((a, b) => a - b);
    const a = Math.floor(0.1 * n);
    const b = n - 1 - Math.floor(0.1 * n);
    const from = outs[a]!;
    const to = outs[b]!;
    const achieved = (b - a) / ((to - from) / 1000);
    const answered = requests.filter((r) => r.status === 200);
    const meanMs = answered.reduce((s, r) => s + r.durationMs, 0) / answered.length;
    const bound = slots / ((3 * meanMs) / 1000);
    const modelBound = slots / ((3 * lognormalMeanMs(model)) / 1000);
    const refused = requests.filter((r) => r.status === 429).length;
    const usage = slotUsage(requests, slots, from, to);
    const docs = perDocument(requests, w.seen);
    const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
    const pp = (xs: number[]) => `${percentile(xs, 50).toFixed(0)} / ${percentile(xs, 99).toFixed(0)} ms`;
    return {
      name: 'heavy-tail',
      title: 'Saturation under heavy-tailed latency and 429 bursts',
      metric: { label: 'achieved ÷ bound', value: achieved / bound, target: 0.9 },
      rows: [
        ['bound S / (3 · mean latency)', `${bound.toFixed(3)} docs/s (mean of the ${answered.length} answers: ${meanMs.toFixed(0)} ms; the distribution's mean ${lognormalMeanMs(model).toFixed(0)} ms gives ${modelBound.toFixed(3)})`],
        ['achieved, between the 10th and 90th percentile of outputs', `${achieved.toFixed(3)} docs/s (${(achieved / bound).toFixed(3)} of the bound) over ${b - a} documents, ${((to - from) / 1000).toFixed(0)} s`],
        ['429 answers', `${refused} of ${requests.length} requests (${pct(refused / requests.length)}); ${(requests.length / n).toFixed(2)} requests per document`],
        ['slot time in that window: answered / refused / idle', `${pct(usage.answered)} / ${pct(usage.refused)} / ${pct(usage.idle)}`],
        ['server max in-flight', `${String(stats.maxInFlight)} (pool: ${slots})`],
        ['per document: waiting between its calls, p50 / p99', pp(docs.between)],
        ['per document: last answer → output readable (commit, head of line), p50 / p99', pp(docs.afterLast)],
      ],
      params: {
        documents: n, partitions, 'pool slots': slots, MAX_IN_FLIGHT: '64 (default)',
        latency: `lognormal, median ${model.medianMs} ms, p99 ${model.p99Ms} ms`,
        '429': `${pct(throttle.share)} of requests, Retry-After ${throttle.retryAfter} s, bursts of ${throttle.burst}, budget left`,
      },
    };
  } finally {
    await t.cleanup();
    await llm.child.stop();
  }
}
