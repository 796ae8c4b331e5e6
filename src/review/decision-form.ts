/**
 * What a reviewer submitted, checked before anything is written: the category must be one of
 * CATEGORIES, a rejection needs a reason (and a note for OTHER), and sizes are bounded.
 */
import { RejectReason, type Entities } from '../contracts/index.ts';
import type { DecisionInput } from './decision-outputs.ts';
import { ENTITY_KINDS } from './views/highlight.ts';

export type FormBody = Record<string, string | string[] | undefined>;

export function field(body: FormBody | undefined, key: string): string | undefined {
  const v = body?.[key];
  return Array.isArray(v) ? v[0] : v;
}

export function fields(body: FormBody | undefined, key: string): string[] {
  const v = body?.[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** application/x-www-form-urlencoded into a record; repeated names become arrays. */
export function parseForm(text: string): FormBody {
  const out: FormBody = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

const MAX_SUMMARY = 20_000;
const MAX_ENTITIES = 200;
const MAX_ENTITY = 300;

export function parseRejectReason(value: string | undefined): RejectReason | undefined {
  const r = RejectReason.safeParse(value);
  return r.success ? r.data : undefined;
}

export function parseDecisionForm(body: FormBody | undefined, categories: readonly string[]): { input: DecisionInput } | { error: string } {
  const kind = field(body, 'kind');
  if (kind === 'accept') return { input: { kind: 'accept' } };
  if (kind === 'reject') {
    const reason = parseRejectReason(field(body, 'reject_reason'));
    if (!reason) return { error: 'A rejection needs a reason: pick one of the reason codes.' };
    const note = field(body, 'note')?.trim();
    if (reason === 'OTHER' && !note) return { error: 'A rejection for OTHER needs a note saying why.' };
    if (note && note.length > 2000) return { error: 'The note is longer than 2,000 characters.' };
    return { input: { kind: 'reject', reason, ...(note ? { note } : {}) } };
  }
  if (kind === 'edit') {
    const category = field(body, 'category');
    if (!category || !categories.includes(category)) return { error: `Pick a category from the configured ones (${categories.join(', ')}).` };
    const summary = field(body, 'summary')?.trim();
    if (summary !== undefined && (summary.length === 0 || summary.length > MAX_SUMMARY)) return { error: `The summary must have 1 to ${MAX_SUMMARY} characters.` };
    let entities: Entities | undefined;
    if (ENTITY_KINDS.some((k) => field(body, k) !== undefined)) {
      entities = { people: [], organizations: [], dates: [], topics: [] };
      for (const k of ENTITY_KINDS) {
        const list = [...new Set((field(body, k) ?? '').split(/\r?\n/).map((s) => s.trim()).filter(Boolean))];
        if (list.length > MAX_ENTITIES || list.some((e) => e.length > MAX_ENTITY)) return { error: `At most ${MAX_ENTITIES} ${k}, each at most ${MAX_ENTITY} characters.` };
        entities[k] = list;
      }
    }
    return { input: { kind: 'edit', category, ...(summary !== undefined ? { summary } : {}), ...(entities ? { entities } : {}) } };
  }
  return { error: 'Unknown action.' };
}
