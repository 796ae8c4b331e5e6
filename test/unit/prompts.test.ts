/**
 * The prompt-version guard. PROMPT_VERSION keys the result cache and is stamped on every
 * output: a prompt changed under an old version would serve stale cached answers on replay.
 * Each version's fingerprint (of everything prompts.ts and llm-schemas.ts export, built for the
 * scripted model's fixture document) is recorded here; changing a prompt, the content limit or
 * an answer schema changes the fingerprint, and the first test fails until PROMPT_VERSION is
 * bumped and the new pair recorded. The second keeps the fingerprint complete: an export added
 * to either file fails it until the fingerprint covers it.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as prompts from '../../src/llm/chain/prompts.ts';
import * as schemas from '../../src/llm/chain/llm-schemas.ts';
import { CATEGORIES, ENTITIES, FIXTURE_DOC as doc, SUMMARY } from '../support/scripted-model.ts';

/**
 * Append only: PROMPT_VERSION → fingerprint. (The line for 2026-11-25.1 was recorded again when
 * the fingerprint came to cover every export; its prompts did not change.)
 */
const RECORDED: Record<string, string> = {
  '2026-11-25.1': '0a902ac349b94cd7',
  '2026-11-25.2': '85374d7015b55563',
};

/** One entry per export of prompts.ts and llm-schemas.ts, except PROMPT_VERSION itself. */
const PARTS: Record<string, () => unknown> = {
  SYSTEM_PROMPTS: () => prompts.SYSTEM_PROMPTS,
  MAX_PROMPT_CONTENT_CHARS: () => prompts.MAX_PROMPT_CONTENT_CHARS,
  extractUserPrompt: () => prompts.extractUserPrompt(doc.content, doc.title),
  summarizeUserPrompt: () => prompts.summarizeUserPrompt(doc.content, ENTITIES, doc.title),
  classifySystemPrompt: () => prompts.classifySystemPrompt(CATEGORIES),
  classifyUserPrompt: () => prompts.classifyUserPrompt(SUMMARY, ENTITIES, doc.title),
  ExtractAnswer: () => z.toJSONSchema(schemas.ExtractAnswer),
  SummarizeAnswer: () => z.toJSONSchema(schemas.SummarizeAnswer),
  classifyAnswer: () => z.toJSONSchema(schemas.classifyAnswer(CATEGORIES)),
};

function fingerprint(): string {
  const text = Object.entries(PARTS).map(([name, part]) => `${name}=${JSON.stringify(part())}`);
  return createHash('sha256').update(text.join('\u0000')).digest('hex').slice(0, 16);
}

describe('prompt version guard', () => {
  it('the current prompts match the fingerprint recorded for PROMPT_VERSION', () => {
    const now = fingerprint();
    const version = prompts.PROMPT_VERSION;
    expect(RECORDED[version], `no fingerprint recorded for PROMPT_VERSION ${version}: add '${version}': '${now}'`).toBeDefined();
    expect(now, `the prompts changed under PROMPT_VERSION ${version}: bump PROMPT_VERSION in src/llm/chain/prompts.ts and record its fingerprint '${now}'`).toBe(RECORDED[version]);
  });

  it('the fingerprint covers every export of prompts.ts and llm-schemas.ts', () => {
    const exported = [...Object.keys(prompts), ...Object.keys(schemas)].filter((name) => name !== 'PROMPT_VERSION');
    expect(Object.keys(PARTS).sort(), 'add the new export to PARTS (it shapes what the model is asked)').toEqual(exported.sort());
  });
});
