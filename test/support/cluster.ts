/**
 * The local 3-node KRaft cluster (scripts/local-stack/cluster.sh) for the long tests: starting,
 * stopping and killing its nodes, and asking it who leads what, so that a test can kill the
 * broker that matters most to the processors.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import type { KafkaClient } from '../../src/kafka/client.ts';
import { transactionalId } from '../../src/kafka/transactional-committer.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The brokers of cluster.sh, node N on 29091 + N. */
export const CLUSTER_BROKERS = ['127.0.0.1:29092', '127.0.0.1:29093', '127.0.0.1:29094'];

/** Runs `cluster.sh <args>`; its messages go to this process's stderr. */
export function clusterSh(...args: string[]): void {
  execFileSync('bash', ['scripts/local-stack/cluster.sh', ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000 });
}

/** Java's String.hashCode, which Kafka uses to place a transactional id or a group on its coordinator. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Integer.MIN_VALUE maps to 0, not to itself. */
const kafkaAbs = (n: number) => (n === -2147483648 ? 0 : Math.abs(n));

/** The partition of `__transaction_state` (or `__consumer_offsets`) that holds this id. */
export function coordinatorPartition(id: string, partitions: number): number {
  return kafkaAbs(javaStringHashCode(id)) % partitions;
}

/** Partition → leader node, for each topic. */
export async function leaders(admin: Admin, topics: string[]): Promise<Record<string, Record<number, number>>> {
  const md = await admin.fetchTopicMetadata({ topics });
  return Object.fromEntries(md.topics.map((t) => [t.name, Object.fromEntries(t.partitions.map((p) => [p.partitionId, p.leader]))]));
}

/** 1 for a transactional id, 0 for a consumer group (FindCoordinator's key type). */
export type CoordinatorType = 0 | 1;

/**
 * The coordinator as the cluster names it, by a FindCoordinator request. KafkaJS's admin has no
 * such call; its Cluster has, behind a private factory of the client (KafkaJS is pinned to 2.2.4
 * by load-kafkajs.ts). The request goes uncached, straight to a broker.
 */
export async function findCoordinator(kafka: KafkaClient, id: string, type: CoordinatorType): Promise<number> {
  const factory = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!factory) throw new Error('KafkaJS has no private:Kafka:createCluster any more: compute the coordinator instead (coordinatorPartition)');
  const cluster = (kafka as unknown as Record<symbol, (o: object) => ClusterInternals>)[factory]!({});
  await cluster.connect();
  try {
    await cluster.refreshMetadata(); // the pool knows only the seed broker until then
    const { coordinator } = await cluster.findGroupCoordinatorMetadata({ groupId: id, coordinatorType: type });
    return coordinator.nodeId;
  } finally {
    await cluster.disconnect();
  }
}

interface ClusterInternals {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findGroupCoordinatorMetadata(args: { groupId: string; coordinatorType: number }): Promise<{ coordinator: { nodeId: number } }>;
}

/**
 * The coordinator computed from the metadata: the leader of the internal topic's partition that
 * holds the id. Checks findCoordinator's answer (they differ only while leadership moves).
 */
export async function computedCoordinator(admin: Admin, id: string, type: CoordinatorType): Promise<number> {
  const topic = type === 1 ? '__transaction_state' : '__consumer_offsets';
  const byPartition = (await leaders(admin, [topic]))[topic]!;
  return byPartition[coordinatorPartition(id, Object.keys(byPartition).length)]!;
}

/** Who serves the processors on each node: raw partitions led, transactional ids and groups coordinated. */
export interface ClusterRoles {
  /** Raw partition → leader node. */
  rawLeaders: Record<number, number>;
  /** Transactional id → its coordinator, as FindCoordinator answered and as computed from the metadata. */
  txCoordinators: Record<string, { found: number; computed: number }>;
  /** The processor group's coordinator (and the retry consumer's). */
  groupCoordinator: number;
  retryGroupCoordinator: number;
}

export async function clusterRoles(kafka: KafkaClient, admin: Admin, raw: string, groupId: string): Promise<ClusterRoles> {
  const rawLeaders = (await leaders(admin, [raw]))[raw]!;
  const txCoordinators: ClusterRoles['txCoordinators'] = {};
  for (const p of Object.keys(rawLeaders)) {
    const id = transactionalId(groupId, raw, Number(p));
    txCoordinators[id] = { found: await findCoordinator(kafka, id, 1), computed: await computedCoordinator(admin, id, 1) };
  }
  return {
    rawLeaders,
    txCoordinators,
    groupCoordinator: await findCoordinator(kafka, groupId, 0),
    retryGroupCoordinator: await findCoordinator(kafka, `${groupId}.retry`, 0),
  };
}

/** What a node does for the processors, in the roles' words. */
export function rolesOf(roles: ClusterRoles, node: number) {
  return {
    node,
    rawPartitionsLed: Object.entries(roles.rawLeaders).filter(([, n]) => n === node).map(([p]) => Number(p)),
    transactionalIdsCoordinated: Object.entries(roles.txCoordinators).filter(([, c]) => c.found === node).map(([id]) => id),
    groupCoordinator: roles.groupCoordinator === node,
    retryGroupCoordinator: roles.retryGroupCoordinator === node,
  };
}

/**
 * The node whose loss hurts most: one that leads a raw partition and coordinates transactions of
 * the processors (on 3 nodes with 6 raw partitions each node leads two, so there is one), the
 * group coordinator too where it can be, then the most roles. Undefined when no node is both.
 */
export function pickVictim(roles: ClusterRoles, nodes: number[]): number | undefined {
  const score = (n: number) => {
    const r = rolesOf(roles, n);
    return (r.groupCoordinator ? 100 : 0) + r.rawPartitionsLed.length + r.transactionalIdsCoordinated.length;
  };
  const both = nodes.filter((n) => rolesOf(roles, n).rawPartitionsLed.length > 0 && rolesOf(roles, n).transactionalIdsCoordinated.length > 0);
  return both.sort((a, b) => score(b) - score(a))[0];
}
