/**
 * Shared parts of the benchmark: fresh topics per scenario, child processes for the processor
 * and the fake LLM server (so their RSS and CPU are their own), and a read_committed watcher
 * that timestamps every output as the bench sees it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Consumer } from 'kafkajs';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../src/config.ts';
import { kafkaConnectionEnv } from '../src/processes/clients.ts';
import { createKafka, type KafkaClient } from '../src/kafka/client.ts';
import { ensureTopics, topicSpecs } from '../src/kafka/topics.ts';
import { silentLogger } from '../src/observability/logger.ts';
import type { RawDocument } from '../src/contracts/index.ts';
import { applyReplay, planReplay } from '../src/operations/replay.ts';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function benchEnv(name: string, extra: Record<string, string>): Record<string, string> {
  const p = `bench-${name}-${Date.now().toString(36)}`;
  return {
    ...kafkaConnectionEnv(process.env), // TLS / SASL settings of a secured cluster reach every child
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    KAFKA_GROUP_ID: `${p}-group`,
    TOPIC_RAW: `${p}.raw`, TOPIC_ENRICHED: `${p}.enriched`, TOPIC_REVIEW: `${p}.review`, TOPIC_DLQ: `${p}.dlq`,
    TOPIC_RETRY_PREFIX: `${p}.retry`, TOPIC_COST_EVENTS: `${p}.cost-events`, TOPIC_COSTS_DAILY: `${p}.costs-daily`,
    TOPIC_BUDGET_ALERTS: `${p}.budget-alerts`, TOPIC_CONFIG: `${p}.config`,
    TOPIC_REJECTED: `${p}.rejected`, TOPIC_REVIEW_DECISIONS: `${p}.review-decisions`,
    LLM_CACHE_SIZE: '0', // every document pays its calls: the bench measures work, not the cache
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', // the processors' log level (printed with BENCH_VERBOSE=1)
    KAFKA_SESSION_TIMEOUT: '10s', KAFKA_HEARTBEAT_INTERVAL: '1s',
    ...extra,
  };
}

export interface Topics {
  config: Config;
  kafka: KafkaClient;
  cleanup(): Promise<void>;
}

export async function createTopics(env: Record<string, string>): Promise<Topics> {
  const config = loadConfig(env);
  const kafka = createKafka(config, silentLogger(), '-bench');
  const admin = kafka.admin();
  await admin.connect();
  const specs = topicSpecs(config);
  await ensureTopics(admin, specs);
  return {
    config, kafka,
    async cleanup() {
      await admin.deleteTopics({ topics: specs.map((s) => s.topic) }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** Documents with unique ids and unique text, cycling the sample corpus. */
export function documents(n: number, prefix: string): RawDocument[] {
  const base = readFileSync(`${root}data/sample-corpus.jsonl`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RawDocument);
  return Array.from({ length: n }, (_, i) => {
    const d = base[i % base.length]!;
    return { ...d, id: `${prefix}-${i}`, content: `${d.content} (Edition ${Math.floor(i / base.length) + 1}.)` };
  });
}

export async function produceAll(kafka: KafkaClient, topic: string, docs: RawDocument[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < docs.length; i += 500) {
    await producer.send({ topic, acks: -1, messages: docs.slice(i, i + 500).map((d) => ({ key: d.id, value: JSON.stringify(d) })) });
  }
  await producer.disconnect();
}

export interface Watcher {
  /** First time the bench saw each key on the watched topics (epoch ms). */
  seen: Map<string, number>;
  /** Each key's record timestamp (epoch ms): when its producer sent it (for our outputs, when their commit began). */
  producedAt: Map<string, number>;
  waitFor(n: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Where each partition of the topics ends now ("topic:partition" → offset): a watcher told these sees only what comes after. */
export async function topicEnds(kafka: KafkaClient, topics: string[]): Promise<Map<string, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, bigint>();
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}:${p.partition}`, BigInt(p.high));
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/** Records written to the topics since `ends` was taken. */
export async function writtenSince(kafka: KafkaClient, ends: Map<string, bigint>): Promise<number> {
  const topics = [...new Set([...ends.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))))];
  let n = 0n;
  for (const [k, v] of await topicEnds(kafka, topics)) n += v - (ends.get(k) ?? 0n);
  return Number(n);
}

export async function watchOutputs(kafka: KafkaClient, topics: string[], after?: Map<string, bigint>): Promise<Watcher> {
  const consumer: Consumer = kafka.consumer({ groupId: `bench-watch-${Date.now()}-${Math.random()}`, readUncommitted: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Map<string, number>();
  const producedAt = new Map<string, number>();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      const from = after?.get(`${batch.topic}:${batch.partition}`) ?? -1n;
      for (const m of batch.messages) {
        if (BigInt(m.offset) < from) continue;
        const k = m.key?.toString() ?? '';
        if (!seen.has(k)) {
          seen.set(k, now);
          producedAt.set(k, Number(m.timestamp));
        }
      }
    },
  });
  return {
    seen,
    producedAt,
    async waitFor(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (seen.size < n) {
        if (Date.now() > deadline) throw new Error(`only ${seen.size}/${n} outputs after ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    stop: () => consumer.disconnect(),
  };
}

