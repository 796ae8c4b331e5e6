import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { renderSchemas } from '../../src/contracts/json-schema.ts';

const dir = new URL('../../schemas/', import.meta.url);

describe('checked-in JSON Schemas', () => {
  const rendered = renderSchemas();

  it('cover every wire contract and nothing else', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
    expect(files).toEqual(Object.keys(rendered).sort());
  });

  for (const [name, text] of Object.entries(rendered)) {
    it(`schemas/${name}.json is up to date (run \`npm run schemas\` after changing src/contracts)`, () => {
      expect(readFileSync(new URL(`${name}.json`, dir), 'utf8')).toBe(text);
    });
  }

  it('describe the raw document as ingestion must send it', () => {
    const raw = JSON.parse(rendered['raw-document']!);
    const def = raw.definitions?.RawDocument ?? raw;
    expect(def.required).toEqual(expect.arrayContaining(['id', 'content']));
    expect(def.properties.id.type).toBe('string');
  });

  it('are draft-07 and compile with Ajv\'s defaults, as a downstream consumer\'s schema-registry client builds it', () => {
    for (const [name, text] of Object.entries(rendered)) {
      const schema = JSON.parse(text);
      expect(schema.$schema, name).toBe('http://json-schema.org/draft-07/schema#');
      // Ajv's strict default refuses unknown formats: the generator leaves none (zod's patterns say the same).
      expect(() => new Ajv().compile(schema), name).not.toThrow();
    }
  });
});
