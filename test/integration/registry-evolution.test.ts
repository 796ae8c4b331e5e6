/**
 * Contract evolution against a real registry (Apicurio 3.3.3), with the subjects' rule BACKWARD:
 * a new optional field (what billing and the review console add to EnrichedDocument) registers
 * as a new version; removing a required field is refused when the processor starts, with the
 * subject and the registry's reason, before anything is consumed or written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createProcessor, type Processor } from '../../src/processes/processor.ts';
import { EnrichedDocument } from '../../src/contracts/index.ts';
import { RegistrationRefusedError } from '../../src/kafka/registry/registration.ts';
import { createRegistrySerde } from '../../src/kafka/registry/schema-registry.ts';
import { subjectFor, subjectsWrittenBy } from '../../src/kafka/registry/subjects.ts';
import { retryTopics } from '../../src/kafka/topics.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { connectTestKafka, readTopics, sendMessages, testConfig, type TestKafka } from '../support/kafka.ts';
import { testLogger } from '../support/logger.ts';
import { freshClient, useSharedRegistry } from '../support/registry.ts';

const shared = useSharedRegistry();
let tk: TestKafka | undefined;
let app: Processor | undefined;
afterEach(async () => {
  await app?.stop().catch(() => undefined);
  app = undefined;
  await tk?.cleanup();
  tk = undefined;
});

// The next versions of the contract, as their authors would write them (same meta id, so the
// generator lays them out as it lays out the contract of today).
const withOptionalField = EnrichedDocument.extend({ language: z.string().optional() }).meta({ id: 'EnrichedDocument' });
const withoutRequiredField = EnrichedDocument.omit({ summary: true }).meta({ id: 'EnrichedDocument' });

describe('schema registry: contract evolution under BACKWARD', () => {
  it('registers a new optional field on EnrichedDocument as a new version, and its values decode', async () => {
    const config = testConfig({ SCHEMA_REGISTRY_URL: shared.url() });
    const subject = subjectFor(config.topics.enriched);
    const today = createRegistrySerde(config, testLogger());
    await today.prepare(subjectsWrittenBy(config, 'start'));
    const reader = freshClient(shared.url());
    const versions = async () => (await fetch(`${shared.url()}/subjects/${subject}/versions`)).json();
    expect(await versions()).toEqual([1]);

    const next = createRegistrySerde(config, testLogger(), { contracts: { 'enriched-document': withOptionalField } });
    await next.prepare(subjectsWrittenBy(config, 'start'));
    expect(await versions()).toEqual([1, 2]);
    const newId = next.ids().get(config.topics.enriched)!;
    expect(newId).not.toBe(today.ids().get(config.topics.enriched));
    expect(await reader.getLatestSchemaId(subject)).toBe(newId);

    // A value of either version is written with its own id and read back by a stranger.
    const base = { document_id: 'd1', original_content: 'x', entities: { people: [], organizations: [], dates: [], topics: [] }, summary: 's',
      classification: { category: 'other', confidence: 0.9, scores: { other: 0.9 } }, usage: { calls: 3, cached_calls: 0, input_tokens: 1, output_tokens: 1, cost_usd: 0 },
      model: 'm', provider: 'offline', offline: true, partial: false, prompt_version: 'v', enriched_at: new Date().toISOString() } as const;
    expect(await reader.decode(next.encode(config.topics.enriched, { ...base, language: 'en' }))).toMatchObject({ language: 'en' });
    expect(await reader.decode(today.encode(config.topics.enriched, base))).toMatchObject({ document_id: 'd1' });
  });

  it('refuses to start with a required field removed: the error names the subject and the registry\'s reason, and nothing was consumed or written', async () => {
    const config = testConfig({ SCHEMA_REGISTRY_URL: shared.url() });
    tk = await connectTestKafka(config);
    await tk.createTopics(config);
    // The processor of today registered its contracts; documents are waiting.
    await createRegistrySerde(config, testLogger()).prepare(subjectsWrittenBy(config, 'start'));
    await sendMessages(tk.kafka, config.topics.raw, corpusDocs(3, 'waiting').map(toMessage));

    const broken = createRegistrySerde(config, testLogger(), { contracts: { 'enriched-document': withoutRequiredField } });
    app = createProcessor(config, testLogger(), { registry: broken });
    const err = (await app.start().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(RegistrationRefusedError);
    expect(err.message).toContain(`subject "${subjectFor(config.topics.enriched)}"`);
    expect(err.message).toContain('HTTP 409');
    // Apicurio's own words: which difference broke compatibility.
    expect(err.message).toMatch(/Incompatible artifact.*propertySchemasRemoved/);

    const outputs = [config.topics.enriched, config.topics.review, config.topics.dlq, config.topics.costEvents, ...retryTopics(config).map((r) => r.topic)];
    expect(await readTopics(tk.kafka, outputs, { quietMs: 2000 })).toEqual([]);
    const offsets = await tk.admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [config.topics.raw] });
    expect(offsets.flatMap((t) => t.partitions.map((p) => p.offset)).every((o) => o === '-1')).toBe(true);
  });
});
