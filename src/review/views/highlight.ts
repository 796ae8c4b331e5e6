/**
 * The document's text with the extracted entities marked. Matching is case-insensitive and the
 * longest entity wins where two overlap; every piece of text is escaped by the html tag.
 */
import type { Entities } from '../../contracts/index.ts';
import { html, type Html } from './html.ts';

export const ENTITY_KINDS = ['people', 'organizations', 'dates', 'topics'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

interface Span {
  start: number;
  end: number;
  kind: EntityKind;
}

/** Non-overlapping spans, in text order. */
export function entitySpans(text: string, entities: Entities, maxSpans = 5000): Span[] {
  const lower = text.toLowerCase();
  const wanted = ENTITY_KINDS.flatMap((kind) => entities[kind].map((e) => ({ kind, needle: e.trim().toLowerCase() })))
    .filter((w) => w.needle.length >= 2)
    .sort((a, b) => b.needle.length - a.needle.length);
  const taken: Span[] = [];
  const free = (s: number, e: number) => !taken.some((t) => s < t.end && e > t.start);
  // Whole words only: "the" must not light up inside "weather".
  const wordChar = (i: number) => i >= 0 && i < text.length && /[\p{L}\p{N}]/u.test(text[i]!);
  const whole = (s: number, e: number) => !(wordChar(s) && wordChar(s - 1)) && !(wordChar(e - 1) && wordChar(e));
  for (const w of wanted) {
    for (let at = lower.indexOf(w.needle); at >= 0 && taken.length < maxSpans; at = lower.indexOf(w.needle, at + w.needle.length)) {
      // The lower-cased text can differ in length from the original for a few scripts; such matches are skipped.
      if (lower.length === text.length && whole(at, at + w.needle.length) && free(at, at + w.needle.length)) taken.push({ start: at, end: at + w.needle.length, kind: w.kind });
    }
  }
  return taken.sort((a, b) => a.start - b.start);
}

export function highlightEntities(text: string, entities: Entities): Html {
  const parts: Html[] = [];
  let at = 0;
  for (const s of entitySpans(text, entities)) {
    parts.push(html`${text.slice(at, s.start)}<mark class="ent ent-${s.kind}" title="${s.kind}">${text.slice(s.start, s.end)}</mark>`);
    at = s.end;
  }
  parts.push(html`${text.slice(at)}`);
  return html`${parts}`;
}
