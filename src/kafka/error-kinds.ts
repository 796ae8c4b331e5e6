/**
 * What kind of Kafka failure an error is, read from KafkaJS's error type and message. One place,
 * so that the engine and the cost aggregator cannot disagree about what "fenced" means.
 */

function describe(e: unknown): string {
  const t = (e as { type?: string } | undefined)?.type ?? '';
  const m = (e as Error | undefined)?.message ?? '';
  return `${t} ${m}`;
}

/** A newer producer with our transactional id exists: this one may never write again. */
export function isFencing(e: unknown): boolean {
  return /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH|fenced|INVALID_TXN_STATE/i.test(describe(e));
}

/** The broker refused the operation for lack of rights (an ACL): trying again will not help. */
export function isAuthorizationError(e: unknown): boolean {
  return /AUTHORIZATION_FAILED|not authorized/i.test(describe(e));
}
