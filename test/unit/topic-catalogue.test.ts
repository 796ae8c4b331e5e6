/**
 * The topic catalogue (src/topics/catalogue.ts) is the one place a topic is described: its name
 * setting, how it is kept, its contract, who reads and writes it. Everything else is derived.
 * A new output topic is one entry here, plus its contract (src/contracts/) and the code that
 * builds its messages: this test adds one and shows each derivation pick it up.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTING_VARIABLES } from '../../src/config.ts';
import { requiredAcls } from '../../src/kafka/acls.ts';
import { subjectsWrittenBy, valueContracts } from '../../src/kafka/registry/subjects.ts';
import { topicSpecs, topicsOf } from '../../src/kafka/topics.ts';
import { CATALOGUE, type Catalogue } from '../../src/topics/catalogue.ts';
import { renderTopicsTable } from '../../src/topics/topics-table.ts';
import { readFileSync } from 'node:fs';

const config = loadConfig({ RETRY_DELAYS: '10s,20s' });

describe('the topic catalogue', () => {
  it('names every topic setting the service reads', () => {
    for (const e of Object.values(CATALOGUE as Catalogue)) if (e.setting) expect(SETTING_VARIABLES).toContain(e.setting.env);
    expect(config.topics.raw).toBe('documents.raw');
  });

  it('is the README\'s table of topics (run `npm run docs` after changing an entry)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /<!-- topics-table:[^>]*-->\n([\s\S]*?)\n<!-- \/topics-table -->/.exec(readme)?.[1];
    expect(block).toBe(renderTopicsTable(CATALOGUE));
  });

  it('gives each process the topics it uses to create, and no other', () => {
    expect(topicsOf(config, 'review').sort()).toEqual([
      'documents.dlq', 'documents.enriched', 'documents.raw', 'documents.rejected', 'documents.review', 'documents.review.decisions', 'documents.shadow', 'llm.costs.daily', 'pipeline.config',
    ]);
    expect(topicsOf(config, 'start')).toEqual(expect.arrayContaining(['documents.retry.10s', 'documents.retry.20s', 'documents.dlq.redriven']));
    expect(topicsOf(config, 'start')).not.toContain('documents.rejected');
    expect(topicsOf(config, 'topics create')).toHaveLength(topicSpecs(config).length);
  });

  it('takes a new output topic from one entry: its spec, who creates it, its rights and its subject', () => {
    // The new topic: one entry (and, in a real change, its name's default value in config by the
    // entry itself, its contract in src/contracts/, and the processor's code that writes to it).
    const catalogue: Catalogue = {
      ...CATALOGUE,
      summaries: {
        setting: { env: 'TOPIC_SUMMARIES', default: 'documents.summaries' }, about: 'summaries alone, for a search front end', key: 'document id',
        shape: 'compacted', partitions: 'configured', contract: 'enriched-document',
        access: { start: ['WRITE'], 'topics create': ['DESCRIBE'] },
      },
    };
    const withName = { ...config, topics: { ...config.topics, summaries: 'acme.summaries' } };
    expect(topicSpecs(withName, catalogue).find((s) => s.topic === 'acme.summaries')).toMatchObject({
      numPartitions: config.topics.partitions,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    });
    expect(topicsOf(withName, 'start', catalogue)).toContain('acme.summaries');
    expect(topicsOf(withName, 'review', catalogue)).not.toContain('acme.summaries');
    expect(requiredAcls(withName, 'start', catalogue)).toContainEqual({ resource: 'TOPIC', pattern: 'LITERAL', name: 'acme.summaries', operations: ['WRITE'] });
    expect(requiredAcls(withName, 'topics create', catalogue)).toContainEqual({ resource: 'TOPIC', pattern: 'LITERAL', name: 'acme.summaries', operations: ['DESCRIBE'] });
    expect(subjectsWrittenBy(withName, 'start', catalogue)).toContainEqual({ topic: 'acme.summaries', subject: 'acme.summaries-value', contract: 'enriched-document' });
    expect(valueContracts(withName, catalogue)).toHaveLength(valueContracts(config).length + 1);
    expect(renderTopicsTable(catalogue)).toContain('| `documents.summaries` (`TOPIC_SUMMARIES`) | document id | [enriched-document](schemas/enriched-document.json) |');
  });
});
