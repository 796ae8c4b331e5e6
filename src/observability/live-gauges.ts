/**
 * Gauges read when scraped rather than set as things happen: a consumer's lag needs the
 * partition's high watermark, which nothing in the processing path asks for, and the budget's
 * spend moves with other instances' calls. Each process registers the sources it has (the raw
 * and retry engines each add their partitions); a source that fails or is slow leaves its
 * series out of that scrape rather than failing or stalling the scrape.
 */
import client from 'prom-client';
import { withTimeout } from '../util/with-timeout.ts';

export interface PartitionLag {
  topic: string;
  partition: number;
  /** High watermark minus the committed offset, in records. */
  lag: number;
}

export interface LiveSources {
  /** Adds a consumer's partitions; returns its removal. */
  addLag(source: () => Promise<PartitionLag[]>): () => void;
  /** Adds a consumer's oldest uncommitted document (epoch ms it was read, undefined when none); returns its removal. */
  addOldestUncommitted(source: () => number | undefined): () => void;
  /** The day's spend and the budget (undefined when none is set). */
  setBudget(source: () => { spendUsd: number; budgetUsd: number | undefined }): void;
}

/** A scrape waits at most this for a lag source (a broker away must not stall /metrics). */
const LAG_TIMEOUT_MS = 2_000;

export function createLiveGauges(registry: client.Registry, now: () => number = Date.now): LiveSources {
  const lagSources = new Set<() => Promise<PartitionLag[]>>();
  const oldestSources = new Set<() => number | undefined>();
  let budget: (() => { spendUsd: number; budgetUsd: number | undefined }) | undefined;

  new client.Gauge({
    name: 'enricher_consumer_lag',
    help: "Records behind, per partition this instance owns (documents.raw and the retry topics): the high watermark minus the group's committed offset. A partition last written by a transaction shows its commit marker as 1",
    labelNames: ['topic', 'partition'],
    registers: [registry],
    async collect() {
      this.reset();
      const all = await Promise.all([...lagSources].map((s) => withTimeout(s(), LAG_TIMEOUT_MS, () => new Error('lag source timed out')).catch(() => [])));
      for (const list of all) for (const l of list) this.set({ topic: l.topic, partition: String(l.partition) }, l.lag);
    },
  });
  new client.Gauge({
    name: 'enricher_oldest_uncommitted_age_seconds',
    help: 'Age of the oldest document this instance read and has not committed yet (in flight, or finished behind one that is not): 0 when none',
    registers: [registry],
    collect() {
      let oldest: number | undefined;
      for (const s of oldestSources) {
        const at = s();
        if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
      }
      this.set(oldest === undefined ? 0 : Math.max(0, (now() - oldest) / 1000));
    },
  });
  new client.Gauge({
    name: 'enricher_budget_spend_usd',
    help: "Today's (UTC) LLM spend as this instance estimates it: the aggregated totals plus its own calls not aggregated yet",
    // A label, so that a process without a budget guard has no series (an unlabelled gauge shows 0).
    labelNames: ['period'],
    registers: [registry],
    collect() {
      this.reset();
      if (budget) this.set({ period: 'day' }, budget().spendUsd);
    },
  });
  new client.Gauge({
    name: 'enricher_budget_limit_usd',
    help: 'The daily LLM budget (DAILY_BUDGET_USD or its runtime setting); absent when none is set',
    labelNames: ['period'],
    registers: [registry],
    collect() {
      this.reset();
      const limit = budget?.().budgetUsd;
      if (limit !== undefined) this.set({ period: 'day' }, limit);
    },
  });

  return {
    addLag(source) {
      lagSources.add(source);
      return () => lagSources.delete(source);
    },
    addOldestUncommitted(source) {
      oldestSources.add(source);
      return () => oldestSources.delete(source);
    },
    setBudget(source) {
      budget = source;
    },
  };
}
