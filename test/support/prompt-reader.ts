/**
 * How the scripted model (scripted-model.ts) answers by reading the prompt: deterministic
 * answers derived from the prompt text. The fake OpenAI server answers this way over HTTP;
 * scriptedModel({ answers: readingPrompts() }) does in process.
 *
 * Directives in any user message (usually the document text) steer classify:
 *   @category=finance   @confidence=0.55   @confidence=null   @category_p=0.3
 * (@category_p: the probability the model's tokens give its category, for log-probabilities).
 * They are remembered per document id, because the classify prompt carries only the summary.
 */
export const STEPS = ['extract', 'summarize', 'classify'] as const;
export type FakeStep = (typeof STEPS)[number] | 'unknown';

export interface ChatMessage {
  role: string;
  content: unknown;
}

interface Directives {
  category?: string;
  confidence?: number | null;
  categoryProbability?: number;
}

const DIRECTIVE = /@(category_p|category|confidence)=([A-Za-z0-9_.\-]+)/g;
const ORG_SUFFIX = /^(Inc|Corp|Ltd|Bank|LLC|GmbH|PLC)\.?$/;
const NOT_NAMES = new Set(['The', 'A', 'An', 'In', 'On', 'At', 'Of', 'For', 'And', 'But', 'This', 'That', 'It', 'We', 'He', 'She', 'They', 'Title', 'Document', 'Summary', 'Topics', 'Organizations', 'People', 'Dates', 'Allowed', 'Key']);

export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  }
  return '';
}

function parseDirectives(text: string): Directives {
  const out: Directives = {};
  for (const m of text.matchAll(DIRECTIVE)) {
    const value = m[2] ?? '';
    if (m[1] === 'category_p') {
      if (Number.isFinite(Number(value))) out.categoryProbability = Number(value);
    } else if (m[1] === 'category') out.category = value;
    else if (value === 'null') out.confidence = null;
    else if (Number.isFinite(Number(value))) out.confidence = Number(value);
  }
  return out;
}

/**
 * The document inside a prompt: the `"""` block after "Document:" (src/llm/chain/prompts.ts), a
 * <document> element, or else the whole first user message.
 */
function documentText(messages: readonly ChatMessage[]): string {
  const first = messages.find((m) => m.role === 'user');
  const text = first ? messageText(first.content) : '';
  const quoted = /Document:\s*\n?"""\n?([\s\S]*?)\n?"""/.exec(text);
  const tagged = /<document>([\s\S]*?)<\/document>/.exec(text);
  const body = quoted?.[1] ?? tagged?.[1] ?? text;
  return body.replace(DIRECTIVE, ' ').replace(/[ \t]+/g, ' ').trim();
}

/** The "Allowed categories: a, b, c" line of the classify prompt, if any. */
function allowedCategories(messages: readonly ChatMessage[]): string[] {
  for (const m of messages) {
    const line = /Allowed categories:\s*(.+)/.exec(messageText(m.content));
    if (line?.[1]) return line[1].split(',').map((s) => s.trim()).filter(Boolean);
  }
  return [];
}

function extractAnswer(text: string) {
  const words = text.split(/\s+/).map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}.]+$/gu, '').replace(/\.$/, ''));
  const people: string[] = [];
  const organizations: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (ORG_SUFFIX.test(w) && i > 0 && isCapitalised(words[i - 1] ?? '')) {
      let start = i - 1;
      while (start > 0 && isCapitalised(words[start - 1] ?? '') && !NOT_NAMES.has(words[start - 1] ?? '')) start--;
      organizations.push(words.slice(start, i + 1).join(' '));
    }
  }
  for (let i = 0; i + 1 < words.length; i++) {
    const a = words[i] ?? '';
    const b = words[i + 1] ?? '';
    if (isName(a) && isName(b) && !ORG_SUFFIX.test(words[i + 2] ?? '')) {
      people.push(`${a} ${b}`);
      i++;
    }
  }
  const dates = [...text.matchAll(/\b(1[89]\d\d|20\d\d)\b/g)].map((m) => m[1] ?? '');
  const topics = [...text.matchAll(/\b[a-z]{8,}\b/g)].map((m) => m[0]);
  return {
    people: unique(people),
    organizations: unique(organizations),
    dates: unique(dates),
    topics: unique(topics).slice(0, 5),
  };
}

function summarizeAnswer(text: string) {
  const first = (/^[\s\S]*?[.!?](?=\s|$)/.exec(text)?.[0] ?? text).trim();
  const summary = first.length > 300 ? first.slice(0, 300) : first;
  return { summary: summary || 'Empty document.' };
}

function classifyAnswer(d: Directives, allowed: readonly string[]) {
  const category = d.category ?? (allowed.length === 0 || allowed.includes('technology') ? 'technology' : (allowed[0] ?? 'technology'));
  const confidence = d.confidence === undefined ? 0.9 : d.confidence;
  const share = confidence ?? 0.5;
  const rest = allowed.length > 0 ? allowed.filter((c) => c !== category) : category === 'other' ? [] : ['other'];
  const each = rest.length > 0 ? round((1 - share) / rest.length) : 0;
  const scores = [{ category, score: share }, ...rest.map((c) => ({ category: c, score: each }))];
  return { category, confidence, scores };
}

