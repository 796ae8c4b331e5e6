/**
 * docs/configuration.md, rendered from the settings tree (settings.ts): every variable, its
 * default as the parser has it, and what it is for. `npm run docs` writes the file; a
 * unit test fails when the file and the tree differ, so a setting, a default or a meaning
 * changed in the code is changed in the doc.
 */
import type { z } from 'zod';
import { duration, durationList } from '../util/env-parsers.ts';
import { formatDuration } from '../util/duration.ts';
import { leaves, type Setting, type SettingTree } from './setting-tree.ts';

const SECTIONS: Record<string, string> = {
  kafka: 'Kafka: the cluster and how to reach it',
  topics: 'Topics: names and how they are created',
  llm: 'The LLM: provider, model, pool, rate limits, result cache',
  processing: 'Processing: the gate, in-flight work and commits',
  retry: 'Retries, outages and the dead-letter topic',
  shadow: 'A shadow candidate on live traffic',
  budget: 'The daily budget',
  costs: 'The cost aggregator',
  review: 'The review console',
  schemaRegistry: 'The schema registry',
  log: 'Logs',
  metrics: 'Metrics and health endpoints',
};

/** Whether a parser is (or wraps) the duration parsers: their defaults are shown as 30s, not 30000. */
function isDuration(schema: z.ZodType): boolean {
  let s: unknown = schema;
  for (let i = 0; i < 8 && s; i++) {
    if (s === duration || s === durationList) return true;
    const def = (s as { _zod?: { def?: { innerType?: unknown; in?: unknown } } })._zod?.def;
    s = def?.innerType ?? def?.in;
  }
  return false;
}

function shownDefault(s: Setting): string {
  if (s.shown) return s.shown;
  const parsed = s.schema.safeParse(undefined);
  const value = parsed.success ? parsed.data : undefined;
  if (value === undefined) return s.unset ?? '—';
  const asDuration = isDuration(s.schema);
  const one = (v: unknown) => (asDuration && typeof v === 'number' ? formatDuration(v) : String(v));
  return `\`${Array.isArray(value) ? value.map(one).join(',') : one(value)}\``;
}

function variable(s: Setting): string {
  const extras = [s.fromFile ? `or \`${s.env}_FILE\`` : '', s.secret ? '(secret: never logged)' : ''].filter(Boolean);
  return `\`${s.env}\`${extras.length ? ` ${extras.join(' ')}` : ''}`;
}

export function renderConfigurationDoc(tree: SettingTree): string {
  const out = [
    '# Configuration',
    '',
    'Every setting is an environment variable, parsed once by `src/config.ts` at start; a bad value stops the',
    'process with a message that names every bad variable (exit 2). Durations take `500ms`, `10s`, `2m`, `1h`, `7d`',
    'or plain milliseconds. A variable shown with `_FILE` may instead name a file that holds the value (a',
    'mounted Kubernetes or Docker secret). Back to the [README](../README.md#the-settings-everyone-sets).',
    '',
    '<!-- Generated from src/config/settings.ts by `npm run docs`; test/unit/config-doc.test.ts checks it. -->',
  ];
  for (const [key, node] of Object.entries(tree)) {
    out.push('', `## ${SECTIONS[key] ?? key}`, '', '| variable | default | what it is for |', '|---|---|---|');
    for (const { setting } of leaves(node as SettingTree)) out.push(`| ${variable(setting)} | ${shownDefault(setting)} | ${setting.doc} |`);
  }
  return `${out.join('\n')}\n`;
}
