/**
 * Runs the real CLI (`node src/cli/main.ts …`) as child processes, for tests that kill, restart
 * and scale the processor. Each child's pino output goes to a log file for post-mortems.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const logDir = join(tmpdir(), 'llm-enricher-test-logs');
mkdirSync(logDir, { recursive: true });
let counter = 0;

export interface Child {
  proc: ChildProcess;
  name: string;
  logFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The log file holds all the child wrote ('exit' can come before the last of its output). */
  logged: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnCli(args: string[], env: Record<string, string>, name = `cli-${++counter}`): Child {
  const logFile = join(logDir, `${Date.now()}-${name}.log`);
  const out = createWriteStream(logFile);
  // process.execPath is the Node 24 running the tests; the child inherits nothing but PATH/HOME.
  const proc = spawn(process.execPath, ['src/cli/main.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.pipe(out, { end: false });
  proc.stderr!.pipe(out, { end: false });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // The file is closed once both pipes are drained, not at 'exit', so a child that exits at once loses no line.
  const logged = new Promise<void>((resolve) => {
    proc.once('close', () => out.end(() => resolve()));
  });
  return {
    proc, name, logFile, exited, logged,
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Every setting of a Config as environment variables, for a child built from the same names. */
export function envFor(base: Record<string, string>): Record<string, string> {
  return { LOG_LEVEL: 'info', ...base };
}
