import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTING_VARIABLES } from '../../src/config.ts';

describe('the README configuration table', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('documents every variable config.ts reads', () => {
    const missing = SETTING_VARIABLES.filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('lists each variable once in config.ts', () => {
    expect(new Set(SETTING_VARIABLES).size).toBe(SETTING_VARIABLES.length);
    expect(SETTING_VARIABLES.length).toBeGreaterThan(40);
  });
});
