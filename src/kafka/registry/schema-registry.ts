/**
 * The schema registry as the service uses it, on @kafkajs/confluent-schema-registry with JSON
 * Schema:
 * - prepare(): registers the subjects a process writes (BACKWARD) and keeps each one's id and
 *   compiled schema, so that encoding is synchronous and asks the registry nothing;
 * - encode(): validates a value against its subject's schema and writes the wire format;
 * - decodeRaw(): reads documents.raw in the wire format (writer's schema by id, cached by the
 *   library: one request per id) or as plain JSON, then checks our RawDocument contract;
 * - verify(): the probe while documents wait for an unreachable registry.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Ajv } from 'ajv';
import type { Config } from '../../config.ts';
import { RawDocument } from '../../contracts/index.ts';
import type { z } from 'zod';
import { renderContract, renderSchema } from '../../contracts/json-schema.ts';
import type { ContractName } from '../../contracts/registry.ts';
import { EnricherError, ErrorCodes } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { decodePlainRaw, hasNoValue, validateWith, type ValueEncoder } from '../serde.ts';
import { isWireFormat, readWireHeader, wireEncode } from '../wire-format.ts';
import { RegistrationRefusedError, registerSubject, statusOf } from './registration.ts';
import { payloadError, registryUnavailable, writerSchemaError } from './registry-errors.ts';
import { createAgent, createRegistryRequest, displayUrl, RegistryHttpError, type RegistryRequest } from './registry-http.ts';
import type { SubjectSpec } from './subjects.ts';
import { createWriterAjv } from './writer-ajv.ts';
import { sleep } from '../../util/sleep.ts';
import { withTimeout } from '../../util/with-timeout.ts';

interface JsonSchemaInstance {
  toBuffer(payload: object): Buffer;
  fromBuffer(buffer: Buffer): unknown;
}

interface Prepared {
  spec: SubjectSpec;
  text: string;
  id: number;
  schema: JsonSchemaInstance;
}

export interface RegistrySerde {
  /** The registry's URL without credentials. */
  readonly url: string;
  readonly library: SchemaRegistry;
  readonly request: RegistryRequest;
  prepare(specs: readonly SubjectSpec[]): Promise<void>;
  /** The id each prepared topic's values are written with. */
  ids(): Map<string, number>;
  encode: ValueEncoder;
  decodeRaw(bytes: Buffer | null): Promise<RawDocument>;
  verify(): Promise<void>;
}

export interface RegistryOptions {
  /** HTTP timeout of one registry request. */
  timeoutMs?: number;
  /** Attempts at start while the registry does not answer (a refusal is never retried). */
  startAttempts?: number;
  /** Contracts to register instead of ours (a next version of one, to see what the registry says). */
  contracts?: Partial<Record<ContractName, z.ZodType>>;
}

