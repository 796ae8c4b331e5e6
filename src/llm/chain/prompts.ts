/**
 * What every step's prompt shares in code: the cut of long documents and the values of the
 * placeholders that come from the document and from the entities. The prompts themselves are
 * configuration, one file per step (prompt-files.ts, the bundled `prompts/` folder).
 *
 * Layout for the provider's prefix cache: everything that is the same for every document (the
 * instructions, the category list) is in the system message, which comes first; the document
 * and its own context are the user message, last. A cache hit needs an identical prefix, so a
 * system template may use only placeholders that are the same for every document.
 */
import type { Entities, RawDocument } from '../../contracts/index.ts';

/**
 * Part of the prompt version (prompt-files.ts), with the files' hash. Bump it when code changes
 * what the model is asked with the same files (how a placeholder is rendered, the content cut,
 * an answer's schema): test/unit/prompts.test.ts fails until it is bumped.
 */
export const PROMPT_CODE_REVISION = 1;

/** Long documents are cut before they reach a prompt; the cut is the same for every step. */
export const MAX_PROMPT_CONTENT_CHARS = 24_000;

/** {{title}} (absent without one: its lines are left out) and {{content}}, cut to the limit. */
export function documentValues(doc: Pick<RawDocument, 'content' | 'title'>): { title: string | undefined; content: string } {
  const { content } = doc;
  return {
    title: doc.title || undefined,
    content: content.length > MAX_PROMPT_CONTENT_CHARS ? `${content.slice(0, MAX_PROMPT_CONTENT_CHARS)}\n[truncated]` : content,
  };
}

/** The placeholders of the entities: {{people}}, {{organizations}}, {{dates}}, {{topics}} and all of them as {{entities}}. */
export const ENTITY_PLACEHOLDERS = ['entities', 'people', 'organizations', 'dates', 'topics'] as const;

export function entityValues(e: Entities): Record<(typeof ENTITY_PLACEHOLDERS)[number], string> {
  const list = (xs: readonly string[]) => xs.join(', ') || '(none)';
  const lines = [
    e.people.length ? `People: ${e.people.join(', ')}` : '',
    e.organizations.length ? `Organizations: ${e.organizations.join(', ')}` : '',
    e.dates.length ? `Dates: ${e.dates.join(', ')}` : '',
    e.topics.length ? `Topics: ${e.topics.join(', ')}` : '',
  ].filter(Boolean);
  return {
    entities: lines.length ? lines.join('\n') : '(none)',
    people: list(e.people), organizations: list(e.organizations), dates: list(e.dates), topics: list(e.topics),
  };
}
