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
    },
    opts.destination,
  );
}

/** For tests and tools that want no output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