/**
 * Docs/s from `startedAt` (the first LLM request of the run, so process start-up and group
 * joins are not counted) to the last output; without it, from the first output.
 */
export function throughput(seen: Map<string, number>, startedAt?: number): { docsPerSec: number; spanSec: number } {
  const times = [...seen.values()].sort((a, b) => a - b);
  const from = startedAt ?? times[0]!;
  const spanSec = (times[times.length - 1]! - from) / 1000;
  const counted = startedAt === undefined ? times.length - 1 : times.length;
  return { docsPerSec: spanSec > 0 ? counted / spanSec : 0, spanSec };
}

/** When the fake LLM server got the first request for documents whose id starts with prefix. */
export async function firstRequestAt(llm: { requests(): Promise<{ documentId?: string; at: number }[]> }, prefix: string): Promise<number | undefined> {
  const times = (await llm.requests()).filter((r) => r.documentId?.startsWith(prefix)).map((r) => r.at);
  return times.length ? Math.min(...times) : undefined;
}

export interface ChildHandle {
  proc: ChildProcess;
  /** Peak resident set size (VmHWM) in MiB, read from /proc before it exits. */
  peakRssMiB(): number;
  /** CPU time (user + system, seconds) it had used when it was told to stop, from /proc. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

function vmHwmMiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function cpuSecondsOf(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // clock ticks, 100 a second on Linux
  } catch {
    return 0;
  }
}

/** `cwd`: another checkout to run the child from (bench/log-cost.ts --compare), by default this one. */
export function startChild(args: string[], env: Record<string, string>, extraNodeArgs: string[] = [], cwd = root): ChildHandle {
  const proc = spawn(process.execPath, [...extraNodeArgs, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let peak = 0;
  let cpu = 0;
  const timer = setInterval(() => (peak = Math.max(peak, vmHwmMiB(proc.pid!))), 500);
  proc.stderr!.on('data', (d: Buffer) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(d);
  });
  proc.stdout!.on('data', (d: Buffer) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(d);
  });
  return {
    proc,
    peakRssMiB: () => Math.max(peak, vmHwmMiB(proc.pid!)),
    cpuSeconds: () => cpu || cpuSecondsOf(proc.pid!),
    async stop() {
      peak = Math.max(peak, vmHwmMiB(proc.pid!));
      cpu = cpuSecondsOf(proc.pid!);
      clearInterval(timer);
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface FakeRequest {
  documentId?: string;
  durationMs: number;
  at: number;
  status: number;
}

/** The local OpenAI-compatible server as its own process; `args` adds its options (fake-openai-server.ts). */
export async function startFakeLlm(latencyMs: number, args: string[] = []): Promise<{ url: string; child: ChildHandle; stats(): Promise<Record<string, unknown>>; requests(): Promise<FakeRequest[]> }> {
  const child = startChild(['test/support/fake-openai-server.ts', '--port', '0', '--latency', String(latencyMs), ...args], {});
  const rl = createInterface({ input: child.proc.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    rl.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.proc.once('exit', () => reject(new Error('fake LLM server exited')));
  });
  const base = url.replace(/\/v1$/, '');
  return {
    url, child,
    stats: async () => (await fetch(`${base}/_control/stats`)).json() as Promise<Record<string, unknown>>,
    requests: async () => (await fetch(`${base}/_control/requests`)).json() as Promise<FakeRequest[]>,
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Deletes every key of the pool id: Bottleneck's b_<id>*, the hold and the cached answers (<id>:*). */
export async function deleteRedisKeys(redisUrl: string, poolId: string): Promise<void> {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    for (const match of [`b_${poolId}*`, `${poolId}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', match, 'COUNT', 2000);
        if (keys.length) await r.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    r.disconnect();
  }
}

/** Rewinds the processor group of the raw topic to its start: the next run replays every document. */
export async function resetToEarliest(t: Topics): Promise<void> {
  const admin = t.kafka.admin();
  await admin.connect();
  try {
    await applyReplay(admin, await planReplay(admin, t.config.kafka.groupId, t.config.topics.raw, { kind: 'earliest' }));
  } finally {
    await admin.disconnect();
  }
}
