/**
 * The one fake model of the tests. In process it is an LlmProvider (scriptedModel); over HTTP
 * the fake OpenAI server (fake-openai-server.ts) answers the way readingPrompts() does here.
 *
 * Each step answers from a script: a fixed answer, or a function of the request. By default
 * every step gives the FIXTURE (Ada Lovelace's notes on the Analytical Engine);
 * readingPrompts() answers from the prompt text instead (prompt-reader.ts), so that each
 * document gets answers of its own. Like the real adapter, the model checks its answer against
 * the request's schema and bills the call whether or not the answer was usable.
 *
 *   const model = scriptedModel();
 *   model.answers.classify = { ...CLASSIFICATION, category: 'astrology' };   // an unusable answer
 *   model.errors.summarize = new EnricherError(…);                           // thrown before billing
 *   model.requests                                                           // what it was asked
 */
import type { RawDocument } from '../../src/contracts/index.ts';

/** The chain's three steps, which the fixture scripts. */
export type StepName = 'extract' | 'summarize' | 'classify';
import { EnricherError, ErrorCodes } from '../../src/errors.ts';
import type { ProviderWithProbe } from '../../src/llm/providers/create-provider.ts';
import type { LlmRequest, LlmResponse } from '../../src/llm/providers/provider.ts';
import { createPromptReader, type ChatMessage } from './prompt-reader.ts';

export const MODEL = 'gpt-4o-mini';

/** The document the FIXTURE answers are about. */
export const FIXTURE_DOC: RawDocument = {
  id: 'doc-1',
  title: 'Notes on the Analytical Engine',
  content: 'In 1843 Ada Lovelace, of the Analytical Society, published notes with the first program.',
};
export const ENTITIES = {
  people: ['Ada Lovelace'],
  organizations: ['Analytical Society'],
  dates: ['1843'],
  topics: ['computing', 'mathematics'],
};
/** The categories the chain is configured with in the tests (CLASSIFICATION scores three of them). */
export const CATEGORIES = ['science', 'technology', 'business', 'other'] as const;
export const SUMMARY = 'Ada Lovelace published the first computer program in 1843.';
export const CLASSIFICATION = {
  category: 'science',
  confidence: 0.91,
  scores: [
    { category: 'science', score: 0.91 },
    { category: 'technology', score: 0.06 },
    { category: 'other', score: 0.03 },
  ],
};
/** Billed tokens per call of each step. */
export const TOKENS: Record<StepName, { input: number; output: number }> = {
  extract: { input: 100, output: 50 },
  summarize: { input: 200, output: 40 },
  classify: { input: 150, output: 10 },
};

/** Per step: a fixed answer, or a function of the request that returns one. */
export type Script = Record<StepName, unknown>;

export const FIXTURE: Script = { extract: ENTITIES, summarize: { summary: SUMMARY }, classify: CLASSIFICATION };

/** Answers every step from the prompt's text, remembering @directives per document. */
export function readingPrompts(): Script {
  const reader = createPromptReader();
  const read = (req: LlmRequest<unknown>) => {
    const messages: ChatMessage[] = [
      { role: 'system', content: req.messages.system },
      { role: 'user', content: req.messages.user },
    ];
    reader.remember(req.step as StepName, req.documentId, messages);
    return reader.answer(req.step as StepName, req.documentId, messages);
  };
  return { extract: read, summarize: read, classify: read };
}

export interface ScriptedModel extends ProviderWithProbe {
  /** What each step answers; change it at any time. */
  answers: Script;
  /** Thrown (before any billing) when set for a step. */
  errors: Partial<Record<StepName, unknown>>;
  /** Every request, in the order they came. */
  readonly requests: LlmRequest<unknown>[];
  /** Called as each request arrives. */
  onRequest: ((req: LlmRequest<unknown>) => void) | undefined;
  /** Awaited inside each call before it answers: holds calls on the wire. */
  beforeAnswer: (() => Promise<void>) | undefined;
  /** Awaited after the call was billed, before it returns (as the real adapter's repair request is). */
  afterBill: (() => Promise<void>) | undefined;
  /** Calls on the wire now, and the most there ever were at once. */
  readonly active: number;
  readonly maxActive: number;
}

export interface ScriptedModelOptions {
  /** The model it is configured with. */
  model?: string;
  /** The model named in its answers (a dated snapshot, an unknown model); defaults to the one asked for (a step's own, else `model`). */
  answeredAs?: string;
  answers?: Partial<Script>;
  tokens?: Record<StepName, { input: number; output: number }>;
}

export function scriptedModel(opts: ScriptedModelOptions = {}): ScriptedModel {
  const model = opts.model ?? MODEL;
  const tokens = opts.tokens ?? TOKENS;
  let active = 0;
  let maxActive = 0;
  const m: ScriptedModel = {
    name: 'openai',
    model,
    answers: { ...FIXTURE, ...opts.answers },
    errors: {},
    requests: [],
    onRequest: undefined,
    beforeAnswer: undefined,
    afterBill: undefined,
    get active() {
      return active;
    },
    get maxActive() {
      return maxActive;
    },
    async probe() {},
    async complete<T>(req: LlmRequest<T>): Promise<LlmResponse<T>> {
      const request = req as LlmRequest<unknown>;
      m.requests.push(request);
      m.onRequest?.(request);
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        if (m.beforeAnswer) await m.beforeAnswer();
        const step = req.step as StepName;
        const err = m.errors[step];
        if (err !== undefined) throw err;
        const scripted = m.answers[step];
        const parsed = req.schema.safeParse(typeof scripted === 'function' ? scripted(request) : scripted);
        const t = tokens[step];
        const answeredAs = opts.answeredAs ?? req.model ?? model;
        req.onBilledCall({ inputTokens: t.input, outputTokens: t.output, model: answeredAs, ok: parsed.success });
        if (m.afterBill) await m.afterBill();
        if (!parsed.success) {
          throw new EnricherError(`LLM answer invalid: ${parsed.error.message}`, { code: ErrorCodes.LLM_BAD_OUTPUT, stage: req.step, retriable: true });
        }
        return { output: parsed.data, inputTokens: t.input, outputTokens: t.output, model: answeredAs };
      } finally {
        active--;
      }
    },
  };
  return m;
}
