import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { WIRE_CONTRACTS } from '../../src/contracts/registry.ts';
import { CHECKS_BACKWARD, effectiveLevel } from '../../src/kafka/registry/registration.ts';
import { subjectFor, subjectsWrittenBy, valueContracts } from '../../src/kafka/registry/subjects.ts';

describe('subjects', () => {
  const config = loadConfig({ TOPIC_ENRICHED: 'acme.enriched', RETRY_DELAYS: '5s,1m' });

  it('are <topic>-value (TopicNameStrategy), one per topic, each with a contract we have', () => {
    const specs = valueContracts(config);
    expect(new Set(specs.map((s) => s.topic)).size).toBe(specs.length);
    for (const s of specs) {
      expect(s.subject).toBe(`${s.topic}-value`);
      expect(Object.keys(WIRE_CONTRACTS)).toContain(s.contract);
    }
    expect(specs.find((s) => s.topic === 'acme.enriched')).toEqual({ topic: 'acme.enriched', subject: 'acme.enriched-value', contract: 'enriched-document' });
    expect(specs.filter((s) => s.contract === 'retry-envelope').map((s) => s.subject)).toEqual(['documents.retry.5s-value', 'documents.retry.1m-value']);
    expect(subjectFor('llm.cost-events')).toBe('llm.cost-events-value');
  });

  it('that a command registers at its start are those of the topics it writes (the catalogue\'s access)', () => {
    const of = (c: Parameters<typeof subjectsWrittenBy>[1]) => subjectsWrittenBy(config, c).map((s) => s.topic).sort();
    expect(of('start')).toEqual(['acme.enriched', 'documents.dlq', 'documents.retry.1m', 'documents.retry.5s', 'documents.review', 'documents.shadow', 'llm.cost-events', 'pipeline.alerts']);
    expect(of('aggregate-costs')).toEqual(['llm.budget-alerts', 'llm.costs.daily']);
    expect(of('review')).toEqual(['acme.enriched', 'documents.rejected', 'documents.review.decisions']);
    expect(of('produce')).toEqual(['documents.raw']);
  });
});

describe('compatibility levels', () => {
  it('a subject without a rule of its own is checked with the global one (Apicurio says NONE for it)', () => {
    expect(effectiveLevel(undefined, 'BACKWARD')).toBe('BACKWARD');
    expect(effectiveLevel('FULL', 'BACKWARD')).toBe('FULL');
  });

  it('BACKWARD and the stricter levels are kept; the rest are raised to BACKWARD', () => {
    expect([...CHECKS_BACKWARD].sort()).toEqual(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']);
    expect(CHECKS_BACKWARD.has('FORWARD')).toBe(false);
    expect(CHECKS_BACKWARD.has('NONE')).toBe(false);
  });
});
