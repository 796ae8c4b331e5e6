/**
 * What the fake OpenAI server records: one entry per chat request with its tokens (counted with
 * gpt-tokenizer), the counters tests assert on, token windows, and the simulated rate-limit
 * budget computed from them.
 */
import { countTokens } from 'gpt-tokenizer';
import { messageText, type ChatMessage, type FakeStep } from './prompt-reader.ts';

export function promptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + countTokens(messageText(m.content)), 0);
}

export function completionTokens(content: string): number {
  return countTokens(content);
}

export type Outcome =
  | 'ok' | 'malformed' | 'wrongShape' | 'refusal' | 'fault' | 'randomFault' | 'rateLimited'
  | 'timeout' | 'aborted' | 'unauthorized' | 'unknownModel' | 'badRequest';

export interface RequestRecord {
  /** Epoch ms when the request arrived. */
  at: number;
  durationMs: number;
  step: FakeStep;
  documentId: string | undefined;
  model: string | undefined;
  /** 0 when no response was sent (timeout, client gone). */
  status: number;
  outcome: Outcome;
  promptTokens: number;
  completionTokens: number;
  /** A 200 with usage, whether or not its content was usable. */
  billed: boolean;
  /** The SDK's x-stainless-retry-count: 0 for a first try. */
  retryCount: number;
  /** Of promptTokens, the part reported as read from the prompt cache (billed answers). */
  cachedTokens?: number;
  /** Of completionTokens, the part reported as reasoning (billed answers). */
  reasoningTokens?: number;
  /** The service_tier the answer reported, if any. */
  serviceTier?: string;
  /** The model the answer named (the requested one unless the server was told otherwise). */
  answeredModel?: string;
  /** What the request asked for: service_tier, and whether it wanted token log-probabilities. */
  requestedTier?: string;
  logprobs?: boolean;
}

export interface FakeStats {
  /** Chat requests received since the last reset, finished or not. */
  totalRequests: number;
  requestsPerStep: Record<string, number>;
  requestsPerDocument: Record<string, number>;
  statusCounts: Record<string, number>;
  outcomes: Record<string, number>;
  /** In flight among the requests received since the last reset. */
  inFlight: number;
  maxInFlight: number;
  billedRequests: number;
  billedPromptTokens: number;
  billedCompletionTokens: number;
  billedTotalTokens: number;
  billedCachedTokens: number;
  billedReasoningTokens: number;
  /** GET /v1/models calls (health probes). */
  modelRequests: number;
}

export interface RateLimitBudget {
  requests?: number;
  tokens?: number;
  windowMs?: number;
  /** Answer 429 once the budget is spent (default true); otherwise only send the headers. */
  enforce?: boolean;
}

export function createRecorder() {
  let records: RequestRecord[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let received = 0;
  let modelRequests = 0;
  /** Bumped by reset(): a request that started before it is neither counted nor recorded after it. */
  let epoch = 0;
  const billed = () => records.filter((r) => r.billed);
  const tokens = (r: RequestRecord) => r.promptTokens + r.completionTokens;

  return {
    /** Call when a chat request arrives; the returned function records it when it ends. */
    start(rec: RequestRecord): () => void {
      const startedIn = epoch;
      received++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return () => {
        rec.durationMs = Date.now() - rec.at;
        if (startedIn !== epoch) return;
        records.push(rec);
        inFlight--;
      };
    },
    modelRequest(): void {
      modelRequests++;
    },
    count: () => received,
    records: () => records.map((r) => ({ ...r })),
    stats(): FakeStats {
      const count = (key: (r: RequestRecord) => string | undefined) => {
        const out: Record<string, number> = {};
        for (const r of records) {
          const k = key(r);
          if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
        }
        return out;
      };
      const b = billed();
      const p = b.reduce((s, r) => s + r.promptTokens, 0);
      const c = b.reduce((s, r) => s + r.completionTokens, 0);
      return {
        totalRequests: received,
        requestsPerStep: count((r) => r.step),
        requestsPerDocument: count((r) => r.documentId),
        statusCounts: count((r) => String(r.status)),
        outcomes: count((r) => r.outcome),
        inFlight,
        maxInFlight,
        billedRequests: b.length,
        billedPromptTokens: p,
        billedCompletionTokens: c,
        billedTotalTokens: p + c,
        billedCachedTokens: b.reduce((s, r) => s + (r.cachedTokens ?? 0), 0),
        billedReasoningTokens: b.reduce((s, r) => s + (r.reasoningTokens ?? 0), 0),
        modelRequests,
      };
    },
    tokensInWindow(windowMs = 60_000, endAt = Date.now()): number {
      return billed()
        .filter((r) => r.at >= endAt - windowMs && r.at < endAt)
        .reduce((s, r) => s + tokens(r), 0);
    },
    peakTokensPerWindow(windowMs = 60_000): number {
      const b = billed().sort((x, y) => x.at - y.at);
      let peak = 0;
      let sum = 0;
      let lo = 0;
      for (const r of b) {
        sum += tokens(r);
        for (let old = b[lo]; old && old.at <= r.at - windowMs; old = b[++lo]) sum -= tokens(old);
        peak = Math.max(peak, sum);
      }
      return peak;
    },
    /**
     * The simulated budget. Before answering (answerTokens undefined): is it spent? While
     * answering: the x-ratelimit-* headers, counting this answer's request and tokens.
     */
    budget(rl: RateLimitBudget | undefined, answerTokens?: number): { exhausted: boolean; resetMs: number; headers: Record<string, string> } {
      if (!rl || (rl.requests === undefined && rl.tokens === undefined)) return { exhausted: false, resetMs: 0, headers: {} };
      const windowMs = rl.windowMs ?? 60_000;
      const now = Date.now();
      const inWindow = billed().filter((r) => r.at >= now - windowMs);
      const resetMs = inWindow.length > 0 ? Math.max(1, (inWindow[0]?.at ?? now) + windowMs - now) : windowMs;
      const answering = answerTokens !== undefined;
      const headers: Record<string, string> = {};
      let exhausted = false;
      if (rl.requests !== undefined) {
        const used = inWindow.length + (answering ? 1 : 0);
        exhausted ||= used >= rl.requests;
        headers['x-ratelimit-limit-requests'] = String(rl.requests);
        headers['x-ratelimit-remaining-requests'] = String(Math.max(0, rl.requests - used));
        headers['x-ratelimit-reset-requests'] = formatReset(resetMs);
      }
      if (rl.tokens !== undefined) {
        const used = inWindow.reduce((s, r) => s + tokens(r), 0) + (answerTokens ?? 0);
        exhausted ||= used >= rl.tokens;
        headers['x-ratelimit-limit-tokens'] = String(rl.tokens);
        headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, rl.tokens - used));
        headers['x-ratelimit-reset-tokens'] = formatReset(resetMs);
      }
      return { exhausted: !answering && exhausted && (rl.enforce ?? true), resetMs, headers };
    },
    reset(): void {
      epoch++;
      received = 0;
      records = [];
      inFlight = 0;
      maxInFlight = 0;
      modelRequests = 0;
    },
  };
}

/** OpenAI's reset format: "250ms", "1.5s", "6m0s". */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}
