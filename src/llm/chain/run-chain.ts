/**
 * extract → summarize (with the entities) → classify (with the summary). Resumable: given the
 * progress of an earlier attempt, it skips the steps already done.
 */
import type { ChainProgress, RawDocument } from '../../contracts/index.ts';
import { EnricherError, ErrorCodes, toEnricherError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { addUsage, emptyUsage, type CallContext, type StepUsage } from './call-step.ts';
import type { ClassifyOutput, ClassifyStep } from './classify.ts';
import type { ExtractStep } from './extract.ts';
import type { SummarizeStep } from './summarize.ts';

export interface ChainResult {
  progress: Required<Pick<ChainProgress, 'summarize' | 'classify'>> & ChainProgress;
  classification: ClassifyOutput;
  usage: StepUsage;
  /** The model that answered the last step (all steps use the same configured model). */
  model: string;
  partial: boolean;
}

export type ChainOutcome =
  | { ok: true; result: ChainResult }
  | { ok: false; error: EnricherError; progress: ChainProgress };

export type ChainRunner = (doc: RawDocument, ctx: CallContext, prior?: ChainProgress) => Promise<ChainOutcome>;

const EMPTY_ENTITIES = { people: [], organizations: [], dates: [], topics: [] };

export function totalUsage(progress: ChainProgress): StepUsage {
  return [progress.extract?.usage, progress.summarize?.usage, progress.classify?.usage, progress.failed_usage]
    .filter((u): u is StepUsage => u !== undefined)
    .reduce(addUsage, emptyUsage());
}

export function createChainRunner(deps: {
  extract: ExtractStep;
  summarize: SummarizeStep;
  classify: ClassifyStep;
  logger: Logger;
}): ChainRunner {
  return async (doc, ctx, prior = {}) => {
    const progress: ChainProgress = { ...prior };
    const noteBilled = (err: EnricherError) => {
      if (err.billed) progress.failed_usage = addUsage(progress.failed_usage ?? emptyUsage(), err.billed);
    };
    try {
      if (!progress.extract) {
        try {
          const r = await deps.extract(doc, ctx);
          progress.extract = { entities: r.output, usage: r.usage, model: r.model };
        } catch (e) {
          const err = toEnricherError(e, 'extract');
          // A permanent extraction failure is not the end: summarize and classify still work
          // on the text alone, and the result goes to review as partial.
          if (err.retriable || err.scope === 'service' || err.code === ErrorCodes.ABANDONED) throw err;
          noteBilled(err);
          deps.logger.warn({ documentId: doc.id, code: err.code, err: err.message }, 'extraction failed permanently; continuing without entities');
          progress.extract = { entities: EMPTY_ENTITIES, usage: emptyUsage(), model: '', failed: { code: err.code, message: err.message } };
        }
      }
      const entities = progress.extract.entities;
      if (!progress.summarize) {
        const r = await deps.summarize(doc, entities, ctx);
        progress.summarize = { summary: r.output, usage: r.usage, model: r.model };
      }
      if (!progress.classify) {
        const r = await deps.classify(doc, entities, progress.summarize.summary, ctx);
        progress.classify = { classification: r.output, usage: r.usage, model: r.model };
      }
      return {
        ok: true,
        result: {
          progress: progress as ChainResult['progress'],
          classification: progress.classify.classification,
          usage: totalUsage(progress),
          model: progress.classify.model || progress.summarize.model,
          partial: progress.extract.failed !== undefined,
        },
      };
    } catch (e) {
      const error = toEnricherError(e, progress.summarize ? 'classify' : progress.extract ? 'summarize' : 'extract');
      noteBilled(error);
      return { ok: false, error, progress };
    }
  };
}
