/**
 * Sends through an idempotent producer in small batches: callers get a promise per message
 * that resolves when Kafka acknowledged it, while the broker sees one request per few ms
 * instead of one per message (KafkaJS has no linger of its own).
 */
import type { Message, Producer } from 'kafkajs';

export interface BatchingSender {
  send(topic: string, message: Message): Promise<void>;
  flush(): Promise<void>;
}

export function createBatchingSender(producer: Producer, opts: { lingerMs?: number; maxBatch?: number } = {}): BatchingSender {
  const linger = opts.lingerMs ?? 5;
  const maxBatch = opts.maxBatch ?? 500;
  let queue: { topic: string; message: Message; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  function drain(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return inFlight;
    const byTopic = new Map<string, Message[]>();
    for (const b of batch) {
      let list = byTopic.get(b.topic);
      if (!list) byTopic.set(b.topic, (list = []));
      list.push(b.message);
    }
    // Batches go out one after another so that a retried batch cannot overtake a later one.
    inFlight = inFlight
      .catch(() => undefined)
      .then(() => producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })), acks: -1 }))
      .then(
        () => batch.forEach((b) => b.resolve()),
        (e) => batch.forEach((b) => b.reject(e)),
      );
    return inFlight;
  }

  return {
    send(topic, message) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ topic, message, resolve, reject });
        if (queue.length >= maxBatch) void drain();
        else timer ??= setTimeout(() => void drain(), linger);
      });
    },
    async flush() {
      await drain().catch(() => undefined);
    },
  };
}
