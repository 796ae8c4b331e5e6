/**
 * Every topic of the service, once: the setting that names it and its default, how it is
 * stored, the contract of its values, and which command reads or writes it. Everything else
 * about topics is derived from this table: the settings (config.ts), the topic specs and what
 * each process creates (kafka/topics.ts), the schema registry's subjects
 * (kafka/registry/subjects.ts), the ACLs each command needs (kafka/acls.ts), and the topic
 * tables of the docs. A new topic is one entry here, plus its contract and the code that writes
 * its messages (test/unit/topic-catalogue.test.ts shows it).
 */
import type { ContractName } from '../contracts/registry.ts';

/** The commands of `enricher`, as far as Kafka rights go (the processes among them: start, aggregate-costs, review). */
export const COMMANDS = ['start', 'aggregate-costs', 'produce', 'costs', 'config get', 'config set, unset', 'redrive', 'replay', 'resume', 'review', 'eval', 'topics create'] as const;
export type Command = (typeof COMMANDS)[number];

export type TopicOperation = 'READ' | 'WRITE' | 'DESCRIBE';

/**
 * How a topic is kept:
 * - documents: any document may pass (16 MiB records), kept by age;
 * - events: small records kept by age;
 * - compacted: the latest record per key;
 * - dead letters: documents, kept until a person deals with them.
 */
export type TopicShape = 'documents' | 'events' | 'compacted' | 'dead-letters';

export interface TopicEntry {
  /** The environment variable that names it, and its default; none for a topic named after another. */
  setting?: { env: `TOPIC_${string}`; default: string };
  /** A topic named after another one's name (the redrive markers beside the DLQ). */
  namedAfter?: { topic: string; suffix: string };
  /** One topic per retry tier, `<name>.<delay>` (RETRY_DELAYS). */
  perRetryTier?: true;
  /** What it is, for people: the README's and docs/configuration.md's tables. */
  about: string;
  /** What its records are keyed by. */
  key: string;
  shape: TopicShape;
  /** The configured TOPIC_PARTITIONS, or a fixed count (1 where one writer keeps one order). */
  partitions: 'configured' | number;
  /** The contract of its values: the schema registry's subject `<topic>-value` holds it. */
  contract?: ContractName;
  /** Which commands use it, and how: their rights, and the topics each creates when missing. */
  access: Partial<Record<Command, readonly TopicOperation[]>>;
}

const R = ['READ'] as const;
const W = ['WRITE'] as const;
const RW = ['READ', 'WRITE'] as const;
const D = ['DESCRIBE'] as const;

