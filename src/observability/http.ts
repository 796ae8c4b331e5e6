/** /metrics (Prometheus) and /healthz, /readyz on METRICS_PORT. Off when the port is 0. */
import { createServer, type Server } from 'node:http';
import type { Metrics } from './metrics.ts';

export async function startHttpEndpoints(deps: { port: number; metrics: Metrics; ready: () => boolean }): Promise<Server | undefined> {
  if (deps.port === 0) return undefined;
  const server = createServer((req, res) => {
    void (async () => {
      if (req.url === '/metrics') {
        res.setHeader('content-type', deps.metrics.registry.contentType);
        res.end(await deps.metrics.registry.metrics());
      } else if (req.url === '/healthz') {
        res.end('ok');
      } else if (req.url === '/readyz') {
        res.statusCode = deps.ready() ? 200 : 503;
        res.end(deps.ready() ? 'ready' : 'not ready');
      } else {
        res.statusCode = 404;
        res.end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(deps.port, resolve));
  return server;
}
