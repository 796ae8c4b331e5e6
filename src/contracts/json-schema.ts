/** JSON Schema text for every wire contract, as checked in under schemas/. */
import { z } from 'zod';
import { WIRE_CONTRACTS } from './registry.ts';

export function renderSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, schema] of Object.entries(WIRE_CONTRACTS)) {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' });
    out[name] = `${JSON.stringify({ $id: `https://llm-enricher.dev/schemas/${name}.json`, ...json }, null, 2)}\n`;
  }
  return out;
}
