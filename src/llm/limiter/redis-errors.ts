/**
 * What a failure of the shared pool's Redis means. Classified here, where it arises, so that no
 * Redis error can reach a document as an unexplained INTERNAL:
 *
 *   'keys-lost'   Redis answers but the pool's keys are gone (it restarted empty, or they were
 *                 evicted): Bottleneck re-creates them with this instance's settings.
 *   'unavailable' Redis does not answer, or cannot serve now: the service waits for it.
 *   undefined     not a Redis condition (a bug, a stopped limiter): the caller decides.
 */
export type RedisCondition = 'keys-lost' | 'unavailable';

/** Bottleneck's Lua scripts raise these when its keys (or this client's registration) are gone. */
const KEYS_LOST = /^(?:ERR )?(SETTINGS_KEY_NOT_FOUND|UNKNOWN_CLIENT)\b/;

/** Socket errors of a connection that is down or going down. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

/** ioredis's own messages when it cannot deliver a command, and Redis replies that mean "not now". */
const UNAVAILABLE = [
  /max retries per request limit/i, // ioredis MaxRetriesPerRequestError: the offline queue gave up
  /^Connection is closed/i,
  /Stream isn't writeable/i,
  /^Command timed out/i,
  /^(?:ERR )?(LOADING|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS)\b/,
  /^None of startup nodes is available/i,
];

export function classifyRedisError(e: unknown): RedisCondition | undefined {
  if (!(e instanceof Error)) return undefined;
  if (KEYS_LOST.test(e.message)) return 'keys-lost';
  const code = (e as { code?: unknown }).code;
  if (e.name === 'MaxRetriesPerRequestError') return 'unavailable';
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'unavailable';
  if (UNAVAILABLE.some((re) => re.test(e.message))) return 'unavailable';
  return undefined;
}

/**
 * Bottleneck 2.19.5 re-creates lost keys (SETTINGS_KEY_NOT_FOUND) and re-registers a forgotten
 * client (UNKNOWN_CLIENT) only when the error message is exactly that word. Redis 7 prefixes
 * Lua error replies with "ERR ", so the recovery never ran: every later call failed, and a
 * Redis restarted empty emptied the pipeline into the DLQ. This gives Bottleneck back the
 * message it expects; true when it did.
 */
export function restoreBottleneckReply(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const m = KEYS_LOST.exec(e.message);
  if (!m || e.message === m[1]) return false;
  e.message = m[1]!;
  return true;
}
