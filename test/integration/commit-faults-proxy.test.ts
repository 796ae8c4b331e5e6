/**
 * Exactly-once outputs while the link to the broker is cut around the processor's commits.
 *
 * The processor runs in this process and reaches the broker only through a fault-injecting
 * proxy (test/support/kafka-fault-proxy.ts), which the broker advertises on its PROXIED
 * listener (scripts/local-stack/up.sh), so that every connection the processor makes can be
 * cut. Each trial arms one fault drawn from a seeded PRNG (test/support/fault-schedule.ts) on
 * the next matching request — on half the trials an EndTxn or TxnOffsetCommit whose response
 * is lost, so that the processor cannot know whether its commit went through — sends a few
 * documents, and waits until they are on the outputs. The loader and the readers talk to the
 * broker directly. In the end every document must be on enriched + review + dlq exactly once.
 *
 *   FAULT_TRIALS (default 40), FAULT_SEED (default random; printed), FAULT_FLUSH_INTERVAL
 *   (default 100ms, the processor's own default), FAULT_VERBOSE=1 prints each fault,
 *   FAULT_JAVA_CHECK=1 always re-reads the outputs with the Java client, FAULT_MAX_HOLD_MS (2500)
 *   and FAULT_MAX_PARTITION_MS (3000) bound the held or delayed responses and the partitions,
 *   FAULT_PROCESSORS (1) processors share the group (partitions then move between them), and
 *   FAULT_LLM_FAILURE_RATE (0: the offline provider) has the fake OpenAI server fail that share of
 *   calls with 500, so that documents also pass through the (transactional) retry topics; keep
 *   it small (0.03): a document whose four attempts all fail is dead-lettered, and fails the run.
 *   npm run test:faults    the long run by hand: 200 trials.
 * The processor's log (debug: a 'committed' line per commit, the faults in between) goes to
 * test-results/commit-faults/seed-<seed>.log.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Processor } from '../../src/processes/processor.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startTestApp } from '../support/app.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { startFakeOpenAiServer } from '../support/fake-openai-server.ts';
import { planTrial, type TrialPlan } from '../support/fault-schedule.ts';
import { readCommittedWithJava } from '../support/java-reader.ts';
import { describeFired, localProxiedListener, onLocalStack, startFaultProxy, type Fault } from '../support/kafka-fault-proxy.ts';
import { openTestKafka, outputTopics, readTopics, testEnv } from '../support/kafka.ts';
import { watchTopics } from '../support/output-watcher.ts';
import { mulberry32 } from '../support/random.ts';

const TRIALS = Number(process.env.FAULT_TRIALS ?? 40);
const SEED = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const FLUSH_INTERVAL = process.env.FAULT_FLUSH_INTERVAL ?? '100ms';
const VERBOSE = process.env.FAULT_VERBOSE === '1';
const PROCESSORS = Number(process.env.FAULT_PROCESSORS ?? 1);
const LLM_FAILURE_RATE = Number(process.env.FAULT_LLM_FAILURE_RATE ?? 0);
/** How long a held or delayed response stalls its link, and a partition lasts, at most. */
const LIMITS = { maxHoldMs: Number(process.env.FAULT_MAX_HOLD_MS ?? 2_500), maxPartitionMs: Number(process.env.FAULT_MAX_PARTITION_MS ?? 3_000) };
/** A trial whose documents are not out by then is noted and the run goes on: the end says what is missing. */
const TRIAL_TIMEOUT_MS = 30_000;

/** What the engine logs on its unknown-outcome path (src/engine/commit-path.ts) and when a partition leaves it, counted for the summary. */
const ENGINE_LINES = {
  failed: 'commit failed; will verify and retry',
  wentThrough: 'the earlier commit did go through: not committing it again',
  elsewhere: 'another owner committed this partition meanwhile; dropping our work on it',
  fenced: 'fenced by a newer owner; dropping the partition',
  // partition-ownership.ts: a partition revoked or handed over (it moved, or our consumer restarted).
  dropped: 'partition state dropped',
} as const;

