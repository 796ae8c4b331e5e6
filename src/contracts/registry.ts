/** Every wire contract that gets a checked-in JSON Schema under schemas/. */
import type { z } from 'zod';
import { BudgetAlert } from './budget-alert.ts';
import { ConfigRecord } from './config-record.ts';
import { CostEvent } from './cost-event.ts';
import { DailyCost } from './daily-cost.ts';
import { EnrichedDocument, ReviewItem } from './enriched-document.ts';
import { PipelineAlert } from './pipeline-alert.ts';
import { RawDocument } from './raw-document.ts';
import { RetryEnvelope } from './retry-envelope.ts';
import { RejectedDocument, ReviewDecision } from './review-decision.ts';
import { ShadowComparison } from './shadow-comparison.ts';

export const WIRE_CONTRACTS = {
  'raw-document': RawDocument,
  'enriched-document': EnrichedDocument,
  'review-item': ReviewItem,
  'cost-event': CostEvent,
  'retry-envelope': RetryEnvelope,
  'daily-cost': DailyCost,
  'budget-alert': BudgetAlert,
  'config-record': ConfigRecord,
  'pipeline-alert': PipelineAlert,
  'review-decision': ReviewDecision,
  'rejected-document': RejectedDocument,
  'shadow-comparison': ShadowComparison,
} as const satisfies Readonly<Record<string, z.ZodType>>;

export type ContractName = keyof typeof WIRE_CONTRACTS;
