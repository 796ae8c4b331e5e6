/**
 * The embedded default provider: a deterministic stand-in for a model, so the whole service
 * (chain, gate, routing, cost tracking) runs without an API key. It reads the structured step
 * input, not the prompts, and derives real output from the text: entities with compromise,
 * an extractive summary, a lexicon classifier whose confidence follows how clear the text is.
 * Tokens are counted with the o200k_base tokenizer over the real prompts, so costs look real.
 *
 * It has no prompt cache (every call reports 0 cached input tokens, and is priced in full) and
 * returns no token log-probabilities: its confidence and its scores come from the same lexicon
 * counts, so a "probability" derived from them would only repeat the self-reported number and
 * make CONFIDENCE_MODE=min look like a second opinion when it is not. With this provider the gate
 * reads the self-reported confidence (resolveConfidenceMode says so once at start).
 */
import { countTokens } from 'gpt-tokenizer';
import { computeChatCompletionTokenCount } from 'gpt-tokenizer/functionCalling';
import type { Entities } from '../../contracts/index.ts';
import { EnricherError, ErrorCodes } from '../../errors.ts';
import { DEFAULT_LEXICON, LEXICON, addLexiconHits } from './lexicon.ts';
import { extractEntities, summarize, words } from './nlp.ts';
import type { LlmMessages, LlmProvider, LlmRequest, LlmResponse, StepInput } from '../providers/provider.ts';

export interface OfflineProviderOptions {
  model: string;
}

// Documents may contain "<|endoftext|>"; for a count it is text, and must not throw.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };
const countText = (s: string): number => countTokens(s, PLAIN_TEXT);

/**
 * gpt-tokenizer's chat formula (OpenAI's published one): per message the role, the content and
 * 3 tokens of framing, plus 3 that prime the reply. For a system + user request that is
 * tokens(system) + tokens(user) + 11.
 */
export function countPromptTokens(messages: LlmMessages): number {
  return computeChatCompletionTokenCount(
    {
      messages: [
        { role: 'system', content: messages.system },
        { role: 'user', content: messages.user },
      ],
    },
    countText,
  );
}

export function countOutputTokens(output: unknown): number {
  return countText(JSON.stringify(output));
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

export function classifyText(input: Extract<StepInput, { step: 'classify' }>): ClassificationRecord {
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

/** Entity extraction is the one costly step; the same text is often extracted twice (retries, replays). */
const MEMO_LIMIT = 1_000;

function memoized(memo: Map<string, Entities>, content: string, title: string | undefined): Entities {
  const key = `${title ?? ''}\u0000${content}`;
  let hit = memo.get(key);
  if (hit !== undefined) {
    memo.delete(key);
  } else {
    hit = extractEntities(content, title);
    if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value!);
  }
  memo.set(key, hit);
  return { people: [...hit.people], organizations: [...hit.organizations], dates: [...hit.dates], topics: [...hit.topics] };
}

function badOutput<T>(req: LlmRequest<T>, detail: string): EnricherError {
  return new EnricherError(`offline provider produced output that does not satisfy ${req.schemaName}: ${detail}`, {
    code: ErrorCodes.LLM_BAD_OUTPUT,
    stage: req.step,
    retriable: false,
  });
}

/**
 * Validates against the request's schema. Strict structured outputs cannot express records,
 * so the chain may ask for classification scores as [{category, score}]: try both shapes.
 */
function conform<T>(req: LlmRequest<T>, produced: unknown): { ok: true; value: T } | { ok: false; error: string } {
  const first = req.schema.safeParse(produced);
  if (first.success) return { ok: true, value: first.data };
  if (req.step === 'classify' && produced !== null && typeof produced === 'object' && 'scores' in produced) {
    const rec = produced as ClassificationRecord;
    const asArray = { ...rec, scores: Object.entries(rec.scores).map(([category, score]) => ({ category, score })) };
    const second = req.schema.safeParse(asArray);
    if (second.success) return { ok: true, value: second.data };
  }
  return { ok: false, error: first.error.message };
}

export function createOfflineProvider(opts: OfflineProviderOptions): LlmProvider {
  const model = opts.model;
  const memo = new Map<string, Entities>();

  function produce(input: StepInput): unknown {
    switch (input.step) {
      case 'extract':
        return memoized(memo, input.content, input.title);
      case 'summarize':
        return { summary: summarize(input.content, input.entities, input.title) };
      case 'classify':
        return classifyText(input);
    }
  }

  return {
    name: 'offline',
    model,
    tokenProbabilities: false,
    async complete<T>(req: LlmRequest<T>): Promise<LlmResponse<T>> {
      if (req.signal?.aborted) {
        throw new EnricherError(`${req.step} call aborted before it started`, {
          code: ErrorCodes.LLM_TIMEOUT,
          stage: req.step,
          retriable: true,
          cause: req.signal.reason,
        });
      }
      if (req.input.step !== req.step) {
        throw new EnricherError(`request for step ${req.step} carries input for ${req.input.step}`, {
          code: ErrorCodes.LLM_BAD_REQUEST,
          stage: req.step,
          retriable: false,
        });
      }
      const produced = produce(req.input);
      const result = conform(req, produced);
      const inputTokens = countPromptTokens(req.messages);
      const outputTokens = countOutputTokens(result.ok ? result.value : produced);
      // Billed like a real call: an unusable answer is still paid for.
      req.onBilledCall({ inputTokens, cachedInputTokens: 0, reasoningTokens: 0, outputTokens, model, ok: result.ok });
      if (!result.ok) throw badOutput(req, result.error);
      return { output: result.value, inputTokens, outputTokens, model };
    },
  };
}
