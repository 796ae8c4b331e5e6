/**
 * Finding a broker for the demo and the benchmark: the configured one if it answers, else the
 * local stack (scripts/local-stack/up.sh) when the configuration points at its address.
 */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const LOCAL_BROKER = '127.0.0.1:9092';

/** Whether something accepts TCP connections at host:port. */
export function brokerReachable(hostPort: string, timeoutMs = 1500): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const s = connect({ host: host!, port: Number(port), timeout: timeoutMs });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

export async function ensureBroker(config: Pick<Config, 'kafka'>, out: (s: string) => void): Promise<void> {
  const first = config.kafka.brokers[0]!;
  if (await brokerReachable(first)) return;
  if (first !== LOCAL_BROKER && first !== 'localhost:9092') {
    throw new Error(`Kafka broker ${first} (KAFKA_BROKERS) is not reachable`);
  }
  out(`No broker on ${LOCAL_BROKER}: starting the local stack (scripts/local-stack/up.sh)…\n`);
  execFileSync('bash', [`${root}scripts/local-stack/up.sh`], { stdio: ['ignore', 'inherit', 'inherit'] });
}
