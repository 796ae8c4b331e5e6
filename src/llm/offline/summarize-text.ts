/**
 * The offline provider's summary: extractive, from the document's own sentences. Deterministic
 * and pure.
 */
import type { Entities } from '../../contracts/index.ts';
import { contentWords, splitSentences } from './nlp.ts';

const SUMMARY_MAX_CHARS = 400;
const SUMMARY_MAX_SENTENCES = 3;

function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.lastIndexOf(' ', max - 1);
  return `${s.slice(0, cut > max / 2 ? cut : max - 1).replace(/[\s,;:]+$/, '')}…`;
}

/**
 * Extractive summary: sentences scored by the document's own term frequencies (length-damped,
 * so long sentences do not win by size), plus a bonus per entity mentioned and a small lead
 * bonus, since news puts its point first. The best that fit are returned in document order.
 */
export function summarize(content: string, entities: Entities, title?: string): string {
  const all = splitSentences(content);
  const sentences = all.filter((s) => s.length >= 25 && /\s/.test(s));
  const pool = sentences.length > 0 ? sentences : all;
  if (pool.length === 0) return truncate(content.trim() || title?.trim() || '(empty document)', SUMMARY_MAX_CHARS);

  const tf = new Map<string, number>();
  for (const w of contentWords(content)) tf.set(w, (tf.get(w) ?? 0) + 1);
  const entityNames = [...entities.people, ...entities.organizations, ...entities.topics]
    .map((e) => e.toLowerCase())
    .filter((e) => e.length > 2);

  const raw = pool.map((s) => {
    const unique = new Set(contentWords(s));
    let sum = 0;
    for (const w of unique) sum += tf.get(w) ?? 0;
    return sum / Math.sqrt(Math.max(unique.size, 6));
  });
  const max = Math.max(...raw, 1e-9);
  const scored = pool.map((s, i) => {
    const lower = s.toLowerCase();
    let hits = 0;
    for (const e of entityNames) if (lower.includes(e)) hits++;
    const score = raw[i]! / max + Math.min(hits, 3) * 0.15 + (i === 0 ? 0.1 : 0);
    return { s, i, score };
  });

  const chosen: typeof scored = [];
  let length = 0;
  for (const c of [...scored].sort((a, b) => b.score - a.score || a.i - b.i)) {
    if (chosen.length >= SUMMARY_MAX_SENTENCES) break;
    const extra = c.s.length + (chosen.length > 0 ? 1 : 0);
    if (length + extra > SUMMARY_MAX_CHARS) continue;
    chosen.push(c);
    length += extra;
  }
  if (chosen.length === 0) return truncate(scored.reduce((a, b) => (b.score > a.score ? b : a)).s, SUMMARY_MAX_CHARS);
  return chosen
    .sort((a, b) => a.i - b.i)
    .map((c) => c.s)
    .join(' ');
}
