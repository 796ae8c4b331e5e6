/**
 * A 3-broker KRaft cluster (scripts/local-stack/cluster.sh) loses, for good, the broker that
 * leads a partition of documents.raw and coordinates the processors' transactions, mid-run.
 * Topics are replicated 3 with min ISR 2, as TOPIC_REPLICATION_FACTOR / TOPIC_MIN_INSYNC_REPLICAS
 * set them. Two processors run as `enricher start` children against the fake OpenAI server.
 * Then, reading read_committed: every document exactly once across enriched + review + dlq,
 * none in the DLQ, both processors still running, never restarted; and, since the fake model
 * never fails, no document sent to a retry topic and a cost event for every billed call.
 *
 * The figures of each run (timings, counts, which node died and what it did) are printed and
 * written to test-results/long/; docs/delivery-guarantees.md quotes them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { retryTopics } from '../../src/kafka/topics.ts';
import { CLUSTER_BROKERS, clusterRoles, clusterSh, leaders, pickVictim, rolesOf } from '../support/cluster.ts';
import { corpusDocs } from '../support/docs.ts';
import { startInstances, type Instances } from '../support/instances.ts';
import type { CostEvent } from '../../src/contracts/index.ts';
import { jsonValue, readTopics } from '../support/kafka.ts';
import type { Child } from '../support/processes.ts';
import { sleep, waitUntil } from '../support/time.ts';

const DOCS = 2000;
const PARTITIONS = 6;
const NODES = [1, 2, 3];
/** Without the broker loss the run takes about a minute; a healthy one finishes about a minute after the kill. */
const FINISH_WITHIN_MS = 300_000;

/**
 * The processor group's committed offsets on documents.raw, summed: how many documents are done.
 * -1 while the cluster cannot say (the test's admin, like any client, meets a coordinator that
 * moved); the polls below ask again.
 */
async function committed(f: Instances): Promise<number> {
  try {
    const [t] = await f.tk.admin.fetchOffsets({ groupId: f.config.kafka.groupId, topics: [f.config.topics.raw] });
    return (t?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } catch {
    return -1;
  }
}

/** Warnings and worse in a child's pino log, counted by level and message: what the processor went through. */
function logDigest(child: Child): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(child.logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line) as { level?: string; msg?: string; error?: string; err?: string };
      if (!['warn', 'error', 'fatal'].includes(e.level ?? '')) continue;
      const key = `${e.level} ${e.msg}${e.error ?? e.err ? ` (${e.error ?? e.err})` : ''}`.slice(0, 240);
      out[key] = (out[key] ?? 0) + 1;
    } catch {
      // a partial last line
    }
  }
  return out;
}

const alive = (c: Child) => c.proc.exitCode === null && c.proc.signalCode === null;

