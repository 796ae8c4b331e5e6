/**
 * Step 1: the named entities of the document. Without them the chain can still summarize and
 * classify, so a permanent failure here is not the end: the result goes on, partial, to review.
 */
import { Entities } from '../../../contracts/index.ts';
import type { StepInput } from '../../providers/provider.ts';
import { documentBlock, UNTRUSTED } from '../prompts.ts';
import type { ChainStep } from '../step.ts';

export const EXTRACT_SYSTEM_PROMPT =
  'You extract named entities from documents. Return JSON only. people: full names of real persons. ' +
  'organizations: companies, institutions, agencies, teams. dates: dates and periods as written. ' +
  `topics: 3 to 8 short lower-case subject phrases. Use only what the text states; never invent. ${UNTRUSTED} ` +
  'Extract the entities of the document in the user message.';

/** Extraction is the offline provider's one costly answer, and the same text often comes twice (retries, replays). */
const MEMO_LIMIT = 1_000;

export function extractStep(): ChainStep<Entities, Entities> {
  const memo = new Map<string, Entities>();
  return {
    name: 'extract',
    field: 'entities',
    request: (doc) => ({
      messages: { system: EXTRACT_SYSTEM_PROMPT, user: documentBlock(doc.content, doc.title) },
      answer: Entities,
      input: { step: 'extract', content: doc.content, title: doc.title },
    }),
    toOutput: (res) => res.output,
    output: Entities,
    whenFailed: { people: [], organizations: [], dates: [], topics: [] },
    async offline(input: StepInput) {
      const { extractEntities } = await import('../../offline/nlp.ts');
      const key = `${input.title ?? ''}\u0000${input.content}`;
      let hit = memo.get(key);
      if (hit !== undefined) memo.delete(key);
      else {
        hit = extractEntities(input.content, input.title);
        if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value!);
      }
      memo.set(key, hit);
      return { people: [...hit.people], organizations: [...hit.organizations], dates: [...hit.dates], topics: [...hit.topics] };
    },
  };
}
