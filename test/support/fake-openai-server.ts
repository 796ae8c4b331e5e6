/**
 * A local OpenAI-compatible server with fault injection, for tests (in process) and for child
 * processes and the benchmark (standalone):
 *
 *   npx node test/support/fake-openai-server.ts --port 0 --latency 100 [--jitter 20]
 *     [--failure-rate 0.1 --failure-status 503 --seed 7] [--api-key KEY] [--model OVERRIDE]
 *     [--known-models a,b] [--rpm 500 --tpm 100000] [--prompt-cache] [--service-tier flex]
 *     [--latency-median 800 --latency-p99 8000] (lognormal latency instead of --latency/--jitter)
 *     [--throttle-share 0.05 --throttle-retry-after 1-3 --throttle-burst 3 [--throttle-budget-spent]]
 *     (429s in bursts; fake-openai-latency.ts)
 *   → prints {"url":"http://127.0.0.1:PORT/v1"} and serves until SIGTERM.
 *
 * Billing (fake-openai-billing.ts): usage carries prompt_tokens_details.cached_tokens (from a
 * prefix cache like OpenAI's when `promptCache` is set, else 0) and reasoning tokens for reasoning
 * models; the response names its service_tier; `logprobs: true` gets token log-probabilities.
 *
 * Control API (no auth): POST /_control/faults (a rule, an array, or {rules}), POST
 * /_control/reset, GET /_control/stats, GET /_control/requests, POST /_control/config.
 * It answers as the scripted model does when it reads the prompt (prompt-reader.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createPromptReader, STEPS, type ChatMessage, type FakeStep } from './prompt-reader.ts';
import { createPromptCache, isReasoningModel, reportedTier, tokenLogprobs, type PromptCache, type PromptCacheOptions } from './fake-openai-billing.ts';
import { mulberry32 } from './random.ts';
import { sleep } from './time.ts';
import { createThrottle, lognormalSampler, type LognormalLatency, type ThrottleBursts } from './fake-openai-latency.ts';
import { completionTokens, createRecorder, promptTokens, type FakeStats, type Outcome, type RateLimitBudget, type RequestRecord } from './fake-openai-stats.ts';

export type { FakeStats, Outcome, RateLimitBudget, RequestRecord };

export type FaultAction =
  | { status: 429; retryAfterSeconds?: number; retryAfterMs?: number; message?: string; headers?: Record<string, string> }
  | { status: 400 | 401 | 403 | 404 | 408 | 409 | 413 | 422 | 500 | 502 | 503; message?: string; retryAfterSeconds?: number }
  | { timeout: true }
  | { malformed: true }
  | { wrongShape: true }
  | { refusal: true }
  /** Not terminal: waits, then the next matching rule (or the normal answer) applies. */
  | { delayMs: number };

export interface FaultRule {
  match?: { step?: string; documentId?: string; model?: string };
  times?: number;
  action: FaultAction;
}

export interface FakeConfig {
  latencyMs: number;
  jitterMs: number;
  failureRate: number;
  failureStatus: number;
  /** Answer with this model name instead of echoing the requested one. */
  modelOverride: string | undefined;
  /** When set, any other model gets 404 model_not_found. */
  knownModels: string[] | undefined;
  apiKey: string | undefined;
  /** Simulated budget per window: sends x-ratelimit-* headers, and 429s when spent if enforce. */
  rateLimit: RateLimitBudget | undefined;
  /** Sent on every chat response (e.g. {'x-ratelimit-remaining-requests': '0'}). */
  extraHeaders: Record<string, string>;
  /** Report cached prompt tokens from a prefix cache ({} is OpenAI's rule); unset: always 0. */
  promptCache?: PromptCacheOptions | undefined;
  /** The service_tier answers report; a list is taken in turn. Unset: the requested one, or none. */
  serviceTier?: string | string[] | undefined;
  /** Answer as these models in turn (each billed answer takes the next), e.g. every priced model. */
  answerModels?: string[] | undefined;
  /** Reasoning tokens a reasoning model's answer spends (inside completion_tokens). Default 0. */
  reasoningTokens?: number | undefined;
  /** false: ignore `logprobs: true`, as some compatible servers do. Default true. */
  logprobs?: boolean | undefined;
  /** A lognormal latency per request instead of latencyMs ± jitterMs. */
  latencyModel?: LognormalLatency | undefined;
  /** 429s in bursts, answered at once (fake-openai-latency.ts). */
  throttle?: ThrottleBursts | undefined;
}

