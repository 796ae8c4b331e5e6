/**
 * Faults together, as production sends them (issue 21): three processors (`enricher start`
 * children) share one Redis of the run's own and a local OpenAI-compatible server that fails
 * 10 % of calls with 500, while documents trickle into a 6-partition documents.raw. In turn,
 * at seeded moments: a working processor SIGKILLed and replaced, the broker stopped and started
 * again, a second kill, Redis killed and restarted empty, a third kill, and every LLM call
 * answered 503 for longer than all the retry tiers together.
 *
 * The run passes only with every document exactly once across enriched and review, none in
 * the DLQ, and every processor alive at the end (no outage in it is longer than the give-up
 * deadlines). The same seed gives the same fault timings and choices; what the machine does
 * with them differs from run to run, which is the point of running it many times.
 *
 * Used by test/e2e/combined-faults.test.ts (the short profile, in CI) and
 * test/long/combined-faults.test.ts (the full profile, by hand: scripts/chaos.sh).
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config.ts';
import type { RawDocument } from '../../src/contracts/index.ts';
import type { KafkaClient } from '../../src/kafka/client.ts';
import { corpusDocs, toMessage } from './docs.ts';
import { startFakeOpenAiServer } from './fake-openai-server.ts';
import { connectTestKafka, outputTopics, readTopics, testEnv, type ReadRecord } from './kafka.ts';
import { spawnCli, type Child } from './processes.ts';
import { mulberry32 } from './random.ts';
import { ownRedis } from './redis-server.ts';
import { sleep } from './time.ts';

export interface FaultProfile {
  name: 'short' | 'long';
  documents: number;
  processors: number;
  partitions: number;
  /** Seconds between one fault's end and the next one's start: drawn from [min, max]. */
  gapSeconds: [number, number];
  brokerDownSeconds: number;
  redisDownSeconds: number;
  llmOutageSeconds: number;
  retryDelays: string;
  sessionTimeout: string;
  /** The documents are sent over about this long, so that they flow during every fault. */
  loadSeconds: number;
  /** How long the last documents may take once the faults are over. */
  drainSeconds: number;
}

export const PROFILES: Record<'short' | 'long', FaultProfile> = {
  // CI: every fault, shorter. The tiers (2+4+8 s) are still shorter than the LLM outage.
  short: {
    name: 'short', documents: 1_200, processors: 3, partitions: 6, gapSeconds: [3, 6],
    brokerDownSeconds: 8, redisDownSeconds: 8, llmOutageSeconds: 25, retryDelays: '2s,4s,8s', sessionTimeout: '6s',
    loadSeconds: 45, drainSeconds: 150,
  },
  // The run: 5,000 documents, the broker away 15 s, Redis 20 s, the LLM 60 s against 5+10+20 s of tiers.
  long: {
    name: 'long', documents: 5_000, processors: 3, partitions: 6, gapSeconds: [6, 14],
    brokerDownSeconds: 15, redisDownSeconds: 20, llmOutageSeconds: 60, retryDelays: '5s,10s,20s', sessionTimeout: '10s',
    loadSeconds: 110, drainSeconds: 300,
  },
};

export interface FaultRunResult {
  seed: number;
  profile: string;
  documents: number;
  enriched: number;
  review: number;
  dlq: number;
  duplicates: string[];
  missing: number;
  alive: number;
  processors: number;
  cleanExits: number;
  llmCalls: number;
  timeline: string[];
  seconds: number;
  /** Where each copy of the first duplicated documents came from, for the processors' logs. */
  duplicateDetail: string[];
  logs: string[];
}

const root = new URL('../../', import.meta.url);
// LOCAL_STACK_DIR (with LOCAL_KAFKA_PORT and KAFKA_BROKERS) points a run at a second local broker,
// so that stopping it leaves the usual one to whatever else runs on the machine.
const brokerPidFile = `${process.env.LOCAL_STACK_DIR ?? new URL('.local-stack', root).pathname}/kafka.pid`;

