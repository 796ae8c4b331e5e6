/**
 * Replays done the Kafka way: with the processor group stopped, move its committed offsets on
 * documents.raw back (to the start, to a point in time, or to an offset) and start it again.
 * Pure argument parsing plus a plan (current → new per partition) that is shown before it is
 * applied; the CLI (src/cli/replay.ts) decides whether to apply it.
 */
import type { Admin } from 'kafkajs';

export type ReplayTarget =
  | { kind: 'earliest' }
  | { kind: 'datetime'; at: number; text: string }
  | { kind: 'offset'; offset: number };

/** A bad command line: the CLI exits 2 with the message. */
export class ReplayUsageError extends Error {
  override readonly name = 'ReplayUsageError';
}

/** The group is running: resetting it now would race its own commits. The CLI exits 1. */
export class ReplayRefusedError extends Error {
  override readonly name = 'ReplayRefusedError';
}

export interface ReplayOptions {
  toEarliest?: boolean | undefined;
  toDatetime?: string | undefined;
  toOffset?: string | undefined;
}

// Date, or date and time with an explicit zone: a time without a zone would depend on the
// machine the command runs on.
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

export function parseReplayTarget(o: ReplayOptions): ReplayTarget {
  const given = [o.toEarliest ? '--to-earliest' : undefined, o.toDatetime !== undefined ? '--to-datetime' : undefined, o.toOffset !== undefined ? '--to-offset' : undefined].filter(Boolean);
  if (given.length !== 1) {
    throw new ReplayUsageError(
      given.length === 0
        ? 'say where to replay from: --to-earliest, --to-datetime <ISO-8601> or --to-offset <n>'
        : `choose one of --to-earliest, --to-datetime, --to-offset (got ${given.join(' and ')})`,
    );
  }
  if (o.toDatetime !== undefined) {
    const text = o.toDatetime.trim();
    const at = Date.parse(text);
    if (!ISO.test(text) || Number.isNaN(at) || !realDay(text)) {
      throw new ReplayUsageError(`--to-datetime expects an ISO-8601 date or date-time with a zone, such as 2026-03-01 or 2026-03-01T12:00:00Z (got "${o.toDatetime}")`);
    }
    return { kind: 'datetime', at, text };
  }
  if (o.toOffset !== undefined) {
    const text = o.toOffset.trim();
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      throw new ReplayUsageError(`--to-offset expects a non-negative integer offset (got "${o.toOffset}")`);
    }
    return { kind: 'offset', offset: Number(text) };
  }
  return { kind: 'earliest' };
}

/** Date.parse rolls 2026-02-30 over to March; a replay point must be a day that exists. */
function realDay(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

export function describeTarget(t: ReplayTarget): string {
  if (t.kind === 'earliest') return 'the earliest offset';
  if (t.kind === 'datetime') return `the first message at or after ${new Date(t.at).toISOString()}`;
  return `offset ${t.offset}`;
}

export interface PartitionPlan {
  partition: number;
  /** The committed offset, or undefined when the group has none on this partition. */
  current: string | undefined;
  next: string;
  low: string;
  high: string;
  /** Set when the wanted offset was outside what the partition holds. */
  note?: string | undefined;
}

export interface ReplayPlan {
  groupId: string;
  topic: string;
  target: ReplayTarget;
  state: string;
  members: Array<{ clientId: string; clientHost: string }>;
  partitions: PartitionPlan[];
}

type ReplayAdmin = Pick<Admin, 'listTopics' | 'describeGroups' | 'fetchOffsets' | 'fetchTopicOffsets' | 'fetchTopicOffsetsByTimestamp' | 'setOffsets'>;

export async function planReplay(admin: ReplayAdmin, groupId: string, topic: string, target: ReplayTarget): Promise<ReplayPlan> {
  // Asked first: KafkaJS retries an unknown topic for about 40 s before it gives up.
  if (!(await admin.listTopics()).includes(topic)) throw new ReplayUsageError(`topic ${topic} does not exist (TOPIC_RAW)`);
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  const watermarks = await admin.fetchTopicOffsets(topic);
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  const byTime = target.kind === 'datetime' ? await admin.fetchTopicOffsetsByTimestamp(topic, target.at) : [];
  const partitions = watermarks
    .map((w): PartitionPlan => {
      const c = committed.find((t) => t.topic === topic)?.partitions.find((p) => p.partition === w.partition)?.offset;
      const current = c === undefined || Number(c) < 0 ? undefined : c;
      const low = BigInt(w.low);
      const high = BigInt(w.high);
      let next: bigint;
      let note: string | undefined;
      if (target.kind === 'earliest') next = low;
      else if (target.kind === 'datetime') next = BigInt(byTime.find((b) => b.partition === w.partition)?.offset ?? w.high);
      else {
        next = BigInt(target.offset);
        // Like kafka-consumer-groups --to-offset: an offset the partition no longer (or not yet) holds is clamped.
        if (next < low) [next, note] = [low, `offset ${target.offset} is gone (retention): clamped to ${low}`];
        else if (next > high) [next, note] = [high, `offset ${target.offset} is past the end: clamped to ${high}`];
      }
      return { partition: w.partition, current, next: next.toString(), low: w.low, high: w.high, ...(note ? { note } : {}) };
    })
    .sort((a, b) => a.partition - b.partition);
  return {
    groupId, topic, target,
    state: group?.state ?? 'Dead',
    members: (group?.members ?? []).map((m) => ({ clientId: m.clientId, clientHost: m.clientHost })),
    partitions,
  };
}

/** Messages the group will read again: from the new offset to where it stood (or the end). */
export function messagesToReplay(plan: ReplayPlan): bigint {
  return plan.partitions.reduce((sum, p) => {
    const from = BigInt(p.next);
    const to = BigInt(p.current ?? p.high);
    return sum + (to > from ? to - from : 0n);
  }, 0n);
}

export function refusal(plan: ReplayPlan): string | undefined {
  if (plan.members.length === 0) return undefined;
  const who = plan.members.map((m) => `${m.clientId}@${m.clientHost.replace(/^\//, '')}`).join(', ');
  return `group ${plan.groupId} has ${plan.members.length} active member(s) (${who}; state ${plan.state}): stop every processor first, then replay, then start them again`;
}

/** Applies a plan and reads back the positions the group now has. */
export async function applyReplay(admin: ReplayAdmin, plan: ReplayPlan): Promise<Array<{ partition: number; offset: string }>> {
  const again = await admin.describeGroups([plan.groupId]);
  const members = again.groups[0]?.members ?? [];
  // Checked again right before writing: a processor may have started since the plan was made.
  if (members.length > 0) throw new ReplayRefusedError(refusal({ ...plan, members: members.map((m) => ({ clientId: m.clientId, clientHost: m.clientHost })) })!);
  await admin.setOffsets({ groupId: plan.groupId, topic: plan.topic, partitions: plan.partitions.map((p) => ({ partition: p.partition, offset: p.next })) });
  const after = await admin.fetchOffsets({ groupId: plan.groupId, topics: [plan.topic] });
  return (after.find((t) => t.topic === plan.topic)?.partitions ?? [])
    .map((p) => ({ partition: p.partition, offset: p.offset }))
    .sort((a, b) => a.partition - b.partition);
}
