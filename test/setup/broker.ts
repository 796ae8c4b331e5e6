/**
 * Finds the Kafka broker (and Redis) for the test run, in this order:
 *   1. KAFKA_BROKERS, if set (CI, or a broker you run yourself);
 *   2. with TEST_BROKER=testcontainers: Kafka and Redis containers started by testcontainers
 *      (test/support/containers.ts), from the images `npm run images` provides. Asked for
 *      explicitly, so a container that cannot start fails the run;
 *   3. otherwise the local stack (scripts/local-stack/up.sh), which it starts itself.
 * The local stack stays the default even where Docker has the images: the fault-injection,
 * Java-reader and secured-broker tests need its extra listeners and jars. A Docker engine alone
 * never changes or fails the run; one line says when the container path was available but not used.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { brokerReachable } from '../../src/kafka/local-broker.ts';
import type { TestProject } from 'vitest/node';
import { images } from '../support/images.ts';
import { startKafkaContainer, startRedisContainer, type Started } from '../support/containers.ts';

const run = promisify(execFile);
let stopLocalStack = false;
const containers: Started[] = [];

/** Whether the engine answers and holds the Kafka image (no pull: this is only for the note). */
function containerPathAvailable(): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', images().KAFKA_IMAGE], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
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
  const mode = process.env.TEST_BROKER ?? 'local';
  if (mode !== 'local' && mode !== 'testcontainers') throw new Error(`TEST_BROKER must be local or testcontainers, not "${mode}"`);
  let startedRedis = false;
  let brokers = process.env.KAFKA_BROKERS;
  let source = 'KAFKA_BROKERS';
  if (!brokers && mode === 'testcontainers') {
    try {
      const kafka = await startKafkaContainer();
      containers.push(kafka);
      brokers = kafka.url;
      source = `testcontainers, ${images().KAFKA_IMAGE}`;
      if (!process.env.REDIS_URL) {
        const redis = await startRedisContainer();
        containers.push(redis);
        process.env.REDIS_URL = redis.url;
        console.log(`[test setup] Redis: ${redis.url} (testcontainers, ${images().REDIS_IMAGE})`);
      }
    } catch (e) {
      for (const c of containers.splice(0)) await c.stop().catch(() => undefined);
      throw new Error(`TEST_BROKER=testcontainers: the containers did not start (${(e as Error).message.split('\n')[0]}); npm run images provides the images`);
    }
  } else {
    startedRedis = ensureRedis();
  }
  if (!brokers) {
    if (containerPathAvailable()) console.log(`[test setup] Docker has ${images().KAFKA_IMAGE}: TEST_BROKER=testcontainers runs on containers instead; using the local stack`);
    const alreadyUp = await brokerReachable('127.0.0.1:9092');
    if (!alreadyUp) {
      await run('bash', ['scripts/local-stack/up.sh'], { timeout: 300_000 });
      stopLocalStack = process.env.KEEP_LOCAL_STACK !== '1';
    }
    brokers = '127.0.0.1:9092';
    source = alreadyUp ? 'local stack (already running)' : 'local stack (started for this run)';
  }
  const first = brokers.split(',')[0]!;
  if (!(await brokerReachable(first))) throw new Error(`Kafka broker ${first} (from ${source}) is not reachable`);
  process.env.KAFKA_BROKERS = brokers;
  project.provide('kafkaBrokers', brokers);
  console.log(`[test setup] Kafka brokers: ${brokers} (${source})`);

  return async () => {
    for (const c of containers.splice(0)) await c.stop().catch(() => undefined);
    if (stopLocalStack) await run('bash', ['scripts/local-stack/down.sh'], { timeout: 60_000 });
    if (startedRedis) await run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'shutdown', 'nosave']).catch(() => undefined);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}
