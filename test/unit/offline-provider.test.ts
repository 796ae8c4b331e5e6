import { readFileSync } from 'node:fs';
import { countTokens } from 'gpt-tokenizer';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createOfflineProvider } from '../../src/llm/offline/offline-provider.ts';
import { offlineAnswersOf } from '../../src/llm/chain/step.ts';
import { chainSteps } from '../../src/llm/chain/steps/index.ts';
import { classifyAnswer, toClassification } from '../../src/llm/chain/steps/classify.ts';

/** The offline provider as the processor builds it: answering each step with the step's own offline answer. */
const offline = (model: string) => createOfflineProvider({ model, answers: offlineAnswersOf(chainSteps({ categories: DEFAULT_CATEGORIES })) });
import type { BilledCall, LlmRequest, StepInput } from '../../src/llm/providers/provider.ts';
import { DEFAULT_CATEGORIES } from '../../src/config.ts';
import { Entities, RawDocument, SummaryOutput } from '../../src/contracts/index.ts';
import { EnricherError, ErrorCodes } from '../../src/errors.ts';

const MODEL = 'gpt-4o-mini';

const KNOWN_TEXT =
  "Northwind Capital's chief executive, Maria Alvarez, said on 12 March 2024 that the Federal Reserve would " +
  'probably cut interest rates in Q3 2025. Analysts at Goldman Sachs and the European Central Bank disagreed in a ' +
  'note published on 2024-06-30. Dr. John Smith of Stanford University presented the results on Monday. Alvarez ' +
  'said Northwind would raise its dividend in March 2025. The U.S. economy grew 2.1% in 2023, according to the ' +
  'Commerce Department.';

const FINANCE_TEXT =
  'Treasury yields rose for a third session as traders cut bets on interest rate cuts by the Federal Reserve. ' +
  'The two-year yield climbed nine basis points while the dollar gained and gold fell. Bond investors sold ' +
  'government debt after inflation data beat forecasts, and bank stocks rallied on hopes of wider lending margins. ' +
  'Analysts said equity valuations looked stretched and expect the central bank to keep monetary policy tight, ' +
  'while credit spreads widened and fund managers moved cash into short-dated bonds.';

// Half health, half legal vocabulary: a reader could file it under either.
const MIXED_TEXT =
  'A hospital was sued by patients who say a surgeon operated without consent. The lawsuit, filed in federal ' +
  'court, claims negligence and seeks damages for the treatment. Lawyers for the hospital said its doctors ' +
  'followed guidance and that it would defend the case. A judge will hear the motion next month, and nurses may ' +
  'testify about the surgery.';

const VAGUE_TEXT =
  'We spent a slow afternoon by the river, watching the light change and talking about nothing much. Somebody ' +
  'brought a flask of tea and a tin of biscuits. Later the clouds rolled in and we walked home the long way, ' +
  'past the old mill and the allotments, stopping now and then to look at the view.';

interface Options {
  title?: string;
  categories?: readonly string[];
  signal?: AbortSignal;
  onBilledCall?: (call: BilledCall) => void;
}

function messages(step: string, content: string) {
  return { system: `You are the ${step} step of an enrichment chain. Answer with JSON only.`, user: `Document:\n${content}` };
}

