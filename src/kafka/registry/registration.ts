/**
 * Registering a contract under its subject with the compatibility rule BACKWARD.
 *
 * Apicurio's Confluent API answers NONE for a subject that has no compatibility rule of its own,
 * where Confluent answers 404 (or the global level with defaultToGlobal): both mean "no rule of
 * its own", and the schema-registry library would refuse to register on Apicurio's NONE
 * ("Compatibility does not match"). So the subject's rule is settled here first: a subject
 * without one, or with one that does not check backwards, gets BACKWARD before the schema is
 * registered, and a stricter one (BACKWARD_TRANSITIVE, FULL, FULL_TRANSITIVE) is kept.
 */
import { COMPATIBILITY, SchemaType, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Logger } from '../../observability/logger.ts';
import { RegistryHttpError, type RegistryRequest } from './registry-http.ts';

/** Levels under which a new version must read the data of the one before (or of all before). */
export const CHECKS_BACKWARD: ReadonlySet<string> = new Set(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']);

/** The registry refused the contract: the service must not start with it. */
export class RegistrationRefusedError extends Error {
  readonly subject: string;
  constructor(subject: string, status: number, reason: string) {
    super(`the schema registry refused the contract for subject "${subject}" (HTTP ${status}): ${reason}`);
    this.name = 'RegistrationRefusedError';
    this.subject = subject;
  }
}

const path = (subject: string) => encodeURIComponent(subject);

/** The library prefixes the registry's message with its client id: keep the registry's words only. */
export function registryReason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/^[^\s]* - /, '');
}

export function statusOf(e: unknown): number | undefined {
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

/** The subject's own compatibility level; undefined when it has none (404, or Apicurio's NONE). */
export async function ownLevel(request: RegistryRequest, subject: string): Promise<string | undefined> {
  try {
    const res = (await request('GET', `/config/${path(subject)}`)) as { compatibilityLevel?: string; compatibility?: string };
    const level = (res.compatibilityLevel ?? res.compatibility)?.toUpperCase();
    return level === 'NONE' ? undefined : level;
  } catch (e) {
    if (e instanceof RegistryHttpError && e.status === 404) return undefined;
    throw e;
  }
}

export async function globalLevel(request: RegistryRequest): Promise<string> {
  const res = (await request('GET', '/config')) as { compatibilityLevel?: string; compatibility?: string };
  return (res.compatibilityLevel ?? res.compatibility ?? 'NONE').toUpperCase();
}

/** What a subject's next version is checked against: its own rule, else the global one. */
export function effectiveLevel(own: string | undefined, global: string): string {
  return own ?? global;
}

export interface RegistrationDeps {
  library: SchemaRegistry;
  request: RegistryRequest;
  logger: Logger;
}

/** Registers `schema` (JSON Schema text) under `subject`, checked BACKWARD; returns its id. */
export async function registerSubject(deps: RegistrationDeps, subject: string, schema: string): Promise<number> {
  let level = await ownLevel(deps.request, subject);
  if (level === undefined || !CHECKS_BACKWARD.has(level)) {
    await deps.request('PUT', `/config/${path(subject)}`, { compatibility: 'BACKWARD' });
    if (level !== undefined) deps.logger.warn({ subject, was: level }, `schema registry: subject ${subject} checked ${level}; set to BACKWARD`);
    level = 'BACKWARD';
  }
  try {
    const { id } = await deps.library.register(
      { type: SchemaType.JSON, schema },
      { subject, compatibility: level as COMPATIBILITY, updateConfig: false },
    );
    return id;
  } catch (e) {
    const status = statusOf(e);
    // 409: incompatible with the versions before; 422: not a valid schema.
    if (status === 409 || status === 422) throw new RegistrationRefusedError(subject, status, registryReason(e));
    throw e;
  }
}
