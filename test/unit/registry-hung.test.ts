/**
 * A registry that accepts the connection and never answers (hung, overloaded, a paused process):
 * fetching a writer's schema must end as REGISTRY_UNAVAILABLE within the request timeout, so the
 * document waits under the registry's pause and probe. Before, the fetch had no timeout: the
 * documents waited, but the processor stayed "ready" and nothing said why (found by hand, with
 * the local registry stopped by SIGSTOP mid-run).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { EnricherError } from '../../src/errors.ts';
import { createRegistrySerde } from '../../src/kafka/registry/schema-registry.ts';
import { wireEncode } from '../../src/kafka/wire-format.ts';
import { silentLogger } from '../../src/observability/logger.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

describe('a schema registry that never answers', () => {
  it('makes a writer\'s schema fetch fail as REGISTRY_UNAVAILABLE (the service\'s problem) after the timeout', async () => {
    let asked = 0;
    server = createServer(() => {
      asked++; // takes the request, answers nothing
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const serde = createRegistrySerde(loadConfig({ SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}` }), silentLogger(), { timeoutMs: 300 });

    const t0 = Date.now();
    const error = await serde.decodeRaw(wireEncode(7, Buffer.from('{"id":"doc-1","content":"x"}'))).then(() => undefined, (e: unknown) => e);
    const waited = Date.now() - t0;

    expect(asked).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(EnricherError);
    const e = error as EnricherError;
    expect(e.code).toBe('REGISTRY_UNAVAILABLE');
    expect(e.scope).toBe('service');
    expect(e.retriable).toBe(true);
    expect(e.message).toContain('schema id 7');
    expect(e.message).toContain('no answer within 300 ms');
    expect(waited).toBeGreaterThanOrEqual(300);
  });
});
