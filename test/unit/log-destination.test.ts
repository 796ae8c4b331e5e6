import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const N = 20_000; // several batches and a tail that only the way out writes

interface Run { lines: { msg: string; documentId?: string }[]; code: number | null; signal: NodeJS.Signals | null; stderr: string }

function run(mode: string, shared = false): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['test/support/log-exit-child.ts', mode, String(N), ...(shared ? ['shared'] : [])], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (d.includes('ready')) child.kill('SIGTERM');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ lines: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Run['lines'][number]), code, signal, stderr: err }));
  });
}

function expectEveryLineInOrder(r: Run): void {
  const routed = r.lines.filter((l) => l.msg === 'routed');
  expect(routed).toHaveLength(N);
  expect(routed.every((l, i) => l.documentId === `doc-${i}`)).toBe(true);
}

describe('the batched log destination loses no line on the way out', () => {
  it('when the event loop runs dry', async () => {
    const r = await run('drain');
    expect(r.code).toBe(0);
    expectEveryLineInOrder(r);
  });

  it('on the fatal path (a fatal line, then process.exit(1)), through the shared stdout writer too', async () => {
    for (const shared of [false, true]) {
      const r = await run('fatal', shared);
      expect(r.code).toBe(1);
      expectEveryLineInOrder(r);
      expect(r.lines.at(-1)!.msg).toBe('exiting: Kafka unreachable for too long');
    }
  });

  it('on process.exit after a line below fatal', async () => {
    const r = await run('exit');
    expect(r.code).toBe(2);
    expectEveryLineInOrder(r);
  });

  it('on an uncaught exception and an unhandled rejection', async () => {
    for (const mode of ['throw', 'reject']) {
      const r = await run(mode);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('boom');
      expectEveryLineInOrder(r);
    }
  });

  it('on SIGTERM that nobody handles: the lines, then the signal does what it would have done', async () => {
    const r = await run('signal');
    expect(r.signal).toBe('SIGTERM');
    expectEveryLineInOrder(r);
  });

  it('on SIGTERM handled by stopOnSignals: the stop runs to its end and exits 0', async () => {
    const r = await run('stop');
    expect(r.code).toBe(0);
    expectEveryLineInOrder(r);
    expect(r.lines.slice(N).map((l) => l.msg)).toEqual(['stopping', 'stopping work', 'stopped cleanly']);
  });
});
