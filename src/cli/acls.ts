/**
 * `enricher acls [--command <name>] [--principal User:app] [--grant]`: the Kafka rights each
 * command needs, from the config's names (src/kafka/acls.ts, derived from the topic catalogue):
 * printed as a table, or granted to a principal by a user who may alter the cluster's ACLs.
 */
import type { Command } from 'commander';
import { ConfigError } from '../errors.ts';
import { ACL_COMMANDS, grantAcls, mergeAcls, requiredAcls, type AclCommand, type AclRule } from '../kafka/acls.ts';
import { kafkaClient } from '../processes/clients.ts';
import { quietBoot, reportConfigErrors, type Boot } from './boot.ts';

const line = (r: AclRule) => `${r.resource.padEnd(16)} ${(r.pattern === 'PREFIXED' ? 'prefix ' : '').padEnd(7)}${r.name.padEnd(40)} ${r.operations.join(', ')}`;

export function registerAclsCommand(program: Command, boot: Boot): void {
  program
    .command('acls')
    .description('print the Kafka ACLs each command needs (the names come from the config), or grant them to a principal')
    .option('--command <name>', `one command only (${ACL_COMMANDS.join(' | ')})`)
    .option('--principal <principal>', 'grant the rules to this principal (e.g. User:app) instead of printing them')
    .action((opts: { command?: string; principal?: string }) =>
      reportConfigErrors(async () => {
        const { config, logger } = quietBoot(boot);
        if (opts.command !== undefined && !(ACL_COMMANDS as readonly string[]).includes(opts.command)) {
          throw new ConfigError(`--command must be one of ${ACL_COMMANDS.join(', ')} (got "${opts.command}")`);
        }
        const commands = opts.command ? [opts.command as AclCommand] : [...ACL_COMMANDS];
        const rules = mergeAcls(commands.flatMap((c) => requiredAcls(config, c)));
        if (!opts.principal) {
          for (const c of commands) {
            process.stdout.write(`enricher ${c}\n`);
            for (const r of requiredAcls(config, c)) process.stdout.write(`  ${line(r)}\n`);
          }
          return;
        }
        const admin = kafkaClient(config, logger, 'acls').admin();
        await admin.connect();
        try {
          await grantAcls(admin, opts.principal, rules);
        } finally {
          await admin.disconnect();
        }
        process.stdout.write(`${opts.principal} granted ${rules.length} rule(s) for ${commands.map((c) => `enricher ${c}`).join(', ')}\n`);
      }),
    );
}
