/**
 * 3. Added latency: documents arrive at about half the LLM bound; for each, the time from its
 * produce to its committed output, minus the time its calls spent at the LLM server. What is
 * left is ours: Kafka, queueing for a pool slot, the chain's own work, the commit.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchEnv, root, createTopics, documents, percentile, sleep, startChild, startFakeLlm, watchOutputs } from '../lib.ts';
import type { ScenarioOptions, ScenarioResult } from './types.ts';

export async function latency(o: ScenarioOptions): Promise<ScenarioResult> {
  const latencyMs = 200;
  const slots = 5;
  const bound = slots / ((3 * latencyMs) / 1000);
  const rate = bound * 0.5;
  const seconds = o.quick ? 8 : 60;
  const n = Math.round(rate * seconds);
  // A fresh process compiles each code path on its first documents (tens of ms, the SDK, zod,
  // the first transactions): these go first, at the same rate, and are not counted.
  const warmUp = o.quick ? 3 : 25;
  const llm = await startFakeLlm(latencyMs);
  const env = benchEnv('latency', {
    LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'bench', OPENAI_BASE_URL: llm.url, LLM_POOL_SLOTS: String(slots),
    TOPIC_PARTITIONS: '1', FLUSH_INTERVAL: '0',
  });
  const t = await createTopics(env);
  try {
    const w = await watchOutputs(t.kafka, [t.config.topics.enriched, t.config.topics.review, t.config.topics.dlq]);
    const child = startChild(['src/cli/main.ts', 'start'], env);
    // Let the processor join its group before the clock starts.
    await sleep(o.quick ? 4000 : 6000);
    const producer = t.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const docs = documents(n, 'lat');
    const sent = [...documents(warmUp, 'lat-warm-up'), ...docs];
    const sentAt = new Map<string, number>();
    const start = Date.now();
    for (let i = 0; i < sent.length; i++) {
      const due = start + (i * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      const d = sent[i]!;
      sentAt.set(d.id, Date.now());
      await producer.send({ topic: t.config.topics.raw, acks: -1, messages: [{ key: d.id, value: JSON.stringify(d) }] });
    }
    await w.waitFor(sent.length, 300_000);
    await producer.disconnect();
    await child.stop();
    await w.stop();

    const llmTime = new Map<string, number>();
    const calls = new Map<string, { at: number; durationMs: number }[]>();
    for (const r of await llm.requests()) {
      if (!r.documentId) continue;
      llmTime.set(r.documentId, (llmTime.get(r.documentId) ?? 0) + r.durationMs);
      calls.set(r.documentId, [...(calls.get(r.documentId) ?? []), r]);
    }
    // Where the added time goes: before the first call (Kafka intake, fetch), between calls
    // (waiting for a pool slot, the chain's own work, SDK and HTTP, the cost event's ack), after
    // the last call until the output is sent (its record timestamp: the last cost event, the
    // gate, the commit starting), and from then until it is readable (the rest of the
    // transaction, its markers, the bench's read_committed fetch).
    const parts = { intake: [] as number[], between: [] as number[], toCommit: [] as number[], commit: [] as number[] };
    const perDoc: Record<string, number | string>[] = [];
    for (const d of docs) {
      const cs = (calls.get(d.id) ?? []).sort((a, b) => a.at - b.at);
      if (cs.length === 0) continue;
      const intake = cs[0]!.at - sentAt.get(d.id)!;
      let gaps = 0;
      for (let i = 1; i < cs.length; i++) gaps += cs[i]!.at - (cs[i - 1]!.at + cs[i - 1]!.durationMs);
      const last = cs[cs.length - 1]!;
      const produced = w.producedAt.get(d.id)!;
      const toCommit = produced - (last.at + last.durationMs);
      const commit = w.seen.get(d.id)! - produced;
      parts.intake.push(intake);
      parts.between.push(gaps);
      parts.toCommit.push(toCommit);
      parts.commit.push(commit);
      perDoc.push({ id: d.id, sentAt: sentAt.get(d.id)!, intake, between: gaps, toCommit, commit, added: intake + gaps + toCommit + commit });
    }
    // Every document's parts, for a look at the tail: bench/out/latency-documents.json.
    mkdirSync(join(root, 'bench/out'), { recursive: true });
    writeFileSync(join(root, 'bench/out/latency-documents.json'), JSON.stringify(perDoc));
    for (const a of Object.values(parts)) a.sort((x, y) => x - y);
    const pp = (a: number[]) => `${percentile(a, 50).toFixed(0)} / ${percentile(a, 99).toFixed(0)} ms`;
    const added = docs.map((d) => w.seen.get(d.id)! - sentAt.get(d.id)! - (llmTime.get(d.id) ?? 0)).sort((a, b) => a - b);
    const endToEnd = docs.map((d) => w.seen.get(d.id)! - sentAt.get(d.id)!).sort((a, b) => a - b);
    const p = (q: number) => percentile(added, q);
    return {
      name: 'latency',
      title: 'Added latency at ~50 % of the bound',
      metric: { label: 'p99 added latency (ms)', value: p(99), target: 50, lowerIsBetter: true },
      rows: [
        ['arrival rate', `${rate.toFixed(2)} docs/s (bound ${bound.toFixed(2)})`],
        ['added latency p50 / p95 / p99', `${p(50).toFixed(0)} / ${p(95).toFixed(0)} / ${p(99).toFixed(0)} ms`],
        ['of which before the first call, p50 / p99', pp(parts.intake)],
        ['of which between the calls, p50 / p99', pp(parts.between)],
        ['of which after the last call until its output is sent (cost event, gate, the commit starting), p50 / p99', pp(parts.toCommit)],
        ['of which from the output sent to readable (the transaction, its markers, the reader), p50 / p99', pp(parts.commit)],
        ['end-to-end p50 / p99 (incl. 3 × LLM)', `${percentile(endToEnd, 50).toFixed(0)} / ${percentile(endToEnd, 99).toFixed(0)} ms`],
      ],
      params: { documents: `${n} (after ${warmUp} not counted, while the process warms up)`, 'LLM latency ms': latencyMs, 'pool slots': slots, partitions: 1, FLUSH_INTERVAL: '0 (commit as soon as a prefix is done)' },
    };
  } finally {
    await t.cleanup();
    await llm.child.stop();
  }
}
