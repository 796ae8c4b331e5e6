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
import { connectTestKafka, testEnv, type TestKafka } from '../support/kafka.ts';

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
