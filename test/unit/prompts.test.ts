/**
 * The prompt-version guard. PROMPT_VERSION keys the result cache and is stamped on every
 * output: a prompt changed under an old version would serve stale cached answers on replay.
 * Each version's fingerprint (of every step of the chain, as it asks the model about the
 * scripted model's fixture document: its messages, its answer's JSON Schema, what else it
 * sends) is recorded here; changing a prompt, the content limit, an answer schema or the list
 * of steps changes the fingerprint, and the first test fails until PROMPT_VERSION is bumped and
 * the new pair recorded.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_PROMPT_CONTENT_CHARS, PROMPT_VERSION } from '../../src/llm/chain/prompts.ts';
import type { ChainSteps } from '../../src/llm/chain/step.ts';
import { chainSteps } from '../../src/llm/chain/steps/index.ts';
import { CATEGORIES, ENTITIES, FIXTURE_DOC as doc, SUMMARY } from '../support/scripted-model.ts';

/**
 * Append only: PROMPT_VERSION → fingerprint. The line of 2026-11-25.2 was recorded
 * again when the fingerprint came to cover the chain's steps as a list (steps as data); their
 * prompts did not change: the messages and schemas were compared byte for byte.
 */
const RECORDED: Record<string, string> = {
  '2026-11-25.2': '4b17bc6cc6092b8d',
};

function fingerprint(steps: ChainSteps): string {
  const before = { entities: ENTITIES, summary: SUMMARY };
  const text = steps.map((s) => {
    const r = s.request(doc, before);
    return JSON.stringify({ name: s.name, field: s.field, messages: r.messages, answer: z.toJSONSchema(r.answer), probabilityOf: r.probabilityOf, categories: r.categories });
  });
  return createHash('sha256').update([`limit=${MAX_PROMPT_CONTENT_CHARS}`, ...text].join('\u0000')).digest('hex').slice(0, 16);
}

describe('prompt version guard', () => {
  it('the current prompts match the fingerprint recorded for PROMPT_VERSION', () => {
    const now = fingerprint(chainSteps({ categories: CATEGORIES }));
    expect(RECORDED[PROMPT_VERSION], `no fingerprint recorded for PROMPT_VERSION ${PROMPT_VERSION}: add '${PROMPT_VERSION}': '${now}'`).toBeDefined();
    expect(now, `the prompts changed under PROMPT_VERSION ${PROMPT_VERSION}: bump PROMPT_VERSION in src/llm/chain/prompts.ts and record its fingerprint '${now}'`).toBe(RECORDED[PROMPT_VERSION]);
  });

  it('notices a changed prompt, and a step added to the list', () => {
    const steps = chainSteps({ categories: CATEGORIES });
    const base = fingerprint(steps);
    const [extract, ...rest] = steps;
    const reworded = { ...extract!, request: (d: typeof doc, b: Record<string, unknown>) => { const r = extract!.request(d, b); return { ...r, messages: { ...r.messages, system: `${r.messages.system} Be brief.` } }; } };
    expect(fingerprint([reworded, ...rest])).not.toBe(base);
    expect(fingerprint([...steps, { ...extract!, name: 'translate', field: 'translation' }])).not.toBe(base);
  });
});
