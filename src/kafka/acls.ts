/**
 * The Kafka rights (ACLs) each command needs, from the config's names. The README's table is
 * rendered from this (a unit test holds the two together), the local secured stack grants
 * exactly these to its app user, and the integration tests run the processor with them.
 *
 * Kafka implies DESCRIBE from READ, WRITE and DELETE, so DESCRIBE is listed only where nothing
 * else is needed. The groups (the processor's, `<group>.retry`, the short-lived readers of
 * pipeline.config and llm.costs.daily, the aggregator's by default) and the transactional ids
 * (`<group>.tx.…`, `<group>.retry.tx.…`, `<group>.redrive`, `<group>.review.tx.…`, `<aggregator group>.tx`) all start
 * with KAFKA_GROUP_ID, so one prefixed rule covers each kind.
 */
import type { Admin } from 'kafkajs';
import type { Config } from '../config.ts';
import { kafkajs } from './load-kafkajs.ts';
import { redriveMarkerTopic } from './topics.ts';

export type AclOperation = 'READ' | 'WRITE' | 'DESCRIBE' | 'CREATE' | 'DELETE';
export type AclResource = 'TOPIC' | 'GROUP' | 'TRANSACTIONAL_ID' | 'CLUSTER';

export interface AclRule {
  resource: AclResource;
  pattern: 'LITERAL' | 'PREFIXED';
  name: string;
  operations: AclOperation[];
}

export const ACL_COMMANDS = ['start', 'aggregate-costs', 'produce', 'costs', 'config get', 'config set, unset', 'redrive', 'replay', 'resume', 'review', 'topics create'] as const;
export type AclCommand = (typeof ACL_COMMANDS)[number];

type Names = Pick<Config, 'topics' | 'kafka' | 'costs'>;

const topic = (name: string, ...operations: AclOperation[]): AclRule => ({ resource: 'TOPIC', pattern: 'LITERAL', name, operations });

function groupRules(c: Names, ...operations: AclOperation[]): AclRule[] {
  return [{ resource: 'GROUP', pattern: 'PREFIXED', name: c.kafka.groupId, operations }];
}

function allTopics(c: Names): string[] {
  const t = c.topics;
  return [t.raw, t.enriched, t.review, t.dlq, redriveMarkerTopic(t.dlq), t.costEvents, t.costsDaily, t.budgetAlerts, t.config, t.alerts, t.rejected, t.reviewDecisions];
}

export function requiredAcls(c: Names, command: AclCommand): AclRule[] {
  const t = c.topics;
  const retries: AclRule = { resource: 'TOPIC', pattern: 'PREFIXED', name: `${t.retryPrefix}.`, operations: ['READ', 'WRITE'] };
  const txPrefix: AclRule = { resource: 'TRANSACTIONAL_ID', pattern: 'PREFIXED', name: c.kafka.groupId, operations: ['WRITE'] };
  const aggregatorGroups: AclRule[] = c.costs.aggregatorGroupId.startsWith(c.kafka.groupId)
    ? []
    : [{ resource: 'GROUP', pattern: 'PREFIXED', name: c.costs.aggregatorGroupId, operations: ['READ', 'DELETE'] }];
  switch (command) {
    case 'start':
      return [
        topic(t.raw, 'READ'), retries,
        topic(t.enriched, 'WRITE'), topic(t.review, 'WRITE'), topic(t.dlq, 'WRITE'), topic(t.costEvents, 'WRITE'),
        topic(t.config, 'READ'), topic(t.costsDaily, 'READ'),
        // A DLQ storm alert is written there, and an operator's `enricher resume` read from it.
        topic(t.alerts, 'READ', 'WRITE'),
        // Only looked at: the processor checks at start that every topic it uses exists.
        topic(redriveMarkerTopic(t.dlq), 'DESCRIBE'), topic(t.budgetAlerts, 'DESCRIBE'),
        ...groupRules(c, 'READ', 'DELETE'), txPrefix,
      ];
    case 'aggregate-costs':
      return [
        topic(t.costEvents, 'READ'), topic(t.costsDaily, 'READ', 'WRITE'), topic(t.budgetAlerts, 'READ', 'WRITE'), topic(t.config, 'READ'),
        ...groupRules(c, 'READ', 'DELETE'), ...aggregatorGroups,
        { resource: 'TRANSACTIONAL_ID', pattern: 'LITERAL', name: `${c.costs.aggregatorGroupId}.tx`, operations: ['WRITE'] },
      ];
    case 'produce':
      return [topic(t.raw, 'WRITE')];
    case 'costs':
      return [topic(t.costsDaily, 'READ'), topic(t.config, 'READ'), ...groupRules(c, 'READ', 'DELETE')];
    case 'config get':
      return [topic(t.config, 'READ'), ...groupRules(c, 'READ', 'DELETE')];
    case 'config set, unset':
      return [topic(t.config, 'WRITE')];
    case 'redrive':
      return [
        topic(t.dlq, 'READ'), topic(redriveMarkerTopic(t.dlq), 'READ', 'WRITE'), topic(t.raw, 'WRITE'),
        ...groupRules(c, 'READ', 'DELETE'),
        { resource: 'TRANSACTIONAL_ID', pattern: 'LITERAL', name: `${c.kafka.groupId}.redrive`, operations: ['WRITE'] },
      ];
    case 'replay':
      return [topic(t.raw, 'READ'), { resource: 'GROUP', pattern: 'LITERAL', name: c.kafka.groupId, operations: ['READ'] }];
    case 'resume':
      return [topic(t.alerts, 'WRITE')];
    case 'review':
      return [
        topic(t.review, 'READ'), topic(t.reviewDecisions, 'READ', 'WRITE'), topic(t.enriched, 'WRITE'), topic(t.rejected, 'WRITE'),
        // The overview: the processor group's lag on documents.raw, the day's spend, the DLQ by code.
        topic(t.raw, 'DESCRIBE'), topic(t.dlq, 'READ'), topic(t.costsDaily, 'READ'), topic(t.config, 'READ'),
        ...groupRules(c, 'READ', 'DELETE', 'DESCRIBE'), txPrefix,
      ];
    case 'topics create':
      return [{ resource: 'CLUSTER', pattern: 'LITERAL', name: 'kafka-cluster', operations: ['CREATE'] }, ...allTopics(c).map((n) => topic(n, 'DESCRIBE')), { ...retries, operations: ['DESCRIBE'] }];
  }
}

/** The rules of several commands, merged: one rule per resource, with every operation any of them needs. */
export function mergeAcls(rules: readonly AclRule[]): AclRule[] {
  const byResource = new Map<string, AclRule>();
  for (const r of rules) {
    const k = `${r.resource}|${r.pattern}|${r.name}`;
    const had = byResource.get(k);
    byResource.set(k, had ? { ...had, operations: [...new Set([...had.operations, ...r.operations])] } : { ...r, operations: [...r.operations] });
  }
  return [...byResource.values()];
}

/** Grants the rules to a principal (`User:app`); the caller must be allowed to ALTER the cluster's ACLs. */
export async function grantAcls(admin: Admin, principal: string, rules: readonly AclRule[]): Promise<void> {
  const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;
  const acl = rules.flatMap((r) =>
    r.operations.map((op) => ({
      resourceType: AclResourceTypes[r.resource],
      resourceName: r.name,
      resourcePatternType: ResourcePatternTypes[r.pattern],
      principal,
      host: '*',
      operation: AclOperationTypes[op],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
  if (acl.length) await admin.createAcls({ acl });
}