export interface FakeOptions extends Partial<FakeConfig> {
  port?: number;
  seed?: number;
  faults?: FaultRule[];
}

export interface FakeOpenAiServer {
  url: string;
  port: number;
  addFault(rule: FaultRule): void;
  setLatency(ms: number, jitterMs?: number): void;
  /** Changes the configuration; `seed` restarts the random-fault sequence. */
  configure(patch: Partial<FakeConfig> & { seed?: number }): void;
  stats(): FakeStats;
  requests(): RequestRecord[];
  /** Billed tokens (prompt + completion) of requests started in [endAt - windowMs, endAt). */
  tokensInWindow(windowMs?: number, endAt?: number): number;
  /** The most billed tokens any sliding window of windowMs held. */
  peakTokensPerWindow(windowMs?: number): number;
  /** Clears rules, stats and remembered directives; keeps the configuration. */
  reset(): void;
  close(): Promise<void>;
}

const ERROR_TYPES: Record<number, [string, string | null]> = {
  400: ['invalid_request_error', null], 401: ['invalid_request_error', 'invalid_api_key'], 403: ['invalid_request_error', null],
  404: ['invalid_request_error', 'model_not_found'], 408: ['timeout', null], 409: ['conflict', null], 413: ['invalid_request_error', null],
  422: ['invalid_request_error', null], 429: ['requests', 'rate_limit_exceeded'],
};

