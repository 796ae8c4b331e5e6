/**
 * The subjects of the schema registry: one per topic value, named by the TopicNameStrategy
 * (`<topic>-value`), each with the contract its values follow. A new topic is one line in
 * valueContracts(); every process registers the subjects it may write at its start.
 */
import type { Config } from '../../config.ts';
import type { ContractName } from '../../contracts/registry.ts';
import { retryTopics } from '../topics.ts';

export interface SubjectSpec {
  topic: string;
  subject: string;
  contract: ContractName;
}

export const subjectFor = (topic: string): string => `${topic}-value`;

/** Every topic value this service writes or reads, with its contract. */
export function valueContracts(config: Pick<Config, 'topics' | 'retry'>): SubjectSpec[] {
  const t = config.topics;
  const pairs: [string, ContractName][] = [
    [t.raw, 'raw-document'],
    [t.enriched, 'enriched-document'],
    [t.review, 'review-item'],
    ...retryTopics(config).map((r): [string, ContractName] => [r.topic, 'retry-envelope']),
    // The DLQ keeps original bytes; the records we write there ourselves (a retried document
    // that ran out of tiers) carry the raw document, so its subject holds that contract.
    [t.dlq, 'raw-document'],
    [t.costEvents, 'cost-event'],
    [t.costsDaily, 'daily-cost'],
    [t.budgetAlerts, 'budget-alert'],
    [t.config, 'config-record'],
    [t.alerts, 'pipeline-alert'],
    // The review console's outputs.
    [t.rejected, 'rejected-document'],
    [t.reviewDecisions, 'review-decision'],
  ];
  return pairs.map(([topic, contract]) => ({ topic, subject: subjectFor(topic), contract }));
}

/**
 * What the processor and the aggregator register at start: everything but documents.raw, whose
 * writers are the ingestion producers (and `enricher produce`, which registers it itself).
 */
export function ownedSubjects(config: Pick<Config, 'topics' | 'retry'>): SubjectSpec[] {
  return valueContracts(config).filter((s) => s.topic !== config.topics.raw);
}
