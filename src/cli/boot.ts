/**
 * How every command starts: the config (a bad one exits 2 with the message, before anything
 * connects) and a logger. `overrides` are settings a command fixes for itself (the demo's
 * offline provider); config.ts still parses them, so nothing builds a Config by hand.
 */
import { loadConfig, type Config } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { createLogger, type Logger } from '../observability/logger.ts';

export type Boot = (overrides?: Record<string, string>) => { config: Config; logger: Logger };

export const boot: Boot = (overrides) => {
  try {
    const config = loadConfig(process.env, overrides);
    return { config, logger: createLogger({ level: config.log.level }) };
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`enricher: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
};

/**
 * Builds what a command runs, where building reads files the settings name (the prompt files of
 * PROMPTS_DIR): a ConfigError there exits 2 with its message, as a bad variable does.
 */
export function exitOnConfigError<T>(build: () => T): T {
  try {
    return build();
  } catch (e) {
    exitTwoOn(e);
  }
}

/** A ConfigError exits 2 with its message; anything else goes on up. */
function exitTwoOn(e: unknown): never {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`enricher: ${e.message}\n`);
  process.exit(2);
}

/** A command that prints a result: the service's info logs would only get in the way. */
export function quietBoot(b: Boot): { config: Config; logger: Logger } {
  const { config, logger } = b();
  return { config, logger: config.log.level === 'info' ? createLogger({ level: 'warn' }) : logger };
}

/** Runs a command that prints its result: a ConfigError (bad argument) exits 2, success exits 0. */
export async function reportConfigErrors(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    exitTwoOn(e);
  }
  process.exit(0);
}