function request<T>(schema: z.ZodType<T>, schemaName: string, input: StepInput, opts: Options = {}): LlmRequest<T> {
  return {
    step: input.step,
    documentId: 'doc-test',
    messages: messages(input.step, input.content),
    schema,
    schemaName,
    maxOutputTokens: 600,
    input,
    onBilledCall: opts.onBilledCall ?? (() => {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}

/** Runs the three steps the way the chain does, each feeding the next. */
async function runChain(content: string, opts: Options = {}, provider = offline(MODEL)) {
  const title = opts.title;
  const entities = await provider.complete(request(Entities, 'Entities', { step: 'extract', content, title }, opts));
  const summary = await provider.complete(
    request(SummaryOutput, 'SummaryOutput', { step: 'summarize', content, title, entities: entities.output }, opts),
  );
  const categories = opts.categories ?? DEFAULT_CATEGORIES;
  const answer = await provider.complete(
    request(classifyAnswer(categories), 'classify', { step: 'classify', content, title, entities: entities.output, summary: summary.output.summary, categories }, opts),
  );
  // The classifier's scores come as a list (strict structured outputs); the chain folds them into a record.
  const classification = { ...answer, output: toClassification(answer.output, categories) as { category: string; confidence: number; scores: Record<string, number> } };
  return { entities, summary, classification, classifyAnswered: answer };
}

describe('offline provider', () => {
  it('names itself and reports the configured model', async () => {
    const provider = offline('gpt-4.1-nano');
    expect(provider.name).toBe('offline');
    expect(provider.model).toBe('gpt-4.1-nano');
    const { classification } = await runChain(FINANCE_TEXT, {}, provider);
    expect(classification.model).toBe('gpt-4.1-nano');
  });

  it('is deterministic: same input, same output and token counts, across provider instances', async () => {
    const a = await runChain(KNOWN_TEXT);
    const b = await runChain(KNOWN_TEXT);
    expect(b).toEqual(a);
    const again = await runChain(KNOWN_TEXT, {}, offline(MODEL));
    expect(again).toEqual(a);
  });

  it('extracts the people, organisations and dates of a known text, cleaned', async () => {
    const { entities } = await runChain(KNOWN_TEXT);
    const e = entities.output;
    expect(e.people).toEqual(expect.arrayContaining(['Maria Alvarez', 'John Smith']));
    // The honorific is dropped and the later "Alvarez" is not a second person.
    expect(e.people).not.toContain('Dr. John Smith');
    expect(e.people).not.toContain('Alvarez');
    expect(e.organizations).toEqual(
      expect.arrayContaining(['Northwind Capital', 'Federal Reserve', 'Goldman Sachs', 'European Central Bank', 'Stanford University']),
    );
    expect(e.organizations.some((o) => o.endsWith("'s"))).toBe(false);
    expect(e.dates).toEqual(['12 March 2024', 'Q3 2025', '2024-06-30', 'Monday', 'March 2025', '2023']);
    expect(e.topics.length).toBeGreaterThan(0);
    for (const list of [e.people, e.organizations, e.dates, e.topics]) {
      expect(list.length).toBeLessThanOrEqual(10);
      expect(new Set(list.map((x) => x.toLowerCase())).size).toBe(list.length);
      for (const item of list) expect(item).toBe(item.trim());
    }
  });

  it('summarises with sentences taken from the text, within the length cap', async () => {
    const { summary } = await runChain(KNOWN_TEXT);
    const text = summary.output.summary;
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThanOrEqual(400);
    const sentences = text.split(/(?<=\.)\s+(?=[A-Z])/);
    expect(sentences.length).toBeGreaterThanOrEqual(2);
    for (const s of sentences) expect(KNOWN_TEXT).toContain(s);
  });

  it('never returns an empty summary, even for one overlong sentence', async () => {
    const provider = offline(MODEL);
    const long = `${'The committee reviewed the proposal in detail and '.repeat(20)}agreed.`;
    const empty = { people: [], organizations: [], dates: [], topics: [] };
    for (const content of ['Short note.', long]) {
      const res = await provider.complete(request(SummaryOutput, 'SummaryOutput', { step: 'summarize', content, entities: empty }));
      expect(res.output.summary.length).toBeGreaterThan(0);
      expect(res.output.summary.length).toBeLessThanOrEqual(400);
    }
  });

  it('classifies a clear finance text as finance with confidence >= 0.8', async () => {
    const { classification } = await runChain(FINANCE_TEXT);
    expect(classification.output.category).toBe('finance');
    expect(classification.output.confidence).toBeGreaterThanOrEqual(0.8);
  });

  it('is less confident about a text that mixes two categories', async () => {
    const clear = (await runChain(FINANCE_TEXT)).classification.output;
    const mixed = (await runChain(MIXED_TEXT)).classification.output;
    expect(['health', 'legal']).toContain(mixed.category);
    expect(mixed.confidence).toBeLessThan(clear.confidence);
    expect(mixed.confidence).toBeLessThan(0.8);
    expect(mixed.confidence).toBeGreaterThan(0.4);
  });

  it('calls a text with no signal "other", with low confidence', async () => {
    const { classification } = await runChain(VAGUE_TEXT);
    expect(classification.output.category).toBe('other');
    expect(classification.output.confidence).toBeLessThan(0.5);
  });

  it('scores every configured category in [0, 1], summing to about 1', async () => {
    for (const text of [FINANCE_TEXT, MIXED_TEXT, VAGUE_TEXT]) {
      const { scores, category } = (await runChain(text)).classification.output;
      expect(Object.keys(scores).sort()).toEqual([...DEFAULT_CATEGORIES].sort());
      for (const v of Object.values(scores)) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
        expect(Math.round(v * 10_000) / 10_000).toBe(v);
      }
      const sum = Object.values(scores).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 2);
      expect(Math.max(...Object.values(scores))).toBe(scores[category]);
    }
  });

  it('counts tokens with gpt-tokenizer: the chat formula for input, the JSON answer for output', async () => {
    const { entities, summary, classifyAnswered } = await runChain(KNOWN_TEXT);
    for (const [step, res] of [
      ['extract', entities],
      ['summarize', summary],
      ['classify', classifyAnswered],
    ] as const) {
      const m = messages(step, KNOWN_TEXT);
      // Per message: role + content + 3 framing tokens; plus 3 priming the reply.
      const expectedInput = countTokens('system') + countTokens(m.system) + 3 + countTokens('user') + countTokens(m.user) + 3 + 3;
      expect(res.inputTokens).toBe(expectedInput);
      expect(res.outputTokens).toBe(countTokens(JSON.stringify(res.output)));
      expect(res.outputTokens).toBeGreaterThan(0);
    }
  });

  it('reports each call to onBilledCall exactly once, with the returned numbers', async () => {
    const billed = vi.fn<(call: BilledCall) => void>();
    const { entities, summary, classification } = await runChain(KNOWN_TEXT, { onBilledCall: billed });
    expect(billed).toHaveBeenCalledTimes(3);
    [entities, summary, classification].forEach((res, i) => {
      // No prompt cache and no reasoning offline: both are reported as 0, never left out.
      expect(billed.mock.calls[i]![0]).toEqual({ inputTokens: res.inputTokens, cachedInputTokens: 0, reasoningTokens: 0, outputTokens: res.outputTokens, model: MODEL, ok: true });
    });
  });

  it('works with a custom category list, recognising unknown categories by name', async () => {
    const categories = ['finance', 'weather', 'other'];
    const finance = (await runChain(FINANCE_TEXT, { categories })).classification.output;
    expect(finance.category).toBe('finance');
    expect(Object.keys(finance.scores).sort()).toEqual([...categories].sort());

    const weatherText =
      'The weather turned cold overnight. Forecasters said the weather would stay wet and windy, and that ' +
      'weather warnings for snow were likely in the hills by the weekend.';
    const weather = (await runChain(weatherText, { categories })).classification.output;
    expect(weather.category).toBe('weather');
    expect(Object.keys(weather.scores).sort()).toEqual([...categories].sort());
  });

  it('answers in the array form when the schema cannot express a record', async () => {
    const ArrayScores = z.object({
      category: z.string(),
      confidence: z.number().min(0).max(1),
      scores: z.array(z.object({ category: z.string(), score: z.number().min(0).max(1) })),
    });
    const provider = offline(MODEL);
    const entities = { people: [], organizations: [], dates: [], topics: [] };
    const billed = vi.fn<(call: BilledCall) => void>();
    const res = await provider.complete(
      request(
        ArrayScores,
        'Classification',
        { step: 'classify', content: FINANCE_TEXT, entities, summary: FINANCE_TEXT, categories: DEFAULT_CATEGORIES },
        { onBilledCall: billed },
      ),
    );
    expect(res.output.category).toBe('finance');
    expect(res.output.scores.map((s) => s.category)).toEqual([...DEFAULT_CATEGORIES]);
    expect(res.outputTokens).toBe(countTokens(JSON.stringify(res.output)));
    expect(billed).toHaveBeenCalledOnce();
  });

  it('fails with LLM_BAD_OUTPUT when no shape satisfies the schema, and still bills the call', async () => {
    const provider = offline(MODEL);
    const Impossible = z.object({ category: z.literal('never') });
    const billed = vi.fn<(call: BilledCall) => void>();
    const entities = { people: [], organizations: [], dates: [], topics: [] };
    const err = await provider
      .complete(
        request(
          Impossible,
          'Impossible',
          { step: 'classify', content: FINANCE_TEXT, entities, summary: 'x', categories: DEFAULT_CATEGORIES },
          { onBilledCall: billed },
        ),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnricherError);
    expect(err).toMatchObject({ code: ErrorCodes.LLM_BAD_OUTPUT, stage: 'classify', retriable: false });
    expect(billed).toHaveBeenCalledOnce();
    expect(billed.mock.calls[0]![0].ok).toBe(false);
  });

  it('throws without billing when the signal is already aborted', async () => {
    const provider = offline(MODEL);
    const billed = vi.fn<(call: BilledCall) => void>();
    const controller = new AbortController();
    controller.abort();
    await expect(
      provider.complete(request(Entities, 'Entities', { step: 'extract', content: KNOWN_TEXT }, { signal: controller.signal, onBilledCall: billed })),
    ).rejects.toBeInstanceOf(EnricherError);
    expect(billed).not.toHaveBeenCalled();
  });

  it('counts special-token text in documents as plain text instead of throwing', async () => {
    const content = 'The model emitted <|endoftext|> in the middle of its answer, which the parser rejected.';
    const res = await offline(MODEL).complete(request(Entities, 'Entities', { step: 'extract', content }));
    expect(res.inputTokens).toBeGreaterThan(0);
  });
});

describe('sample corpus', () => {
  const lines = readFileSync(new URL('../../data/sample-corpus.jsonl', import.meta.url), 'utf8').trim().split('\n');

  it('holds at least 60 valid RawDocuments with unique ids', () => {
    expect(lines.length).toBeGreaterThanOrEqual(60);
    const docs = lines.map((l) => RawDocument.parse(JSON.parse(l)));
    expect(new Set(docs.map((d) => d.id)).size).toBe(docs.length);
    for (const d of docs) {
      expect(d.content.length).toBeGreaterThanOrEqual(300);
      expect(d.content.length).toBeLessThanOrEqual(1500);
    }
  });

  it('routes 60-80 % of documents to enriched at the 0.8 threshold, the rest to review', async () => {
    const provider = offline(MODEL);
    let enriched = 0;
    for (const line of lines) {
      const doc = RawDocument.parse(JSON.parse(line));
      const { classification } = await runChain(doc.content, { ...(doc.title ? { title: doc.title } : {}) }, provider);
      if (classification.output.confidence >= 0.8) enriched++;
    }
    const ratio = enriched / lines.length;
    expect(ratio).toBeGreaterThanOrEqual(0.6);
    expect(ratio).toBeLessThanOrEqual(0.8);
  });
});
