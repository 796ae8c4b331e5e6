import type { Entities, RawDocument } from '../../contracts/index.ts';
import type { CallContext, StepCaller, StepCallResult } from './call-step.ts';
import { SummarizeAnswer } from './llm-schemas.ts';
import { SYSTEM_PROMPTS, summarizeUserPrompt } from './prompts.ts';

export type SummarizeStep = (doc: RawDocument, entities: Entities, ctx: CallContext) => Promise<StepCallResult<string>>;

export function createSummarizeStep(callStep: StepCaller): SummarizeStep {
  return async (doc, entities, ctx) => {
    const res = await callStep(
      {
        step: 'summarize',
        input: { step: 'summarize', content: doc.content, title: doc.title, entities },
        messages: { system: SYSTEM_PROMPTS.summarize, user: summarizeUserPrompt(doc.content, entities, doc.title) },
        schema: SummarizeAnswer,
        schemaName: 'summarize',
      },
      ctx,
    );
    return { ...res, output: res.output.summary };
  };
}