/** The local stack's broker is one this run may stop: not one given by KAFKA_BROKERS. */
export function localBrokerRunning(): boolean {
  try {
    const pid = Number(readFileSync(brokerPidFile, 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopBroker(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const pid = Number(readFileSync(brokerPidFile, 'utf8'));
  process.kill(pid, signal);
  for (let i = 0; i < 300; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  process.kill(pid, 'SIGKILL');
}

function startBroker(): void {
  execFileSync('bash', [new URL('scripts/local-stack/up.sh', root).pathname], { stdio: 'ignore' });
}

/**
 * Sends the documents over loadSeconds, in small transactional batches, and holds while the
 * broker is away: a batch is only ever sent once, so a duplicate seen later is the processors'.
 */
function trickle(kafka: KafkaClient, topic: string, docs: RawDocument[], loadSeconds: number) {
  let held: Promise<void> | undefined;
  let release: (() => void) | undefined;
  let sending: Promise<void> = Promise.resolve();
  let sent = 0;
  const done = (async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: `loader-${topic}` });
    await producer.connect();
    const batch = Math.max(1, Math.ceil(docs.length / (loadSeconds * 4)));
    const started = Date.now();
    try {
      for (let i = 0; i < docs.length; i += batch) {
        while (held) await held;
        const part = docs.slice(i, i + batch);
        sending = (async () => {
          const tx = await producer.transaction();
          await tx.send({ topic, messages: part.map(toMessage) });
          await tx.commit();
        })();
        await sending;
        sent += part.length;
        const due = started + (sent / docs.length) * loadSeconds * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  })();
  return {
    done,
    get sent() {
      return sent;
    },
    /** Resolves once the batch being sent is in; no batch is sent until resume(). */
    async hold() {
      held = new Promise<void>((r) => (release = r));
      await sending.catch(() => undefined);
    },
    resume() {
      const r = release;
      held = undefined;
      r?.();
    },
  };
}

export async function runCombinedFaults(opts: { seed: number; profile: FaultProfile; redisPort: number; log?: (line: string) => void }): Promise<FaultRunResult> {
  const { seed, profile: p } = opts;
  const random = mulberry32(seed);
  const between = ([lo, hi]: [number, number]) => (lo + random() * (hi - lo)) * 1000;
  const t0 = Date.now();
  const timeline: string[] = [];
  const note = (what: string) => {
    const line = `${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`;
    timeline.push(line);
    opts.log?.(`[combined-faults ${seed}] ${line}`);
  };

  const server = await startFakeOpenAiServer({ latencyMs: 25, jitterMs: 20, failureRate: 0.1, failureStatus: 500, seed });
  const redis = ownRedis(opts.redisPort);
  await redis.start();
  const env = testEnv({
    TOPIC_PARTITIONS: String(p.partitions),
    LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url,
    REDIS_URL: redis.url, LLM_POOL_ID: `chaos-${seed}-${Date.now().toString(36)}`,
    RETRY_DELAYS: p.retryDelays,
    KAFKA_SESSION_TIMEOUT: p.sessionTimeout, KAFKA_HEARTBEAT_INTERVAL: '1s',
    LLM_POOL_SLOTS: '8', LLM_TIMEOUT: '10s', SHUTDOWN_TIMEOUT: '10s', FLUSH_INTERVAL: '100ms',
    // The 503 storm must trip the guard, the 10 % background must not.
    OUTAGE_WINDOW: '40', OUTAGE_FAILURE_RATIO: '0.5',
    LOG_LEVEL: 'info',
  });
  const config = loadConfig(env);
  const tk = await connectTestKafka(config);
  await tk.createTopics(config);
  const children: Child[] = [];
  let live: Child[] = [];
  let spawned = 0;
  const spawn = () => {
    const c = spawnCli(['start'], { ...env, INSTANCE_ID: `chaos-${seed}-${spawned}` }, `chaos-${seed}-p${spawned++}`);
    children.push(c);
    live.push(c);
    return c;
  };
  const killOne = async (n: number) => {
    const victim = live[Math.floor(random() * live.length)]!;
    live = live.filter((c) => c !== victim);
    await victim.kill('SIGKILL');
    const replacement = spawn();
    note(`kill ${n}: SIGKILLed ${victim.name}, started ${replacement.name}`);
  };

  const docs = corpusDocs(p.documents, `cf${seed}`);
  let loader: ReturnType<typeof trickle> | undefined;
  try {
    for (let i = 0; i < p.processors; i++) spawn();
    note(`${p.processors} processors started`);
    loader = trickle(tk.kafka, config.topics.raw, docs, p.loadSeconds);
    loader.done.catch((e: unknown) => note(`loader failed: ${(e as Error).message}`));

    await sleep(between(p.gapSeconds) + 5_000); // the first members join before anything breaks
    await killOne(1);

    await sleep(between(p.gapSeconds));
    const brokerSignal = random() < 0.5 ? 'SIGTERM' : 'SIGKILL';
    await loader.hold();
    await stopBroker(brokerSignal);
    note(`broker stopped (${brokerSignal}) for ${p.brokerDownSeconds} s`);
    await sleep(p.brokerDownSeconds * 1000);
    startBroker();
    loader.resume();
    note('broker started again');

    await sleep(between(p.gapSeconds));
    await killOne(2);

    await sleep(between(p.gapSeconds));
    await redis.stop('SIGKILL');
    note(`Redis killed for ${p.redisDownSeconds} s`);
    await sleep(p.redisDownSeconds * 1000);
    await redis.start();
    note('Redis started again, empty');

    await sleep(between(p.gapSeconds));
    await killOne(3);

    await sleep(between(p.gapSeconds));
    server.configure({ failureRate: 1, failureStatus: 503 });
    note(`every LLM call answered 503 for ${p.llmOutageSeconds} s`);
    await sleep(p.llmOutageSeconds * 1000);
    server.configure({ failureRate: 0.1, failureStatus: 500 });
    note('LLM answers again (10 % 500s)');

    await loader.done;
    note(`all ${docs.length} documents sent`);
    const want = new Set(docs.map((d) => d.id));
    await readTopics(tk.kafka, outputTopics(config), { until: (r) => new Set(r.map((x) => x.key)).size >= want.size, timeoutMs: p.drainSeconds * 1000 });
    // A quiet spell in which a copy written late would show.
    const all = await readTopics(tk.kafka, outputTopics(config), { minCount: want.size, quietMs: 5_000, timeoutMs: 120_000 });
    note(`outputs read: ${all.length}`);
    const alive = live.filter((c) => c.proc.exitCode === null && c.proc.signalCode === null).length;
    const exits = await Promise.all(live.map((c) => c.kill('SIGTERM')));
    const counts = new Map<string, number>();
    for (const r of all) counts.set(r.key!, (counts.get(r.key!) ?? 0) + 1);
    const duplicates = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    const of = (t: string) => all.filter((r) => r.topic === t).length;
    return {
      seed, profile: p.name, documents: docs.length,
      enriched: of(config.topics.enriched), review: of(config.topics.review), dlq: of(config.topics.dlq),
      duplicates, missing: [...want].filter((id) => !counts.has(id)).length,
      alive, processors: live.length, cleanExits: exits.filter((e) => e.code === 0).length,
      llmCalls: server.stats().totalRequests, timeline, seconds: Math.round((Date.now() - t0) / 1000),
      duplicateDetail: duplicates.slice(0, 3).map((id) => describe(id, all)),
      logs: children.map((c) => c.logFile),
    };
  } finally {
    loader?.resume();
    if (!localBrokerRunning()) startBroker();
    await Promise.all(children.map((c) => c.kill('SIGKILL')));
    await redis.stop();
    await tk.cleanup();
    await server.close();
  }
}

function describe(id: string, all: ReadRecord[]): string {
  const copies = all.filter((r) => r.key === id).map((r) => `${r.topic}@${r.partition}:${r.offset} ${new Date(r.timestamp).toISOString()} ${r.value?.length ?? 0}B`);
  return `${id}: ${copies.join(' | ')}`;
}

/** One line per run, for scripts/chaos.sh and the test's output. */
export function summaryLine(r: FaultRunResult): string {
  return `[combined-faults] seed=${r.seed} profile=${r.profile} docs=${r.documents} enriched=${r.enriched} review=${r.review} dlq=${r.dlq} ` +
    `duplicates=${r.duplicates.length} missing=${r.missing} alive=${r.alive}/${r.processors} clean-exits=${r.cleanExits} llm-calls=${r.llmCalls} seconds=${r.seconds}`;
}

/** What a run must show, printed first: every document once, none dead-lettered, every processor alive and stopping cleanly. */
export function expectCleanRun(r: FaultRunResult): void {
  console.log(summaryLine(r));
  console.log(`[combined-faults] timeline: ${r.timeline.join('; ')}`);
  if (r.duplicates.length) console.log(`duplicates:\n${r.duplicateDetail.join('\n')}\nlogs:\n${r.logs.join('\n')}`);
  expect({ duplicates: r.duplicates, missing: r.missing, dlq: r.dlq }).toEqual({ duplicates: [], missing: 0, dlq: 0 });
  expect(r.enriched + r.review).toBe(r.documents);
  expect(r.alive).toBe(r.processors);
  expect(r.cleanExits).toBe(r.processors);
}
