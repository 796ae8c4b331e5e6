/** `enricher config set|unset|get`: the runtime settings on pipeline.config, applied live by every processor. */
import type { Command } from 'commander';
import { encoderFor, kafkaClient } from '../processes/clients.ts';
import { effectiveSettings, readStoredSettings, storeSetting, unsetStoredSetting } from '../settings/settings-topic.ts';
import { SETTING_NAMES } from '../settings/setting-values.ts';
import { quietBoot, reportConfigErrors, type Boot } from './boot.ts';

export function registerSettingsCommands(program: Command, boot: Boot): void {
  const cmd = program.command('config').description(`runtime settings (${SETTING_NAMES.join(', ')}) on the compacted pipeline.config topic; running processors apply changes without a restart`);

  cmd
    .command('set')
    .argument('<name>', SETTING_NAMES.join(' | '))
    .argument('<value>', 'quality_threshold: 0..1; daily_budget_usd: USD > 0, or "none" for no budget')
    .description('validate and write a setting')
    .action((name: string, value: string) =>
      reportConfigErrors(async () => {
        const { config, logger } = quietBoot(boot);
        const encode = await encoderFor(config, logger, 'config set, unset');
        const rec = await storeSetting(kafkaClient(config, logger, 'config'), config, name, value, encode);
        process.stdout.write(`${rec.name} = ${rec.value ?? 'none'} (written to ${config.topics.config}; running processors apply it within a second)\n`);
      }),
    );

  cmd
    .command('unset')
    .argument('<name>', SETTING_NAMES.join(' | '))
    .description('remove the runtime value, so that the environment variable applies again')
    .action((name: string) =>
      reportConfigErrors(async () => {
        const { config, logger } = quietBoot(boot);
        const n = await unsetStoredSetting(kafkaClient(config, logger, 'config'), config, name);
        process.stdout.write(`${n}: runtime value removed from ${config.topics.config}; the environment's value applies\n`);
      }),
    );

  cmd
    .command('get')
    .description('print the current value of every runtime setting and where it comes from')
    .action(() =>
      reportConfigErrors(async () => {
        const { config, logger } = quietBoot(boot);
        const stored = await readStoredSettings(kafkaClient(config, logger, 'config'), config, logger);
        const eff = effectiveSettings(config, stored);
        const env = { quality_threshold: 'QUALITY_THRESHOLD', daily_budget_usd: 'DAILY_BUDGET_USD' } as const;
        for (const name of SETTING_NAMES) {
          const s = eff[name];
          const from = s.source === 'environment' ? `environment (${env[name]}${s.value === null ? ' unset' : ''})` : config.topics.config;
          process.stdout.write(`${name.padEnd(18)} ${String(s.value ?? 'none').padEnd(8)} ${from}\n`);
        }
      }),
    );
}
