/**
 * How the scripted model (scripted-model.ts) answers by reading the prompt: deterministic
 * answers derived from the prompt text. The fake OpenAI server answers this way over HTTP;
 * scriptedModel({ answers: readingPrompts() }) does in process.
 *
 * Directives in any user message (usually the document text) steer classify:
 *   @category=finance   @confidence=0.55   @confidence=null
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
}

const DIRECTIVE = /@(category|confidence)=([A-Za-z0-9_.\-]+)/g;
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
    if (m[1] === 'category') out.category = value;
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
  /** Notes the directives of a request as it arrives, whether or not it is then answered. */
  remember(documentId: string | undefined, messages: readonly ChatMessage[]): void;
  /** The answer to a step, from the prompt and what was remembered for the document. */
  answer(step: FakeStep, documentId: string | undefined, messages: readonly ChatMessage[]): unknown;
  /** Forgets every document. */
  reset(): void;
}

export function createPromptReader(): PromptReader {
  const directives = new Map<string, Directives>();
  return {
    remember(documentId, messages) {
      if (documentId === undefined) return;
      const seen = messages.filter((m) => m.role === 'user').map((m) => parseDirectives(messageText(m.content)));
      directives.set(documentId, Object.assign({}, directives.get(documentId), ...seen) as Directives);
    },
    answer(step, documentId, messages) {
      return answerFor(step, messages, documentId !== undefined ? (directives.get(documentId) ?? {}) : {});
    },
    reset() {
      directives.clear();
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