export async function startFakeOpenAiServer(opts: FakeOptions = {}): Promise<FakeOpenAiServer> {
  const config: FakeConfig = {
    latencyMs: opts.latencyMs ?? 0, jitterMs: opts.jitterMs ?? 0, failureRate: opts.failureRate ?? 0, failureStatus: opts.failureStatus ?? 503,
    modelOverride: opts.modelOverride, knownModels: opts.knownModels, apiKey: opts.apiKey, rateLimit: opts.rateLimit, extraHeaders: opts.extraHeaders ?? {},
    promptCache: opts.promptCache, serviceTier: opts.serviceTier, answerModels: opts.answerModels, reasoningTokens: opts.reasoningTokens, logprobs: opts.logprobs,
    latencyModel: opts.latencyModel, throttle: opts.throttle,
  };
  let random = mulberry32(opts.seed ?? Math.floor(Math.random() * 2 ** 31));
  let rules: Array<FaultRule & { left: number }> = [];
  const recorder = createRecorder();
  const reader = createPromptReader();
  let promptCache: PromptCache | undefined = config.promptCache ? createPromptCache(config.promptCache) : undefined;
  let answered = 0;
  // Drawn from `random` as it is now: a new seed applies to them too.
  let sampleLatency = config.latencyModel ? lognormalSampler(config.latencyModel, () => random()) : undefined;
  let throttle = config.throttle ? createThrottle(config.throttle, () => random()) : undefined;
  const addFault = (rule: FaultRule) => void rules.push({ ...rule, left: rule.times ?? Infinity });
  for (const r of opts.faults ?? []) addFault(r);

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err), type: 'server_error', param: null, code: null } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/_control/')) return control(req, res, path);
    if (req.method === 'POST' && path === '/v1/chat/completions') return chat(req, res);
    if (req.method === 'GET' && path.startsWith('/v1/models')) return models(req, res, path);
    sendJson(res, 404, { error: { message: `Unknown route ${req.method} ${path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
  }

  function authorized(req: IncomingMessage, res: ServerResponse): boolean {
    if (config.apiKey === undefined || req.headers.authorization === `Bearer ${config.apiKey}`) return true;
    const given = (req.headers.authorization ?? '').replace(/^Bearer\s+/, '');
    const masked = given.length > 8 ? `${given.slice(0, 3)}***${given.slice(-4)}` : '***';
    sendError(res, 401, `Incorrect API key provided: ${masked}. You can find your API key in your account settings.`);
    return false;
  }

  async function models(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    recorder.modelRequest();
    if (!authorized(req, res)) return;
    const model = (id: string) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake-openai' });
    if (path === '/v1/models') return sendJson(res, 200, { object: 'list', data: (config.knownModels ?? ['gpt-4o-mini']).map(model) });
    const id = decodeURIComponent(path.slice('/v1/models/'.length));
    if (config.knownModels && !config.knownModels.includes(id)) return sendError(res, 404, `The model \`${id}\` does not exist or you do not have access to it.`);
    sendJson(res, 200, model(id));
  }

  async function chat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let clientGone = false;
    res.on('close', () => { clientGone = !res.writableFinished; });
    const rec: RequestRecord = {
      at: started, durationMs: 0, step: 'unknown', documentId: header(req, 'x-enricher-document-id'), model: undefined, status: 0,
      outcome: 'ok', promptTokens: 0, completionTokens: 0, billed: false, retryCount: Number(header(req, 'x-stainless-retry-count') ?? 0),
    };
    const done = recorder.start(rec);
    const finish = (status: number, outcome: Outcome) => {
      rec.status = status;
      rec.outcome = outcome;
      done();
    };
    try {
      const raw = await readBody(req);
      let body: { model?: unknown; messages?: unknown; response_format?: { json_schema?: { name?: unknown } }; service_tier?: unknown; logprobs?: unknown };
      try { body = JSON.parse(raw) as typeof body; } catch { sendError(res, 400, 'We could not parse the JSON body of your request.'); return finish(400, 'badRequest'); }
      const messages = Array.isArray(body.messages) ? (body.messages as ChatMessage[]) : [];
      rec.model = typeof body.model === 'string' ? body.model : undefined;
      rec.step = stepOf(body.response_format?.json_schema?.name, header(req, 'x-enricher-step'));
      reader.remember(rec.step, rec.documentId, messages);
      if (!authorized(req, res)) return finish(401, 'unauthorized');
      if (!rec.model || messages.length === 0) { sendError(res, 400, "'model' and 'messages' are required."); return finish(400, 'badRequest'); }
      if (config.knownModels && !config.knownModels.includes(rec.model)) {
        sendError(res, 404, `The model \`${rec.model}\` does not exist or you do not have access to it.`);
        return finish(404, 'unknownModel');
      }
      if (typeof body.service_tier === 'string') rec.requestedTier = body.service_tier;
      rec.logprobs = body.logprobs === true;
      const wantsLogprobs = body.logprobs === true && config.logprobs !== false;
      if (wantsLogprobs && isReasoningModel(rec.model)) {
        sendError(res, 400, `Unsupported parameter: 'logprobs' is not supported with this model.`);
        return finish(400, 'badRequest');
      }
      const refused = throttle?.next();
      if (refused) {
        sendError(res, 429, 'The server is handling too many requests right now. Please retry after a brief wait.', refused.headers);
        return finish(429, 'rateLimited');
      }
      const jitter = config.jitterMs > 0 ? (random() * 2 - 1) * config.jitterMs : 0;
      await sleepUnlessGone(sampleLatency ? sampleLatency() : Math.max(0, config.latencyMs + jitter), () => clientGone);
      let action: FaultAction | undefined;
      for (const rule of rules) {
        if (rule.left <= 0 || !matches(rule, rec)) continue;
        rule.left--;
        if ('delayMs' in rule.action) { await sleepUnlessGone(rule.action.delayMs, () => clientGone); continue; }
        action = rule.action;
        break;
      }
      if (clientGone) return finish(0, 'aborted');
      if (action && 'timeout' in action) {
        await new Promise<void>((resolve) => (clientGone ? resolve() : res.once('close', () => resolve())));
        return finish(0, 'timeout');
      }
      if (action && 'status' in action) {
        const headers: Record<string, string> = {};
        if ('retryAfterSeconds' in action && action.retryAfterSeconds !== undefined) headers['retry-after'] = String(action.retryAfterSeconds);
        if ('retryAfterMs' in action && action.retryAfterMs !== undefined) headers['retry-after-ms'] = String(action.retryAfterMs);
        if ('headers' in action && action.headers) Object.assign(headers, action.headers);
        sendError(res, action.status, action.message ?? defaultMessage(action.status, rec.model), headers);
        return finish(action.status, action.status === 429 ? 'rateLimited' : 'fault');
      }
      const budget = recorder.budget(config.rateLimit);
      if (budget.exhausted) {
        sendError(res, 429, 'Rate limit reached for requests. Please try again later.', { ...budget.headers, 'retry-after-ms': String(budget.resetMs) });
        return finish(429, 'rateLimited');
      }
      if (!action && config.failureRate > 0 && random() < config.failureRate) {
        sendError(res, config.failureStatus, defaultMessage(config.failureStatus, rec.model));
        return finish(config.failureStatus, 'randomFault');
      }
      const outcome: Outcome = action ? ('malformed' in action ? 'malformed' : 'wrongShape' in action ? 'wrongShape' : 'refusal') : 'ok';
      const reply = outcome === 'ok' ? reader.answerWithBelief(rec.step, rec.documentId, messages) : undefined;
      const content =
        outcome === 'malformed' ? '{"summary": "this answer stops in the middle of a str'
        : outcome === 'wrongShape' ? JSON.stringify({ unexpected: true, answer: 'not the fields you asked for' })
        : outcome === 'refusal' ? null
        : JSON.stringify(reply?.answer);
      const refusal = outcome === 'refusal' ? "I'm sorry, but I can't help with that request." : null;
      const n = answered++;
      const model = config.answerModels?.length ? config.answerModels[n % config.answerModels.length]! : (config.modelOverride ?? rec.model);
      const tier = reportedTier(body.service_tier, config.serviceTier, n);
      rec.promptTokens = promptTokens(messages);
      // Capped: the cache counts tokens its own way, and cached tokens are part of the prompt's.
      rec.cachedTokens = Math.min(promptCache ? promptCache.lookupAndStore(rec.model, messages) : 0, rec.promptTokens);
      rec.reasoningTokens = isReasoningModel(model) ? (config.reasoningTokens ?? 0) : 0;
      rec.completionTokens = completionTokens(content ?? refusal ?? '') + rec.reasoningTokens;
      rec.answeredModel = model;
      if (tier !== undefined) rec.serviceTier = tier;
      rec.billed = true;
      const answer = reply?.answer as { category?: unknown } | undefined;
      const logprobs = wantsLogprobs && content !== null
        ? { content: tokenLogprobs(content, typeof answer?.category === 'string' ? answer.category : undefined, reply?.categoryProbability), refusal: null }
        : null;
      sendJson(res, 200, {
        id: `chatcmpl-fake-${recorder.count()}-${started}`, object: 'chat.completion', created: Math.floor(started / 1000), model,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal, annotations: [] }, logprobs, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: rec.promptTokens, completion_tokens: rec.completionTokens, total_tokens: rec.promptTokens + rec.completionTokens,
          prompt_tokens_details: { cached_tokens: rec.cachedTokens, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: rec.reasoningTokens, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
        },
        ...(tier !== undefined ? { service_tier: tier } : {}),
        system_fingerprint: 'fp_fake',
      }, { ...recorder.budget(config.rateLimit, rec.promptTokens + rec.completionTokens).headers, ...config.extraHeaders });
      return finish(200, outcome);
    } catch (err) {
      if (!res.headersSent) sendError(res, 500, `fake server failure: ${String(err)}`);
      return finish(500, 'fault');
    }
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const raw = await readBody(req);
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    if (req.method === 'POST' && path === '/_control/faults') {
      const list = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body['rules']) ? body['rules'] : [body];
      for (const r of list as FaultRule[]) addFault(r);
      return sendJson(res, 200, { rules: rules.length });
    }
    if (req.method === 'POST' && path === '/_control/reset') { api.reset(); return sendJson(res, 200, { ok: true }); }
    if (req.method === 'POST' && path === '/_control/config') { api.configure((body ?? {}) as Partial<FakeConfig> & { seed?: number }); return sendJson(res, 200, config); }
    if (req.method === 'GET' && path === '/_control/stats') return sendJson(res, 200, api.stats());
    if (req.method === 'GET' && path === '/_control/requests') return sendJson(res, 200, recorder.records());
    sendJson(res, 404, { error: { message: `unknown control route ${path}` } });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const api: FakeOpenAiServer = {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    addFault,
    setLatency(ms, jitterMs) { config.latencyMs = ms; if (jitterMs !== undefined) config.jitterMs = jitterMs; },
    configure(patch) {
      const { seed, ...rest } = patch;
      Object.assign(config, rest);
      if (seed !== undefined) random = mulberry32(seed);
      if ('promptCache' in rest) promptCache = config.promptCache ? createPromptCache(config.promptCache) : undefined;
      if ('latencyModel' in rest) sampleLatency = config.latencyModel ? lognormalSampler(config.latencyModel, () => random()) : undefined;
      if ('throttle' in rest) throttle = config.throttle ? createThrottle(config.throttle, () => random()) : undefined;
    },
    stats: () => recorder.stats(),
    requests: () => recorder.records(),
    tokensInWindow: (windowMs, endAt) => recorder.tokensInWindow(windowMs, endAt),
    peakTokensPerWindow: (windowMs) => recorder.peakTokensPerWindow(windowMs),
    reset() {
      rules = [];
      recorder.reset();
      reader.reset();
      promptCache?.clear();
      answered = 0;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return api;
}

/** For a server in another process: the same control surface over HTTP. */
export function fakeOpenAiControl(url: string) {
  const base = url.replace(/\/v1\/?$/, '');
  const post = async (path: string, body: unknown) => (await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
  return {
    addFaults: (rules: FaultRule | FaultRule[]) => post('/_control/faults', rules),
    configure: (patch: Partial<FakeConfig> & { seed?: number }) => post('/_control/config', patch),
    reset: () => post('/_control/reset', {}),
    stats: async () => (await (await fetch(`${base}/_control/stats`)).json()) as FakeStats,
    requests: async () => (await (await fetch(`${base}/_control/requests`)).json()) as RequestRecord[],
  };
}

function stepOf(schemaName: unknown, headerStep: string | undefined): FakeStep {
  const known = (s: unknown): FakeStep | undefined => (STEPS as readonly unknown[]).includes(s) ? (s as FakeStep) : undefined;
  const fuzzy = typeof schemaName === 'string' ? STEPS.find((s) => schemaName.toLowerCase().includes(s)) : undefined;
  return known(schemaName) ?? known(headerStep) ?? fuzzy ?? 'unknown';
}

function matches(rule: FaultRule, rec: RequestRecord): boolean {
  const m = rule.match;
  if (!m) return true;
  if (m.step !== undefined && m.step !== rec.step) return false;
  if (m.model !== undefined && m.model !== rec.model) return false;
  if (m.documentId !== undefined && !(rec.documentId ?? '').includes(m.documentId)) return false;
  return true;
}

function defaultMessage(status: number, model: string | undefined): string {
  if (status === 404) return `The model \`${model ?? ''}\` does not exist or you do not have access to it.`;
  if (status === 429) return 'Rate limit reached for requests. Please try again later.';
  if (status >= 500) return 'The server had an error while processing your request. Sorry about that!';
  return `Fake fault: HTTP ${status}`;
}

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const [type, code] = ERROR_TYPES[status] ?? ['server_error', null];
  sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-request-id': `req_fake_${Date.now()}`, ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function sleepUnlessGone(ms: number, gone: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!gone() && Date.now() < until) await sleep(Math.min(25, until - Date.now()));
}


function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  const num = (name: string) => { const v = arg(name); return v === undefined ? undefined : Number(v); };
  const rpm = num('rpm');
  const tpm = num('tpm');
  const median = num('latency-median');
  const share = num('throttle-share');
  const [raLo, raHi] = (arg('throttle-retry-after') ?? '1-3').split('-').map(Number);
  const server = await startFakeOpenAiServer({
    port: num('port') ?? 0, latencyMs: num('latency') ?? 0, jitterMs: num('jitter') ?? 0, failureRate: num('failure-rate') ?? 0,
    failureStatus: num('failure-status') ?? 503, apiKey: arg('api-key'), modelOverride: arg('model'), knownModels: arg('known-models')?.split(','),
    ...(argv.includes('--prompt-cache') ? { promptCache: {} } : {}), serviceTier: arg('service-tier'),
    ...(num('seed') !== undefined ? { seed: num('seed') } : {}),
    ...(median !== undefined ? { latencyModel: { medianMs: median, p99Ms: num('latency-p99') ?? median * 10 } } : {}),
    ...(share !== undefined
      ? { throttle: { share, retryAfterSeconds: [raLo ?? 1, raHi ?? raLo ?? 3] as [number, number], burst: num('throttle-burst') ?? 1, budgetLeft: !argv.includes('--throttle-budget-spent') } }
      : {}),
    ...(rpm !== undefined || tpm !== undefined ? { rateLimit: { ...(rpm !== undefined ? { requests: rpm } : {}), ...(tpm !== undefined ? { tokens: tpm } : {}) } } : {}),
  });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  await main(process.argv.slice(2));
}
