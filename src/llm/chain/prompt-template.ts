/**
 * A prompt template of a step's file (prompts/<step>.md): text with named placeholders,
 * `{{name}}`. Compiled once at start (where an unknown or malformed placeholder is a problem
 * named with its line), rendered per document in one pass: a value is inserted as it is and is
 * never read for placeholders again, so a document that contains `{{…}}` stays text.
 *
 * A placeholder may be absent for a document (the title of a document without one): a line
 * that uses an absent placeholder is left out.
 */

type Part = string | { name: string };

interface Line {
  parts: Part[];
  names: string[];
}

export interface Template {
  readonly lines: readonly Line[];
  /** Every placeholder the template uses. */
  readonly names: ReadonlySet<string>;
}

/** The values of a render; undefined marks an absent placeholder (its lines are left out). */
export type TemplateValues = Readonly<Record<string, string | undefined>>;

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const NAME = /^[a-z][a-z_]*$/;

/**
 * The template, or the problems with it: a placeholder not among `allowed`, a malformed one
 * (`{{ }}`, `{{Title}}`), a brace pair left open or closed alone.
 */
export function compileTemplate(text: string, allowed: readonly string[]): { template: Template } | { problems: string[] } {
  const problems: string[] = [];
  const lines: Line[] = [];
  const names = new Set<string>();
  text.split('\n').forEach((line, i) => {
    const at = `line ${i + 1}`;
    const parts: Part[] = [];
    const used: string[] = [];
    let last = 0;
    for (const m of line.matchAll(PLACEHOLDER)) {
      const name = m[1]!.trim();
      if (!NAME.test(name)) problems.push(`${at}: malformed placeholder ${m[0]} (a name is lower-case letters and _)`);
      else if (!allowed.includes(name)) problems.push(`${at}: unknown placeholder {{${name}}} (allowed here: ${allowed.length ? allowed.map((a) => `{{${a}}}`).join(', ') : 'none'})`);
      parts.push(line.slice(last, m.index));
      parts.push({ name });
      used.push(name);
      names.add(name);
      last = m.index + m[0].length;
    }
    parts.push(line.slice(last));
    const rest = parts.filter((p): p is string => typeof p === 'string').join('');
    if (rest.includes('{{') || rest.includes('}}')) problems.push(`${at}: unbalanced {{ or }} (a placeholder is {{name}})`);
    lines.push({ parts: parts.filter((p) => p !== ''), names: used });
  });
  return problems.length ? { problems } : { template: { lines, names } };
}

export function renderTemplate(t: Template, values: TemplateValues): string {
  const out: string[] = [];
  for (const line of t.lines) {
    if (line.names.some((n) => values[n] === undefined)) continue;
    out.push(line.parts.map((p) => (typeof p === 'string' ? p : values[p.name]!)).join(''));
  }
  return out.join('\n');
}
