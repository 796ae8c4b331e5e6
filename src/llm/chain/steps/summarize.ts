/** Step 2: a short factual summary for the search index, with the entities as context. */
import { z } from 'zod';
import { Entities, SummaryOutput } from '../../../contracts/index.ts';
import type { StepInput } from '../../providers/provider.ts';
import type { PromptSpec, StepPrompt } from '../prompt-files.ts';
import { renderTemplate } from '../prompt-template.ts';
import { documentValues, ENTITY_PLACEHOLDERS, entityValues } from '../prompts.ts';
import type { ChainStep } from '../step.ts';

/** prompts/summarize.md: the document and the entities of step 1. */
export const SUMMARIZE_PROMPT: PromptSpec = {
  step: 'summarize',
  placeholders: { system: [], user: ['title', 'content', ...ENTITY_PLACEHOLDERS] },
};

export function summarizeStep(prompt: StepPrompt): ChainStep<SummaryOutput, string> {
  const system = renderTemplate(prompt.system, {});
  return {
    name: 'summarize',
    field: 'summary',
    request: (doc, before) => {
      const entities = Entities.parse(before.entities);
      return {
        messages: { system, user: renderTemplate(prompt.user, { ...documentValues(doc), ...entityValues(entities) }) },
        answer: SummaryOutput,
        input: { step: 'summarize', content: doc.content, title: doc.title, entities },
      };
    },
    toOutput: (res) => res.output.summary,
    output: z.string(),
    async offline(input: StepInput) {
      const { summarize } = await import('../../offline/summarize-text.ts');
      return { summary: summarize(input.content, input.entities as Entities, input.title) };
    },
  };
}
