/**
 * Holds the rooms of src/ to docs/architecture.md: each folder imports only the rooms it is
 * allowed to, so data flows one way and no folder-level cycle can come back unnoticed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * A room and the rooms it may import (besides itself), read from docs/architecture.md's table,
 * so the doc and this test state one rule. Root files are rooms of their own.
 */
function allowedFromDoc(): Record<string, readonly string[]> {
  const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
  const table = /<!-- rooms:[^>]*-->\n([\s\S]*?)\n<!-- \/rooms -->/.exec(doc)?.[1];
  if (!table) throw new Error('docs/architecture.md has no rooms table');
  const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\/$/, ''));
  const rows = table.split('\n').filter((l) => l.startsWith('| `'));
  return Object.fromEntries(rows.map((l) => {
    const cells = l.split(' | ');
    return [names(cells[0]!)[0]!, names(cells[cells.length - 1]!)];
  }));
}
const ALLOWED = allowedFromDoc();

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

  it('the rule itself allows no cycle between rooms', () => {
    const seen = new Set<string>();
    const visiting: string[] = [];
    const cycles: string[] = [];
    const visit = (room: string) => {
      if (visiting.includes(room)) return void cycles.push([...visiting.slice(visiting.indexOf(room)), room].join(' → '));
      if (seen.has(room)) return;
      visiting.push(room);
      for (const next of ALLOWED[room] ?? []) visit(next);
      visiting.pop();
      seen.add(room);
    };
    for (const room of Object.keys(ALLOWED)) visit(room);
    expect(cycles).toEqual([]);
    expect(Object.keys(ALLOWED).length).toBeGreaterThan(15);
  });

  it('no file of src/ is over 250 lines', () => {
    const long = all.map((f) => ({ f: relative(src, f), n: readFileSync(f, 'utf8').split('\n').length })).filter((x) => x.n > 250);
    expect(long).toEqual([]);
  });
});