export interface PromptReader {
  /** Notes the directives (and, before classify, the text) of a request as it arrives, answered or not. */
  remember(step: FakeStep, documentId: string | undefined, messages: readonly ChatMessage[]): void;
  /** The answer to a step, from the prompt and what was remembered for the document. */
  answer(step: FakeStep, documentId: string | undefined, messages: readonly ChatMessage[]): unknown;
  /** The answer with the model's belief in its category (for log-probabilities; classify only). */
  answerWithBelief(step: FakeStep, documentId: string | undefined, messages: readonly ChatMessage[]): { answer: unknown; categoryProbability?: number };
  /** Forgets every document. */
  reset(): void;
}

export function createPromptReader(): PromptReader {
  const directives = new Map<string, Directives>();
  /** The document text each document id sent (the classify prompt carries only its summary). */
  const texts = new Map<string, string>();
  const remembered = (documentId: string | undefined) => (documentId !== undefined ? (directives.get(documentId) ?? {}) : {});
  return {
    remember(step, documentId, messages) {
      if (documentId === undefined) return;
      const seen = messages.filter((m) => m.role === 'user').map((m) => parseDirectives(messageText(m.content)));
      directives.set(documentId, Object.assign({}, directives.get(documentId), ...seen) as Directives);
      if (step !== 'classify' && !texts.has(documentId)) texts.set(documentId, documentText(messages));
    },
    answer(step, documentId, messages) {
      return answerFor(step, messages, remembered(documentId));
    },
    answerWithBelief(step, documentId, messages) {
      return answerWithBelief(step, messages, remembered(documentId), texts.get(documentId ?? '') ?? '');
    },
    reset() {
      directives.clear();
      texts.clear();
    },
  };
}

function answerFor(step: FakeStep, messages: readonly ChatMessage[], remembered: Directives): unknown {
  const text = documentText(messages);
  switch (step) {
    case 'extract':
      return extractAnswer(text);
    case 'summarize':
      return summarizeAnswer(text);
    case 'classify': {
      const inline = messages.filter((m) => m.role === 'user').map((m) => parseDirectives(messageText(m.content)));
      const d = Object.assign({}, remembered, ...inline) as Directives;
      return classifyAnswer(d, allowedCategories(messages));
    }
    default:
      return {};
  }
}

function isCapitalised(w: string): boolean {
  return /^\p{Lu}[\p{L}&'-]*$/u.test(w);
}

function isName(w: string): boolean {
  return /^\p{Lu}\p{Ll}+$/u.test(w) && !NOT_NAMES.has(w) && !ORG_SUFFIX.test(w);
}

function unique(xs: string[]): string[] {
  return [...new Set(xs.filter(Boolean))];
}

function round(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

/**
 * A gullible model: what a document's injected instruction asked the classifier to answer.
 * The fake obeys any text that demands a confidence of 1.0 (or 100 %, or full certainty) and
 * names an allowed category after a cue such as "as", "under", "category", "label" or "is";
 * when the text also mentions scores, it writes the demanded scores too. Its own belief (the
 * probability its tokens give the category) does not move: see classifyWithBelief.
 */
export interface Injection {
  category?: string;
  confidence: number;
  scores: boolean;
}

const DEMANDS_CERTAINTY = /\b(?:confidence|certain(?:ty)?|sure)\b[^.\n]{0,20}?(?:\b1(?:\.0+)?\b|100\s*%)|(?:\b1(?:\.0+)?\b|100\s*%)\s*(?:confidence|certain|sure)|\bfull certainty\b/i;

export function parseInjection(text: string, allowed: readonly string[]): Injection | undefined {
  if (!DEMANDS_CERTAINTY.test(text)) return undefined;
  let category: string | undefined;
  let at = Infinity;
  for (const c of allowed) {
    const m = new RegExp(`\\b(?:as|under|is|to|category|label)\\W{1,4}(?:an?\\s+)?${c}\\b`, 'i').exec(text);
    if (m && m.index < at) {
      at = m.index;
      category = c;
    }
  }
  return { ...(category ? { category } : {}), confidence: 1, scores: /\bscor(?:e|es|ing)\b/i.test(text) };
}

/**
 * The classify answer with the model's belief: the probability its tokens give the category it
 * wrote. Normally that is its own score for the category; when it obeys an injection, it is the
 * score its reading of the text gives the demanded category, which stays low.
 */
function classifyWithBelief(d: Directives, allowed: readonly string[], injection: Injection | undefined) {
  const natural = classifyAnswer(d, allowed);
  const belief = (category: string) => natural.scores.find((s) => s.category === category)?.score ?? 0;
  if (!injection) return { answer: natural, categoryProbability: d.categoryProbability ?? belief(natural.category) };
  const category = injection.category ?? natural.category;
  const scores = injection.scores ? natural.scores.map((s) => ({ category: s.category, score: s.category === category ? 1 : 0 })) : natural.scores;
  return { answer: { category, confidence: injection.confidence, scores }, categoryProbability: d.categoryProbability ?? belief(category) };
}

/** answerFor, with the classify step's belief (undefined for the other steps). */
function answerWithBelief(step: FakeStep, messages: readonly ChatMessage[], remembered: Directives, rememberedText = ''): { answer: unknown; categoryProbability?: number } {
  if (step !== 'classify') return { answer: answerFor(step, messages, remembered) };
  const inline = messages.filter((m) => m.role === 'user').map((m) => parseDirectives(messageText(m.content)));
  const d = Object.assign({}, remembered, ...inline) as Directives;
  const allowed = allowedCategories(messages);
  const userText = messages.filter((m) => m.role === 'user').map((m) => messageText(m.content)).join('\n');
  return classifyWithBelief(d, allowed, parseInjection(`${rememberedText}\n${userText}`, allowed));
}
