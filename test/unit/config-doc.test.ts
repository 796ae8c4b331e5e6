/**
 * docs/configuration.md is rendered from the settings tree (src/config/settings.ts): the file in
 * the repository must be what the tree renders today, defaults and all, so a setting added, a
 * default changed or a meaning reworded in the code cannot leave the doc behind.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTING_VARIABLES } from '../../src/config.ts';
import { renderConfigurationDoc } from '../../src/config/configuration-doc.ts';
import { SETTINGS } from '../../src/config/settings.ts';

const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
const row = (name: string) => doc.split('\n').find((l) => l.startsWith(`| \`${name}\``));

describe('docs/configuration.md', () => {
  it('is what the settings tree renders (run `npm run docs` after changing a setting)', () => {
    expect(doc).toBe(renderConfigurationDoc(SETTINGS));
  });

  it('has a row for every variable, each once, and every _FILE variant named', () => {
    expect(new Set(SETTING_VARIABLES).size).toBe(SETTING_VARIABLES.length);
    for (const name of SETTING_VARIABLES.filter((n) => !n.endsWith('_FILE'))) expect(row(name), name).toBeDefined();
    for (const name of SETTING_VARIABLES.filter((n) => n.endsWith('_FILE'))) expect(doc).toContain(`\`${name}\``);
  });

  it('shows the defaults the parser applies, durations as people write them', () => {
    const c = loadConfig({});
    expect(row('KAFKA_SESSION_TIMEOUT')).toContain(`| \`${c.kafka.sessionTimeoutMs / 1000}s\` |`);
    expect(row('RETRY_DELAYS')).toContain('| `10s,20s,40s` |');
    expect(row('LLM_POOL_SLOTS')).toContain(`| \`${c.llm.poolSlots}\` |`);
    expect(row('QUALITY_THRESHOLD')).toContain(`| \`${c.processing.qualityThreshold}\` |`);
    expect(row('TOPIC_DLQ')).toContain(`| \`${c.topics.dlq}\` |`);
    expect(row('INSTANCE_ID')).toContain('`<hostname>-<pid>`');
  });
});
