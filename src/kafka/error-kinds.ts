/**
 * What kind of Kafka failure an error is, read from KafkaJS's error type and message. One place,
 * so that the engine and the cost aggregator cannot disagree about what "fenced" means.
 */

function describe(e: unknown): string {
  const t = (e as { type?: string } | undefined)?.type ?? '';
  const m = (e as Error | undefined)?.message ?? '';
  return `${t} ${m}`;
}

/**
 * The error and what it wraps: KafkaJS wraps a broker's answer in retry errors (`cause`,
 * `originalError`), and an admin call failing for several topics in an aggregate (`errors`).
 */
export function errorChain(e: unknown): unknown[] {
  const out: unknown[] = [];
  const walk = (x: unknown, depth: number) => {
    if (!x || typeof x !== 'object' || depth > 6 || out.includes(x)) return;
    out.push(x);
    const o = x as { cause?: unknown; originalError?: unknown; errors?: unknown };
    walk(o.cause, depth + 1);
    walk(o.originalError, depth + 1);
    if (Array.isArray(o.errors)) for (const inner of o.errors) walk(inner, depth + 1);
  };
  walk(e, 0);
  return out;
}

/** A newer producer with our transactional id exists: this one may never write again. */
export function isFencing(e: unknown): boolean {
  return /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH|fenced|INVALID_TXN_STATE/i.test(describe(e));
}

/** The broker refused the operation for lack of rights (an ACL): trying again will not help. */
export function isAuthorizationError(e: unknown): boolean {
  return errorChain(e).some((x) => /AUTHORIZATION_FAILED|not authorized|authorization failed/i.test(describe(x)));
}

export type DeniedResource = 'topic' | 'group' | 'transactional id' | 'cluster';

/** Which kind of resource an authorization error is about, and the topics a topic error names (admin calls do). */
export function deniedResource(e: unknown): { resource: DeniedResource; topics: string[] } | undefined {
  const chain = errorChain(e);
  const text = chain.map(describe).join(' ');
  const topics = chain.map((x) => (x as { topic?: unknown }).topic).filter((t): t is string => typeof t === 'string');
  if (/TOPIC_AUTHORIZATION_FAILED|access topics/i.test(text)) return { resource: 'topic', topics: [...new Set(topics)] };
  if (/GROUP_AUTHORIZATION_FAILED|access group/i.test(text)) return { resource: 'group', topics: [] };
  if (/TRANSACTIONAL_ID_AUTHORIZATION_FAILED|Transactional Id authorization/i.test(text)) return { resource: 'transactional id', topics: [] };
  if (/CLUSTER_AUTHORIZATION_FAILED|Cluster authorization/i.test(text)) return { resource: 'cluster', topics: [] };
  return undefined;
}

/** The broker skipped part of a request because another part failed (a transaction's other topics). */
export function isNotAttempted(e: unknown): boolean {
  return errorChain(e).some((x) => /OPERATION_NOT_ATTEMPTED/.test(describe(x)));
}
