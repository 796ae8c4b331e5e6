/**
 * The README's table of topics, rendered from the catalogue: a new topic appears there by its
 * entry alone (`npm run docs` writes it; test/unit/topic-catalogue.test.ts checks it).
 */
import { COMMANDS, type Catalogue, type TopicEntry } from './catalogue.ts';

const KEPT: Record<TopicEntry['shape'], string> = {
  documents: 'by age',
  events: 'by age',
  compacted: 'compacted (latest per key)',
  'dead-letters': 'never deleted by age',
};

const who = (e: TopicEntry, op: 'READ' | 'WRITE') =>
  COMMANDS.filter((c) => c !== 'topics create' && e.access[c]?.includes(op)).map((c) => `\`${c}\``).join(', ') || '—';

export function renderTopicsTable(catalogue: Catalogue): string {
  const name = (id: string, e: TopicEntry): string => {
    if (e.setting) return `\`${e.setting.default}${e.perRetryTier ? '.<delay>' : ''}\` (\`${e.setting.env}\`)`;
    const base = catalogue[e.namedAfter!.topic]!.setting!.default;
    return `\`${base}${e.namedAfter!.suffix}\` (${id})`;
  };
  const value = (e: TopicEntry) => (e.contract ? `[${e.contract}](schemas/${e.contract}.json)` : '—');
  const rows = Object.entries(catalogue).map(([id, e]) => `| ${name(id, e)} | ${e.key} | ${value(e)} | ${KEPT[e.shape]} | ${who(e, 'WRITE')} | ${who(e, 'READ')} | ${e.about} |`);
  return ['| topic (setting) | key | value | kept | written by | read by | what it is |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}
