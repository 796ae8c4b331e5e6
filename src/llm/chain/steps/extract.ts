/**
 * Step 1: the named entities of the document. Without them the chain can still summarize and
 * classify, so a permanent failure here is not the end: the result goes on, partial, to review.
 */
import { Entities } from '../../../contracts/index.ts';
import type { StepInput } from '../../providers/provider.ts';
import type { PromptSpec, StepPrompt } from '../prompt-files.ts';
import { renderTemplate } from '../prompt-template.ts';
import { documentValues } from '../prompts.ts';
import type { ChainStep } from '../step.ts';

const ENTITY_TYPES = Object.keys(Entities.shape);
const ENTITY_TYPE_LINE = /^[-*]\s+([a-z_]+)\s*:\s*(\S.*)$/;

/**
 * The `## entity types` section: one `- <type>: <what it is>` line per field of the Entities
 * contract, each once. Their descriptions are the prompt's to change; their set is the
 * contract's (a type the published document cannot carry is a problem).
 */
export function parseEntityTypes(text: string): { value: { name: string; description: string }[] } | { problem: string } {
  const types: { name: string; description: string }[] = [];
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const m = ENTITY_TYPE_LINE.exec(line.trim());
    if (!m) return { problem: `"${line.trim()}" is not a "- <type>: <description>" line` };
    if (!ENTITY_TYPES.includes(m[1]!)) return { problem: `unknown entity type "${m[1]}" (the types are the published document's: ${ENTITY_TYPES.join(', ')})` };
    if (types.some((t) => t.name === m[1])) return { problem: `entity type "${m[1]}" appears twice` };
    types.push({ name: m[1]!, description: m[2]!.trim() });
  }
  const missing = ENTITY_TYPES.filter((t) => !types.some((x) => x.name === t));
  if (missing.length) return { problem: `missing entity type(s): ${missing.join(', ')}` };
  return { value: types };
}

/** prompts/extract.md: {{entity_types}} is the section's lines as one sentence each. */
export const EXTRACT_PROMPT: PromptSpec = {
  step: 'extract',
  placeholders: { system: ['entity_types'], user: ['title', 'content'] },
  sections: { 'entity types': parseEntityTypes },
};

/** Extraction is the offline provider's one costly answer, and the same text often comes twice (retries, replays). */
const MEMO_LIMIT = 1_000;

export function extractStep(prompt: StepPrompt): ChainStep<Entities, Entities> {
  const memo = new Map<string, Entities>();
  const types = prompt.sections['entity types'] as { name: string; description: string }[];
  const system = renderTemplate(prompt.system, { entity_types: types.map((t) => `${t.name}: ${t.description}`).join(' ') });
  return {
    name: 'extract',
    field: 'entities',
    request: (doc) => ({
      messages: { system, user: renderTemplate(prompt.user, documentValues(doc)) },
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
