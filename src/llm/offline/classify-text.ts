/**
 * The offline provider's classifier: a lexicon count over the title (weighted), the text, the
 * summary and the topics, whose confidence follows how clear the text is: one dominant
 * vocabulary is confident, an even mix or a vague text is not.
 */
import type { Entities } from '../../contracts/index.ts';
import { DEFAULT_LEXICON, LEXICON, addLexiconHits } from './lexicon.ts';
import { words } from './nlp.ts';

/** What the classifier reads: the document, its summary and entities, and the categories to choose from. */
export interface ClassifyTextInput {
  content: string;
  title?: string | undefined;
  summary: string;
  entities: Entities;
  categories: readonly string[];
}

/** Raw weight of "other": a text must show more signal than this to be called anything else. */
const OTHER_PRIOR = 2.5;
/** "Other" is a shrug, not a finding: its confidence never rises above this. */
const OTHER_EVIDENCE = 0.4;
/** Hits at which evidence is ~63 % "enough"; a 300-character clear text has about ten. */
const EVIDENCE_SCALE = 3;
/** Keeps every configured category's score above zero, as a model's would be. */
const SMOOTHING = 0.05;
const TITLE_WEIGHT = 2;

/**
 * Maps the winner's share of the signal to how sure a model would sound: a logistic centred
 * just below an even two-way split, so two equal topics (share ~0.45) land near 0.55-0.6,
 * a clear winner (share 0.75+) above 0.9, and certainty stays below 1 as a model's does.
 */
const CLARITY_CEILING = 0.98;
const CLARITY_MIDPOINT = 0.42;
const CLARITY_STEEPNESS = 8;
function clarity(share: number): number {
  return CLARITY_CEILING / (1 + Math.exp(-CLARITY_STEEPNESS * (share - CLARITY_MIDPOINT)));
}

export interface ClassificationRecord {
  category: string;
  confidence: number;
  scores: Record<string, number>;
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/** Categories the lexicon does not know can only be recognised by their own name. */
function countNameHits(all: readonly string[], category: string): number {
  const name = category.toLowerCase();
  const parts = name.split(/[-_]/).filter(Boolean);
  const variants = new Set([name, `${name}s`, parts.join('-'), `${parts.join('-')}s`]);
  let n = 0;
  for (let i = 0; i < all.length; i++) {
    if (variants.has(all[i]!)) n++;
    else if (parts.length > 1 && parts.every((p, j) => all[i + j] === p || (j === parts.length - 1 && all[i + j] === `${p}s`))) n++;
  }
  return n;
}

export function classifyText(input: ClassifyTextInput): ClassificationRecord {
  const { categories } = input;
  const hits = new Map<string, number>();
  const titleWords = words(input.title ?? '');
  const bodyWords = [...words(input.content), ...words(input.summary), ...words(input.entities.topics.join(' . '))];
  addLexiconHits(titleWords, TITLE_WEIGHT, hits, DEFAULT_LEXICON);
  addLexiconHits(bodyWords, 1, hits, DEFAULT_LEXICON);

  const raw = categories.map((c) => {
    if (c === 'other') return OTHER_PRIOR;
    if (Object.hasOwn(LEXICON, c)) return hits.get(c) ?? 0;
    return countNameHits(titleWords, c) * TITLE_WEIGHT + countNameHits(bodyWords, c);
  });

  let best = 0;
  for (let i = 1; i < raw.length; i++) if (raw[i]! > raw[best]!) best = i;
  const top = raw[best] ?? 0;
  const total = raw.reduce((a, b) => a + b, 0);
  const smoothedTotal = total + SMOOTHING * categories.length;
  const scores: Record<string, number> = {};
  categories.forEach((c, i) => {
    scores[c] = round4((raw[i]! + SMOOTHING) / smoothedTotal);
  });

  // How much of the signal the winner holds, and whether there was enough signal at all:
  // one dominant vocabulary gives both, an even mix halves the first, a vague text lacks the second.
  const share = total > 0 ? top / total : 0;
  const evidence = categories[best] === 'other' ? OTHER_EVIDENCE : 1 - Math.exp(-top / EVIDENCE_SCALE);
  const confidence = round4(evidence * clarity(share));
  return { category: categories[best] ?? 'other', confidence, scores };
}
