// The image's HEALTHCHECK: /healthz of whichever command the container runs. PID 1 is tini;
// its arguments name the command (`tini -- node bin/enricher.mjs review`).
import { readFileSync } from 'node:fs';

const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
const command = args[args.indexOf('bin/enricher.mjs') + 1];
const port = command === 'review' ? Number(process.env.REVIEW_PORT || 8089)
  : command === 'start' ? Number(process.env.METRICS_PORT || 0)
  : 0;
if (!port) process.exit(0); // no HTTP endpoint: healthy while it runs
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2500) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
