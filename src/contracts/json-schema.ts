/**
 * JSON Schema text for every wire contract: what is checked in under schemas/ and what is
 * registered in the schema registry (the same text, from this one generator).
 *
 * Draft-07, not zod 4's default 2020-12: the registries' compatibility checkers read draft-07
 * (Apicurio 3.3.3 answers "could not determine version" to a 2020-12 schema), and so does the
 * schema-registry library's default Ajv.
 *
 * zod writes a date or date-time both as `format` and as a `pattern` saying the same thing. The
 * `format` goes: Ajv in its default strict mode refuses to compile a schema with a format it has
 * no plugin for, so a downstream consumer using the library's defaults could not decode our
 * values; the pattern checks the same everywhere.
 */
import { z } from 'zod';
import { WIRE_CONTRACTS, type ContractName } from './registry.ts';

/** The JSON Schema text of a zod contract (also of a contract that is not ours yet: a next version). */
export function renderContract(schema: z.ZodType, name: string): string {
  const json = z.toJSONSchema(schema, {
    target: 'draft-7',
    io: 'output',
    override: ({ jsonSchema }) => {
      if (typeof jsonSchema.format === 'string' && typeof jsonSchema.pattern === 'string') delete jsonSchema.format;
    },
  });
  return `${JSON.stringify({ $id: `https://llm-enricher.dev/schemas/${name}.json`, ...json }, null, 2)}\n`;
}

export function renderSchema(name: ContractName): string {
  return renderContract(WIRE_CONTRACTS[name], name);
}

export function renderSchemas(): Record<ContractName, string> {
  const out = {} as Record<ContractName, string>;
  for (const name of Object.keys(WIRE_CONTRACTS) as ContractName[]) out[name] = renderSchema(name);
  return out;
}
