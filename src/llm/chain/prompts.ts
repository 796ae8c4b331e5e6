/**
 * The prompts of the three steps. PROMPT_VERSION is part of every output and of the result
 * cache key: change it whenever a prompt changes, so that replays pay for the new prompt
 * instead of reusing answers to the old one. test/unit/prompts.test.ts fails if a prompt
 * changes without a new version.
 */
import type { Entities } from '../../contracts/index.ts';

export const PROMPT_VERSION = '2026-11-25.1';

/** Long documents are cut before they reach a prompt; the cut is the same for every step. */
export const MAX_PROMPT_CONTENT_CHARS = 24_000;

export const SYSTEM_PROMPTS = {
  extract:
    'You extract named entities from documents. Return JSON only. people: full names of real persons. ' +
    'organizations: companies, institutions, agencies, teams. dates: dates and periods as written. ' +
    'topics: 3 to 8 short lower-case subject phrases. Use only what the text states; never invent.',
  summarize:
    'You summarize documents for a search index. Write 2 to 3 factual sentences, at most 80 words, ' +
    'in the language of the document. Mention the key entities you are given when they matter. Return JSON only.',
  classify:
    'You classify documents into exactly one category from the allowed list. Give every allowed category a ' +
    'score between 0 and 1 (the scores sum to 1) and a confidence: how sure you are that the chosen category is ' +
    'right. Use a low confidence when the text mixes subjects or says little. If you cannot judge, set confidence ' +
    'to null. Return JSON only.',
} as const;

function documentBlock(content: string, title?: string): string {
  const text = content.length > MAX_PROMPT_CONTENT_CHARS ? `${content.slice(0, MAX_PROMPT_CONTENT_CHARS)}\n[truncated]` : content;
  return `${title ? `Title: ${title}\n` : ''}Document:\n"""\n${text}\n"""`;
}

export function extractUserPrompt(content: string, title?: string): string {
  return `Extract the entities of this document.\n\n${documentBlock(content, title)}`;
}

export function summarizeUserPrompt(content: string, entities: Entities, title?: string): string {
  const ctx = [
    entities.people.length ? `People: ${entities.people.join(', ')}` : '',
    entities.organizations.length ? `Organizations: ${entities.organizations.join(', ')}` : '',
    entities.dates.length ? `Dates: ${entities.dates.join(', ')}` : '',
    entities.topics.length ? `Topics: ${entities.topics.join(', ')}` : '',
  ].filter(Boolean);
  return `Key entities already extracted:\n${ctx.length ? ctx.join('\n') : '(none)'}\n\nSummarize this document.\n\n${documentBlock(content, title)}`;
}

export function classifyUserPrompt(summary: string, entities: Entities, categories: readonly string[], title?: string): string {
  return (
    `Allowed categories: ${categories.join(', ')}\n` +
    `${title ? `Title: ${title}\n` : ''}Summary: ${summary}\n` +
    `Topics: ${entities.topics.join(', ') || '(none)'}\n` +
    `Organizations: ${entities.organizations.join(', ') || '(none)'}\n\nClassify this document.`
  );
}
