/**
 * `enricher schemas list|check|register`: the subjects of the schema registry (one per topic
 * value, `<topic>-value`), their versions and rule, and whether our contracts fit them.
 */
import type { Command } from 'commander';
import type { Config } from '../config.ts';
import { ConfigError } from '../errors.ts';
import type { RegistrySerde } from '../kafka/registry/schema-registry.ts';
import { registryClient } from '../processes/clients.ts';
import { subjectStatuses, type SubjectStatus } from '../kafka/registry/subject-status.ts';
import { valueContracts } from '../kafka/registry/subjects.ts';
import type { Logger } from '../observability/logger.ts';
import { quietBoot, reportConfigErrors, type Boot } from './boot.ts';

export function registrySerdeOrExplain(config: Config, logger: Logger): RegistrySerde {
  const registry = registryClient(config, logger);
  if (!registry) throw new ConfigError('SCHEMA_REGISTRY_URL is not set: without a schema registry every value is plain JSON');
  return registry;
}

function verdict(s: SubjectStatus): string {
  if (s.versions.length === 0) return 'not registered (`enricher schemas register` adds it)';
  if (s.compatible === undefined) return `not checked: the registry checks this subject with NONE`;
  if (!s.compatible) return `INCOMPATIBLE${s.reasons.length ? `: ${s.reasons.join('; ')}` : ''}`;
  return s.upToDate ? 'compatible (latest version is this contract)' : 'compatible (registering it adds a version)';
}

export function formatStatuses(statuses: readonly SubjectStatus[]): string {
  const lines = statuses.map((s) => {
    const rule = s.ownLevel ? s.level : `${s.level} (global; none of its own)`;
    const versions = s.versions.length ? `${s.versions.join(',')} (latest id ${s.latestId})` : '-';
    return `${s.subject}\n  contract ${s.contract}; versions ${versions}; rule ${rule}\n  local contract: ${verdict(s)}`;
  });
  return `${lines.join('\n')}\n`;
}

export function registerSchemasCommand(program: Command, boot: Boot): void {
  const cmd = program.command('schemas').description('the schema registry: one subject per topic value (<topic>-value), JSON Schema from src/contracts, BACKWARD');

  const show = (failOnIncompatible: boolean) => () =>
    reportConfigErrors(async () => {
      const { config, logger } = quietBoot(boot);
      const registry = registrySerdeOrExplain(config, logger);
      const statuses = await subjectStatuses(registry.request, valueContracts(config));
      process.stdout.write(`schema registry ${registry.url}\n${formatStatuses(statuses)}`);
      if (failOnIncompatible && statuses.some((s) => s.compatible === false)) {
        process.stderr.write('enricher: a local contract is incompatible with its subject: the processor would refuse to start\n');
        process.exit(1);
      }
    });

  cmd.command('list').description('each subject, its versions, its compatibility rule and whether the local contract fits').action(show(false));
  cmd.command('check').description('the same; exits 1 when a local contract would be refused').action(show(true));
  cmd
    .command('register')
    .description('register every contract under its subject with compatibility BACKWARD (the processor does this at start)')
    .action(() =>
      reportConfigErrors(async () => {
        const { config, logger } = quietBoot(boot);
        const registry = registrySerdeOrExplain(config, logger);
        const specs = valueContracts(config);
        await registry.prepare(specs);
        const ids = registry.ids();
        for (const s of specs) process.stdout.write(`${s.subject.padEnd(40)} id ${ids.get(s.topic)}  (${s.contract}, BACKWARD)\n`);
      }),
    );
}
