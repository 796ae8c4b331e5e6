/**
 * Finds the Kafka broker for the test run, in this order:
 *   1. KAFKA_BROKERS, if set (CI, or a broker you run yourself);
 *   2. a testcontainers Kafka container, where a Docker engine answers;
 *   3. the local stack (scripts/local-stack/up.sh), which it starts itself.
 * Only 1 and 3 can run on the project's own machines (no Docker engine there).
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { brokerReachable } from '../../src/kafka/local-broker.ts';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
let stopLocalStack = false;
let stopContainer: (() => Promise<unknown>) | undefined;

function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

async function startContainer(): Promise<string> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer('apache/kafka:4.1.1').withKraft().start();
  stopContainer = () => container.stop();
  return `${container.getHost()}:${container.getMappedPort(9093)}`;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let brokers = process.env.KAFKA_BROKERS;
  let source = 'KAFKA_BROKERS';
  if (!brokers) {
    if (dockerAnswers()) {
      brokers = await startContainer();
      source = 'testcontainers';
    } else {
      const alreadyUp = await brokerReachable('127.0.0.1:9092');
      if (!alreadyUp) {
        await run('bash', ['scripts/local-stack/up.sh'], { timeout: 300_000 });
        stopLocalStack = process.env.KEEP_LOCAL_STACK !== '1';
      }
      brokers = '127.0.0.1:9092';
      source = alreadyUp ? 'local stack (already running)' : 'local stack (started for this run)';
    }
  }
  const first = brokers.split(',')[0]!;
  if (!(await brokerReachable(first))) throw new Error(`Kafka broker ${first} (from ${source}) is not reachable`);
  process.env.KAFKA_BROKERS = brokers;
  project.provide('kafkaBrokers', brokers);
  console.log(`[test setup] Kafka brokers: ${brokers} (${source})`);

  return async () => {
    if (stopContainer) await stopContainer();
    if (stopLocalStack) await run('bash', ['scripts/local-stack/down.sh'], { timeout: 60_000 });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}
