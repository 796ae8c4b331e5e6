/** `enricher resume`: every running processor whose DLQ storm guard stopped intake resumes it. */
import type { Command } from 'commander';
import { sendResume } from '../operations/pipeline-alerts.ts';
import { encoderFor, kafkaClient } from '../processes/clients.ts';
import { ensureTopicsOf } from '../kafka/topics.ts';
import { quietBoot, reportConfigErrors, type Boot } from './boot.ts';

export function registerResumeCommand(program: Command, boot: Boot): void {
  program
    .command('resume')
    .description('resume intake stopped by the DLQ storm guard, on every running processor (writes a `resume` record to pipeline.alerts)')
    .option('--message <text>', 'why, for the record', 'resumed by an operator')
    .action((opts: { message: string }) =>
      reportConfigErrors(async () => {
        const { config, logger } = quietBoot(boot);
        const kafka = kafkaClient(config, logger, 'resume');
        await ensureTopicsOf(kafka, config, 'resume');
        const encode = await encoderFor(config, logger, 'resume');
        const alert = await sendResume(kafka, config.topics.alerts, opts.message, encode);
        process.stdout.write(`resume written to ${config.topics.alerts} at ${alert.raised_at}; processors stopped by a DLQ storm resume within a second\n`);
      }),
    );
}
