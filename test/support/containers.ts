/**
 * Kafka and Redis started by testcontainers, from the images `npm run images` provides (pulled, or
 * the local stand-ins tagged with the public names). `@testcontainers/kafka`'s KafkaContainer is
 * not used: it reads an apache/kafka tag as a Confluent Platform version and refuses 4.x. A plain
 * GenericContainer runs apache/kafka with the same KAFKA_* variables as docker-compose.yml, its
 * PLAINTEXT listener published on a fixed free host port so that it can advertise that port.
 * Ryuk (testcontainers' reaper, an image of its own) is not needed: the caller stops what it starts.
 */
import { execFileSync } from 'node:child_process';
import { images } from './images.ts';
import { freePort } from './ports.ts';

export interface Started {
  url: string;
  stop(): Promise<void>;
}

/** Whether a Docker engine answers and holds `image` (or can pull it within `pullTimeoutMs`). */
export function imageAvailable(image: string, pullTimeoutMs = 20_000): { ok: boolean; why?: string } {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return { ok: false, why: 'no Docker engine answers' };
  }
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore', timeout: 10_000 });
    return { ok: true };
  } catch {
    // not present: try a pull
  }
  try {
    execFileSync('docker', ['pull', '-q', image], { stdio: 'ignore', timeout: pullTimeoutMs });
    return { ok: true };
  } catch {
    return { ok: false, why: `Docker has no ${image} image and cannot pull it (npm run images builds it)` };
  }
}

async function testcontainers() {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  return import('testcontainers');
}

/** A single-node KRaft broker; `url` is its bootstrap address on the host's loopback. */
export async function startKafkaContainer(): Promise<Started> {
  const { GenericContainer, Wait } = await testcontainers();
  const port = await freePort();
  const container = await new GenericContainer(images().KAFKA_IMAGE)
    .withExposedPorts({ container: 9092, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,INTERNAL://0.0.0.0:19092,CONTROLLER://0.0.0.0:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port},INTERNAL://localhost:19092`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '10',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '10',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_MESSAGE_MAX_BYTES: '16777216',
      KAFKA_HEAP_OPTS: '-Xms256m -Xmx768m',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(120_000)
    .start();
  return { url: `127.0.0.1:${port}`, stop: async () => void (await container.stop({ remove: true, removeVolumes: true })) };
}

/** Redis in memory; `url` is a redis:// URL on the host. */
export async function startRedisContainer(): Promise<Started> {
  const { GenericContainer, Wait } = await testcontainers();
  const container = await new GenericContainer(images().REDIS_IMAGE)
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(60_000)
    .start();
  return { url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`, stop: async () => void (await container.stop({ remove: true, removeVolumes: true })) };
}
