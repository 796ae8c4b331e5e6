/**
 * The schema registry for tests: the local Apicurio (scripts/local-stack/registry.sh) on
 * 127.0.0.1:18081, started here when .ci/run has not started it, or a registry of the test's own
 * on another port for tests that stop and restart it. Plus what an ingestion producer and a
 * downstream consumer do with the library: register a schema, encode, decode by id.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { z } from 'zod';
import { renderContract } from '../../src/contracts/json-schema.ts';

const run = promisify(execFile);
const script = new URL('../../scripts/local-stack/registry.sh', import.meta.url).pathname;
export const SHARED_REGISTRY_PORT = 18081;

export const registryUrl = (port = SHARED_REGISTRY_PORT) => `http://127.0.0.1:${port}/apis/ccompat/v7`;

export async function registryAnswers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

export interface LocalRegistry {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A registry process driven by the test (registry.sh on `port`). */
export function localRegistry(port: number): LocalRegistry {
  const env = { ...process.env, LOCAL_REGISTRY_PORT: String(port) };
  return {
    url: registryUrl(port),
    port,
    async start() {
      await run('bash', [script, 'up'], { env, timeout: 600_000 });
    },
    async stop() {
      await run('bash', [script, 'down'], { env, timeout: 60_000 });
    },
  };
}

/** The shared registry: used when it answers, else started; `release()` stops only what it started. */
export async function sharedRegistry(): Promise<{ url: string; release(): Promise<void> }> {
  const r = localRegistry(SHARED_REGISTRY_PORT);
  if (await registryAnswers(r.url)) return { url: r.url, release: async () => undefined };
  await r.start();
  return { url: r.url, release: () => r.stop() };
}

/** A client as another team's service would create it: its own cache, nothing shared with ours. */
export function freshClient(url: string): SchemaRegistry {
  return new SchemaRegistry({ host: url });
}

/** What an ingestion producer does: register its schema for a subject (as draft-07 JSON Schema). */
export async function registerAsProducer(client: SchemaRegistry, subject: string, schema: z.ZodType, name: string): Promise<number> {
  const { id } = await client.register({ type: SchemaType.JSON, schema: renderContract(schema, name) }, { subject });
  return id;
}

/** For a test file: the shared registry, up before its first test, released after its last. */
export function useSharedRegistry(): { url(): string } {
  let shared: { url: string; release(): Promise<void> } | undefined;
  beforeAll(async () => {
    shared = await sharedRegistry();
  }, 600_000);
  afterAll(async () => shared?.release());
  return {
    url() {
      if (!shared) throw new Error('the shared registry is not up yet');
      return shared.url;
    },
  };
}
