/**
 * Holds the rooms of src/ to docs/architecture.md: each folder imports only the rooms it is
 * allowed to, so data flows one way and no folder-level cycle can come back unnoticed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../../src/', import.meta.url));

/** A room and the rooms it may import (besides itself). Root files are rooms of their own. */
const ALLOWED: Record<string, readonly string[]> = {
  'cli': ['processes', 'review', 'engine', 'pipeline', 'guards', 'costs', 'settings', 'operations', 'llm', 'kafka', 'topics', 'config.ts', 'errors.ts', 'contracts', 'observability', 'util'],
  'review': ['pipeline', 'costs', 'settings', 'kafka', 'topics', 'config.ts', 'errors.ts', 'contracts', 'observability', 'util'],
  // The composition roots of the three processes, and where clients are made.
  'processes': ['review', 'engine', 'pipeline', 'guards', 'costs', 'settings', 'operations', 'llm', 'kafka', 'topics', 'config.ts', 'errors.ts', 'contracts', 'observability', 'util'],
  'engine': ['pipeline', 'guards', 'kafka', 'topics', 'config.ts', 'errors.ts', 'contracts', 'observability', 'util'],
  'pipeline': ['llm', 'settings', 'kafka', 'topics', 'config.ts', 'errors.ts', 'contracts', 'observability', 'util'],
  'guards': ['llm', 'settings', 'kafka', 'topics', 'config.ts', 'errors.ts', 'contracts', 'observability', 'util'],
  'costs': ['guards', 'settings', 'llm', 'kafka', 'topics', 'config.ts', 'errors.ts', 'contracts', 'observability', 'util'],
  'settings': ['kafka', 'topics', 'config.ts', 'errors.ts', 'contracts', 'observability', 'util'],
  'operations': ['llm', 'kafka', 'topics', 'config.ts', 'errors.ts', 'contracts', 'observability', 'util'],
  'llm': ['config.ts', 'errors.ts', 'contracts', 'observability', 'util'],
  'kafka': ['topics', 'config.ts', 'errors.ts', 'contracts', 'observability', 'util'],
  'config.ts': ['config', 'topics', 'errors.ts', 'util'],
  // The topic catalogue: the contracts of its values, nothing else.
  'topics': ['contracts'],
  // The settings tree's machinery and the rules across settings: only config.ts uses them.
  'config': ['errors.ts', 'util'],
  'errors.ts': [],
  'contracts': [],
  'observability': [],
  'util': [],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const roomOf = (file: string) => relative(src, file).split('/')[0]!;

describe('the rooms of src/', () => {
  const all = files(src);

  it('every file is in a room the architecture names', () => {
    expect(all.map(roomOf).filter((r) => !(r in ALLOWED))).toEqual([]);
  });

  it('imports run only downwards (docs/architecture.md)', () => {
    const wrong: string[] = [];
    for (const file of all) {
      const from = roomOf(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const to = roomOf(resolve(dirname(file), m[1]!));
        if (to !== from && !ALLOWED[from]!.includes(to)) wrong.push(`${relative(src, file)} → ${m[1]}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('no file of src/ is over 250 lines', () => {
    const long = all.map((f) => ({ f: relative(src, f), n: readFileSync(f, 'utf8').split('\n').length })).filter((x) => x.n > 250);
    expect(long).toEqual([]);
  });
});
