/**
 * The embedded default provider: a deterministic stand-in for a model, so the whole service
 * (chain, gate, routing, cost tracking) runs without an API key. It reads the structured step
 * input, not the prompts, and answers with each step's own offline answer (the steps' modules:
 * entities with compromise, an extractive summary, a lexicon classifier, classify-text.ts).
 * Tokens are counted with the o200k_base tokenizer over the real prompts, so costs look real.
 * Asked for the model `offline-small`, it answers as a second, smaller model (small-model.ts).
 *
 * It has no prompt cache (every call reports 0 cached input tokens, and is priced in full) and
 * returns no token log-probabilities: its confidence and its scores come from the same lexicon
 * counts, so a "probability" derived from them would only repeat the self-reported number and
 * make CONFIDENCE_MODE=min look like a second opinion when it is not. With this provider the gate
 * reads the self-reported confidence (resolveConfidenceMode says so once at start).
 */
import { countTokens } from 'gpt-tokenizer';
import { computeChatCompletionTokenCount } from 'gpt-tokenizer/functionCalling';
import { EnricherError, ErrorCodes } from '../../errors.ts';
import type { LlmMessages, LlmProvider, LlmRequest, LlmResponse, StepInput } from '../providers/provider.ts';
import { OFFLINE_SMALL_MODEL, smallModelAnswer, smallModelInput } from './small-model.ts';

export interface OfflineProviderOptions {
  model: string;
}

// Documents may contain "<|endoftext|>"; for a count it is text, and must not throw.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };
const countText = (s: string): number => countTokens(s, PLAIN_TEXT);

/**
 * gpt-tokenizer's chat formula (OpenAI's published one): per message the role, the content and
 * 3 tokens of framing, plus 3 that prime the reply. For a system + user request that is
 * tokens(system) + tokens(user) + 11.
 */
export function countPromptTokens(messages: LlmMessages): number {
  return computeChatCompletionTokenCount(
    {
      messages: [
        { role: 'system', content: messages.system },
        { role: 'user', content: messages.user },
      ],
    },
    countText,
  );
}

export function countOutputTokens(output: unknown): number {
  return countText(JSON.stringify(output));
}

function badOutput<T>(req: LlmRequest<T>, detail: string): EnricherError {
  return new EnricherError(`offline provider produced output that does not satisfy ${req.schemaName}: ${detail}`, {
    code: ErrorCodes.LLM_BAD_OUTPUT,
    stage: req.step,
    retriable: false,
  });
}

/** What the offline provider answers for a step, from its structured input: the step's own `offline` (llm/chain/steps/). */
export type OfflineAnswers = (step: string) => ((input: StepInput) => Promise<unknown>) | undefined;

export function createOfflineProvider(opts: OfflineProviderOptions & { answers: OfflineAnswers }): LlmProvider {
  return {
    name: 'offline',
    model: opts.model,
    tokenProbabilities: false,
    async complete<T>(req: LlmRequest<T>): Promise<LlmResponse<T>> {
      if (req.signal?.aborted) {
        throw new EnricherError(`${req.step} call aborted before it started`, {
          code: ErrorCodes.LLM_TIMEOUT,
          stage: req.step,
          retriable: true,
          cause: req.signal.reason,
        });
      }
      const answer = opts.answers(req.step);
      if (!answer || req.input.step !== req.step) {
        throw new EnricherError(`the offline provider has no answer for step ${req.step}${req.input.step !== req.step ? ` (its input is for ${req.input.step})` : ''}`, {
          code: ErrorCodes.LLM_BAD_REQUEST,
          stage: req.step,
          retriable: false,
        });
      }
      // It answers as the model asked for (a step's own), so each step is priced at its model.
      const model = req.model ?? opts.model;
      // `offline-small` answers differently (small-model.ts); any other name gets the default answer.
      const produced = model === OFFLINE_SMALL_MODEL ? smallModelAnswer(req.step, await answer(smallModelInput(req.input))) : await answer(req.input);
      const result = req.schema.safeParse(produced);
      const inputTokens = countPromptTokens(req.messages);
      const outputTokens = countOutputTokens(result.success ? result.data : produced);
      // Billed like a real call: an unusable answer is still paid for.
      req.onBilledCall({ inputTokens, cachedInputTokens: 0, reasoningTokens: 0, outputTokens, model, ok: result.success });
      if (!result.success) throw badOutput(req, result.error.message);
      return { output: result.data, inputTokens, outputTokens, model };
    },
  };
}