export const CATALOGUE = {
  raw: {
    setting: { env: 'TOPIC_RAW', default: 'documents.raw' }, about: 'input: the documents to enrich', key: 'document id',
    shape: 'documents', partitions: 'configured', contract: 'raw-document',
    access: { start: R, produce: W, redrive: W, replay: R, review: D, 'topics create': D },
  },
  enriched: {
    setting: { env: 'TOPIC_ENRICHED', default: 'documents.enriched' }, about: 'the published asset: confidently enriched documents, and those a reviewer accepted', key: 'document id',
    shape: 'documents', partitions: 'configured', contract: 'enriched-document',
    access: { start: W, review: W, 'topics create': D },
  },
  review: {
    setting: { env: 'TOPIC_REVIEW', default: 'documents.review' }, about: 'enrichments routed to a person, with the reasons', key: 'document id',
    shape: 'documents', partitions: 'configured', contract: 'review-item',
    access: { start: W, review: R, eval: R, 'topics create': D },
  },
  retryPrefix: {
    setting: { env: 'TOPIC_RETRY_PREFIX', default: 'documents.retry' }, perRetryTier: true, about: 'documents waiting for their next attempt, one topic per delay tier', key: 'document id',
    shape: 'documents', partitions: 'configured', contract: 'retry-envelope',
    access: { start: RW, 'topics create': D },
  },
  // The DLQ keeps original bytes; the records we write there ourselves (a retried document that
  // ran out of tiers) carry the raw document, so its subject holds that contract.
  dlq: {
    setting: { env: 'TOPIC_DLQ', default: 'documents.dlq' }, about: 'dead letters: original key, bytes and headers, with the reason in headers', key: 'the original key',
    shape: 'dead-letters', partitions: 'configured', contract: 'raw-document',
    access: { start: W, redrive: R, review: R, 'topics create': D },
  },
  redriven: {
    namedAfter: { topic: 'dlq', suffix: '.redriven' }, about: 'one marker per dead letter sent back to the input, so each goes back at most once', key: '`partition:offset` of the dead letter',
    shape: 'compacted', partitions: 1,
    access: { start: D, redrive: RW, 'topics create': D },
  },
  shadow: {
    setting: { env: 'TOPIC_SHADOW', default: 'documents.shadow' }, about: 'a shadow candidate\'s answers beside the primary\'s, with how they compare (SHADOW_MODEL)', key: '`<document id>/<candidate>`',
    shape: 'events', partitions: 'configured', contract: 'shadow-comparison',
    access: { start: W, review: R, 'topics create': D },
  },
  costEvents: {
    setting: { env: 'TOPIC_COST_EVENTS', default: 'llm.cost-events' }, about: 'one event per billed LLM call', key: 'call id',
    shape: 'events', partitions: 'configured', contract: 'cost-event',
    access: { start: W, 'aggregate-costs': R, eval: W, 'topics create': D },
  },
  costsDaily: {
    setting: { env: 'TOPIC_COSTS_DAILY', default: 'llm.costs.daily' }, about: 'spend per UTC day and model, written by the cost aggregator', key: '`day|model`',
    shape: 'compacted', partitions: 1, contract: 'daily-cost',
    access: { start: R, 'aggregate-costs': RW, costs: R, review: R, 'topics create': D },
  },
  budgetAlerts: {
    setting: { env: 'TOPIC_BUDGET_ALERTS', default: 'llm.budget-alerts' }, about: 'one record per day and budget level reached (80 %, 100 %)', key: '`day|level`',
    shape: 'events', partitions: 1, contract: 'budget-alert',
    access: { start: D, 'aggregate-costs': RW, 'topics create': D },
  },
  config: {
    setting: { env: 'TOPIC_CONFIG', default: 'pipeline.config' }, about: 'runtime settings (quality threshold, daily budget), changed while processors run', key: 'setting name',
    shape: 'compacted', partitions: 1, contract: 'config-record',
    access: { start: R, 'aggregate-costs': R, costs: R, 'config get': R, 'config set, unset': W, review: R, eval: R, 'topics create': D },
  },
  alerts: {
    setting: { env: 'TOPIC_ALERTS', default: 'pipeline.alerts' }, about: 'a processor that stopped itself (DLQ storm), and the operator’s resume', key: '`dlq-storm|<instance>`, `resume`',
    shape: 'events', partitions: 1, contract: 'pipeline-alert',
    access: { start: RW, resume: W, 'topics create': D },
  },
  rejected: {
    setting: { env: 'TOPIC_REJECTED', default: 'documents.rejected' }, about: 'documents a reviewer refused, with the reason', key: 'document id',
    shape: 'documents', partitions: 'configured', contract: 'rejected-document',
    access: { review: W, 'topics create': D },
  },
  reviewDecisions: {
    setting: { env: 'TOPIC_REVIEW_DECISIONS', default: 'documents.review.decisions' }, about: 'every reviewer decision, latest per document', key: 'document id',
    shape: 'compacted', partitions: 'configured', contract: 'review-decision',
    access: { review: RW, eval: R, 'topics create': D },
  },
} as const satisfies Record<string, TopicEntry>;

export type TopicId = keyof typeof CATALOGUE;

/** A catalogue: CATALOGUE itself, or one with an entry more (a test shows what a new topic takes). */
export type Catalogue = Readonly<Record<string, TopicEntry>>;

/** The ids of the topics named by a setting: config.topics has one name for each. */
export type NamedTopicId = { [K in TopicId]: (typeof CATALOGUE)[K] extends { setting: object } ? K : never }[TopicId];
