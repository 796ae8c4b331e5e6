/** Picks the provider from config: OpenAI (or any compatible server) with a key, else offline. */
import type { Config } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import { createOpenAiProvider } from './openai.ts';
import type { LlmProvider, RateLimitSignal } from './provider.ts';
import type { OfflineAnswers } from '../offline/offline-provider.ts';

export interface ProviderWithProbe extends LlmProvider {
  probe(): Promise<void>;
}

export function createProvider(
  config: Pick<Config, 'llm'>,
  logger: Logger,
  opts: { onRateLimit?: ((s: RateLimitSignal) => void) | undefined; offlineAnswers: OfflineAnswers },
): ProviderWithProbe {
  const { onRateLimit } = opts;
  const llm = config.llm;
  if (llm.provider === 'openai') {
    return createOpenAiProvider({
      apiKey: llm.apiKey!,
      ...(llm.baseUrl ? { baseUrl: llm.baseUrl } : {}),
      model: llm.model,
      stepModels: Object.values(llm.models),
      timeoutMs: llm.timeoutMs,
      maxRetries: llm.callRetries,
      logger,
      serviceTier: llm.serviceTier,
      ...(onRateLimit ? { onRateLimit } : {}),
    });
  }
  // Loaded on its first call: its NLP lexicons (and the tokenizer's tables) cost seconds of
  // start-up and tens of MiB of heap, which a processor on the API never needs.
  let offline: Promise<LlmProvider> | undefined;
  const load = () => (offline ??= import('../offline/offline-provider.ts').then((m) => m.createOfflineProvider({ model: llm.model, answers: opts.offlineAnswers })));
  return { name: 'offline', model: llm.model, tokenProbabilities: false, complete: async (req) => (await load()).complete(req), probe: async () => undefined };
}
