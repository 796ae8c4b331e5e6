/** /metrics (Prometheus) and /healthz, /readyz on METRICS_PORT. Off when the port is 0. */
import { createServer, type Server } from 'node:http';
import type { Metrics } from './metrics.ts';

/** Ready means processing; when not, `why` says what holds it (starting, Redis away, a DLQ storm…). */
export interface Readiness {
  ready: boolean;
  why: string[];
}

/**
 * /healthz answers while the process is alive (a paused processor is healthy: restarting it
 * would not bring Redis back); /readyz is 503 while it does not process, with the reasons.
 */
export async function startHttpEndpoints(deps: { port: number; metrics: Metrics; readiness: () => Readiness }): Promise<Server | undefined> {
  if (deps.port === 0) return undefined;
  const server = createServer((req, res) => {
    void (async () => {
      if (req.url === '/metrics') {
        res.setHeader('content-type', deps.metrics.registry.contentType);
        res.end(await deps.metrics.registry.metrics());
      } else if (req.url === '/healthz') {
        res.end('ok');
      } else if (req.url === '/readyz') {
        const r = deps.readiness();
        res.statusCode = r.ready ? 200 : 503;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(r));
      } else {
        res.statusCode = 404;
        res.end();
      }
    })();
  });
  // A port taken by another process is a setting to fix, not a stack trace (an 'error' event
  // nobody listens to would crash the process with one).
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === 'EADDRINUSE'
        ? `METRICS_PORT ${deps.port} is already in use by another process: choose a free port (or 0 for no HTTP endpoints)`
        : `METRICS_PORT ${deps.port}: cannot listen (${e.message})`));
    });
    server.listen(deps.port, resolve);
  });
  return server;
}
