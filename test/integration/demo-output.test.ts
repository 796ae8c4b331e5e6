/**
 * What `npm run demo` shows a new user: its own progress and summary, nothing else. The
 * processor's pino log, KafkaJS's start-up warnings and Node's warnings go to the log file the
 * summary names. Runs the real CLI as a child process on fresh topics of the real broker.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { connectTestKafka, readTopics, testEnv, type TestKafka } from '../support/kafka.ts';
import { shadowPicks } from '../../src/pipeline/shadow/shadow-sample.ts';
import { freePort } from '../support/ports.ts';
import { sleep } from '../../src/util/sleep.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

let tk: TestKafka | undefined;
let dir: string | undefined;
afterEach(async () => {
  await tk?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
  tk = undefined;
  dir = undefined;
});

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // process.execPath is the Node 24 running the tests; stdout is a pipe, so the progress comes as plain lines.
  const proc = spawn(process.execPath, ['src/cli/main.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => proc.once('close', (code) => resolve({ code, stdout, stderr })));
}

it('prints only the demo\'s own lines; the processor\'s log goes to the file the summary names', async () => {
  const env = testEnv({ LOG_LEVEL: 'info' });
  const config = loadConfig(env);
  tk = await connectTestKafka(config);
  await tk.createTopics(config); // so that cleanup deletes them; the demo finds them there
  dir = mkdtempSync(join(tmpdir(), 'demo-output-'));
  const logFile = join(dir, 'demo.log');

  const { code, stdout, stderr } = await run(['demo', '--log', logFile], env);

  expect(stderr).toBe('');
  expect(code).toBe(0);
  const lines = stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^Demo run demo-\S+: 72 documents from data\/sample-corpus\.jsonl, offline provider, broker /);
  expect(stdout).toMatch(/^ {2}routed 72\/72 documents \(enriched \d+, review \d+, dlq \d+\)$/m);
  expect(stdout).toContain('\nDemo summary (72/72 documents routed in ');
  expect(lines.at(-1)).toBe(`The processor's log (pino JSON, level info): ${logFile}`);
  // No pino line, no KafkaJS message, no terminal control codes when stdout is not a terminal.
  expect(stdout).not.toMatch(/^\s*\{/m);
  expect(stdout).not.toMatch(/kafkajs|warning|\x1b|\r/i);

  const log = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
  expect(log.filter((l) => l.msg === 'routed')).toHaveLength(72);
  expect(log.some((l) => l.msg === 'starting processor')).toBe(true);
});

it('with METRICS_PORT and --hold, /metrics shows the latency histograms and the lag until Ctrl-C', async () => {
  const port = await freePort();
  const env = testEnv({ METRICS_PORT: String(port) });
  const config = loadConfig(env);
  tk = await connectTestKafka(config);
  await tk.createTopics(config);
  dir = mkdtempSync(join(tmpdir(), 'demo-hold-'));
  const proc = spawn(process.execPath, ['src/cli/main.ts', 'demo', '--hold', '--log', join(dir, 'demo.log')], {
    cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('close', resolve));
  const deadline = Date.now() + 120_000;
  while (!stdout.includes('keeps running') && Date.now() < deadline) await sleep(200);
  expect(stdout).toContain(`/metrics, /healthz and /readyz on http://127.0.0.1:${port}/`);
  expect(stdout).toContain(`The processor keeps running (http://127.0.0.1:${port}/metrics) until Ctrl-C`);

  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (re: RegExp) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  // 72 documents, 3 steps each: every chain and every output measured.
  expect(value(/^enricher_chain_duration_seconds_count\{[^}]*\} (\S+)$/gm)).toBe(72);
  expect(value(/^enricher_end_to_end_latency_seconds_count\{[^}]*\} (\S+)$/gm)).toBe(72);
  expect(value(/^gen_ai_client_operation_duration_seconds_count\{[^}]*step="classify"[^}]*\} (\S+)$/gm)).toBeGreaterThan(0);
  expect(text).toMatch(/^gen_ai_client_operation_duration_seconds_bucket\{le="0\.05",step="extract",gen_ai_operation_name="chat",gen_ai_provider_name="offline",/m);
  // Every partition of documents.raw the processor owns, each committed to its end.
  const lags = [...text.matchAll(new RegExp(`^enricher_consumer_lag\\{topic="${config.topics.raw}",partition="(\\d+)"\\} (\\S+)$`, 'gm'))];
  expect(lags.map((m) => m[1]).sort()).toEqual(Array.from({ length: config.topics.partitions }, (_, i) => String(i)));
  expect(lags.every((m) => m[2] === '0')).toBe(true);

  proc.kill('SIGINT');
  expect(await exited).toBe(0);
});

it('with SHADOW_MODEL=offline-small, the demo ends with the shadow candidate\'s comparison, and documents.shadow holds the sampled documents', async () => {
  const env = testEnv({ SHADOW_MODEL: 'offline-small', SHADOW_SAMPLE: '0.5' });
  const config = loadConfig(env);
  tk = await connectTestKafka(config);
  await tk.createTopics(config);
  dir = mkdtempSync(join(tmpdir(), 'demo-shadow-'));
  const { code, stdout, stderr } = await run(['demo', '--log', join(dir, 'demo.log')], env);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const ids = readFileSync(join(root, 'data/sample-corpus.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => (JSON.parse(l) as { id: string }).id);
  const picked = ids.filter((id) => shadowPicks(id, 0.5));
  const line = /^shadow offline-small: agrees on the category of (\d+) of (\d+) documents \(\d+ %\) at \d+ % of the cost/m.exec(stdout);
  expect(line, stdout).not.toBeNull();
  expect(Number(line![2])).toBe(picked.length);
  expect(stdout).toContain(`(${picked.length} comparisons on ${config.topics.shadow} of ${picked.length} sampled documents; SHADOW_SAMPLE=0.5)`);
  expect(stdout).toMatch(/of which shadow candidates: \$\d+\.\d+ in \d+ calls/);
  console.log(`[demo] ${stdout.split('\n').filter((l) => /shadow/.test(l)).join('\n[demo] ')}`);
  const records = await readTopics(tk.kafka, [config.topics.shadow], { minCount: picked.length, quietMs: 800 });
  expect(records.map((r) => r.key).sort()).toEqual(picked.map((id) => `${id}/offline-small`).sort());
});
