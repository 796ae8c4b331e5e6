/**
 * The prompts as configuration: one file per chain step in PROMPTS_DIR (by default the bundled
 * `prompts/` folder), `<step>.md`, holding the step's system and user templates and any section
 * of its own (extract's entity types). Read and checked once at start: a missing, unreadable or
 * malformed file, an unknown placeholder, stops the start with a ConfigError naming the file and
 * the problem.
 *
 * The file format (docs/prompts-and-models.md): `## <section>` headings; a section's text is the
 * lines under its heading, without the blank lines at its ends, line breaks kept. Text above the
 * first heading is for people and is never sent.
 *
 * The prompt version is the content hash of the step files (with PROMPT_CODE_REVISION): every
 * output carries it and the result cache keys on it, so editing a file changes the version, and
 * with it the cache keys, by itself.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUNDLED_PROMPTS_DIR } from '../../config.ts';
import { ConfigError } from '../../errors.ts';
import { PROMPT_CODE_REVISION } from './prompts.ts';
import { compileTemplate, type Template } from './prompt-template.ts';

/** What a step's file must hold: checked when the files are read. */
export interface PromptSpec {
  readonly step: string;
  /**
   * The placeholders each template may use. The system prompt's are the same for every document
   * (the provider's prefix cache needs an identical system prompt), the user prompt's vary.
   */
  readonly placeholders: { readonly system: readonly string[]; readonly user: readonly string[] };
  /** The step's own sections, each required: its text to a value, or a problem. */
  readonly sections?: Readonly<Record<string, (text: string) => { value: unknown } | { problem: string }>>;
}

export interface StepPrompt {
  /** The file it came from, for messages. */
  readonly file: string;
  readonly system: Template;
  readonly user: Template;
  /** The values of the spec's own sections, by section name. */
  readonly sections: Readonly<Record<string, unknown>>;
}

export interface PromptSet {
  readonly dir: string;
  /** The content hash of the step files: the prompt version. */
  readonly version: string;
  /** The step's prompt; throws for a step the set was not loaded for (a programming error). */
  step(name: string): StepPrompt;
}

const HEADING = /^##\s+(.*?)\s*$/;

/** The `## ` sections of a file, by lower-case name; problems for duplicates. */
export function parseSections(text: string): { sections: Map<string, string>; problems: string[] } {
  const sections = new Map<string, string>();
  const problems: string[] = [];
  let current: { name: string; lines: string[] } | undefined;
  const close = () => {
    if (!current) return;
    const lines = [...current.lines];
    while (lines.length && lines[0]!.trim() === '') lines.shift();
    while (lines.length && lines.at(-1)!.trim() === '') lines.pop();
    if (sections.has(current.name)) problems.push(`section "## ${current.name}" appears twice`);
    else sections.set(current.name, lines.join('\n'));
  };
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    const h = HEADING.exec(line);
    if (h) {
      close();
      current = { name: h[1]!.toLowerCase(), lines: [] };
    } else current?.lines.push(line);
  }
  close();
  return { sections, problems };
}

/** One step's file, checked against its spec: the prompt, or the problems (each without the file name). */
export function parseStepPrompt(file: string, text: string, spec: PromptSpec): { prompt: StepPrompt } | { problems: string[] } {
  const { sections, problems } = parseSections(text);
  const own = Object.keys(spec.sections ?? {});
  const known = ['system', 'user', ...own];
  for (const name of sections.keys()) if (!known.includes(name)) problems.push(`unknown section "## ${name}" (expected: ${known.map((k) => `## ${k}`).join(', ')})`);
  const templates: Partial<Record<'system' | 'user', Template>> = {};
  for (const part of ['system', 'user'] as const) {
    const body = sections.get(part);
    if (body === undefined) problems.push(`missing section "## ${part}"`);
    else if (body.trim() === '') problems.push(`section "## ${part}" is empty`);
    else {
      const t = compileTemplate(body, spec.placeholders[part]);
      if ('problems' in t) problems.push(...t.problems.map((p) => `## ${part}, ${p}`));
      else templates[part] = t.template;
    }
  }
  const values: Record<string, unknown> = {};
  for (const [name, parse] of Object.entries(spec.sections ?? {})) {
    const body = sections.get(name);
    if (body === undefined) {
      problems.push(`missing section "## ${name}"`);
      continue;
    }
    const r = parse(body);
    if ('problem' in r) problems.push(`## ${name}: ${r.problem}`);
    else values[name] = r.value;
  }
  if (problems.length || !templates.system || !templates.user) return { problems };
  return { prompt: { file, system: templates.system, user: templates.user, sections: values } };
}

/** The prompt version: the hash of every step file's name and bytes, in the chain's order. */
export function promptVersion(files: readonly { name: string; bytes: Buffer }[]): string {
  const h = createHash('sha256').update(`prompt-code-revision=${PROMPT_CODE_REVISION}\u0000`);
  for (const f of files) h.update(`${f.name}\u0000`).update(f.bytes).update('\u0000');
  return h.digest('hex').slice(0, 12);
}

/**
 * Reads and checks the file of every step in `specs` from `dir`. Throws a ConfigError naming
 * every problem of every file at once.
 */
export function loadPrompts(dir: string, specs: readonly PromptSpec[]): PromptSet {
  const root = resolve(dir);
  const problems: string[] = [];
  const files: { name: string; bytes: Buffer }[] = [];
  const prompts = new Map<string, StepPrompt>();
  for (const spec of specs) {
    const name = `${spec.step}.md`;
    const file = join(root, name);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(`  ${file}: ${code === 'ENOENT' ? `missing: every step needs its file (${specs.map((s) => `${s.step}.md`).join(', ')})` : `cannot read: ${(e as Error).message}`}`);
      continue;
    }
    files.push({ name, bytes });
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    let decoded: string;
    try {
      decoded = decoder.decode(bytes);
    } catch {
      problems.push(`  ${file}: not UTF-8 text`);
      continue;
    }
    const r = parseStepPrompt(file, decoded, spec);
    if ('problems' in r) problems.push(...r.problems.map((p) => `  ${file}: ${p}`));
    else prompts.set(spec.step, r.prompt);
  }
  if (problems.length) throw new ConfigError(`invalid prompts (PROMPTS_DIR=${dir}):\n${problems.join('\n')}`);
  const version = promptVersion(files);
  return {
    dir: root,
    version,
    step(name) {
      const p = prompts.get(name);
      if (!p) throw new Error(`no prompt loaded for step ${name} (loaded: ${[...prompts.keys()].join(', ')})`);
      return p;
    },
  };
}

/** The bundled prompts, read once per process: what a chain built without a PromptSet uses. */
const bundled = new Map<readonly PromptSpec[], PromptSet>();
export function bundledPrompts(specs: readonly PromptSpec[]): PromptSet {
  let set = bundled.get(specs);
  if (!set) bundled.set(specs, (set = loadPrompts(BUNDLED_PROMPTS_DIR, specs)));
  return set;
}
