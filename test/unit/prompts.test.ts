/**
 * The prompt-version guard. The prompt version (the content hash of the prompt files, with
 * PROMPT_CODE_REVISION) keys the result cache and is stamped on every output: a prompt changed
 * under an old version would serve stale cached answers on replay and mislabel outputs. A file
 * edit changes the hash by itself; what code does with the files does not, so each version of
 * the bundled prompts has its fingerprint recorded here (every step of the chain as it asks the
 * model about the scripted model's fixture document: its messages, its answer's JSON Schema,
 * what else it sends). Code that changes the fingerprint under the same files (rendering, the
 * content limit, an answer schema, the list of steps) fails the first test until
 * PROMPT_CODE_REVISION is bumped; an edit of a bundled file fails it until its line is recorded.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_PROMPT_CONTENT_CHARS } from '../../src/llm/chain/prompts.ts';
import type { ChainSteps } from '../../src/llm/chain/step.ts';
import { bundledPromptSet, chainSteps } from '../../src/llm/chain/steps/index.ts';
import { CATEGORIES, ENTITIES, FIXTURE_DOC as doc, SUMMARY } from '../support/scripted-model.ts';

/**
 * Append only: prompt version → fingerprint. The line of 2026-11-25.2 was recorded again when
 * the fingerprint came to cover the chain's steps as a list (steps as data). fc18ee12e894 is the
 * same prompts moved into files (prompts/): the fingerprint did not change, byte for byte.
 */
const RECORDED: Record<string, string> = {
  '2026-11-25.2': '4b17bc6cc6092b8d',
  fc18ee12e894: '4b17bc6cc6092b8d',
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
  it('the bundled prompts match the fingerprint recorded for their version', () => {
    const now = fingerprint(chainSteps({ categories: CATEGORIES }));
    const version = bundledPromptSet().version;
    expect(RECORDED[version], `no fingerprint recorded for prompt version ${version} (a bundled prompt file changed, or PROMPT_CODE_REVISION): add ${version}: '${now}'`).toBeDefined();
    expect(now, `what the model is asked changed under prompt version ${version} with the same files: bump PROMPT_CODE_REVISION in src/llm/chain/prompts.ts and record the new version's fingerprint '${now}'`).toBe(RECORDED[version]);
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
