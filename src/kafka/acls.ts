/**
 * The Kafka rights (ACLs) each command needs, from the config's names: the topic rights come
 * from the catalogue (topics/catalogue.ts), the groups' and transactional ids' from the command.
 * `enricher acls` prints them, the README's table is rendered from them (a unit test holds the
 * two together), the local secured stack grants exactly these to its app user, and the
 * integration tests run the processor with them.
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
import { topicNames } from './topics.ts';
import { CATALOGUE, COMMANDS, type Catalogue, type Command } from '../topics/catalogue.ts';

export type AclOperation = 'READ' | 'WRITE' | 'DESCRIBE' | 'CREATE' | 'DELETE';
export type AclResource = 'TOPIC' | 'GROUP' | 'TRANSACTIONAL_ID' | 'CLUSTER';

export interface AclRule {
  resource: AclResource;
  pattern: 'LITERAL' | 'PREFIXED';
  name: string;
  operations: AclOperation[];
}

export const ACL_COMMANDS = COMMANDS;
export type AclCommand = Command;

type Names = Pick<Config, 'topics' | 'kafka' | 'costs' | 'retry'>;

/**
 * The topic rights of a command: the catalogue's access of every topic it uses. The retry
 * tiers are one prefixed rule (their names follow RETRY_DELAYS); `topics create` describes
 * every topic and may create them.
 */
function topicRules(c: Names, command: Command, catalogue: Catalogue): AclRule[] {
  return Object.entries(catalogue).flatMap(([id, entry]): AclRule[] => {
    const operations = entry.access[command];
    if (!operations) return [];
    if (entry.perRetryTier) return [{ resource: 'TOPIC', pattern: 'PREFIXED', name: `${c.topics.retryPrefix}.`, operations: [...operations] }];
    return topicNames(c, id, catalogue).map((name) => ({ resource: 'TOPIC', pattern: 'LITERAL', name, operations: [...operations] }));
  });
}

/**
 * The groups and transactional ids of a command. Its groups (its own, `<group>.retry`, the
 * short-lived readers) and transactional ids all start with KAFKA_GROUP_ID, so one prefixed
 * rule covers each kind; the aggregator's group may be named apart (COST_AGGREGATOR_GROUP_ID).
 */
function clientRules(c: Names, command: Command): AclRule[] {
  const groups = (...operations: AclOperation[]): AclRule => ({ resource: 'GROUP', pattern: 'PREFIXED', name: c.kafka.groupId, operations });
  const txPrefix: AclRule = { resource: 'TRANSACTIONAL_ID', pattern: 'PREFIXED', name: c.kafka.groupId, operations: ['WRITE'] };
  const aggregatorGroups: AclRule[] = c.costs.aggregatorGroupId.startsWith(c.kafka.groupId)
    ? []
    : [{ resource: 'GROUP', pattern: 'PREFIXED', name: c.costs.aggregatorGroupId, operations: ['READ', 'DELETE'] }];
  switch (command) {
    case 'start':
      return [groups('READ', 'DELETE'), txPrefix];
    case 'aggregate-costs':
      return [groups('READ', 'DELETE'), ...aggregatorGroups, { resource: 'TRANSACTIONAL_ID', pattern: 'LITERAL', name: `${c.costs.aggregatorGroupId}.tx`, operations: ['WRITE'] }];
    case 'costs':
    case 'config get':
    case 'eval':
      return [groups('READ', 'DELETE')];
    case 'redrive':
      return [groups('READ', 'DELETE'), { resource: 'TRANSACTIONAL_ID', pattern: 'LITERAL', name: `${c.kafka.groupId}.redrive`, operations: ['WRITE'] }];
    case 'replay':
      return [{ resource: 'GROUP', pattern: 'LITERAL', name: c.kafka.groupId, operations: ['READ'] }];
    case 'review':
      // The overview reads the processor group's lag on documents.raw: DESCRIBE.
      return [groups('READ', 'DELETE', 'DESCRIBE'), txPrefix];
    case 'topics create':
      return [{ resource: 'CLUSTER', pattern: 'LITERAL', name: 'kafka-cluster', operations: ['CREATE'] }];
    case 'produce':
    case 'config set, unset':
    case 'resume':
      return [];
  }
}

export function requiredAcls(c: Names, command: AclCommand, catalogue: Catalogue = CATALOGUE): AclRule[] {
  return [...topicRules(c, command, catalogue), ...clientRules(c, command)];
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
