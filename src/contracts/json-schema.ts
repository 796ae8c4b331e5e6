/**
 * JSON Schema text for every wire contract: what is checked in under schemas/ and what is
 * registered in the schema registry (the same text, from this one generator).
 *
 * Draft-07, not zod 4's default 2020-12: the registries' compatibility checkers read draft-07
 * (Apicurio 3.3.3 answers "could not determine version" to a 2020-12 schema), and so does the
 * schema-registry library's default Ajv.
 */
import { z } from 'zod';
import { WIRE_CONTRACTS, type ContractName } from './registry.ts';

export function renderSchema(name: ContractName): string {
  const json = z.toJSONSchema(WIRE_CONTRACTS[name], { target: 'draft-7', io: 'output' });
  return `${JSON.stringify({ $id: `https://llm-enricher.dev/schemas/${name}.json`, ...json }, null, 2)}\n`;
}

export function renderSchemas(): Record<ContractName, string> {
  const out = {} as Record<ContractName, string>;
  for (const name of Object.keys(WIRE_CONTRACTS) as ContractName[]) out[name] = renderSchema(name);
  return out;
}
