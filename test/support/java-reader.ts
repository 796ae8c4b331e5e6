/**
 * Reads topics read_committed with the Java client (ReadCommitted.java on the local stack's
 * jars): the reference to tell a bug of our KafkaJS reader from a real duplicate or gap, since
 * our read_committed filter is our own code (src/kafka/read-committed-filter.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

export interface JavaRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string;
}

/** The local stack's broker jars (scripts/local-stack/up.sh), where it was started. */
export function localStackLibs(): string | undefined {
  const dir = `${process.env.LOCAL_STACK_DIR ?? `${root}.local-stack`}/kafka-${process.env.LOCAL_KAFKA_VERSION ?? '4.4.0'}/libs`;
  return existsSync(`${dir}/kafka-clients-${process.env.LOCAL_KAFKA_VERSION ?? '4.4.0'}.jar`) ? dir : undefined;
}

export async function readCommittedWithJava(bootstrap: string, topics: string[]): Promise<JavaRecord[]> {
  const libs = localStackLibs();
  if (!libs) throw new Error('the local stack\'s Kafka jars are not there (start it once: npm run stack:up)');
  const { stdout } = await run('java', ['-cp', `${libs}/*`, `${root}test/support/ReadCommitted.java`, bootstrap, topics.join(',')], {
    maxBuffer: 64 << 20,
    timeout: 120_000,
  });
  return stdout.split('\n').filter(Boolean).map((l) => {
    const [topic, partition, offset, key] = l.split('\t');
    return { topic: topic!, partition: Number(partition), offset: offset!, key: key! };
  });
}
