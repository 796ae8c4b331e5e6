/**
 * The queue's filters and sort orders, read from a query string and written back into links, so
 * that a filtered queue, its items and their next / previous links all keep the same view.
 */
import type { QueueItem } from './review-state.ts';

export const SORTS = ['oldest', 'newest', 'confidence-asc', 'confidence-desc'] as const;
export type Sort = (typeof SORTS)[number];

export interface QueueFilter {
  reason?: string;
  category?: string;
  minConfidence?: number;
  maxConfidence?: number;
  model?: string;
  prompt?: string;
  run?: string;
  sort: Sort;
}

type Query = Record<string, unknown>;

const text = (q: Query, k: string) => {
  const v = q[k];
  return typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 200) : undefined;
};
const fraction = (q: Query, k: string) => {
  const s = text(q, k);
  const n = s === undefined ? Number.NaN : Number(s);
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : undefined;
};

/** Unknown or malformed values are ignored: a bad link shows the whole queue, never an error. */
export function parseFilter(q: Query): QueueFilter {
  const sort = text(q, 'sort');
  const f: QueueFilter = { sort: (SORTS as readonly string[]).includes(sort ?? '') ? (sort as Sort) : 'oldest' };
  const set = <K extends keyof QueueFilter>(k: K, v: QueueFilter[K] | undefined) => {
    if (v !== undefined) f[k] = v;
  };
  set('reason', text(q, 'reason'));
  set('category', text(q, 'category'));
  set('minConfidence', fraction(q, 'min'));
  set('maxConfidence', fraction(q, 'max'));
  set('model', text(q, 'model'));
  set('prompt', text(q, 'prompt'));
  set('run', text(q, 'run'));
  return f;
}

/** The filter as query parameters (without the leading "?"); the default sort is left out. */
export function filterQuery(f: QueueFilter): string {
  const p = new URLSearchParams();
  const put = (k: string, v: string | number | undefined) => {
    if (v !== undefined) p.set(k, String(v));
  };
  put('reason', f.reason);
  put('category', f.category);
  put('min', f.minConfidence);
  put('max', f.maxConfidence);
  put('model', f.model);
  put('prompt', f.prompt);
  put('run', f.run);
  if (f.sort !== 'oldest') p.set('sort', f.sort);
  return p.toString();
}

export function isFiltered(f: QueueFilter): boolean {
  return [f.reason, f.category, f.minConfidence, f.maxConfidence, f.model, f.prompt, f.run].some((v) => v !== undefined);
}

function matches(q: QueueItem, f: QueueFilter): boolean {
  const c = q.item.classification.confidence;
  if (f.reason !== undefined && !q.item.review_reasons.some((r) => r.code === f.reason)) return false;
  if (f.category !== undefined && q.item.classification.category !== f.category) return false;
  if (f.minConfidence !== undefined && c < f.minConfidence) return false;
  if (f.maxConfidence !== undefined && c > f.maxConfidence) return false;
  if (f.model !== undefined && q.item.model !== f.model) return false;
  if (f.prompt !== undefined && q.item.prompt_version !== f.prompt) return false;
  if (f.run !== undefined && q.runId !== f.run) return false;
  return true;
}

const ORDER: Record<Sort, (a: QueueItem, b: QueueItem) => number> = {
  oldest: (a, b) => a.timestamp - b.timestamp,
  newest: (a, b) => b.timestamp - a.timestamp,
  'confidence-asc': (a, b) => a.item.classification.confidence - b.item.classification.confidence,
  'confidence-desc': (a, b) => b.item.classification.confidence - a.item.classification.confidence,
};

/** The items the filter lets through, in its order (ties broken by age, then id, so the order is stable). */
export function applyFilter(items: readonly QueueItem[], f: QueueFilter): QueueItem[] {
  return items
    .filter((q) => matches(q, f))
    .sort((a, b) => ORDER[f.sort](a, b) || a.timestamp - b.timestamp || a.documentId.localeCompare(b.documentId));
}

export interface QueueSummary {
  total: number;
  byReason: Map<string, number>;
  oldestAgeMs: number | undefined;
}

export function summarize(items: readonly QueueItem[], now: number): QueueSummary {
  const byReason = new Map<string, number>();
  let oldest: number | undefined;
  for (const q of items) {
    for (const r of new Set(q.item.review_reasons.map((x) => x.code))) byReason.set(r, (byReason.get(r) ?? 0) + 1);
    if (oldest === undefined || q.timestamp < oldest) oldest = q.timestamp;
  }
  return { total: items.length, byReason, oldestAgeMs: oldest === undefined ? undefined : Math.max(0, now - oldest) };
}

/** The values each filter can take in the open queue, for the filter form's choices. */
export function filterChoices(items: readonly QueueItem[]): { models: string[]; prompts: string[]; runs: string[]; categories: string[] } {
  const sorted = (f: (q: QueueItem) => string | undefined) => [...new Set(items.map(f).filter((v): v is string => v !== undefined))].sort();
  return {
    models: sorted((q) => q.item.model),
    prompts: sorted((q) => q.item.prompt_version),
    runs: sorted((q) => q.runId),
    categories: sorted((q) => q.item.classification.category),
  };
}

/** The neighbours of an item in the filtered order: j / k and "next after deciding". */
export function neighbours(list: readonly QueueItem[], documentId: string): { previous?: QueueItem; next?: QueueItem } {
  const i = list.findIndex((q) => q.documentId === documentId);
  if (i < 0) return list[0] ? { next: list[0] } : {};
  const out: { previous?: QueueItem; next?: QueueItem } = {};
  if (list[i - 1]) out.previous = list[i - 1]!;
  if (list[i + 1]) out.next = list[i + 1]!;
  return out;
}
