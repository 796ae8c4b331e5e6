/** `enricher topics create`: every topic this service uses, created with its settings. */
import type { Command } from 'commander';
import { createKafka } from '../kafka/client.ts';
import { ensureTopics, topicSpecs } from '../kafka/topics.ts';
import type { Boot } from './boot.ts';

export function registerTopicsCommand(program: Command, boot: Boot): void {
  program
    .command('topics')
    .description('manage topics')
    .command('create')
    .description('create every topic this service uses (names from the config); existing ones are left alone')
    .action(async () => {
      const { config, logger } = boot();
      const admin = createKafka(config, logger).admin();
      await admin.connect();
      const specs = topicSpecs(config);
      const created = await ensureTopics(admin, specs);
      await admin.disconnect();
      for (const s of specs) process.stdout.write(`${created.includes(s.topic) ? 'created ' : 'exists  '} ${s.topic}\n`);
    });
}