/** The processor's pino log to a file, counting the engine lines above on the way. */
function faultLog(seed: number) {
  const dir = fileURLToPath(new URL('../../test-results/commit-faults/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}seed-${seed}.log`;
  const out = createWriteStream(file);
  const seen = Object.fromEntries(Object.keys(ENGINE_LINES).map((k) => [k, 0])) as Record<keyof typeof ENGINE_LINES, number>;
  const logger = createLogger({
    level: process.env.FAULT_LOG_LEVEL ?? 'debug',
    name: 'faults',
    destination: {
      write(line: string) {
        out.write(line);
        for (const [k, msg] of Object.entries(ENGINE_LINES)) if (line.includes(`"msg":"${msg}"`)) seen[k as keyof typeof ENGINE_LINES]++;
      },
    },
  });
  return { logger, file, seen, close: () => new Promise<void>((r) => out.end(r)) };
}

describe.skipIf(!onLocalStack())('commits cut by the network at random points', () => {
  it(`every document exactly once after ${TRIALS} trials of faults around EndTxn and the offset commit`, async () => {
    const listener = await localProxiedListener();
    const started = Date.now();
    const rng = mulberry32(SEED);
    const llm = LLM_FAILURE_RATE > 0 ? await startFakeOpenAiServer({ failureRate: LLM_FAILURE_RATE, failureStatus: 500, seed: SEED }) : undefined;
    const env = testEnv({
      FLUSH_INTERVAL, KAFKA_SESSION_TIMEOUT: '10s', KAFKA_HEARTBEAT_INTERVAL: '1s',
      // No retry inside a call: a failed call sends its document through a retry topic.
      ...(llm ? { LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: llm.url, LLM_CACHE_SIZE: '0', LLM_CALL_RETRIES: '0', RETRY_DELAYS: '1s,2s,4s' } : {}),
    });
    const config = loadConfig(env); // the loader's and the readers' direct connection
    const tk = await openTestKafka(config);
    const outputs = outputTopics(config);
    const log = faultLog(SEED);
    const proxy = await startFaultProxy(listener);
    let plan: TrialPlan | undefined;
    proxy.onFired((f) => {
      log.logger.warn({ fault: describeFired(f) }, 'fault injected');
      if (VERBOSE) console.log(`[fault] ${describeFired(f)}`);
      if (plan && f.fault === plan.primary && plan.recovery) proxy.arm(plan.recovery);
    });
    let fatal: Error | undefined;
    const apps: Processor[] = [];
    for (let i = 0; i < PROCESSORS; i++) {
      const appConfig = loadConfig({ ...env, KAFKA_BROKERS: `127.0.0.1:${listener.port}`, INSTANCE_ID: `p${i}` });
      apps.push(await startTestApp(appConfig, { onFatal: (e) => (fatal = e) }, log.logger.child({ instance: `p${i}` })));
    }
    const stopApps = () => Promise.all(apps.map((a) => a.stop()));
    const watcher = await watchTopics(tk.kafka, outputs);
    const loader = tk.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await loader.connect();

    const sent: string[] = [];
    const slowTrials: number[] = [];
    const notFired: Fault[] = [];
    try {
      for (let t = 0; t < TRIALS; t++) {
        plan = planTrial(rng, t, LIMITS);
        log.logger.info({ trial: t, primary: plan.primary, recovery: plan.recovery, docs: plan.docs }, 'trial');
        proxy.arm(plan.primary);
        const docs = corpusDocs(plan.docs, `t${t}`);
        await loader.send({ topic: config.topics.raw, messages: docs.map(toMessage) });
        sent.push(...docs.map((d) => d.id));
        if (!(await watcher.waitFor(docs.map((d) => d.id), TRIAL_TIMEOUT_MS))) slowTrials.push(t);
        notFired.push(...proxy.disarm());
      }
      plan = undefined;
      await watcher.waitFor(sent, 60_000);
      // Stopped before the final read, so that a late retry of a commit cannot land after it.
      await stopApps();
    } finally {
      await stopApps();
      await llm?.close();
      await loader.disconnect();
      await watcher.stop();
      await proxy.close();
      await log.close();
    }

    // The final count: a fresh read_committed reader from the beginning of every output.
    const records = await readTopics(tk.kafka, outputs, { minCount: sent.length, quietMs: 3_000, timeoutMs: 60_000 });
    const copies = new Map<string, typeof records>();
    for (const r of records) copies.set(r.key!, [...(copies.get(r.key!) ?? []), r]);
    const duplicates = sent.filter((id) => (copies.get(id)?.length ?? 0) > 1);
    const missing = sent.filter((id) => !copies.has(id));
    const unexpected = [...copies.keys()].filter((id) => !sent.includes(id));
    const dlq = records.filter((r) => r.topic === config.topics.dlq);

    const byKind = new Map<string, number>();
    for (const f of proxy.fired) byKind.set(`${f.fault.api}/${f.fault.mode}`, (byKind.get(`${f.fault.api}/${f.fault.mode}`) ?? 0) + 1);
    const firedOf = (api: string, mode: string) => byKind.get(`${api}/${mode}`) ?? 0;
    const kinds = [...byKind].sort().map(([k, n]) => `${k}=${n}`).join(' ');
    const engine = Object.entries(log.seen).map(([k, n]) => `${k}=${n}`).join(' ');
    const retried = apps.reduce((n, a) => n + a.raw.stats().routes.retry + a.retry.stats().routes.retry, 0);
    console.log(
      `[commit-faults] seed=${SEED} trials=${TRIALS} documents=${sent.length} processors=${PROCESSORS} llm-failures=${LLM_FAILURE_RATE} flush=${FLUSH_INTERVAL} faults=${proxy.fired.length} (${kinds}) `
      + `armed-not-fired=${notFired.length} engine: ${engine} routed-to-retry=${retried} duplicates=${duplicates.length} missing=${missing.length} dlq=${dlq.length} `
      + `slow-trials=${slowTrials.length} time=${((Date.now() - started) / 1000).toFixed(1)}s log=${log.file}`,
    );

    if (duplicates.length || missing.length || process.env.FAULT_JAVA_CHECK === '1') {
      // Our KafkaJS reader runs our own read_committed filter: ask the Java client too, to tell
      // a reader bug from a real duplicate or gap.
      const java = await readCommittedWithJava(config.kafka.brokers[0]!, outputs);
      const javaCount = new Map<string, number>();
      for (const r of java) javaCount.set(r.key, (javaCount.get(r.key) ?? 0) + 1);
      const javaDuplicates = sent.filter((id) => (javaCount.get(id) ?? 0) > 1);
      const javaMissing = sent.filter((id) => !javaCount.has(id));
      console.log(`[commit-faults] the Java client (read_committed) sees duplicates=${javaDuplicates.length} missing=${javaMissing.length}; KafkaJS saw ${duplicates.length} and ${missing.length}`);
      for (const id of [...duplicates, ...missing]) {
        const trial = Number(id.slice(1, id.indexOf('-')));
        const where = (copies.get(id) ?? []).map((r) => `${r.topic.slice(r.topic.lastIndexOf('.') + 1)}/${r.partition}@${r.offset}`).join(', ');
        // A fault of the trial before can fire late (a held response, a slow recovery): both are shown.
        const faults = proxy.fired.filter((f) => [trial - 1, trial].includes(Number(/trial=(\d+)/.exec(f.fault.tag ?? '')?.[1]))).map(describeFired);
        console.log(`[commit-faults] ${id}: ${where || 'nowhere'} (java: ${javaCount.get(id) ?? 0}); faults of its trial: ${faults.join('; ') || 'none'}`);
      }
    }

    expect(fatal, 'the processor gave up on the broker').toBeUndefined();
    // The faults really happened, and reached the engine's unknown-outcome path (not only KafkaJS's retries).
    const keyCases = Math.floor(TRIALS / 8);
    expect(firedOf('EndTxn', 'drop-response'), 'lost EndTxn responses').toBeGreaterThanOrEqual(keyCases);
    expect(firedOf('TxnOffsetCommit', 'drop-response'), 'lost TxnOffsetCommit responses').toBeGreaterThanOrEqual(keyCases);
    expect(log.seen.failed, 'commits that failed with an unknown outcome').toBeGreaterThanOrEqual(keyCases);
    expect(duplicates, 'documents written more than once').toEqual([]);
    expect(missing, 'documents never written').toEqual([]);
    expect(unexpected).toEqual([]);
    expect(dlq.map((r) => r.key), 'nothing here is meant for the DLQ').toEqual([]);
  }, Math.max(180_000, TRIALS * 8_000));
});
