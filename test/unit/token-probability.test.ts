/** The category's probability from Chat Completions token log-probabilities, and which models give them. */
import { encode, decode } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import { isReasoningModel } from '../../src/llm/providers/model-capabilities.ts';
import { fieldProbability, stringFieldSpan, type TokenLogprob } from '../../src/llm/providers/token-probability.ts';

/** Real o200k tokens of a text, each with logprob 0 unless `lp` says otherwise for its index. */
function tokens(text: string, lp: (piece: string, i: number) => number = () => 0): TokenLogprob[] {
  return encode(text).map((t, i) => {
    const piece = decode([t]);
    return { token: piece, logprob: lp(piece, i), bytes: [...Buffer.from(piece)] };
  });
}

describe('stringFieldSpan', () => {
  it('finds a top-level string value in bytes, not a nested key of the same name', () => {
    const json = '{"scores":[{"category":"sport","score":0.9}],"category":"finance","confidence":1}';
    const span = stringFieldSpan(json, 'category')!;
    expect(Buffer.from(json).subarray(span.start, span.end).toString()).toBe('finance');
    expect(stringFieldSpan('{"category": 3}', 'category')).toBeUndefined();
    expect(stringFieldSpan('{"other":"x"}', 'category')).toBeUndefined();
    expect(stringFieldSpan('{"category":""}', 'category')).toBeUndefined();
  });

  it('reads escapes and multi-byte text, and skips braces inside strings', () => {
    const json = '{"note":"a } \\" { é","category" : "santé"}';
    const span = stringFieldSpan(json, 'category')!;
    expect(Buffer.from(json).subarray(span.start, span.end).toString()).toBe('santé');
  });
});

describe('fieldProbability', () => {
  it('is the product of the probabilities of the tokens that spell the value', () => {
    const json = JSON.stringify({ category: 'finance', confidence: 1, scores: [{ category: 'finance', score: 1 }] });
    // The top-level value's token says 0.2; the nested score's "finance" (0.5) must not count.
    let seen = 0;
    const t = tokens(json, (piece) => (piece === 'finance' ? (seen++ === 0 ? Math.log(0.2) : Math.log(0.5)) : 0));
    expect(fieldProbability(json, t, 'category')).toBeCloseTo(0.2, 12);
  });

  it('multiplies a value spread over several tokens, including one that also holds the quote', () => {
    const json = '{"category":"bio-technology"}';
    const t: TokenLogprob[] = [
      { token: '{"', logprob: 0 }, { token: 'category', logprob: 0 }, { token: '":"bio', logprob: Math.log(0.5) },
      { token: '-tech', logprob: Math.log(0.8) }, { token: 'nology', logprob: 0 }, { token: '"}', logprob: Math.log(0.9) },
    ];
    expect(fieldProbability(json, t, 'category')).toBeCloseTo(0.4, 12);
  });

  it('uses the tokens\' bytes: a token may hold half a character', () => {
    const json = '{"category":"é"}';
    const e = [...Buffer.from('é')];
    const t: TokenLogprob[] = [
      { token: '{"category":"', logprob: 0 },
      { token: '\ufffd', logprob: Math.log(0.5), bytes: [e[0]!] },
      { token: '\ufffd', logprob: Math.log(0.5), bytes: [e[1]!] },
      { token: '"}', logprob: 0 },
    ];
    expect(fieldProbability(json, t, 'category')).toBeCloseTo(0.25, 12);
  });

  it('gives nothing when the tokens do not spell the content, or carry no usable log-probability', () => {
    const json = '{"category":"finance"}';
    expect(fieldProbability(json, tokens('{"category":"sport"}'), 'category')).toBeUndefined();
    expect(fieldProbability(json, [], 'category')).toBeUndefined();
    expect(fieldProbability(json, tokens(json, () => Number.NaN), 'category')).toBeUndefined();
    expect(fieldProbability(json, tokens(json, () => 0.5), 'category')).toBeUndefined();
    expect(fieldProbability(json, tokens(json), 'missing')).toBeUndefined();
    expect(fieldProbability(json, tokens(json), 'category')).toBe(1);
  });
});

describe('isReasoningModel', () => {
  it('knows the o-series and gpt-5 (not its chat variants) from the other models', () => {
    for (const m of ['o3', 'o4-mini', 'o3-2025-04-16', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano-2025-08-07', 'openai/o3']) expect(isReasoningModel(m), m).toBe(true);
    for (const m of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-nano', 'gpt-4', 'gpt-3.5-turbo', 'gpt-5-chat-latest', 'llama3.1']) expect(isReasoningModel(m), m).toBe(false);
  });
});
