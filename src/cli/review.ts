/** `enricher review`: the review console. `enricher review-user`: a users-file entry with a scrypt hash. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../errors.ts';
import { hashPassword } from '../review/auth/passwords.ts';
import { Role } from '../review/auth/users-file.ts';
import { createReviewConsole } from '../processes/review-console.ts';
import type { Boot } from './boot.ts';
import { reportConfigErrors } from './boot.ts';
import { stopOnSignals } from './signals.ts';

/** One line from stdin; typed characters are not echoed when stdin is a terminal. */
async function readSecretLine(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    if (stdin.isTTY) stdin.setRawMode(true);
    const done = (value: string) => {
      if (stdin.isTTY) {
        stdin.setRawMode(false);
        process.stderr.write('\n');
      }
      stdin.pause();
      stdin.off('data', onData);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\n' || ch === '\r' || ch === '\u0004') return done(text);
        if (ch === '\u0003') return reject(new Error('cancelled'));
        text = ch === '\u007f' ? text.slice(0, -1) : text + ch;
      }
    };
    stdin.on('data', onData);
    stdin.once('end', () => done(text));
    stdin.resume();
  });
}

export function registerReviewCommands(program: Command, boot: Boot): void {
  program
    .command('review')
    .description('serve the review console on REVIEW_HOST:REVIEW_PORT: the open items of documents.review, decisions published exactly once')
    .action(async () => {
      const { config, logger } = boot();
      let console_;
      try {
        console_ = createReviewConsole(config, logger);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        process.stderr.write(`enricher: invalid configuration:\n  ${e.message}\n`);
        process.exit(2);
      }
      stopOnSignals({ stop: () => console_.stop(), logger, stopping: 'review console: stopping', stopped: 'review console stopped', failed: 'review console: error while stopping' });
      const { url } = await console_.start();
      process.stdout.write(`review console on ${url}\n`);
    });

  program
    .command('review-user')
    .argument('<name>', 'the user name')
    .option('--role <role>', 'reviewer (may decide) or viewer (read-only)', 'reviewer')
    .option('--file <users.json>', 'add or replace the user in this users file (created when missing) instead of printing the entry')
    .description('read a password from stdin and write (or print) a REVIEW_USERS_FILE entry for it (scrypt hash)')
    .action((name: string, opts: { role: string; file?: string }) =>
      reportConfigErrors(async () => {
        const role = Role.safeParse(opts.role);
        if (!role.success) throw new ConfigError(`--role must be reviewer or viewer, got "${opts.role}"`);
        const password = await readSecretLine(`password for ${name}: `);
        if (password.length < 12) throw new ConfigError('use a password of at least 12 characters');
        const entry = { role: role.data, password_hash: hashPassword(password) };
        if (!opts.file) {
          process.stdout.write(`${JSON.stringify({ [name]: entry })}\n`);
          return;
        }
        const current = existsSync(opts.file) ? (JSON.parse(readFileSync(opts.file, 'utf8')) as { users?: Record<string, unknown> }) : {};
        writeFileSync(opts.file, `${JSON.stringify({ ...current, users: { ...current.users, [name]: entry } }, null, 2)}\n`, { mode: 0o600 });
        process.stdout.write(`${name} (${role.data}) written to ${opts.file}\n`);
      }),
    );
}
