/**
 * What `enricher schemas list|check` shows for each subject: its versions, the rule its next
 * version is checked with, and whether our local contract would be accepted now.
 */
import { renderSchema } from '../../contracts/json-schema.ts';
import { effectiveLevel, globalLevel, ownLevel } from './registration.ts';
import { RegistryHttpError, type RegistryRequest } from './registry-http.ts';
import type { SubjectSpec } from './subjects.ts';

export interface SubjectStatus {
  subject: string;
  contract: string;
  /** Empty when the subject is not registered. */
  versions: number[];
  latestId: number | undefined;
  /** The subject's own rule (undefined: none; Apicurio answers NONE for that). */
  ownLevel: string | undefined;
  /** What the registry checks a new version with: the own rule, else the global one. */
  level: string;
  /** Whether the local contract would be accepted; undefined when nothing checks it (NONE). */
  compatible: boolean | undefined;
  /** The registry's reasons when it says incompatible (Confluent gives them; Apicurio does not). */
  reasons: string[];
  /** True when the latest version is our contract, byte for byte as our generator writes it. */
  upToDate: boolean;
}

const enc = encodeURIComponent;

async function orUndefinedOn404<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof RegistryHttpError && e.status === 404) return undefined;
    throw e;
  }
}

export async function subjectStatus(request: RegistryRequest, spec: SubjectSpec, global: string): Promise<SubjectStatus> {
  const text = renderSchema(spec.contract);
  const versions = ((await orUndefinedOn404(request('GET', `/subjects/${enc(spec.subject)}/versions`))) as number[] | undefined) ?? [];
  const own = await ownLevel(request, spec.subject);
  const level = effectiveLevel(own, global);
  let latestId: number | undefined;
  let upToDate = false;
  let compatible: boolean | undefined = true;
  let reasons: string[] = [];
  if (versions.length) {
    const latest = (await request('GET', `/subjects/${enc(spec.subject)}/versions/latest`)) as { id: number; schema: string };
    latestId = latest.id;
    upToDate = sameSchema(latest.schema, text);
    if (level === 'NONE') compatible = undefined;
    else {
      const res = (await request('POST', `/compatibility/subjects/${enc(spec.subject)}/versions/latest?verbose=true`, { schemaType: 'JSON', schema: text })) as {
        is_compatible: boolean;
        messages?: string[];
      };
      compatible = res.is_compatible;
      reasons = res.messages ?? [];
    }
  }
  return { subject: spec.subject, contract: spec.contract, versions, latestId, ownLevel: own, level, compatible, reasons, upToDate };
}

/** Registries may store a schema re-serialised: compare the JSON, not the text. */
function sameSchema(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}

export async function subjectStatuses(request: RegistryRequest, specs: readonly SubjectSpec[]): Promise<SubjectStatus[]> {
  const global = await globalLevel(request);
  return Promise.all(specs.map((s) => subjectStatus(request, s, global)));
}
