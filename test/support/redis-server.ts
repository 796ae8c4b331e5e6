/**
 * A redis-server of a test's own, on a port of its own (16380–16389), so that a test can stop
 * and restart Redis without touching the shared one on 6379. It keeps nothing on disk: a
 * restart comes back empty, as many caches run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { sleep } from './time.ts';

export interface OwnRedis {
  port: number;
  url: string;
  /** Starts it (again): empty. */
  start(): Promise<void>;
  /** SIGTERM, as an operator stops it (or SIGKILL, as a crash); resolves once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

async function answers(port: number): Promise<boolean> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export function ownRedis(port: number): OwnRedis {
  let proc: ChildProcess | undefined;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (await answers(port)) throw new Error(`something already answers on port ${port}: stop it first (a redis-server left by an earlier run?)`);
      const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      proc = p;
      let failed: Error | undefined;
      p.once('error', (e) => (failed = e)); // not installed: .ci/run installs it
      const deadline = Date.now() + 10_000;
      while (!(await answers(port))) {
        if (failed) throw new Error(`could not start redis-server: ${failed.message}`);
        if (p.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${p.exitCode}`);
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
        await sleep(50);
      }
    },
    async stop(signal = 'SIGTERM') {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const gone = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill(signal);
      await gone;
    },
  };
}
