/**
 * `enricher produce <file.jsonl>`: loads documents line by line. Without a schema registry the
 * bytes go as they are; with one, each document is encoded in the wire format with the
 * documents.raw subject's id, and a line that is not a valid document still goes as it is
 * (the DLQ is for that).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Headers } from '../contracts/index.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { encoderFor, kafkaClient } from '../processes/clients.ts';
import type { ValueEncoder } from '../kafka/serde.ts';
import type { Boot } from './boot.ts';

export interface ProduceResult {
  sent: number;
  unparsable: number;
  /** With a registry: lines that are JSON but fail the raw subject's schema, sent as they are. */
  notEncoded: number;
}

/** Keys by the document id when the line is JSON with an id; a bad line is still sent (the DLQ is for that). */
export function linesToMessages(text: string, runId?: string, encode?: (value: unknown) => Buffer) {
  let unparsable = 0;
  let notEncoded = 0;
  const messages = text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((line) => {
      let key: string | null = null;
      let value: Buffer = Buffer.from(line, 'utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
        const id = (parsed as { id?: unknown } | null)?.id;
        if (typeof id === 'string') key = id;
      } catch {
        unparsable++;
      }
      if (encode && parsed !== undefined) {
        try {
          value = encode(parsed);
        } catch {
          notEncoded++;
        }
      }
      return { key, value, headers: runId ? { [Headers.runId]: runId } : {} };
    });
  return { messages, unparsable, notEncoded };
}

export async function produceFile(kafka: KafkaClient, topic: string, file: string, runId?: string, encode?: ValueEncoder): Promise<ProduceResult> {
  const { messages, unparsable, notEncoded } = linesToMessages(readFileSync(file, 'utf8'), runId, encode && ((v) => encode(topic, v)));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic, messages: messages.slice(i, i + 500), acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
  return { sent: messages.length, unparsable, notEncoded };
}

export function registerProduceCommand(program: Command, boot: Boot): void {
  program
    .command('produce')
    .argument('<file.jsonl>', 'one JSON document per line')
    .option('--run-id <id>', 'ingestion run id, sent as the x-run-id header')
    .description('load documents into documents.raw')
    .action(async (file: string, opts: { runId?: string }) => {
      const { config, logger } = boot();
      const encode = await encoderFor(config, logger, 'produce');
      const res = await produceFile(kafkaClient(config, logger, ''), config.topics.raw, file, opts.runId, encode);
      const notes = [
        ...(res.unparsable ? [`${res.unparsable} are not valid JSON`] : []),
        ...(res.notEncoded ? [`${res.notEncoded} fail the ${config.topics.raw}-value schema and went as they are`] : []),
      ];
      process.stdout.write(`sent ${res.sent} messages to ${config.topics.raw}${encode ? ' in the wire format' : ''}${notes.length ? ` (${notes.join('; ')}: they will go to the DLQ)` : ''}\n`);
    });
}
