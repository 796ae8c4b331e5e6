/**
 * A real Prometheus (Debian's `prometheus` binary) for a test: its own free port, its own data
 * directory, scraping the given targets every second; stopped and its directory removed when
 * the test ends. Never the packaged service on :9090.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { freePort } from './ports.ts';
import { sleep } from './time.ts';

export interface TestPrometheus {
  url: string;
  /** An instant query's value: the first sample's, or undefined when the result is empty. */
  value(query: string): Promise<number | undefined>;
  /** The loaded rules: name, health ('ok', 'err', 'unknown' before the first evaluation) and last error. */
  rules(): Promise<{ name: string; health: string; lastError?: string }[]>;
  /** Queries every 500 ms until `ok` holds or the timeout; returns the last value either way. */
  waitFor(query: string, ok: (v: number | undefined) => boolean, timeoutMs?: number): Promise<number | undefined>;
}

export async function startPrometheus(targets: string[], opts: { job?: string; ruleFiles?: string[] } = {}): Promise<TestPrometheus> {
  const job = opts.job ?? 'enricher';
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    ...(opts.ruleFiles?.length ? ['rule_files:', ...opts.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    'scrape_configs:',
    `  - job_name: ${job}`,
    '    static_configs:',
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n'));
  let log = '';
  const child = spawn('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (b: Buffer) => void (log = (log + b.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e) => reject(new Error(`cannot start prometheus (apt-get install prometheus): ${e.message}`)));
  });
  onTestFinished(async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await spawned;

  const deadline = Date.now() + 15_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`prometheus did not become ready:\n${log}`);
    await sleep(100);
  }

  async function value(query: string): Promise<number | undefined> {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = await res.json() as { status: string; error?: string; data?: { resultType: string; result: { value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`query ${query} failed: ${body.error}`);
    const first = body.data!.result[0];
    return first ? Number(first.value[1]) : undefined;
  }
  return {
    url,
    value,
    async rules() {
      const body = await (await fetch(`${url}/api/v1/rules`)).json() as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
      return body.data.groups.flatMap((g) => g.rules.map((r) => ({ name: r.name, health: r.health, ...(r.lastError ? { lastError: r.lastError } : {}) })));
    },
    async waitFor(query, ok, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = await value(query);
        if (ok(v) || Date.now() > until) return v;
        await sleep(500);
      }
    },
  };
}
