/**
 * What the cost aggregator reads before it consumes: its totals (llm.costs.daily), the alerts
 * it already raised (llm.budget-alerts), and the call ids just before its committed offsets
 * (the tail of llm.cost-events) for its dedup window. All read_committed, after the fence, so
 * they match the committed offsets exactly.
 */
import type { Admin } from 'kafkajs';
import { BudgetAlert, DailyCost } from '../contracts/index.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { decodeJson, jsonPayload } from '../kafka/serde.ts';
import type { Logger } from '../observability/logger.ts';
import { readTopicOnce, topicOffsets } from '../kafka/topic-reader.ts';
import { alertKey } from './budget/budget-levels.ts';
import type { DedupWindow } from './dedup.ts';
import { fromDailyCost, type TotalsState } from './daily-totals.ts';

interface ReadDeps {
  kafka: KafkaClient;
  groupBase: string;
  logger: Logger;
}

export async function restoreTotals(deps: ReadDeps, topic: string): Promise<TotalsState> {
  const state: TotalsState = new Map();
  await readTopicOnce({
    ...deps, topic, timeoutMs: 60_000,
    onRecord: (r) => {
      if (r.key === null) return;
      if (r.value === null) {
        state.delete(r.key);
        return;
      }
      try {
        state.set(r.key, fromDailyCost(decodeJson(r.value, DailyCost, 'decode', 'daily cost record')));
      } catch (e) {
        // Not ours (or from a future version): counting on from zero for that key would be
        // wrong, but so would refusing to run; say so loudly.
        deps.logger.error({ topic, key: r.key, offset: r.offset, err: (e as Error).message }, 'unreadable daily cost record: its totals are not restored');
      }
    },
  });
  return state;
}

export async function restoreAlerts(deps: ReadDeps, topic: string): Promise<Set<string>> {
  const sent = new Set<string>();
  await readTopicOnce({
    ...deps, topic, timeoutMs: 60_000,
    onRecord: (r) => {
      try {
        const a = decodeJson(r.value, BudgetAlert, 'decode', 'budget alert');
        sent.add(alertKey(a.day, a.level));
      } catch {
        // Somebody else's record: it cannot stand for one of our alerts.
      }
    },
  });
  return sent;
}

/**
 * Offers the call ids of the last `window` events before the committed offsets (spread over
 * the partitions) to the dedup window. Returns how many ids it read.
 */
export async function warmDedupWindow(deps: ReadDeps & { admin: Admin; groupId: string }, topic: string, window: number, dedup: DedupWindow): Promise<number> {
  if (window <= 0) return 0;
  const committed = (await deps.admin.fetchOffsets({ groupId: deps.groupId, topics: [topic] })).find((t) => t.topic === topic)?.partitions ?? [];
  const ends = await topicOffsets(deps.kafka, topic);
  const perPartition = BigInt(Math.ceil(window / Math.max(1, ends.length)));
  const from = new Map<number, bigint>();
  const until = new Map<number, bigint>();
  for (const e of ends) {
    const c = committed.find((p) => p.partition === e.partition);
    const to = c && Number(c.offset) >= 0 ? BigInt(c.offset) : -1n;
    const low = BigInt(e.low);
    if (to <= low) {
      until.set(e.partition, low); // nothing committed: nothing to remember
      continue;
    }
    from.set(e.partition, to - perPartition > low ? to - perPartition : low);
    until.set(e.partition, to);
  }
  if (from.size === 0) return 0;
  let read = 0;
  await readTopicOnce({
    ...deps, topic, from, until, timeoutMs: 60_000,
    onRecord: (r) => {
      try {
        const id = (r.value ? (JSON.parse(jsonPayload(r.value).toString('utf8')) as { call_id?: unknown } | null) : null)?.call_id;
        if (typeof id === 'string') {
          dedup.firstTime(id);
          read++;
        }
      } catch {
        // An unreadable event was skipped when it was counted, too.
      }
    },
  });
  return read;
}
