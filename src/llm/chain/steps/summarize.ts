/** Step 2: a short factual summary for the search index, with the entities as context. */
import { z } from 'zod';
import { Entities, SummaryOutput } from '../../../contracts/index.ts';
import type { StepInput } from '../../providers/provider.ts';
import { documentBlock, UNTRUSTED } from '../prompts.ts';
import type { ChainStep } from '../step.ts';

export const SUMMARIZE_SYSTEM_PROMPT =
  'You summarize documents for a search index. Write 2 to 3 factual sentences, at most 80 words, ' +
  'in the language of the document. Mention the key entities you are given when they matter. Return JSON only. ' +
  `${UNTRUSTED} The user message gives the key entities already extracted, then the document to summarize.`;

export function summarizeUserPrompt(content: string, entities: Entities, title?: string): string {
  const ctx = [
    entities.people.length ? `People: ${entities.people.join(', ')}` : '',
    entities.organizations.length ? `Organizations: ${entities.organizations.join(', ')}` : '',
    entities.dates.length ? `Dates: ${entities.dates.join(', ')}` : '',
    entities.topics.length ? `Topics: ${entities.topics.join(', ')}` : '',
  ].filter(Boolean);
  return `Key entities already extracted:\n${ctx.length ? ctx.join('\n') : '(none)'}\n\n${documentBlock(content, title)}`;
}

export function summarizeStep(): ChainStep<SummaryOutput, string> {
  return {
    name: 'summarize',
    field: 'summary',
    request: (doc, before) => {
      const entities = Entities.parse(before.entities);
      return {
        messages: { system: SUMMARIZE_SYSTEM_PROMPT, user: summarizeUserPrompt(doc.content, entities, doc.title) },
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
