/**
 * The unit project's promise: no Kafka and no Redis. Every unit test file runs with this setup,
 * which refuses a TCP connection to the broker's or Redis's port and fails the test that tried,
 * naming what it reached for. A test that needs either belongs in test/integration/.
 */
import net from 'node:net';
import { afterEach } from 'vitest';

function portOf(url: string, fallback: number): number {
  const m = /:(\d+)(?:\/.*)?$/.exec(url.trim());
  return m ? Number(m[1]) : fallback;
}

const services = new Map<number, string>([
  [9092, 'Kafka'],
  [6379, 'Redis'],
]);
for (const b of (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean)) services.set(portOf(b, 9092), 'Kafka');
if (process.env.REDIS_URL) services.set(portOf(process.env.REDIS_URL, 6379), 'Redis');

/** Socket#connect takes (options), (port, host), or the normalised [options, cb] array net.connect passes. */
function targetOf(args: unknown[]): { port: number; host: string } | undefined {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) return { port: Number(first), host: typeof args[1] === 'string' ? args[1] : 'localhost' };
  if (first && typeof first === 'object' && 'port' in first) {
    const o = first as { port: unknown; host?: unknown };
    return { port: Number(o.port), host: typeof o.host === 'string' ? o.host : 'localhost' };
  }
  return undefined;
}

// Patched once per process: with `isolate: false` this file runs again for every test file.
const PATCHED = Symbol.for('llm-enricher.no-services');
const state = ((globalThis as Record<symbol, unknown>)[PATCHED] ??= patchConnect()) as { refused: string[] };

function patchConnect(): { refused: string[] } {
  const refused: string[] = [];
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const target = targetOf(args);
    const service = target && services.get(target.port);
    if (target && service) {
      const what = `${service} at ${target.host}:${target.port}`;
      refused.push(what);
      throw new Error(`a unit test tried to reach ${what}: unit tests run without Kafka and Redis (move the test to test/integration/)`);
    }
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
  return { refused };
}

afterEach(() => {
  if (state.refused.length === 0) return;
  const seen = [...new Set(state.refused.splice(0))];
  throw new Error(`this unit test tried to reach ${seen.join(' and ')}: unit tests run without Kafka and Redis (move it to test/integration/)`);
});
