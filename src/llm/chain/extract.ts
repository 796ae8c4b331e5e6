import type { Entities, RawDocument } from '../../contracts/index.ts';
import type { CallContext, StepCaller, StepCallResult } from './call-step.ts';
import { ExtractAnswer } from './llm-schemas.ts';
import { SYSTEM_PROMPTS, extractUserPrompt } from './prompts.ts';

export type ExtractStep = (doc: RawDocument, ctx: CallContext) => Promise<StepCallResult<Entities>>;

export function createExtractStep(callStep: StepCaller): ExtractStep {
  return (doc, ctx) =>
    callStep(
      {
        step: 'extract',
        input: { step: 'extract', content: doc.content, title: doc.title },
        messages: { system: SYSTEM_PROMPTS.extract, user: extractUserPrompt(doc.content, doc.title) },
        schema: ExtractAnswer,
        schemaName: 'extract',
      },
      ctx,
    );
}
