/**
 * A schema registry that goes away mid-run (its own Apicurio process, stopped and started again):
 * documents that need a writer's schema wait (intake paused, nothing dead-lettered), then complete
 * once it is back, exactly once.
 *
 * Apicurio here keeps its schemas in memory, so the restarted registry has forgotten them. The
 * registry's state comes back the way an operator restores it: the ingestion producer's schemas
 * are registered again in the order they first were (so their ids are the ids already in the
 * waiting messages), then `enricher schemas register`. Until our own subjects are back the probe
 * keeps the processor paused; when they come back under other ids, it writes with the new ones.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProcessor, type Processor } from '../../src/processes/processor.ts';
import { RawDocument } from '../../src/contracts/index.ts';
import { createRegistrySerde } from '../../src/kafka/registry/schema-registry.ts';
import { subjectFor, subjectsWrittenBy } from '../../src/kafka/registry/subjects.ts';
import { wireEncode } from '../../src/kafka/wire-format.ts';
import { corpusDocs } from '../support/docs.ts';
import { connectTestKafka, readTopics, testConfig, type TestKafka } from '../support/kafka.ts';
import { waitUntil } from '../support/time.ts';
import { testLogger } from '../support/logger.ts';
import { freshClient, localRegistry, registerAsProducer } from '../support/registry.ts';
import { sleep } from '../support/time.ts';

// A port of this test's own: stopping it disturbs no other test.
const own = localRegistry(18082);
let tk: TestKafka | undefined;
let app: Processor | undefined;

beforeAll(async () => {
  const t0 = Date.now();
  await own.start();
  console.log(`[registry-outage] own Apicurio answered ${Date.now() - t0} ms after start`);
}, 600_000);
afterAll(async () => own.stop());
afterEach(async () => {
  await app?.stop();
  await tk?.cleanup();
});

describe('schema registry outage', () => {
  it('holds the documents that need it while it is down and completes them exactly once when it is back', async () => {
    const config = testConfig({ SCHEMA_REGISTRY_URL: own.url, SERVICE_PROBE_INTERVAL: '1s' });
    const rawSubject = subjectFor(config.topics.raw);
    // An ingestion producer's two schema versions (v2 loosens metadata: compatible), then ours.
    const v2 = RawDocument.omit({ metadata: true }).meta({ id: 'RawDocument' });
    const restoreRegistry = async () => {
      const ingestion = freshClient(own.url);
      const ids = [await registerAsProducer(ingestion, rawSubject, RawDocument, 'raw-document'), await registerAsProducer(ingestion, rawSubject, v2, 'raw-document')];
      await createRegistrySerde(config, testLogger()).prepare(subjectsWrittenBy(config, 'start'));
      return ids;
    };
    const [v1Id, v2Id] = await restoreRegistry();
    tk = await connectTestKafka(config);
    await tk.createTopics(config);

    const routed = new Map<string, number>();
    app = createProcessor(config, testLogger(), { onRouted: (route, id) => id && route !== 'retry' && routed.set(id, (routed.get(id) ?? 0) + 1) });
    await app.start();
    const producer = tk.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const send = (docs: RawDocument[], id: number) =>
      producer.send({ topic: config.topics.raw, messages: docs.map((d) => ({ key: d.id, value: wireEncode(id, Buffer.from(JSON.stringify(d))) })) });

    const before = corpusDocs(4, 'before');
    await send(before, v1Id!);
    await waitUntil(() => before.every((d) => routed.has(d.id)), 120_000, 'the first documents');

    await own.stop();
    // Written with v2's id, which the processor has not needed yet: it must ask the registry.
    const during = corpusDocs(4, 'during');
    await send(during, v2Id!);
    await waitUntil(() => app!.intake.reasons().includes('registry'), 120_000, 'intake paused for the registry');
    await sleep(3000);
    expect(during.filter((d) => routed.has(d.id))).toEqual([]);
    expect(app.raw.stats().routes.dlq).toBe(0);

    await own.start();
    expect(await restoreRegistry()).toEqual([v1Id, v2Id]);
    await waitUntil(() => during.every((d) => routed.has(d.id)), 120_000, 'the documents that waited');
    await waitUntil(() => !app!.intake.reasons().includes('registry'), 120_000, 'intake resumed');
    await producer.disconnect();

    const outTopics = [config.topics.enriched, config.topics.review, config.topics.dlq];
    const out = await readTopics(tk.kafka, outTopics, { minCount: before.length + during.length, quietMs: 2000 });
    expect(out.filter((r) => r.topic === config.topics.dlq)).toEqual([]);
    expect(out.map((r) => r.key).sort()).toEqual([...before, ...during].map((d) => d.id).sort());
    expect([...routed.values()].every((n) => n === 1)).toBe(true);
    // What was written after the restart carries ids the restarted registry knows.
    const reader = freshClient(own.url);
    for (const r of out.filter((x) => x.key!.startsWith('during'))) expect((await reader.decode(r.value!)).document_id).toBe(r.key);
  }, 600_000);
});