describe('a 3-broker cluster losing a broker for good', () => {
  beforeAll(() => clusterSh('up'));
  afterAll(() => clusterSh('down', '--clean'));

  it('the processors go on without a restart: every document exactly once, none in the DLQ', async () => {
    const f = await startInstances({
      // About 40 documents a second per processor: the run lasts long enough to lose a broker mid-way.
      server: { latencyMs: 40, jitterMs: 20 },
      env: {
        KAFKA_BROKERS: CLUSTER_BROKERS.join(','),
        TOPIC_REPLICATION_FACTOR: '3',
        TOPIC_MIN_INSYNC_REPLICAS: '2',
        TOPIC_PARTITIONS: String(PARTITIONS),
        KAFKA_SESSION_TIMEOUT: '10s',
        KAFKA_HEARTBEAT_INTERVAL: '1s',
        FLUSH_INTERVAL: '100ms',
        LOG_LEVEL: 'info',
      },
    });
    const { admin, kafka } = f.tk;
    const raw = f.config.topics.raw;

    // The topics really are what the settings ask for.
    // Resource type 2: a topic (KafkaJS's ConfigResourceTypes.TOPIC).
    const [rawConfig] = (await admin.describeConfigs({ resources: [{ type: 2, name: raw, configNames: ['min.insync.replicas'] }], includeSynonyms: false })).resources;
    expect(rawConfig!.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');
    const rawMd = (await admin.fetchTopicMetadata({ topics: [raw] })).topics[0]!;
    expect(rawMd.partitions.map((p) => p.replicas.length)).toEqual(Array(PARTITIONS).fill(3));

    const docs = corpusDocs(DOCS, 'cluster');
    await f.send(docs);
    const start = Date.now();
    const procs = [f.spawn('cluster-a'), f.spawn('cluster-b')];
    // Filled as the run goes, and written whatever happens: a failed run's figures matter most.
    // The machine is shared: its load goes with the timings.
    const figures: Record<string, unknown> = { at: new Date(start).toISOString(), documents: DOCS, partitions: PARTITIONS, loadAtStart: loadavg() };
    onTestFinished(() => {
      figures.logs = Object.fromEntries(procs.map((c) => [c.name, { file: c.logFile, exit: { code: c.proc.exitCode, signal: c.proc.signalCode }, warnings: logDigest(c) }]));
      mkdirSync('test-results/long', { recursive: true });
      writeFileSync(`test-results/long/cluster-${String(figures.at).replace(/[:.]/g, '-')}.json`, JSON.stringify(figures, null, 2));
      console.log(JSON.stringify(figures, null, 2));
    });
    await f.waitForMembers(2, 120_000);

    // Mid-run: a fifth of the documents committed, then find who serves what.
    await waitUntil(async () => (await committed(f)) >= DOCS / 5, 180_000, 'a fifth of the documents committed', 250);
    const before = await clusterRoles(kafka, admin, raw, f.config.kafka.groupId);
    figures.before = before;
    const victim = pickVictim(before, NODES);
    expect(victim, `no node both leads a raw partition and coordinates a transactional id: ${JSON.stringify(before)}`).toBeDefined();
    const committedAtKill = await committed(f);
    const killedAt = Date.now();
    clusterSh('stop-node', String(victim));
    figures.killed = { ...rolesOf(before, victim!), afterMs: killedAt - start, committedAtKill, loadAtKill: loadavg() };
    figures.coordinatorsAgree = Object.values(before.txCoordinators).every((c) => c.found === c.computed);

    // How long until no raw partition names the dead node as its leader (the controller fences it).
    const deadLeads = async () => Object.values((await leaders(admin, [raw]))[raw]!).includes(victim!);
    await waitUntil(() => deadLeads().catch(() => true).then((x) => !x), 120_000, 'new leaders for the dead node\'s partitions', 250);
    figures.leadersMovedMs = Date.now() - killedAt;

    // Progress every 5 s after the kill: a stall shows where it began.
    const progress: [number, number][] = [];
    figures.progressAfterKill = progress;
    // Bounded, and not fatal by itself: a run that crawls still has its outputs counted below.
    let lastNote = 0;
    let done = false;
    while (!done && Date.now() - killedAt < FINISH_WITHIN_MS) {
      const n = await committed(f);
      done = n >= DOCS;
      if (done || Date.now() - lastNote >= 5000) {
        progress.push([Math.round((Date.now() - killedAt) / 1000), n]);
        lastNote = Date.now();
      }
      if (!done) await sleep(500);
    }
    figures.finishedAfterKillMs = done ? Date.now() - killedAt : `not within ${FINISH_WITHIN_MS} ms`;
    figures.totalMs = Date.now() - start;
    figures.loadAtEnd = loadavg();
    figures.after = await clusterRoles(kafka, admin, raw, f.config.kafka.groupId).catch((e: Error) => `not known: ${e.message}`);

    // Read read_committed: until every id is there, then once more until quiet, and count.
    const want = new Set(docs.map((d) => d.id));
    await readTopics(kafka, f.outputTopics, { until: (r) => new Set(r.map((x) => x.key)).size >= want.size, timeoutMs: 120_000 });
    const outputs = await readTopics(kafka, f.outputTopics, { minCount: DOCS, quietMs: 3000, timeoutMs: 120_000 });
    const retries = await readTopics(kafka, retryTopics(f.config).map((r) => r.topic), { quietMs: 2000, timeoutMs: 20_000 });
    const counts = new Map<string, number>();
    for (const r of outputs) counts.set(r.key!, (counts.get(r.key!) ?? 0) + 1);
    const missing = [...want].filter((id) => !counts.has(id));
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    const unknown = [...counts.keys()].filter((k) => !want.has(k));
    const stillAlive = procs.map(alive);
    figures.outputs = {
      records: outputs.length,
      distinct: counts.size,
      ...Object.fromEntries(f.outputTopics.map((t) => [t.slice(t.lastIndexOf('.') + 1), outputs.filter((r) => r.topic === t).length])),
      retryRecords: retries.length,
      missing: missing.length,
      duplicated,
    };
    figures.processorsAlive = stillAlive;
    const stats = f.server.stats();
    figures.llm = { requests: stats.totalRequests, billed: stats.billedRequests, statusCounts: stats.statusCounts };
    // Every billed call has its cost event (the aggregator's input): one lost is a call never counted.
    const costEvents = (await readTopics(kafka, [f.config.topics.costEvents], { minCount: stats.billedRequests, quietMs: 3000, timeoutMs: 60_000 })).map((r) => jsonValue<CostEvent>(r));
    const stepsWithEvent = new Map<string, Set<string>>();
    for (const e of costEvents) stepsWithEvent.set(e.document_id, (stepsWithEvent.get(e.document_id) ?? new Set()).add(e.step));
    figures.costs = {
      billedCalls: stats.billedRequests,
      events: costEvents.length,
      distinctCallIds: new Set(costEvents.map((e) => e.call_id)).size,
      // A published document whose chain ran three steps, yet one step has no event at all: an event acknowledged and never written.
      documentsMissingAStepEvent: [...counts.keys()].filter((id) => (stepsWithEvent.get(id)?.size ?? 0) < 3).length,
    };

    expect({ missing: missing.length, duplicated: duplicated.slice(0, 10), unknown: unknown.length }).toEqual({ missing: 0, duplicated: [], unknown: 0 });
    expect(outputs).toHaveLength(DOCS);
    expect(outputs.filter((r) => r.topic === f.config.topics.dlq)).toHaveLength(0);
    expect(stillAlive, 'both processors still running: neither exited nor was restarted').toEqual([true, true]);
    // The fake model never fails here: a document sent to a retry topic failed because of Kafka.
    expect(retries, 'documents retried because a Kafka write failed').toHaveLength(0);
    expect(figures.costs, 'a cost event for every billed call').toMatchObject({ distinctCallIds: stats.billedRequests, documentsMissingAStepEvent: 0 });

    // And both still stop cleanly on the two brokers left.
    const exits = await Promise.all(procs.map((c) => c.kill('SIGTERM')));
    figures.exitsOnSigterm = exits;
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
  });
});