export function createRegistrySerde(config: Pick<Config, 'schemaRegistry'>, logger: Logger, opts: RegistryOptions = {}): RegistrySerde {
  const r = config.schemaRegistry;
  if (!r.url) throw new Error('createRegistrySerde needs SCHEMA_REGISTRY_URL');
  const agent = createAgent(r.url, r.ca);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const library = new SchemaRegistry(
    { host: r.url.replace(/\/+$/, ''), clientId: 'llm-enricher', agent, ...(r.auth ? { auth: r.auth } : {}), retry: { retries: 2, maxRetryTimeInSecs: 2 } },
    { [SchemaType.JSON]: { ajvInstance: createWriterAjv() as unknown as Ajv, detailedErrorPaths: true } },
  );
  const request = createRegistryRequest({ url: r.url, auth: r.auth, agent, timeoutMs });
  const url = displayUrl(r.url);
  const prepared = new Map<string, Prepared>();
  const log = logger.child({ component: 'schema-registry' });

  async function registerWithRetry(spec: SubjectSpec, text: string): Promise<number> {
    const attempts = opts.startAttempts ?? 4;
    for (let i = 1; ; i++) {
      try {
        return await registerSubject({ library, request, logger: log }, spec.subject, text);
      } catch (e) {
        const status = statusOf(e);
        const refused = e instanceof RegistrationRefusedError || status === 401 || status === 403;
        if (refused || i >= attempts) {
          if (e instanceof RegistrationRefusedError) throw e;
          throw new Error(`schema registry at ${url}: cannot register subject "${spec.subject}": ${(e as Error).message}`, { cause: e });
        }
        log.warn({ subject: spec.subject, attempt: i, err: (e as Error).message }, 'schema registry not answering; trying again');
        await sleep(500 * 2 ** i);
      }
    }
  }

  async function writerSchema(schemaId: number): Promise<JsonSchemaInstance> {
    const cached = library.cache.getSchema(schemaId);
    if (!cached) {
      try {
        // A registry that takes the connection and never answers (hung, overloaded) must count
        // as unavailable, as a refused connection does: the library's HTTP client has no timeout.
        await withTimeout(library.getSchema(schemaId), timeoutMs, () => registryUnavailable(`fetching schema id ${schemaId}: no answer within ${timeoutMs} ms`));
      } catch (e) {
        throw writerSchemaError(schemaId, e);
      }
    }
    const entry = library.cache.getSchema(schemaId)!;
    if (entry.type !== SchemaType.JSON) {
      throw new EnricherError(`schema id ${schemaId} is a ${entry.type} schema; documents.raw takes JSON Schema or plain JSON`, {
        code: ErrorCodes.WRITER_SCHEMA_UNSUPPORTED, stage: 'decode', retriable: false,
      });
    }
    return entry.schema as unknown as JsonSchemaInstance;
  }

  return {
    url,
    library,
    request,

    async prepare(specs) {
      // Subjects are independent: registering them side by side keeps a start short.
      await Promise.all(
        specs.filter((spec) => !prepared.has(spec.topic)).map(async (spec) => {
          const replaced = opts.contracts?.[spec.contract];
          const text = replaced ? renderContract(replaced, spec.contract) : renderSchema(spec.contract);
          const id = await registerWithRetry(spec, text);
          const schema = (await library.getSchema(id)) as unknown as JsonSchemaInstance;
          prepared.set(spec.topic, { spec, text, id, schema });
          log.info({ subject: spec.subject, id }, 'schema registered');
        }),
      );
    },

    ids: () => new Map([...prepared].map(([topic, p]) => [topic, p.id])),

    encode(topic, value) {
      const p = prepared.get(topic);
      if (!p) throw new Error(`no schema registered for topic ${topic}: the process did not prepare subject ${topic}-value`);
      let json: Buffer;
      try {
        json = p.schema.toBuffer(value as object);
      } catch (e) {
        throw new EnricherError(`a value for ${p.spec.subject} fails its own registered schema (id ${p.id}): ${payloadError(p.id, e).message}`, {
          code: ErrorCodes.OUTPUT_SCHEMA_INVALID, stage: 'validate', retriable: false, cause: e,
        });
      }
      return wireEncode(p.id, json);
    },

    async decodeRaw(bytes) {
      if (hasNoValue(bytes) || !isWireFormat(bytes)) return decodePlainRaw(bytes, RawDocument);
      const { schemaId, payload } = readWireHeader(bytes);
      const writer = await writerSchema(schemaId);
      let value: unknown;
      try {
        value = writer.fromBuffer(payload);
      } catch (e) {
        throw payloadError(schemaId, e);
      }
      // The writer's schema said the payload is fine; our contract says whether we can use it.
      return validateWith(value, RawDocument, `raw document (schema id ${schemaId})`);
    },

    async verify() {
      if (prepared.size === 0) {
        await request('GET', '/subjects').catch((e) => {
          throw registryUnavailable((e as Error).message, e);
        });
        return;
      }
      const missing: string[] = [];
      const moved: { p: Prepared; id: number }[] = [];
      for (const p of prepared.values()) {
        try {
          const found = (await request('POST', `/subjects/${encodeURIComponent(p.spec.subject)}`, { schemaType: 'JSON', schema: p.text })) as { id: number };
          if (found.id !== p.id) moved.push({ p, id: found.id });
        } catch (e) {
          if (e instanceof RegistryHttpError && e.status === 404) missing.push(p.spec.subject);
          else throw registryUnavailable((e as Error).message, e);
        }
      }
      if (missing.length) {
        throw registryUnavailable(
          `it answers but no longer holds our schemas for ${missing.join(', ')} (was it restarted with in-memory storage?): ` +
            'run `enricher schemas register` or restart the processor',
        );
      }
      if (moved.length) {
        // The registry was emptied and filled again: ids are only meaningful within one registry's
        // life, so every id cached before means nothing now.
        library.cache.clear();
        for (const { p, id } of moved) prepared.set(p.spec.topic, { ...p, id });
        log.warn({ moved: moved.map(({ p, id }) => ({ subject: p.spec.subject, from: p.id, to: id })) }, 'schema registry gave our subjects new ids: writing with the new ones');
      }
    },
  };
}
