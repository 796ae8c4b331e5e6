/**
 * What tracing costs: the same run with traces off and on (every attempt sampled, exported over
 * OTLP/HTTP protobuf to a sink on this machine), in pairs whose order alternates so that drift
 * of a shared machine falls on both. Two workloads: the saturation scenario's (LLM-bound: 200 ms
 * calls, pool 5, one partition), where the target applies, and the instant provider's
 * (the pipeline's own ceiling), where nothing hides the cost. The sink only stores request
 * bodies while the runs go (so it takes little CPU from the processor) and decodes them after,
 * to show the spans really went out.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeSpans } from '../../test/support/otlp-receiver.ts';
import { benchEnv, createTopics, documents, firstRequestAt, produceAll, startChild, startFakeLlm, throughput, watchOutputs } from '../lib.ts';
import { runProcessor } from './pipeline-ceiling.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

async function startSink() {
  const bodies: { type: string; bytes: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url?.startsWith('/v1/traces')) bodies.push({ type: String(req.headers['content-type']), bytes: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Spans received since the last call. */
    take(): number {
      const n = bodies.reduce((s, b) => s + decodeSpans(b.bytes, b.type).length, 0);
      bodies.length = 0;
      return n;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[], digits: number) => xs.map((x) => x.toFixed(digits)).join(', ');

export async function tracingOverhead(o: ScenarioOptions): Promise<ScenarioResult> {
  const pairs = o.quick ? 1 : 3;
  const satN = o.quick ? 40 : 400;
  const instN = o.quick ? 300 : 20_000;
  const latencyMs = o.quick ? 50 : 200;
  const slots = 5;
  const bound = slots / ((3 * latencyMs) / 1000);
  const sink = await startSink();
  const traced = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on', OTEL_METRICS_EXPORTER: 'none' };
  const llm = await startFakeLlm(latencyMs);
  const sat: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const inst: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const spans: Record<'sat' | 'inst', number[]> = { sat: [], inst: [] };
  const profileRows: [string, string][] = [];
  try {
    for (let i = 0; i < pairs; i++) {
      for (const mode of (i % 2 === 0 ? ['off', 'on'] : ['on', 'off']) as ('off' | 'on')[]) {
        // Saturation: the real CLI against the fake LLM.
        const prefix = `trs${i}${mode}-`;
        const env = benchEnv(`tracing-sat-${mode}`, { LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'bench', OPENAI_BASE_URL: llm.url, LLM_POOL_SLOTS: String(slots), TOPIC_PARTITIONS: '1', ...(mode === 'on' ? traced : {}) });
        const t = await createTopics(env);
        await produceAll(t.kafka, t.config.topics.raw, documents(satN, prefix));
        const w = await watchOutputs(t.kafka, [t.config.topics.enriched, t.config.topics.review, t.config.topics.dlq]);
        const child = startChild(['src/cli/main.ts', 'start'], env);
        await w.waitFor(satN, 600_000);
        sat[mode].push(throughput(w.seen, await firstRequestAt(llm, prefix)).docsPerSec / bound);
        await child.stop();
        await w.stop();
        await t.cleanup();
        if (mode === 'on') spans.sat.push(sink.take());

        // The pipeline's ceiling: instant provider, no cache.
        const envI = benchEnv(`tracing-inst-${mode}`, { LLM_PROVIDER: 'offline', TOPIC_PARTITIONS: '3', ...(mode === 'on' ? traced : {}) });
        const ti = await createTopics(envI);
        try {
          await produceAll(ti.kafka, ti.config.topics.raw, documents(instN, `tri${i}${mode}`));
          // With --profile, the first traced run's CPU profile shows where tracing's time goes.
          const profiled = mode === 'on' && spans.inst.length === 0 ? o.profileDir : undefined;
          const run = await runProcessor(ti, envI, instN, { profileDir: profiled });
          inst[mode].push(run.docsPerSec);
          if (profiled) profileRows.push(...run.profileRows);
        } finally {
          await ti.cleanup();
        }
        if (mode === 'on') spans.inst.push(sink.take());
        else sink.take();
      }
    }
  } finally {
    await llm.child.stop();
    await sink.close();
  }
  const satRatio = median(sat.on) / median(sat.off);
  const instRatio = median(inst.on) / median(inst.off);
  return {
    name: 'tracing',
    title: 'Tracing overhead: traces on (100 % sampled, OTLP/HTTP protobuf) against off',
    metric: { label: 'saturation throughput, traces on ÷ off', value: satRatio, target: 0.95 },
    rows: [
      [`saturation (${latencyMs} ms calls, pool ${slots}, 1 partition): off, of the bound`, `${fmt(sat.off, 3)} (median ${median(sat.off).toFixed(3)})`],
      ['saturation: on, of the bound', `${fmt(sat.on, 3)} (median ${median(sat.on).toFixed(3)}); spans exported per run ${spans.sat.join(', ')}`],
      ['saturation: on ÷ off (medians)', satRatio.toFixed(3)],
      ['instant provider (pipeline ceiling, 3 partitions): off, docs/s', `${fmt(inst.off, 0)} (median ${median(inst.off).toFixed(0)})`],
      ['instant provider: on, docs/s', `${fmt(inst.on, 0)} (median ${median(inst.on).toFixed(0)}); spans exported per run ${spans.inst.join(', ')}`],
      ['instant provider: on ÷ off (medians)', instRatio.toFixed(3)],
      ...profileRows,
    ],
    params: { pairs, 'saturation documents': satN, 'instant documents': instN, 'LLM latency ms': latencyMs, 'pool slots': slots, sampler: 'always_on', 'spans per document': '7 (process, 3 chat, gate, send, commit)' },
  };
}
