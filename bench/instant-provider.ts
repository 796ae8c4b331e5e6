/**
 * A provider that answers at once with fixed, valid output: no model, no NLP. The overhead
 * scenario runs the pipeline with it a second time to separate what the processor itself costs
 * (Kafka, transactions, validation, the pool, cost events) from what the offline provider's
 * NLP costs.
 */
import type { ProviderWithProbe } from '../src/llm/providers/create-provider.ts';

const ENTITIES = { people: ['Ada Lovelace'], organizations: ['Analytical Engines Ltd'], dates: ['1843'], topics: ['computing'] };

export function createInstantProvider(model: string): ProviderWithProbe {
  return {
    name: 'offline',
    model,
    async probe() {},
    async complete(req) {
      let answer: unknown;
      if (req.step === 'extract') answer = ENTITIES;
      else if (req.step === 'summarize') answer = { summary: 'A fixed summary of the document.' };
      else {
        const categories = req.categories ?? ['other'];
        answer = { category: categories[0], confidence: 0.9, scores: categories.map((c, i) => ({ category: c, score: i === 0 ? 0.9 : 0 })) };
      }
      const output = req.schema.parse(answer);
      req.onBilledCall({ inputTokens: 100, outputTokens: 20, model, ok: true });
      return { output, inputTokens: 100, outputTokens: 20, model };
    },
  };
}
