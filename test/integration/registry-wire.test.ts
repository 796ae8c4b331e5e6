/**
 * The schema registry on the real broker and a real registry (Apicurio 3.3.3, its Confluent API):
 * wire-format and plain JSON documents side by side on documents.raw, every output in the wire
 * format with its subject's id (decoded by a client that shares nothing with ours), bad wire
 * input in the DLQ with its own codes and its original bytes, and Apicurio's NONE answer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createProcessor, type Processor } from '../../src/processes/processor.ts';
import { CostEvent, DailyCost, EnrichedDocument, Headers, RawDocument, ReviewItem } from '../../src/contracts/index.ts';
import { createCostAggregatorProcess } from '../../src/processes/cost-aggregator.ts';
import { loadDailyCosts } from '../../src/costs/report.ts';
import { readStoredSettings } from '../../src/settings/settings-topic.ts';
import { renderContract } from '../../src/contracts/json-schema.ts';
import { RegistrationRefusedError, registerSubject } from '../../src/kafka/registry/registration.ts';
import { createAgent, createRegistryRequest } from '../../src/kafka/registry/registry-http.ts';
import { subjectStatus } from '../../src/kafka/registry/subject-status.ts';
import { subjectFor } from '../../src/kafka/registry/subjects.ts';
import { isWireFormat, wireEncode } from '../../src/kafka/wire-format.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { connectTestKafka, randomName, readTopics, sendMessages, testConfig, testEnv, type TestKafka } from '../support/kafka.ts';
import { waitUntil } from '../support/time.ts';
import { testLogger } from '../support/logger.ts';
import { spawnCli } from '../support/processes.ts';
import { freshClient, registerAsProducer, useSharedRegistry } from '../support/registry.ts';

const shared = useSharedRegistry();
let tk: TestKafka | undefined;
let app: Processor | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await tk?.cleanup();
  tk = undefined;
});

const UNKNOWN_ID = 2_000_000_000;

describe('schema registry: wire format end to end', () => {
  const url = () => shared.url();
  it('enriches wire-format and plain JSON side by side, writes every output in the wire format, and dead-letters bad wire input with its bytes', async () => {
    const env = testEnv({ SCHEMA_REGISTRY_URL: url(), TOPIC_PARTITIONS: '2' });
    const config = testConfig(env);
    tk = await connectTestKafka(config);
    await tk.createTopics(config);

    // An ingestion producer that already speaks the wire format, and one that still sends plain JSON.
    const ingestion = freshClient(url());
    const rawId = await registerAsProducer(ingestion, subjectFor(config.topics.raw), RawDocument, 'raw-document');
    const wireDocs = corpusDocs(8, 'wire');
    const plainDocs = corpusDocs(8, 'plain');
    const bad = [
      { key: 'bad-truncated', value: Buffer.from([0, 0, 0]), code: 'WIRE_HEADER_TRUNCATED', names: 'header' },
      { key: 'bad-unknown-id', value: wireEncode(UNKNOWN_ID, Buffer.from(JSON.stringify({ id: 'bad-unknown-id', content: 'x' }))), code: 'SCHEMA_ID_UNKNOWN', names: String(UNKNOWN_ID) },
      { key: 'bad-invalid', value: wireEncode(rawId, Buffer.from(JSON.stringify({ id: 'bad-invalid', content: 42 }))), code: 'SCHEMA_PAYLOAD_INVALID', names: `schema id ${rawId}` },
    ];
    const messages = [];
    for (let i = 0; i < wireDocs.length; i++) {
      messages.push({ key: wireDocs[i]!.id, value: await ingestion.encode(rawId, wireDocs[i]) }, toMessage(plainDocs[i]!));
      if (bad[i]) messages.push({ key: bad[i]!.key, value: bad[i]!.value });
    }
    await sendMessages(tk.kafka, config.topics.raw, messages);

    app = createProcessor(config, testLogger());
    await app.start();
    const total = wireDocs.length + plainDocs.length + bad.length;
    const outTopics = [config.topics.enriched, config.topics.review, config.topics.dlq];
    await readTopics(tk.kafka, outTopics, { until: (r) => r.length >= total, timeoutMs: 120_000 });
    const out = await readTopics(tk.kafka, [...outTopics, config.topics.costEvents], { minCount: total, quietMs: 1500 });

    // Every document once, wherever it came from.
    const done = out.filter((r) => r.topic === config.topics.enriched || r.topic === config.topics.review);
    expect(done.map((r) => r.key).sort()).toEqual([...wireDocs, ...plainDocs].map((d) => d.id).sort());

    // Every output in the wire format, with its subject's id, decoded by a client of its own.
    const reader = freshClient(url());
    const latest = new Map<string, number>();
    for (const topic of [config.topics.enriched, config.topics.review, config.topics.costEvents]) {
      latest.set(topic, await reader.getLatestSchemaId(subjectFor(topic)));
    }
    for (const r of done) {
      expect(isWireFormat(r.value!)).toBe(true);
      expect(r.value!.readUInt32BE(1)).toBe(latest.get(r.topic));
      const value = await reader.decode(r.value!);
      const parsed = (r.topic === config.topics.enriched ? EnrichedDocument : ReviewItem).parse(value);
      expect(parsed.document_id).toBe(r.key);
    }
    const costs = out.filter((r) => r.topic === config.topics.costEvents);
    expect(costs.length).toBeGreaterThan(0);
    for (const r of costs) {
      expect(r.value!.readUInt32BE(1)).toBe(latest.get(config.topics.costEvents));
      CostEvent.parse(await reader.decode(r.value!));
    }

    // Bad wire input: its own code, a message naming the id, the original bytes.
    const dlq = new Map(out.filter((r) => r.topic === config.topics.dlq).map((r) => [r.key, r]));
    expect([...dlq.keys()].sort()).toEqual(bad.map((b) => b.key).sort());
    for (const b of bad) {
      const r = dlq.get(b.key)!;
      expect(r.headers[Headers.errorCode], b.key).toBe(b.code);
      expect(r.headers[Headers.errorMessage], b.key).toContain(b.names);
      expect(r.value!.equals(b.value), `${b.key}: original bytes`).toBe(true);
    }

    // Our own readers take the wire format: the aggregator sums these cost events into daily
    // totals (written in the wire format too), which `enricher costs` reads back.
    const aggregator = createCostAggregatorProcess(config, testLogger());
    await aggregator.start();
    try {
      // Every event we read above was counted (none skipped as unreadable), and the totals say so.
      await waitUntil(async () => {
        const { events, invalid } = aggregator.aggregator.stats();
        if (invalid > 0) throw new Error(`the aggregator could not read ${invalid} cost events`);
        const days = await loadDailyCosts(tk!.kafka, config.topics.costsDaily, `${config.kafka.groupId}.check`, testLogger());
        return events >= costs.length && days.reduce((n, d) => n + d.calls, 0) === events;
      }, 120_000, 'daily totals of every cost event');
    } finally {
      await aggregator.stop();
    }
    const daily = await readTopics(tk.kafka, [config.topics.costsDaily], { minCount: 1 });
    for (const r of daily) {
      expect(r.value!.readUInt32BE(1)).toBe(await reader.getLatestSchemaId(subjectFor(config.topics.costsDaily)));
      DailyCost.parse(await reader.decode(r.value!));
    }

    // A runtime setting written through the CLI is in the wire format and read back by our reader.
    const set = spawnCli(['config', 'set', 'quality_threshold', '0.7'], { ...env, LOG_LEVEL: 'warn' }, 'config-set-wire');
    expect((await set.exited).code).toBe(0);
    const [setting] = await readTopics(tk.kafka, [config.topics.config], { minCount: 1 });
    expect(isWireFormat(setting!.value!)).toBe(true);
    expect((await readStoredSettings(tk.kafka, config, testLogger())).get('quality_threshold')?.value).toBe(0.7);

    // The same registry seen by the CLI: every subject there, every local contract fits.
    const check = spawnCli(['schemas', 'check'], { ...env, LOG_LEVEL: 'warn' }, 'schemas-check');
    expect((await check.exited).code).toBe(0);
    const printed = readFileSync(check.logFile, 'utf8');
    expect(printed).toContain(`${config.topics.enriched}-value`);
    expect(printed).toContain('compatible (latest version is this contract)');
    expect(printed).not.toContain('INCOMPATIBLE');
  });

  it('`enricher produce` writes the wire format with the raw subject\'s id; a line that is no document goes as it is', async () => {
    const env = testEnv({ SCHEMA_REGISTRY_URL: url() });
    const config = testConfig(env);
    tk = await connectTestKafka(config);
    await tk.createTopics(config);
    const docs = corpusDocs(3, 'cli');
    const file = join(tmpdir(), `${randomName('produce')}.jsonl`);
    writeFileSync(file, `${docs.map((d) => JSON.stringify(d)).join('\n')}\n{"id":"no-content"}\n`);
    const cli = spawnCli(['produce', file], { ...env, LOG_LEVEL: 'warn' }, 'produce-wire');
    expect((await cli.exited).code).toBe(0);
    expect(readFileSync(cli.logFile, 'utf8')).toContain('in the wire format');

    const raw = await readTopics(tk.kafka, [config.topics.raw], { minCount: 4 });
    const reader = freshClient(url());
    const rawId = await reader.getLatestSchemaId(subjectFor(config.topics.raw));
    const wire = raw.filter((r) => isWireFormat(r.value!));
    expect(wire.map((r) => r.key).sort()).toEqual(docs.map((d) => d.id).sort());
    for (const r of wire) {
      expect(r.value!.readUInt32BE(1)).toBe(rawId);
      expect(RawDocument.parse(await reader.decode(r.value!)).id).toBe(r.key);
    }
    const plain = raw.filter((r) => !isWireFormat(r.value!));
    expect(plain.map((r) => r.value!.toString())).toEqual(['{"id":"no-content"}']);
  });
});

describe('schema registry: Apicurio answers NONE for a subject without a rule of its own', () => {
  const url = () => shared.url();
  const v1 = renderContract(z.object({ a: z.string() }), 'probe');
  const v2 = renderContract(z.object({ a: z.string(), b: z.string() }), 'probe'); // a new required field: not BACKWARD

  it('is registered with BACKWARD by us, where the library alone refuses, and the rule holds afterwards', async () => {
    const subject = `${randomName('none')}-value`;
    const producer = freshClient(url());
    // Someone registered the subject without setting a rule for it.
    await producer.register({ type: SchemaType.JSON, schema: v1 }, { subject, compatibility: COMPATIBILITY.BACKWARD, updateConfig: false });
    const request = createRegistryRequest({ url: url(), auth: undefined, agent: createAgent(url(), undefined), timeoutMs: 5000 });
    const global = (await request('GET', '/config')) as { compatibilityLevel: string };
    expect(await request('GET', `/config/${subject}`)).toEqual({ compatibilityLevel: 'NONE' });
    // The Apicurio difference: NONE here, though the subject has no rule and the global level applies.
    const status = await subjectStatus(request, { topic: subject.replace(/-value$/, ''), subject, contract: 'raw-document' }, global.compatibilityLevel);
    expect(status.ownLevel).toBeUndefined();
    expect(status.level).toBe(global.compatibilityLevel);

    await expect(freshClient(url()).register({ type: SchemaType.JSON, schema: v1 }, { subject })).rejects.toThrow(/Compatibility does not match/);

    const id = await registerSubject({ library: freshClient(url()), request, logger: testLogger() }, subject, v1);
    expect(id).toBe(await producer.getLatestSchemaId(subject));
    expect(await request('GET', `/config/${subject}`)).toEqual({ compatibilityLevel: 'BACKWARD' });

    const refused = await registerSubject({ library: freshClient(url()), request, logger: testLogger() }, subject, v2).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RegistrationRefusedError);
    expect((refused as Error).message).toContain(subject);
    expect((refused as Error).message).toMatch(/required property/i);
  });
});
