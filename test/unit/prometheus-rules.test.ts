/**
 * The alert rules of deploy/prometheus/ are valid (`promtool check rules`) and behave as their
 * tests say (`promtool test rules`: each alert fires when it should and not when it should not).
 * promtool comes with Debian's prometheus package, which CI installs (.ci/run): a machine
 * without it fails here rather than skipping, so the rules are never left untested.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url));

/** promtool's exit code and its whole output (it reports failures on stdout or stderr). */
async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: dir, timeout: 20_000 });
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string; code?: number | string };
    if (err.code === 'ENOENT') throw new Error('promtool is not installed: apt-get install prometheus (Debian), as .ci/run does');
    return { code: typeof err.code === 'number' ? err.code : 1, output: `${err.stdout ?? ''}${err.stderr ?? ''}${err.message}` };
  }
}

describe('Prometheus alert rules (deploy/prometheus)', () => {
  it('promtool check rules accepts alerts.yml', async () => {
    const r = await promtool('check', 'rules', 'alerts.yml');
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.code, r.output).toBe(0);
  });

  it('promtool test rules passes alerts.test.yml (every alert firing and quiet)', async () => {
    const r = await promtool('test', 'rules', 'alerts.test.yml');
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
  });
});
