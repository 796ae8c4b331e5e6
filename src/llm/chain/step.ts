/**
 * A chain step as data: what it asks the model for one document (given the outputs of the
 * steps before it), what it makes of the answer, how its output is published, and what the
 * offline provider answers in its place. The chain (run-chain.ts) runs a list of them; a new
 * step is its own module, its prompt, and one entry in that list (steps/index.ts).
 */
import type { z } from 'zod';
import type { RawDocument } from '../../contracts/index.ts';
import type { OfflineAnswers } from '../offline/offline-provider.ts';
import type { LlmMessages, StepInput } from '../providers/provider.ts';
import type { StepCallResult } from './call-step.ts';

/** The outputs of the steps done so far, by their field: what a later step's prompt may use. */
export type StepOutputs = Readonly<Record<string, unknown>>;

/** What a step asks the model. */
export interface StepRequest<Answer> {
  messages: LlmMessages;
  /** The answer must satisfy this; its JSON Schema is the structured-output format. */
  answer: z.ZodType<Answer>;
  /** The structured input, for a provider that does not read prompts (the offline one). */
  input: StepInput;
  /** A top-level string field of the answer whose token probability is wanted. */
  probabilityOf?: string | undefined;
  /** The categories the answer may name, sent as the structured output's enum. */
  categories?: readonly string[] | undefined;
}

export interface ChainStep<Answer = unknown, Output = unknown> {
  /** In cache keys, cost events, logs and the progress a retry carries. */
  readonly name: string;
  /** Where its output goes: the progress record's field and the published document's. */
  readonly field: string;
  request(doc: RawDocument, before: StepOutputs): StepRequest<Answer>;
  /** The step's output from the model's answer (with the field probability, when one was asked). */
  toOutput(res: StepCallResult<Answer>, doc: RawDocument): Output;
  /** Validates the output a retry brings back, so a step is never resumed from a foreign shape. */
  readonly output: z.ZodType<Output>;
  /** The output as the published document carries it (default: as it is). */
  publish?(output: Output): unknown;
  /**
   * A step the chain may go on without: after a permanent failure the chain carries on with
   * this output, and the result is partial (it goes to review).
   */
  readonly whenFailed?: Output;
  /** What the offline provider answers, from the structured input (loaded on first use). */
  offline(input: StepInput): Promise<unknown>;
}

/** The list a chain runs, in order. */
// `any`: each step has answer and output types of its own; the chain treats them alike.
export type ChainSteps = readonly ChainStep<any, any>[];

/** The offline provider's answers: each step's own. */
export function offlineAnswersOf(steps: ChainSteps): OfflineAnswers {
  return (name) => steps.find((s) => s.name === name)?.offline;
}
