/**
 * /metrics, /healthz and /readyz on METRICS_PORT: /readyz says why it is not ready, and a port
 * another process holds stops the start with a message that names the setting (it used to crash
 * the process with an unhandled 'error' event and a stack trace).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpEndpoints } from '../../src/observability/http.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { freePort } from '../support/ports.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('the HTTP endpoints', () => {
  it('answer /readyz with 503 and the reasons while not ready', async () => {
    const port = await freePort();
    const server = await startHttpEndpoints({ port, metrics: createMetrics(), readiness: () => ({ ready: false, why: ['redis since 12:00: unreachable'] }) });
    servers.push(server!);
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, why: ['redis since 12:00: unreachable'] });
  });

  it('refuse a METRICS_PORT another process holds, naming the setting', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, r));
    servers.push(holder);
    const port = (holder.address() as AddressInfo).port;
    await expect(startHttpEndpoints({ port, metrics: createMetrics(), readiness: () => ({ ready: true, why: [] }) }))
      .rejects.toThrow(`METRICS_PORT ${port} is already in use by another process`);
  });
});
