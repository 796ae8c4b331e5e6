/**
 * The shadow's contracts against a real registry (Apicurio 3.3.3, BACKWARD): a deployment whose
 * subjects hold the cost event and the daily cost of before the shadow (no `shadow` field)
 * takes today's as new versions when the processor starts, and a processor with a shadow writes
 * documents.shadow and its cost events in the wire format, read back by a stranger's client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CostEvent, DailyCost, ShadowComparison } from '../../src/contracts/index.ts';
import { createRegistrySerde } from '../../src/kafka/registry/schema-registry.ts';
import { subjectFor, subjectsWrittenBy } from '../../src/kafka/registry/subjects.ts';
import { startTestApp } from '../support/app.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { connectTestKafka, readTopics, sendMessages, testConfig } from '../support/kafka.ts';
import { testLogger } from '../support/logger.ts';
import { freshClient, localRegistry, registryAnswers } from '../support/registry.ts';

// A registry of this file's own, on a port of its own.
const registry = localRegistry(18_093);
let started = false;
beforeAll(async () => {
  if (!(await registryAnswers(registry.url))) {
    await registry.start();
    started = true;
  }
}, 600_000);
afterAll(async () => {
  if (started) await registry.stop();
});

// The contracts as they were before the shadow, as their authors wrote them (same meta ids).
const costEventBefore = CostEvent.omit({ shadow: true }).meta({ id: 'CostEvent' });
const dailyCostBefore = DailyCost.omit({ shadow: true }).meta({ id: 'DailyCost' });

describe('the shadow\'s contracts in a schema registry', () => {
  it('evolve the subjects of before (a new optional field each), and the shadow\'s records go out in the wire format', async () => {
    const config = testConfig({ SCHEMA_REGISTRY_URL: registry.url, SHADOW_MODEL: 'offline-small', SHADOW_SAMPLE: '1' });
    const tk = await connectTestKafka(config);
    await tk.createTopics(config);
    const before = createRegistrySerde(config, testLogger(), { contracts: { 'cost-event': costEventBefore, 'daily-cost': dailyCostBefore } });
    await before.prepare([...subjectsWrittenBy(config, 'start'), ...subjectsWrittenBy(config, 'aggregate-costs')]);
    const versions = async (topic: string) => (await fetch(`${registry.url}/subjects/${subjectFor(topic)}/versions`)).json();
    expect(await versions(config.topics.costEvents)).toEqual([1]);

    const docs = corpusDocs(4, 'reg');
    await sendMessages(tk.kafka, config.topics.raw, docs.map(toMessage));
    const app = await startTestApp(config);
    // The processor registered today's contracts over them: BACKWARD accepts the new optional field.
    expect(await versions(config.topics.costEvents)).toEqual([1, 2]);
    expect(await versions(config.topics.shadow)).toEqual([1]);
    const today = createRegistrySerde(config, testLogger());
    await today.prepare(subjectsWrittenBy(config, 'aggregate-costs'));
    expect(await versions(config.topics.costsDaily)).toEqual([1, 2]);

    const reader = freshClient(registry.url);
    const shadow = await readTopics(tk.kafka, [config.topics.shadow], { until: (r) => r.length >= docs.length, timeoutMs: 60_000 });
    const comparisons = await Promise.all(shadow.map(async (r) => ShadowComparison.parse(await reader.decode(r.value!))));
    expect(comparisons.map((c) => c.document_id).sort()).toEqual(docs.map((d) => d.id).sort());
    expect(shadow.every((r) => r.value![0] === 0)).toBe(true);
    const costs = await readTopics(tk.kafka, [config.topics.costEvents], { until: (r) => r.length >= docs.length * 6, timeoutMs: 30_000 });
    const events = await Promise.all(costs.map(async (r) => CostEvent.parse(await reader.decode(r.value!))));
    expect(events.filter((e) => e.shadow).length).toBe(docs.length * 3);
    await app.stop();
  }, 180_000);
});
