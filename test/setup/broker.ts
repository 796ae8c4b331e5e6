/**
 * Finds the Kafka broker for the test run, in this order:
 *   1. KAFKA_BROKERS, if set (CI, or a broker you run yourself);
 *   2. a testcontainers Kafka container, where a Docker engine answers and has the image;
 *   3. the local stack (scripts/local-stack/up.sh), which it starts itself.
 * A Docker engine alone never fails the run: without the image, or when the container does not
 * start, the local stack is used and one line says why.
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

/** The Kafka image of the container path: the release the local stack runs. */
const KAFKA_IMAGE = 'apache/kafka:4.4.0';

/** Whether the engine holds the image already: where no registry answers, a pull would only fail, slowly. */
function imagePresent(image: string): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

async function startContainer(): Promise<string> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer(KAFKA_IMAGE).withKraft().start();
  stopContainer = () => container.stop();
  return `${container.getHost()}:${container.getMappedPort(9093)}`;
}

/**
 * The scale-out tests need Redis on 127.0.0.1:6379. Where it is installed but not running, it is
 * started here the way .ci/run starts it (in memory, nothing on disk) and stopped afterwards.
 */
function ensureRedis(): boolean {
  const ping = () => {
    try {
      return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping'], { timeout: 3000 }).toString().includes('PONG');
    } catch {
      return false;
    }
  };
  if (ping()) return false;
  try {
    execFileSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  } catch {
    console.log('[test setup] Redis is not running and redis-server is not installed: the Redis tests will fail');
    return false;
  }
  for (let i = 0; i < 50 && !ping(); i++) execFileSync('sleep', ['0.1']);
  return true;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedRedis = ensureRedis();
  let brokers = process.env.KAFKA_BROKERS;
  let source = 'KAFKA_BROKERS';
  if (!brokers) {
    let why: string | undefined;
    if (dockerAnswers()) {
      if (!imagePresent(KAFKA_IMAGE)) why = `Docker answers but has no ${KAFKA_IMAGE} image`;
      else {
        try {
          brokers = await startContainer();
          source = 'testcontainers';
        } catch (e) {
          why = `the ${KAFKA_IMAGE} container did not start (${(e as Error).message.split('\n')[0]})`;
        }
      }
      if (why) console.log(`[test setup] not using testcontainers: ${why}; using the local stack`);
    }
    if (!brokers) {
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
    if (startedRedis) await run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'shutdown', 'nosave']).catch(() => undefined);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}
