/**
 * How sure the model was of one field of its JSON answer, from the token log-probabilities of
 * a Chat Completions response: the product of the probabilities of the tokens that spell the
 * field's value. For a category chosen from an enum this is the probability the model gave that
 * category at the point it wrote it, which a document's text cannot simply claim.
 */

/** One sampled token, as Chat Completions reports it under choices[].logprobs.content. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  /** The token's UTF-8 bytes; a token can hold part of a character, so text alone can mislead. */
  bytes?: number[] | null | undefined;
}

/** Byte offsets [start, end) of the value of a top-level string field, or undefined. */
export function stringFieldSpan(json: string, field: string): { start: number; end: number } | undefined {
  let depth = 0;
  let found: { start: number; end: number } | undefined;
  let i = 0;
  // A string from its opening quote: returns the index after the closing quote.
  const skipString = (from: number): number => {
    let j = from + 1;
    while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  while (i < json.length) {
    const c = json[i]!;
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    if (c !== '"') {
      i++;
      continue;
    }
    const end = skipString(i);
    const text = json.slice(i, end);
    let k = end;
    while (k < json.length && /\s/.test(json[k]!)) k++;
    const isKey = json[k] === ':' && depth === 1;
    let parsedKey: unknown;
    try {
      parsedKey = isKey ? JSON.parse(text) : undefined;
    } catch {
      parsedKey = undefined;
    }
    if (isKey && parsedKey === field) {
      k++;
      while (k < json.length && /\s/.test(json[k]!)) k++;
      if (json[k] === '"') {
        const valueEnd = skipString(k);
        // The last one wins, as in JSON.parse.
        found = { start: Buffer.byteLength(json.slice(0, k + 1)), end: Buffer.byteLength(json.slice(0, valueEnd - 1)) };
        i = valueEnd;
        continue;
      }
    }
    i = end;
  }
  return found && found.end > found.start ? found : undefined;
}

/**
 * The probability of `field`'s value in `content`, or undefined when the tokens do not spell the
 * content (then nothing can be attributed) or the field is not a top-level string.
 */
export function fieldProbability(content: string, tokens: readonly TokenLogprob[], field: string): number | undefined {
  const span = stringFieldSpan(content, field);
  if (!span || tokens.length === 0) return undefined;
  const bytes = tokens.map((t) => (t.bytes ? Buffer.from(t.bytes) : Buffer.from(t.token, 'utf8')));
  if (!Buffer.concat(bytes).equals(Buffer.from(content, 'utf8'))) return undefined;
  let at = 0;
  let sum = 0;
  let counted = 0;
  for (const [n, b] of bytes.entries()) {
    const from = at;
    at += b.length;
    // Every token that carries part of the value counts, even one that also holds the quote.
    if (at > span.start && from < span.end) {
      const lp = tokens[n]!.logprob;
      if (!Number.isFinite(lp) || lp > 0) return undefined;
      sum += lp;
      counted++;
    }
  }
  return counted > 0 ? Math.exp(sum) : undefined;
}
