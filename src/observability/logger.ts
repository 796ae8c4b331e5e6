import { pino, type Logger } from 'pino';
import { bufferedDestination, type BufferedDestination } from './log-destination.ts';

export type { Logger };

/**
 * Standard output is one per process, so its writer is too: every logger of the process (a
 * command boots more than one) writes through the same buffer, so their lines keep their order
 * and the exit and signal hooks are installed once.
 */
let stdout: BufferedDestination | undefined;
function stdoutDestination(): BufferedDestination {
  return (stdout ??= bufferedDestination({ fd: 1 }));
}

/** Writes the lines buffered for stdout now (the process's way out does it by itself). */
export function flushLogs(): void {
  stdout?.flushSync();
}

/**
 * pino JSON to stdout, written in batches (log-destination.ts). Secrets never reach a log line:
 * the redact paths cover the places a key could travel (config dumps, SDK errors carrying
 * request headers).
 */
export function createLogger(opts: { level: string; name?: string; destination?: pino.DestinationStream }): Logger {
  const logger = pino(loggerOptions(opts.level, opts.name), opts.destination ?? stdoutDestination());
  skipRedactionOfFlatValues(logger);
  return logger;
}

/** The options of every logger createLogger makes (exported for the test that compares its lines with pino's own). */
export function loggerOptions(level: string, name = 'llm-enricher'): pino.LoggerOptions {
  return {
    level,
    name,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'apiKey', '*.apiKey', 'llm.apiKey', 'config.llm.apiKey', 'headers.authorization', '*.headers.authorization',
        'err.headers.authorization', 'OPENAI_API_KEY', '*.OPENAI_API_KEY',
        // Kafka and Redis credentials: the SASL password, the OAuth client secret and tokens, a REDIS_URL with a password.
        'password', '*.password', 'sasl.password', '*.sasl.password', 'kafka.sasl.password', 'config.kafka.sasl.password',
        'clientSecret', '*.clientSecret', 'kafka.oauth.clientSecret', 'config.kafka.oauth.clientSecret',
        'token', '*.token', 'access_token', '*.access_token', 'oauthBearerToken', '*.oauthBearerToken',
        'redisUrl', '*.redisUrl', 'config.llm.redisUrl',
        'KAFKA_SASL_PASSWORD', '*.KAFKA_SASL_PASSWORD', 'KAFKA_OAUTH_CLIENT_SECRET', '*.KAFKA_OAUTH_CLIENT_SECRET', 'REDIS_URL', '*.REDIS_URL',
      ],
      censor: '[redacted]',
    },
    formatters: { level: (label) => ({ level: label }) },
  };
}

type Stringifier = (value: unknown, safe?: unknown) => string;

/**
 * pino hands every value whose key begins no redact path (a document id, a route, the message)
 * to the redactor of the `*.`-paths, and that redactor (@pinojs/redact) parses each of its paths
 * again on every call: 16 of the 20 µs a `routed` line took, 10 % of a cache-warm replay's CPU.
 * A string, number or boolean, or an array of them, has no property a path could name below it,
 * so the redactor returns JSON.stringify of it unchanged: it is stringified here directly. Any
 * other value (an object, an error, null) still goes through the redactor. If pino stops keeping
 * its stringifiers where it does today, nothing is changed (test/unit/logger-redaction.test.ts
 * holds the lines to those of pino's own redaction, and checks that the shortcut is in place).
 */
function skipRedactionOfFlatValues(logger: Logger): void {
  const stringifiers = (logger as unknown as Record<symbol, Record<symbol, Stringifier> | undefined>)[pino.symbols.stringifiersSym];
  const redactor = stringifiers?.[pino.symbols.wildcardFirstSym];
  if (!stringifiers || typeof redactor !== 'function') return;
  const shortcut: Stringifier = (value, safe) => (isFlat(value) ? JSON.stringify(value) : redactor(value, safe));
  stringifiers[pino.symbols.wildcardFirstSym] = Object.assign(shortcut, { [flatShortcut]: true });
}

const flatShortcut = Symbol('flat values skip the redactor');

function isFlat(value: unknown): boolean {
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean') return true;
  if (!Array.isArray(value)) return false;
  for (const x of value) if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') return false;
  return true;
}

/** Whether the shortcut of skipRedactionOfFlatValues is in place (for the test that pins pino's internals). */
export function skipsRedactionOfFlatValues(logger: Logger): boolean {
  const stringifiers = (logger as unknown as Record<symbol, Record<symbol, Stringifier> | undefined>)[pino.symbols.stringifiersSym];
  return Boolean((stringifiers?.[pino.symbols.wildcardFirstSym] as unknown as Record<symbol, boolean> | undefined)?.[flatShortcut]);
}

/** For tests and tools that want no output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
