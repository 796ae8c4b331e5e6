/**
 * The cost aggregator against the real broker, fed a stream of synthetic cost events (with
 * re-sent duplicates): killed with SIGKILL as a child process, then stopped abruptly
 * in-process, then run to the end. The totals must equal the stream's, to the pico-dollar.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { CostEvent, DailyCost } from '../../src/contracts/index.ts';
import type { CostAggregator } from '../../src/costs/aggregator.ts';
import { usdToPico } from '../../src/costs/money.ts';
import { loadDailyCosts } from '../../src/costs/report.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startTestAggregator } from '../support/aggregator.ts';
import { openTestKafka, testConfig, testEnv } from '../support/kafka.ts';
import { sleep, waitUntil } from '../support/time.ts';

const MODELS = ['gpt-4o-mini', 'gpt-4', 'gpt-4.1-nano'];
const STEPS = ['extract', 'summarize', 'classify'] as const;

function syntheticEvents(n: number): CostEvent[] {
  const now = new Date().toISOString();
  return Array.from({ length: n }, (_, i) => ({
    call_id: randomUUID(), document_id: `doc-${i % 997}`, step: STEPS[i % 3]!, model: MODELS[i % MODELS.length]!, provider: 'openai',
    input_tokens: 50 + (i % 400), output_tokens: 5 + (i % 90),
    // Prices with all twelve decimals in use: a float sum of these drifts, an exact one does not.
    cost_usd: Number(((i * 7919) % 1_000_000_007) * 1e-12 + (i % 13) * 1e-6) , price_source: i % 50 === 0 ? 'fallback' : 'table',
    attempt: 1, ok: i % 17 !== 0, instance_id: `proc-${i % 4}`, run_id: `run-${i % 5}`, timestamp: now,
  }));
}

function expected(events: CostEvent[]) {
  const pico = new Map<string, bigint>();
  let total = 0n;
  for (const e of events) {
    const p = usdToPico(e.cost_usd);
    total += p;
    for (const k of [`model:${e.model}`, `run:${e.run_id}`, `step:${e.step}`]) pico.set(k, (pico.get(k) ?? 0n) + p);
  }
  return { total, pico, calls: events.length };
}

function actual(records: DailyCost[]) {
  const pico = new Map<string, bigint>();
  let total = 0n;
  let calls = 0;
  const add = (k: string, v: string) => pico.set(k, (pico.get(k) ?? 0n) + BigInt(v));
  for (const r of records) {
    total += BigInt(r.cost_pico_usd);
    calls += r.calls;
    add(`model:${r.model}`, r.cost_pico_usd);
    for (const [run, t] of Object.entries(r.by_run)) add(`run:${run}`, t.cost_pico_usd);
    for (const [step, t] of Object.entries(r.by_step)) add(`step:${step}`, t.cost_pico_usd);
  }
  return { total, pico, calls };
}

describe('cost aggregator', () => {
  it('keeps exact totals through a SIGKILL and an abrupt stop mid-stream, counting re-sent events once', async () => {
    // The child aggregator is started with the same environment: this test's topics and groups.
    const env = testEnv({ COST_FLUSH_INTERVAL: '200ms', TOPIC_PARTITIONS: '3' });
    const config = loadConfig(env);
    const tk = await openTestKafka(config);
    const events = syntheticEvents(30_000);
    const want = expected(events);
    // 600 events are sent twice, at later offsets, as a producer re-send would.
    const stream = [...events.slice(0, 10_000), ...events.slice(2_000, 2_300), ...events.slice(10_000), ...events.slice(25_000, 25_300)];
    const producer = tk.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let sent = 0;
    const send = async (upTo: number) => {
      for (; sent < upTo; sent += 1000) {
        await producer.send({ topic: config.topics.costEvents, acks: -1, messages: stream.slice(sent, Math.min(upTo, sent + 1000)).map((e) => ({ key: e.call_id, value: JSON.stringify(e) })) });
        await sleep(100);
      }
      sent = upTo;
    };

    // 1. The aggregator as its own process, killed with SIGKILL while events keep coming.
    const output: string[] = [];
    const t = Date.now();
    const mark = (what: string) => console.log(`[costs] ${what} at ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const child = spawn(process.execPath, ['src/cli/main.ts', 'aggregate-costs'], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => void child.kill('SIGKILL'));
    child.stdout!.on('data', (b: Buffer) => output.push(b.toString()));
    child.stderr!.on('data', (b: Buffer) => output.push(b.toString()));
    await waitUntil(() => output.join('').includes('cost aggregator started'), 30_000, `the child aggregator to start: ${output.join('')}`);
    mark('child started');
    await send(8_000);
    const streaming = send(14_000);
    await waitUntil(async () => (await loadDailyCosts(tk.kafka, config.topics.costsDaily, 'probe', silentLogger())).length > 0, 20_000, 'the first flush');
    await sleep(150);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await streaming;
    mark('child killed');
    const afterKill = actual(await loadDailyCosts(tk.kafka, config.topics.costsDaily, 'probe', silentLogger()));
    expect(afterKill.calls).toBeGreaterThan(0);
    expect(afterKill.calls).toBeLessThan(want.calls);

    // 2. In-process, stopped abruptly (no flush) in the middle of the next part.
    const a = await startTestAggregator(config, tk.kafka);
    mark('second started');
    expect(a.stats().restoredRecords).toBe(MODELS.length);
    const counted = (x: CostAggregator) => x.totals().reduce((n, r) => n + r.calls, 0);
    const streaming2 = send(22_000);
    await waitUntil(() => counted(a) > afterKill.calls + 2_000, 30_000, 'the second aggregator to count');
    await a.abort();
    await streaming2;

    // 3. The last one runs to the end of the stream.
    const t0 = Date.now();
    const b = await startTestAggregator(config, tk.kafka);
    await send(stream.length);
    await producer.disconnect();
    await waitUntil(() => counted(b) >= want.calls, 60_000, `all ${want.calls} calls (have ${counted(b)})`);
    const seconds = (Date.now() - t0) / 1000;
    await sleep(500); // a double count, if any, would show up now
    await b.stop();

    const got = actual(await loadDailyCosts(tk.kafka, config.topics.costsDaily, 'probe', silentLogger()));
    expect(got.calls).toBe(want.calls);
    expect(got.total).toBe(want.total);
    expect(got.pico).toEqual(want.pico);
    expect(b.stats().dedupWarmed).toBeGreaterThan(0);
    console.log(`[costs] ${stream.length} events (${stream.length - want.calls} re-sent), killed twice; last aggregator: ${b.stats().events} counted + ${b.stats().duplicates} duplicates in ${seconds.toFixed(1)} s`);
  });

  it('fences an older instance: a second aggregator takes over and the first stops', async () => {
    const config = testConfig({ COST_FLUSH_INTERVAL: '100ms', TOPIC_PARTITIONS: '2' });
    const tk = await openTestKafka(config);
    const events = syntheticEvents(2_000);
    const producer = tk.kafka.producer();
    await producer.connect();
    const send = (es: CostEvent[]) => producer.send({ topic: config.topics.costEvents, messages: es.map((e) => ({ key: e.call_id, value: JSON.stringify(e) })) });
    const first = await startTestAggregator(config, tk.kafka);
    await send(events.slice(0, 1000));
    await waitUntil(() => first.stats().flushes > 0 && first.stats().events === 1000, 20_000, 'the first instance to count');
    const second = await startTestAggregator(config, tk.kafka);
    await send(events.slice(1000));
    await expect(first.failed).rejects.toThrow();
    await waitUntil(() => second.totals().reduce((n, r) => n + r.calls, 0) === 2000, 30_000, 'the second instance to count everything');
    await second.stop();
    await producer.disconnect();
    const got = actual(await loadDailyCosts(tk.kafka, config.topics.costsDaily, 'probe', silentLogger()));
    expect(got.calls).toBe(2000);
    expect(got.total).toBe(expected(events).total);
  });
});
