/**
 * Writes schemas/*.json (JSON Schema, draft-07) from the zod contracts in src/contracts; the
 * schema registry gets the same text (`enricher schemas register`).
 * The files are checked in for teams that do not read TypeScript; test/unit/schemas.test.ts
 * fails when they are stale. Run: npm run schemas
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderSchemas } from '../src/contracts/json-schema.ts';

const dir = new URL('../schemas/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(renderSchemas())) {
  writeFileSync(new URL(`${name}.json`, dir), text);
  process.stdout.write(`wrote schemas/${name}.json\n`);
}
