/** Picks the provider from config: OpenAI (or any compatible server) with a key, else offline. */
import type { Config } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import { createOfflineProvider } from '../offline/offline-provider.ts';
import { createOpenAiProvider } from './openai.ts';
import type { LlmProvider, RateLimitSignal } from './provider.ts';

export interface ProviderWithProbe extends LlmProvider {
  probe(): Promise<void>;
}

export function createProvider(config: Pick<Config, 'llm'>, logger: Logger, onRateLimit?: (s: RateLimitSignal) => void): ProviderWithProbe {
  const llm = config.llm;
  if (llm.provider === 'openai') {
    return createOpenAiProvider({
      apiKey: llm.apiKey!,
      ...(llm.baseUrl ? { baseUrl: llm.baseUrl } : {}),
      model: llm.model,
      timeoutMs: llm.timeoutMs,
      maxRetries: llm.callRetries,
      logger,
      categories: llm.categories,
      serviceTier: llm.serviceTier,
      ...(onRateLimit ? { onRateLimit } : {}),
    });
  }
  const offline = createOfflineProvider({ model: llm.model });
  return { name: offline.name, model: offline.model, tokenProbabilities: false, complete: (req) => offline.complete(req), probe: async () => undefined };
}
