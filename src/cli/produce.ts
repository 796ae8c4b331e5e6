/** `enricher produce <file.jsonl>`: loads documents line by line, bytes as they are. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Headers } from '../contracts/index.ts';
import { createKafka, type KafkaClient } from '../kafka/client.ts';
import type { Boot } from './boot.ts';

export interface ProduceResult {
  sent: number;
  unparsable: number;
}

/** Keys by the document id when the line is JSON with an id; a bad line is still sent (the DLQ is for that). */
export function linesToMessages(text: string, runId?: string) {
  let unparsable = 0;
  const messages = text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((line) => {
      let key: string | null = null;
      try {
        const v = JSON.parse(line) as { id?: unknown };
        if (typeof v?.id === 'string') key = v.id;
      } catch {
        unparsable++;
      }
      return { key, value: Buffer.from(line, 'utf8'), headers: runId ? { [Headers.runId]: runId } : {} };
    });
  return { messages, unparsable };
}

export async function produceFile(kafka: KafkaClient, topic: string, file: string, runId?: string): Promise<ProduceResult> {
  const { messages, unparsable } = linesToMessages(readFileSync(file, 'utf8'), runId);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic, messages: messages.slice(i, i + 500), acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
  return { sent: messages.length, unparsable };
}

export function registerProduceCommand(program: Command, boot: Boot): void {
  program
    .command('produce')
    .argument('<file.jsonl>', 'one JSON document per line')
    .option('--run-id <id>', 'ingestion run id, sent as the x-run-id header')
    .description('load documents into documents.raw')
    .action(async (file: string, opts: { runId?: string }) => {
      const { config, logger } = boot();
      const res = await produceFile(createKafka(config, logger), config.topics.raw, file, opts.runId);
      process.stdout.write(`sent ${res.sent} messages to ${config.topics.raw}${res.unparsable ? ` (${res.unparsable} are not valid JSON: they will go to the DLQ)` : ''}\n`);
    });
}
