/** `enricher resume`: every running processor whose DLQ storm guard stopped intake resumes it. */
import type { Command } from 'commander';
import { sendResume } from '../guards/pipeline-alerts.ts';
import { createKafka } from '../kafka/client.ts';
import { encoderFor } from '../kafka/registry/encoder-for.ts';
import { ensureTopic } from '../kafka/topics.ts';
import { quietBoot, reportConfigErrors, type Boot } from './boot.ts';

export function registerResumeCommand(program: Command, boot: Boot): void {
  program
    .command('resume')
    .description('resume intake stopped by the DLQ storm guard, on every running processor (writes a `resume` record to pipeline.alerts)')
    .option('--message <text>', 'why, for the record', 'resumed by an operator')
    .action((opts: { message: string }) =>
      reportConfigErrors(async () => {
        const { config, logger } = quietBoot(boot);
        const kafka = createKafka(config, logger, '-resume');
        await ensureTopic(kafka, config, config.topics.alerts);
        const encode = await encoderFor(config, logger, [config.topics.alerts]);
        const alert = await sendResume(kafka, config.topics.alerts, opts.message, encode);
        process.stdout.write(`resume written to ${config.topics.alerts} at ${alert.raised_at}; processors stopped by a DLQ storm resume within a second\n`);
      }),
    );
}
