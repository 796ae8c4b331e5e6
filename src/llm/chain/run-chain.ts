/**
 * The chain: its steps (steps/index.ts) in order, each asked with the outputs of the steps
 * before it. Resumable: given the progress of an earlier attempt, it skips the steps already
 * done (their output checked against the step's own schema first). A step the chain may go on
 * without (its `whenFailed`) does not end it when it fails for good: the result is partial.
 */
import type { ChainProgress, RawDocument } from '../../contracts/index.ts';
import { EnricherError, ErrorCodes, toEnricherError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { addUsage, emptyUsage, type CallContext, type StepCaller, type StepUsage } from './call-step.ts';
import type { ChainStep, ChainSteps, StepOutputs } from './step.ts';

export interface ChainResult {
  progress: ChainProgress;
  /** Every step's output by its field (entities, summary, classification, …). */
  outputs: StepOutputs;
  /** The same, as the published document carries them (each step's `publish`). */
  published: StepOutputs;
  usage: StepUsage;
  /** The model that answered the last step. */
  model: string;
  partial: boolean;
}

export type ChainOutcome =
  | { ok: true; result: ChainResult }
  | { ok: false; error: EnricherError; progress: ChainProgress };

export type ChainRunner = (doc: RawDocument, ctx: CallContext, prior?: ChainProgress) => Promise<ChainOutcome>;

type StepProgress = { usage: StepUsage; model: string; failed?: { code: string; message: string } } & Record<string, unknown>;

const stepsOf = (progress: ChainProgress) => progress as unknown as Record<string, StepProgress | undefined>;

export function totalUsage(progress: ChainProgress): StepUsage {
  const parts = Object.entries(stepsOf(progress)).map(([name, p]) => (name === 'failed_usage' ? (p as unknown as StepUsage | undefined) : p?.usage));
  return parts.filter((u): u is StepUsage => u !== undefined).reduce(addUsage, emptyUsage());
}

/** The output an earlier attempt left for a step, when it still has the step's shape. */
function resumed(step: ChainStep, done: StepProgress | undefined): { ok: true; output: unknown } | undefined {
  if (!done) return undefined;
  const parsed = step.output.safeParse(done[step.field]);
  return parsed.success ? { ok: true, output: parsed.data } : undefined;
}

export function createChainRunner(deps: { steps: ChainSteps; callStep: StepCaller; logger: Logger }): ChainRunner {
  const { steps } = deps;
  return async (doc, ctx, prior = {}) => {
    const progress = stepsOf({ ...prior });
    const outputs: Record<string, unknown> = {};
    let partial = false;
    let model = '';
    const noteBilled = (err: EnricherError) => {
      if (err.billed) progress.failed_usage = addUsage((progress.failed_usage as unknown as StepUsage | undefined) ?? emptyUsage(), err.billed) as unknown as StepProgress;
    };
    let current: ChainStep | undefined;
    try {
      for (const step of steps) {
        current = step;
        const done = resumed(step, progress[step.name]);
        if (done) {
          outputs[step.field] = done.output;
          partial ||= progress[step.name]!.failed !== undefined;
          model = progress[step.name]!.model || model;
          continue;
        }
        const request = step.request(doc, outputs);
        try {
          const res = await deps.callStep({ step: step.name, ...request }, ctx);
          const output = step.toOutput(res, doc);
          progress[step.name] = { [step.field]: output, usage: res.usage, model: res.model };
          outputs[step.field] = output;
          model = res.model;
        } catch (e) {
          const err = toEnricherError(e, step.name);
          // A permanent failure of a step the chain can do without is not the end: the rest works
          // without it, and the result goes to review as partial.
          if (step.whenFailed === undefined || err.retriable || err.scope === 'service' || err.code === ErrorCodes.ABANDONED) throw err;
          noteBilled(err);
          deps.logger.warn({ documentId: doc.id, step: step.name, code: err.code, err: err.message }, `${step.name} failed permanently; continuing without it`);
          progress[step.name] = { [step.field]: step.whenFailed, usage: emptyUsage(), model: '', failed: { code: err.code, message: err.message } };
          outputs[step.field] = step.whenFailed;
          partial = true;
        }
      }
      const published = Object.fromEntries(steps.map((s) => [s.field, s.publish ? s.publish(outputs[s.field]) : outputs[s.field]]));
      const result: ChainResult = { progress: progress as unknown as ChainProgress, outputs, published, usage: totalUsage(progress as unknown as ChainProgress), model, partial };
      return { ok: true, result };
    } catch (e) {
      const error = toEnricherError(e, current?.name ?? 'extract');
      noteBilled(error);
      return { ok: false, error, progress: progress as unknown as ChainProgress };
    }
  };
}
