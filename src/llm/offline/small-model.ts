/**
 * `offline-small`: a second offline "model", so that a shadow candidate (SHADOW_MODEL) or an
 * eval can be tried against the offline provider. It starts from the same offline answers and
 * changes them in a fixed, documented way (docs/prompts-and-models.md#shadow-runs):
 * - extract: at most SMALL_ENTITIES_PER_TYPE entities of each type (the first ones found);
 * - summarize: the summary's first sentence only;
 * - classify: it reads the first SMALL_CLASSIFY_CHARS characters of the text only (with the
 *   title, and its own shorter summary and fewer entities), and weighs differently: "other"
 *   gets OTHER_BONUS more score before the scores are normalised again, so texts with little
 *   signal tip to "other"; the confidence of a category kept is the default one × (0.8 + its
 *   new score ÷ 5), that of a move to "other" its new score (a blunter, less sure classifier).
 * A step it does not know is answered as the default offline model answers it.
 */

export const OFFLINE_SMALL_MODEL = 'offline-small';

export const SMALL_ENTITIES_PER_TYPE = 2;
export const OTHER_BONUS = 0.15;
export const SMALL_CLASSIFY_CHARS = 300;

type Json = Record<string, unknown>;

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

function fewerEntities(a: Json): Json {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, Array.isArray(v) ? v.slice(0, SMALL_ENTITIES_PER_TYPE) : v]));
}

function firstSentence(a: Json): Json {
  if (typeof a.summary !== 'string') return a;
  const m = /^[\s\S]*?[.!?](?=\s|$)/.exec(a.summary.trim());
  return { ...a, summary: m ? m[0] : a.summary.trim() };
}

function reweighted(a: Json): Json {
  const scores = a.scores as { category: string; score: number }[] | undefined;
  const confidence = a.confidence as number | null | undefined;
  if (!Array.isArray(scores) || scores.length === 0 || typeof confidence !== 'number') return a;
  const raised = scores.map((s) => ({ category: s.category, score: s.score + (s.category === 'other' ? OTHER_BONUS : 0) }));
  const total = raised.reduce((n, s) => n + s.score, 0);
  const normal = raised.map((s) => ({ category: s.category, score: round4(s.score / total) }));
  // The first of the top scores: ties keep the list's order, as the default classifier's do.
  const top = normal.reduce((best, s) => (s.score > best.score ? s : best));
  const moved = top.category !== a.category;
  return { category: top.category, confidence: round4(Math.min(1, moved ? top.score : confidence * (0.8 + top.score / 5))), scores: normal };
}

const VARIATIONS: Record<string, (answer: Json) => Json> = { extract: fewerEntities, summarize: firstSentence, classify: reweighted };

/** What the small model reads of a step's input: the classifier skims. */
export function smallModelInput<I extends { step: string; content: string }>(input: I): I {
  return input.step === 'classify' ? { ...input, content: input.content.slice(0, SMALL_CLASSIFY_CHARS) } : input;
}

/** The small model's answer for a step, from the default offline answer (to its input as smallModelInput cut it). */
export function smallModelAnswer(step: string, answer: unknown): unknown {
  const vary = VARIATIONS[step];
  return vary && answer !== null && typeof answer === 'object' ? vary(answer as Json) : answer;
}
