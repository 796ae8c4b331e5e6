/**
 * What the fake OpenAI server adds to an answer so that billing and confidence can be checked
 * against it: cached prompt tokens from a prefix cache that works the way OpenAI's does, the
 * service tier that served the call, reasoning tokens, and token log-probabilities. Kept apart
 * from the HTTP and fault-injection code.
 */
import { createHash } from 'node:crypto';
import { decode, encode } from 'gpt-tokenizer';
import { messageText, type ChatMessage } from './prompt-reader.ts';

export interface PromptCacheOptions {
  /** Prompts shorter than this are never cached (OpenAI: 1024). */
  minTokens?: number;
  /** Hits grow in steps of this many tokens past minTokens (OpenAI: 128). */
  blockTokens?: number;
}

/** OpenAI's automatic prompt caching: prompts of 1024 tokens or more, hits in steps of 128. */
export const OPENAI_PROMPT_CACHE: Required<PromptCacheOptions> = { minTokens: 1024, blockTokens: 128 };

const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * A prefix cache per model: a prompt's cached tokens are the longest prefix it shares with an
 * earlier prompt, counted at the block boundaries (minTokens, minTokens + block, …). Messages
 * are compared with their roles, so the same text as system or as user is not the same prefix.
 */
export function createPromptCache(opts: PromptCacheOptions = {}) {
  const minTokens = opts.minTokens ?? OPENAI_PROMPT_CACHE.minTokens;
  const block = Math.max(1, opts.blockTokens ?? OPENAI_PROMPT_CACHE.blockTokens);
  const seen = new Set<string>();

  /** The hash of the prompt at every block boundary, and the boundary itself. */
  function boundaries(model: string, messages: readonly ChatMessage[]): { at: number; key: string }[] {
    const hash = createHash('sha256').update(model);
    const out: { at: number; key: string }[] = [];
    let count = 0;
    let next = Math.max(1, minTokens);
    for (const m of messages) {
      hash.update(`\u0000${m.role}\u0000`);
      for (const token of encode(messageText(m.content), PLAIN_TEXT)) {
        hash.update(`${token},`);
        if (++count === next) {
          out.push({ at: count, key: hash.copy().digest('hex') });
          next += block;
        }
      }
    }
    return out;
  }

  return {
    /** The cached tokens of this prompt; afterwards the prompt itself is in the cache. */
    lookupAndStore(model: string, messages: readonly ChatMessage[]): number {
      const points = boundaries(model, messages);
      let cached = 0;
      for (const p of points) {
        if (!seen.has(p.key)) break;
        cached = p.at;
      }
      for (const p of points) seen.add(p.key);
      return cached;
    },
    clear(): void {
      seen.clear();
    },
  };
}
export type PromptCache = ReturnType<typeof createPromptCache>;

/** Reasoning models (the o-series and gpt-5, not its chat variants): no logprobs, reasoning tokens. */
export function isReasoningModel(model: string): boolean {
  return /^o\d/.test(model) || (/^gpt-5/.test(model) && !model.includes('chat'));
}

/**
 * The tier a response reports: a scripted one (a list is taken in turn, by `n`), else the one
 * asked for ('auto' is served as 'default'), else none, as an API without tiers answers.
 */
export function reportedTier(requested: unknown, scripted: string | string[] | undefined, n: number): string | undefined {
  if (Array.isArray(scripted)) return scripted.length > 0 ? scripted[n % scripted.length] : undefined;
  if (scripted !== undefined) return scripted;
  if (requested === 'auto') return 'default';
  return typeof requested === 'string' && requested !== '' ? requested : undefined;
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: [];
}

/**
 * Chat Completions' logprobs.content for an answer: its tokens, each certain (logprob 0) except
 * the first token of the category's value, which carries log(categoryProbability).
 */
export function tokenLogprobs(content: string, category?: string, categoryProbability?: number): TokenLogprob[] {
  let pieces = encode(content, PLAIN_TEXT).map((t) => decode([t]));
  // A token that splits a character decodes to a replacement character: cut by words instead.
  if (pieces.join('') !== content) pieces = content.match(/\s+|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [content];
  const marker = category === undefined ? -1 : content.indexOf(`"category":${JSON.stringify(category)}`);
  const valueAt = marker < 0 ? -1 : Buffer.byteLength(content.slice(0, marker + '"category":"'.length));
  let at = 0;
  let marked = false;
  return pieces.map((token) => {
    const bytes = [...Buffer.from(token, 'utf8')];
    at += bytes.length;
    let logprob = 0;
    if (!marked && valueAt >= 0 && at > valueAt && categoryProbability !== undefined) {
      marked = true;
      logprob = Math.log(Math.max(categoryProbability, 1e-9));
    }
    return { token, logprob, bytes, top_logprobs: [] };
  });
}
