/**
 * The container tests' handle on the Docker engine and Compose: `docker compose` (v2) where the
 * plugin answers, else `docker-compose` (v1, Debian's), on the project's docker-compose.yml.
 */
import { execFile, execFileSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const root = new URL('../..', import.meta.url).pathname;

export async function docker(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await exec('docker', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

function composeCommand(): string[] {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore', timeout: 10_000 });
    return ['docker', 'compose'];
  } catch {
    return ['docker-compose'];
  }
}

/** Runs compose for `project` with the environment `env` added (ports, provider…). */
export function composeFor(project: string, env: Record<string, string>) {
  const [cmd, ...pre] = composeCommand();
  return async (args: string[], timeoutMs = 300_000): Promise<string> => {
    const { stdout } = await exec(cmd!, [...pre, '-p', project, '-f', `${root}docker-compose.yml`, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  };
}

/** What of `project` is left in the engine: containers, networks, volumes (by Compose's label). */
export async function leftOf(project: string): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const label = `label=com.docker.compose.project=${project}`;
  const lines = (s: string) => s.split('\n').filter(Boolean);
  return {
    containers: lines(await docker(['ps', '-a', '-q', '--filter', label])),
    networks: lines(await docker(['network', 'ls', '-q', '--filter', label])),
    volumes: lines(await docker(['volume', 'ls', '-q', '--filter', label])),
  };
}

/** This machine's addresses other than loopback (where a port published on 127.0.0.1 must not answer). */
export function otherAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && a.family === 'IPv4')
    .map((a) => a!.address);
}

/** Whether an HTTP GET to `url` gets any answer within 3 s (a refused or dropped connection: false). */
export async function answers(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}
