/**
 * The prompt-version guard. PROMPT_VERSION keys the result cache and is stamped on every
 * output: a prompt changed under an old version would serve stale cached answers on replay.
 * Each version's fingerprint is recorded here once; changing a prompt changes the
 * fingerprint, and this test fails until PROMPT_VERSION is bumped and the new pair recorded.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PROMPT_VERSION, SYSTEM_PROMPTS, classifySystemPrompt, classifyUserPrompt, extractUserPrompt, summarizeUserPrompt } from '../../src/llm/chain/prompts.ts';
import { classifyAnswer } from '../../src/llm/chain/llm-schemas.ts';
import { z } from 'zod';

/** Append only: version → fingerprint. Never edit a recorded line. */
const RECORDED: Record<string, string> = {
  '2026-11-25.1': 'fffedc8aeeefaf7f',
  '2026-11-25.2': 'd9f1d1ac7462fa2d',
};

function fingerprint(): string {
  const entities = { people: ['Ada Lovelace'], organizations: ['Analytical Engines Ltd'], dates: ['1843'], topics: ['computing'] };
  const parts = [
    JSON.stringify(SYSTEM_PROMPTS),
    extractUserPrompt('Body of the document.', 'A title'),
    summarizeUserPrompt('Body of the document.', entities, 'A title'),
    classifySystemPrompt(['science', 'other']),
    classifyUserPrompt('A summary.', entities, 'A title'),
    JSON.stringify(z.toJSONSchema(classifyAnswer(['science', 'other']))),
  ];
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

describe('prompt version guard', () => {
  it('the current prompts match the fingerprint recorded for PROMPT_VERSION', () => {
    const now = fingerprint();
    expect(RECORDED[PROMPT_VERSION], `no fingerprint recorded for PROMPT_VERSION ${PROMPT_VERSION}: add '${PROMPT_VERSION}': '${now}'`).toBeDefined();
    expect(now, `the prompts changed under PROMPT_VERSION ${PROMPT_VERSION}: bump PROMPT_VERSION in src/llm/chain/prompts.ts and record its fingerprint '${now}'`).toBe(RECORDED[PROMPT_VERSION]);
  });

  it('no two versions share a fingerprint (a bump must come with a prompt change, and back)', () => {
    const values = Object.values(RECORDED);
    expect(new Set(values).size).toBe(values.length);
  });
});
