import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * pino JSON to stdout. Secrets never reach a log line: the redact paths cover the places a
 * key could travel (config dumps, SDK errors carrying request headers).
 */
export function createLogger(opts: { level: string; name?: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name ?? 'llm-enricher',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'apiKey', '*.apiKey', 'llm.apiKey', 'config.llm.apiKey', 'headers.authorization', '*.headers.authorization',
          'err.headers.authorization', 'OPENAI_API_KEY', '*.OPENAI_API_KEY',
        ],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination,
  );
}

/** For tests and tools that want no output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
