/**
 * A corpus of bad raw messages, generated so that every class of mistake appears many times:
 * invalid JSON, wrong types, missing or empty ids, empty content, binary bytes, a 10 MB content
 * field, and documents of the wrong schema altogether.
 */
export interface BadCase {
  name: string;
  key: string | null;
  value: Buffer;
  /** The error code the DLQ must give it. */
  code: 'INVALID_JSON' | 'SCHEMA_INVALID' | 'DOCUMENT_TOO_LARGE';
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

export function badInputCorpus(): BadCase[] {
  const cases: BadCase[] = [];
  const add = (name: string, value: Buffer, code: BadCase['code']) => cases.push({ name, key: `bad-${cases.length}`, value, code });

  const brokenJson = ['{', '{"id": "x", "content": ', 'not json at all', '{"id": "x",}', "{'id': 'x'}", '[1, 2', '{"id": "x" "content": "y"}', 'NaN', '{"id": "x", "content": "y"', '"unterminated'];
  for (let i = 0; i < 30; i++) add(`invalid-json-${i}`, Buffer.from(`${brokenJson[i % brokenJson.length]}${' '.repeat(i % 3)}`), 'INVALID_JSON');
  for (let i = 0; i < 20; i++) {
    const bytes = Buffer.alloc(16 + i * 7);
    for (let j = 0; j < bytes.length; j++) bytes[j] = (j * 37 + i * 11 + 128) % 256;
    add(`binary-${i}`, bytes, 'INVALID_JSON');
  }
  add('empty-bytes', Buffer.alloc(0), 'INVALID_JSON');

  const wrongTypes: unknown[] = [
    { id: 42, content: 'text' }, { id: 'x', content: 42 }, { id: 'x', content: ['a', 'b'] }, { id: ['x'], content: 'y' },
    { id: 'x', content: 'y', title: 7 }, { id: 'x', content: 'y', metadata: 'flat' }, { id: 'x', content: 'y', ingested_at: 'yesterday' },
    { id: null, content: 'y' }, { id: 'x', content: null }, { id: true, content: true }, { id: 'x', content: { text: 'nested' } },
  ];
  for (let i = 0; i < 33; i++) add(`wrong-type-${i}`, json(wrongTypes[i % wrongTypes.length]), 'SCHEMA_INVALID');
  for (let i = 0; i < 25; i++) add(`missing-id-${i}`, json({ content: `text ${i}`, title: 't' }), 'SCHEMA_INVALID');
  for (let i = 0; i < 25; i++) add(`empty-id-${i}`, json({ id: ' '.repeat(i % 4), content: `text ${i}` }), 'SCHEMA_INVALID');
  for (let i = 0; i < 25; i++) add(`empty-content-${i}`, json({ id: `ec-${i}`, content: ['', ' ', '\n\t', '   \n'][i % 4] }), 'SCHEMA_INVALID');
  const otherSchemas: unknown[] = [
    { document_id: 'x', original_content: 'enriched, not raw' }, { type: 'order', order_id: 7, amount: 10 }, [], [{ id: 'x', content: 'y' }],
    'a string', 12345, true, null, { ID: 'x', Content: 'y' }, { id: 'x', body: 'y' },
  ];
  for (let i = 0; i < 30; i++) add(`wrong-schema-${i}`, json(otherSchemas[i % otherSchemas.length]), 'SCHEMA_INVALID');
  for (let i = 0; i < 12; i++) add(`too-long-id-${i}`, json({ id: 'i'.repeat(513 + i), content: 'y' }), 'SCHEMA_INVALID');
  // One 10 MB content field: rejected by size before it is parsed.
  add('ten-megabytes', json({ id: 'huge', content: 'x'.repeat(10 * 1024 * 1024) }), 'DOCUMENT_TOO_LARGE');
  return cases;
}
