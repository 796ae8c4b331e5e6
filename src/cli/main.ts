#!/usr/bin/env node
/** One command line for the service: `enricher --help`. Each command lives in its own file. */
import { Command } from 'commander';
import { registerAclsCommand } from './acls.ts';
import { registerAggregateCommand } from './aggregate.ts';
import { boot } from './boot.ts';
import { registerSettingsCommands } from './settings-command.ts';
import { registerCostsCommand } from './costs.ts';
import { registerDemoCommand } from './demo.ts';
import { registerEvalCommand } from './eval.ts';
import { checkConnections } from './preflight.ts';
import { registerProduceCommand } from './produce.ts';
import { registerRedriveCommand } from './redrive.ts';
import { registerReplayCommand } from './replay.ts';
import { registerResumeCommand } from './resume.ts';
import { registerReviewCommands } from './review.ts';
import { registerSchemasCommand } from './schemas.ts';
import { registerStartCommand } from './start.ts';
import { registerTopicsCommand } from './topics.ts';

const program = new Command()
  .name('enricher')
  .description('Kafka stream processor: documents.raw → LLM chain (extract → summarize → classify) → documents.enriched / documents.review.\nEvery setting comes from the environment; see the README for the table.')
  .showHelpAfterError()
  // Printing the ACLs needs no cluster; everything else checks the connection first.
  .hook('preAction', (_program, command) => (command.name() === 'acls' && !command.opts().principal ? undefined : checkConnections(boot, command.name())));

for (const register of [
  registerStartCommand, registerTopicsCommand, registerProduceCommand, registerDemoCommand, registerRedriveCommand,
  registerAggregateCommand, registerCostsCommand, registerSettingsCommands, registerReplayCommand, registerResumeCommand, registerReviewCommands,
  registerEvalCommand, registerSchemasCommand, registerAclsCommand,
]) {
  register(program, boot);
}

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`enricher: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
