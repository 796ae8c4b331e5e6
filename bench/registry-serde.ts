/**
 * `npx node bench/registry-serde.ts [--n 10000] [--rounds 9]`: what the schema registry costs
 * per message, against the plain JSON it replaces, measured on N messages:
 * - encode an EnrichedDocument: JSON.stringify vs the registry encoder (validate with the
 *   subject's compiled schema + the 5-byte header; the id was resolved at start);
 * - decode a raw document: JSON.parse + RawDocument vs the wire format (header, the writer's
 *   schema from the cache, Ajv, then RawDocument);
 * - the first message of an id not seen yet: one request to the registry, then cached.
 * Needs a registry: SCHEMA_REGISTRY_URL, else the local one (scripts/local-stack/registry.sh).
 * Writes bench/REGISTRY.md.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { EnrichedDocument, RawDocument } from '../src/contracts/index.ts';
import { createRegistrySerde } from '../src/kafka/registry/schema-registry.ts';
import { valueContracts } from '../src/kafka/registry/subjects.ts';
import { decodeJson, encodeJson } from '../src/kafka/serde.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { documents, root } from './lib.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '9' } } });
const n = Number(values.n);
const rounds = Number(values.rounds);
const url = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const p = `bench-registry-${Date.now().toString(36)}`;
const config = loadConfig({ SCHEMA_REGISTRY_URL: url, TOPIC_RAW: `${p}.raw`, TOPIC_ENRICHED: `${p}.enriched`, TOPIC_REVIEW: `${p}.review`, TOPIC_DLQ: `${p}.dlq`, TOPIC_RETRY_PREFIX: `${p}.retry`, TOPIC_COST_EVENTS: `${p}.cost-events`, TOPIC_COSTS_DAILY: `${p}.costs-daily`, TOPIC_BUDGET_ALERTS: `${p}.budget-alerts`, TOPIC_CONFIG: `${p}.config` });

const serde = createRegistrySerde(config, silentLogger());
await serde.prepare(valueContracts(config));

const raws = documents(n, 'bench');
const enriched: EnrichedDocument[] = raws.map((d, i) => EnrichedDocument.parse({
  document_id: d.id, title: d.title, original_content: d.content,
  entities: { people: ['Jane Smith'], organizations: ['Acme Corp'], dates: ['12 March 2026'], topics: ['results', 'roadmap'] },
  summary: d.content.slice(0, 300),
  classification: { category: 'business', confidence: 0.91, scores: { business: 0.91, finance: 0.05, other: 0.04 } },
  usage: { calls: 3, cached_calls: 0, input_tokens: 740 + (i % 50), output_tokens: 240, cost_usd: 0.000255 },
  model: 'gpt-4o-mini', provider: 'offline', offline: true, partial: false, prompt_version: 'v3', enriched_at: new Date().toISOString(),
}));
const plainRaw = raws.map((d) => encodeJson(d));
const wireRaw = raws.map((d) => serde.encode(config.topics.raw, d));

/** Per-message time in µs over the rounds: the best round (least disturbed by other work on a shared machine) and the median. */
type Timing = { best: number; median: number };
function summary(times: number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  return { best: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]! };
}
function perMessage(fn: (i: number) => unknown): Timing {
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    times.push(Number(process.hrtime.bigint() - t0) / 1000 / n);
  }
  return summary(times);
}
async function perMessageAsync(fn: (i: number) => Promise<unknown>): Promise<Timing> {
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn(i);
    times.push(Number(process.hrtime.bigint() - t0) / 1000 / n);
  }
  return summary(times);
}

// The first decode of an id not seen yet asks the registry once (a fresh serde: an empty cache).
const cold = createRegistrySerde(config, silentLogger());
const t0 = process.hrtime.bigint();
await cold.decodeRaw(wireRaw[0]!);
const coldMs = Number(process.hrtime.bigint() - t0) / 1e6;
const t1 = process.hrtime.bigint();
await cold.decodeRaw(wireRaw[1]!);
const warmMs = Number(process.hrtime.bigint() - t1) / 1e6;

const rows = [
  ['encode EnrichedDocument, plain JSON', perMessage((i) => encodeJson(enriched[i]))],
  ['encode EnrichedDocument, wire format (validate + header)', perMessage((i) => serde.encode(config.topics.enriched, enriched[i]))],
  ['decode raw document, plain JSON (parse + RawDocument)', perMessage((i) => decodeJson(plainRaw[i]!, RawDocument))],
  ['decode raw document, wire format (header + cached writer schema + Ajv + RawDocument)', await perMessageAsync((i) => serde.decodeRaw(wireRaw[i]!))],
  ['decode raw document, plain JSON through the registry decoder', await perMessageAsync((i) => serde.decodeRaw(plainRaw[i]!))],
] as const;

const sizes = { enrichedJson: Math.round(enriched.reduce((s, e) => s + encodeJson(e).length, 0) / n), raw: Math.round(plainRaw.reduce((s, b) => s + b.length, 0) / n) };
const md = [
  '# Schema registry serde: cost per message',
  '',
  `Measured by \`npx node bench/registry-serde.ts\` on ${new Date().toISOString().slice(0, 10)}: ${n} messages per round, ${rounds} rounds,`,
  `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, shared with other work (load average ${loadavg()[0]!.toFixed(1)} at the end), registry ${serde.url}.`,
  `Average sizes: EnrichedDocument ${sizes.enrichedJson} bytes of JSON, raw document ${sizes.raw} bytes (+5 bytes of header in the wire format).`,
  '',
  '| what | µs per message, best round | median round |',
  '|---|---:|---:|',
  ...rows.map(([what, t]) => `| ${what} | ${t.best.toFixed(2)} | ${t.median.toFixed(2)} |`),
  '',
  `First message of a schema id not seen yet: ${coldMs.toFixed(1)} ms (one request to the registry); the next one: ${warmMs.toFixed(3)} ms.`,
  '',
].join('\n');
writeFileSync(`${root}bench/REGISTRY.md`, md);
process.stdout.write(md);
