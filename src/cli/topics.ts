/** `enricher topics create`: every topic this service uses, created with its settings. */
import type { Command } from 'commander';
import { ensureTopicsOf, topicsOf } from '../kafka/topics.ts';
import { kafkaClient } from '../processes/clients.ts';
import type { Boot } from './boot.ts';

export function registerTopicsCommand(program: Command, boot: Boot): void {
  program
    .command('topics')
    .description('manage topics')
    .command('create')
    .description('create every topic this service uses (names from the config); existing ones are left alone')
    .action(async () => {
      const { config, logger } = boot();
      const created = await ensureTopicsOf(kafkaClient(config, logger, 'topics'), config, 'topics create');
      for (const topic of topicsOf(config, 'topics create')) process.stdout.write(`${created.includes(topic) ? 'created ' : 'exists  '} ${topic}\n`);
    });
}
