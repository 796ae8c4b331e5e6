import { describe, expect, it } from 'vitest';
import { cacheKey, createMemoryCache, type ResultCache } from '../../src/llm/cache/result-cache.ts';

const answer = (n: number) => ({ output: { n }, model: 'gpt-4o-mini' });
const msgs = { system: 'You extract entities.', user: 'Document: hello' };

/** The values of keys, read one after the other (each read counts as a use). */
async function read(c: ResultCache, keys: string[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const k of keys) out.push(await c.get(k));
  return out;
}

/** A cache of two entries holding a (set first) and b. */
async function fullOfAB() {
  const c = createMemoryCache(2);
  await c.set('a', answer(1));
  await c.set('b', answer(2));
  return c;
}

describe('createMemoryCache', () => {
  it('returns what was set, and undefined for a miss', async () => {
    const c = createMemoryCache(10);
    expect(c.kind).toBe('memory');
    await c.set('a', answer(1));
    expect(await c.get('a')).toEqual(answer(1));
    expect(await c.get('b')).toBeUndefined();
  });

  it('evicts the least recently set entry first', async () => {
    const c = await fullOfAB();
    await c.set('c', answer(3));
    expect(await read(c, ['a', 'b', 'c'])).toEqual([undefined, answer(2), answer(3)]);
  });

  it('counts a read as a use: the entry read survives, the other goes', async () => {
    const c = await fullOfAB();
    expect(await c.get('a')).toEqual(answer(1));
    await c.set('c', answer(3));
    expect(await read(c, ['b', 'a', 'c'])).toEqual([undefined, answer(1), answer(3)]);
  });

  it('counts an overwrite as a use and keeps the new value', async () => {
    const c = await fullOfAB();
    await c.set('a', answer(10));
    await c.set('c', answer(3));
    expect(await read(c, ['b', 'a'])).toEqual([undefined, answer(10)]);
  });

  it('a miss does not disturb the order', async () => {
    const c = await fullOfAB();
    await c.get('zzz');
    await c.set('c', answer(3));
    expect(await read(c, ['a', 'b'])).toEqual([undefined, answer(2)]);
  });

  it('evicts in exact LRU order over a longer sequence', async () => {
    const c = createMemoryCache(3);
    for (const k of ['a', 'b', 'c']) await c.set(k, answer(k.charCodeAt(0)));
    await c.get('a'); // order now b, c, a
    await c.set('d', answer(4)); // evicts b
    await c.get('c'); // order a, d, c
    await c.set('e', answer(5)); // evicts a
    const present: string[] = [];
    for (const k of ['a', 'b', 'c', 'd', 'e']) if ((await c.get(k)) !== undefined) present.push(k);
    expect(present).toEqual(['c', 'd', 'e']);
  });

  it('stores nothing with size 0', async () => {
    const c = createMemoryCache(0);
    await c.set('a', answer(1));
    expect(await c.get('a')).toBeUndefined();
  });
});

describe('cacheKey', () => {
  const base = cacheKey('extract', 'gpt-4o-mini', 'v1', msgs);

  it('is stable for the same inputs and names step, model and version', () => {
    expect(cacheKey('extract', 'gpt-4o-mini', 'v1', { ...msgs })).toBe(base);
    expect(base).toMatch(/^llm-cache:extract:gpt-4o-mini:v1:[0-9a-f]{64}$/);
  });

  it('is the same key as before (sha256 of system, NUL, user), so a cache filled by an earlier release still hits', () => {
    const key = cacheKey('extract', 'gpt-4o-mini', 'v1', { system: 'You extract entities.', user: 'Title: Café\n\nText: naïve résumé' });
    expect(key).toBe('llm-cache:extract:gpt-4o-mini:v1:e341eeb9e1981dbd1a0d8073db407807871f22cc7da74444bfffc42bdf415588');
  });

  it('changes with the step, the model and the prompt version', () => {
    const keys = new Set([
      base,
      cacheKey('summarize', 'gpt-4o-mini', 'v1', msgs),
      cacheKey('extract', 'gpt-4o', 'v1', msgs),
      cacheKey('extract', 'gpt-4o-mini', 'v2', msgs),
    ]);
    expect(keys.size).toBe(4);
  });

  it('changes with the message text, system or user, by a single character', () => {
    expect(cacheKey('extract', 'gpt-4o-mini', 'v1', { ...msgs, user: `${msgs.user}!` })).not.toBe(base);
    expect(cacheKey('extract', 'gpt-4o-mini', 'v1', { ...msgs, user: msgs.user.replace('h', 'H') })).not.toBe(base);
    expect(cacheKey('extract', 'gpt-4o-mini', 'v1', { ...msgs, system: `${msgs.system} ` })).not.toBe(base);
  });

  it('does not confuse text moved across the system/user boundary', () => {
    const a = cacheKey('extract', 'm', 'v', { system: 'ab', user: 'c' });
    const b = cacheKey('extract', 'm', 'v', { system: 'a', user: 'bc' });
    expect(a).not.toBe(b);
  });
});
