/**
 * The prompts as configuration (src/llm/chain/prompt-files.ts, prompt-template.ts): the bundled
 * files load, the prompt version is their content hash (stable, and changed by any edit), an
 * edited template reaches the model, and every kind of bad file stops the start with a
 * ConfigError naming the file and the problem.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLED_PROMPTS_DIR, loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { loadPrompts } from '../../src/llm/chain/prompt-files.ts';
import { compileTemplate, renderTemplate } from '../../src/llm/chain/prompt-template.ts';
import { bundledPromptSet, chainSteps, PROMPT_SPECS } from '../../src/llm/chain/steps/index.ts';
import { CATEGORIES, ENTITIES, FIXTURE_DOC as doc, SUMMARY } from '../support/scripted-model.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of the bundled prompts to edit. */
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'prompts-'));
  dirs.push(dir);
  cpSync(BUNDLED_PROMPTS_DIR, dir, { recursive: true });
  return dir;
}

function edit(dir: string, step: string, change: (text: string) => string): void {
  const file = join(dir, `${step}.md`);
  writeFileSync(file, change(readFileSync(file, 'utf8')));
}

/** The message of the ConfigError loading `dir` throws. */
function problemOf(dir: string): string {
  try {
    loadPrompts(dir, PROMPT_SPECS);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('the prompts loaded');
}

const before = { entities: ENTITIES, summary: SUMMARY };

describe('prompt files: loading and the version', () => {
  it('the bundled folder is PROMPTS_DIR\'s default, found from the package wherever the process runs', () => {
    expect(loadConfig({}).llm.promptsDir).toBe(BUNDLED_PROMPTS_DIR);
    expect(BUNDLED_PROMPTS_DIR).toBe(resolve(import.meta.dirname, '../../prompts'));
    expect(loadConfig({ PROMPTS_DIR: 'some/where' }).llm.promptsDir).toBe(resolve('some/where'));
  });

  it('the version is a hash of the files: the same for a copy, stable across loads', () => {
    const v = bundledPromptSet().version;
    expect(v).toMatch(/^[0-9a-f]{12}$/);
    const dir = copy();
    expect(loadPrompts(dir, PROMPT_SPECS).version).toBe(v);
    expect(loadPrompts(dir, PROMPT_SPECS).version).toBe(v);
  });

  it('any edit of a step file changes the version, the notes above the sections included; other files do not count', () => {
    const v = bundledPromptSet().version;
    const dir = copy();
    writeFileSync(join(dir, 'README.md'), 'notes for the team');
    expect(loadPrompts(dir, PROMPT_SPECS).version).toBe(v);
    const seen = new Set([v]);
    for (const step of ['extract', 'summarize', 'classify']) {
      const d = copy();
      edit(d, step, (t) => t.replace('Return JSON only.', 'Return JSON only, nothing else.'));
      seen.add(loadPrompts(d, PROMPT_SPECS).version);
    }
    const notes = copy();
    edit(notes, 'extract', (t) => t.replace('Step 1 of the chain', 'Step one of the chain'));
    seen.add(loadPrompts(notes, PROMPT_SPECS).version);
    expect(seen.size).toBe(5);
  });

  it('an edited template is what the step sends, and the other steps are unchanged', () => {
    const dir = copy();
    edit(dir, 'summarize', (t) => t.replace('Write 2 to 3 factual sentences', 'Write 1 factual sentence'));
    edit(dir, 'extract', (t) => t.replace('- topics: 3 to 8 short lower-case subject phrases.', '- topics: at most 3 lower-case subject phrases.'));
    const mine = chainSteps({ categories: CATEGORIES, prompts: loadPrompts(dir, PROMPT_SPECS) }).map((s) => s.request(doc, before).messages);
    const bundled = chainSteps({ categories: CATEGORIES }).map((s) => s.request(doc, before).messages);
    expect(mine[0]!.system).toContain('topics: at most 3 lower-case subject phrases. Use only');
    expect(mine[1]!.system).toContain('Write 1 factual sentence, at most 80 words');
    expect(mine[0]!.user).toBe(bundled[0]!.user);
    expect(mine[2]).toEqual(bundled[2]);
  });

  it('renders in one pass: a document that contains {{…}} stays text; a line with an absent {{title}} is left out', () => {
    const t = compileTemplate('Title: {{title}}\nText: {{content}}', ['title', 'content']);
    if (!('template' in t)) throw new Error(t.problems.join('; '));
    expect(renderTemplate(t.template, { title: 'T', content: 'say {{title}} and {{content}}' })).toBe('Title: T\nText: say {{title}} and {{content}}');
    expect(renderTemplate(t.template, { title: undefined, content: 'x' })).toBe('Text: x');
    const [extract] = chainSteps({ categories: CATEGORIES });
    expect(extract!.request({ id: 'd', content: 'Body' }, {}).messages.user).toBe('Document:\n"""\nBody\n"""');
  });
});

describe('prompt files: a bad file stops the start, naming the file and the problem', () => {
  it('a missing step file', () => {
    const dir = copy();
    unlinkSync(join(dir, 'summarize.md'));
    expect(problemOf(dir)).toMatch(new RegExp(`${join(dir, 'summarize.md')}: missing: every step needs its file \\(extract.md, summarize.md, classify.md\\)`));
  });

  it('a folder that does not exist names every file', () => {
    const m = problemOf('/nonexistent/prompts');
    expect(m).toContain('PROMPTS_DIR=/nonexistent/prompts');
    for (const f of ['extract.md', 'summarize.md', 'classify.md']) expect(m).toContain(`/nonexistent/prompts/${f}: missing`);
  });

  it('an unknown placeholder, with the section, the line and what is allowed there', () => {
    const dir = copy();
    edit(dir, 'classify', (t) => t.replace('Summary: {{summary}}', 'Summary: {{sumary}}'));
    expect(problemOf(dir)).toContain(`${join(dir, 'classify.md')}: ## user, line 2: unknown placeholder {{sumary}} (allowed here: {{title}}, {{content}}, {{summary}}, {{entities}}, {{people}}, {{organizations}}, {{dates}}, {{topics}})`);
  });

  it('a placeholder of the document in a system prompt (it would defeat the provider\'s prefix cache)', () => {
    const dir = copy();
    edit(dir, 'summarize', (t) => t.replace('You summarize documents', 'You summarize {{title}}'));
    expect(problemOf(dir)).toContain(`${join(dir, 'summarize.md')}: ## system, line 1: unknown placeholder {{title}} (allowed here: none)`);
  });

  it('malformed placeholders and unbalanced braces', () => {
    const dir = copy();
    edit(dir, 'extract', (t) => t.replace('Title: {{title}}', 'Title: {{Title}}').replace('{{content}}', '{{content}'));
    const m = problemOf(dir);
    expect(m).toContain('extract.md: ## user, line 1: malformed placeholder {{Title}}');
    expect(m).toContain('extract.md: ## user, line 4: unbalanced {{ or }}');
  });

  it('a missing, empty, repeated or unknown section', () => {
    const a = copy();
    edit(a, 'classify', (t) => t.replace('## user', '## usr'));
    expect(problemOf(a)).toMatch(/classify\.md: unknown section "## usr" \(expected: ## system, ## user\)\n.*classify\.md: missing section "## user"/);
    const b = copy();
    edit(b, 'summarize', (t) => `${t}\n## system\n\nagain\n`);
    expect(problemOf(b)).toContain('summarize.md: section "## system" appears twice');
    const c = copy();
    edit(c, 'summarize', (t) => t.replace(/## system\n\n.*\n/, '## system\n\n\n'));
    expect(problemOf(c)).toContain('summarize.md: section "## system" is empty');
  });

  it('entity types outside the published contract, or missing', () => {
    const a = copy();
    edit(a, 'extract', (t) => `${t}- places: cities and countries.\n`);
    expect(problemOf(a)).toContain('extract.md: ## entity types: unknown entity type "places" (the types are the published document\'s: people, organizations, dates, topics)');
    const b = copy();
    edit(b, 'extract', (t) => t.replace('- dates: dates and periods as written.\n', ''));
    expect(problemOf(b)).toContain('extract.md: ## entity types: missing entity type(s): dates');
    const c = copy();
    edit(c, 'extract', (t) => t.replace('- dates: dates', 'dates = dates'));
    expect(problemOf(c)).toContain('is not a "- <type>: <description>" line');
  });

  it('a file that is not UTF-8 text, and every problem of every file at once', () => {
    const dir = copy();
    writeFileSync(join(dir, 'extract.md'), Buffer.from([0x23, 0x20, 0xff, 0xfe, 0x0a]));
    edit(dir, 'classify', (t) => t.replace('{{categories}}', '{{category}}'));
    const m = problemOf(dir);
    expect(m).toContain('extract.md: not UTF-8 text');
    expect(m).toContain('classify.md: ## system, line 2: unknown placeholder {{category}} (allowed here: {{categories}})');
  });
});
