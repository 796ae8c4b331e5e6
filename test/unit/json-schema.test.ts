import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toStructuredOutputSchema } from '../../src/llm/providers/json-schema.ts';
import { Classification, Entities, SummaryOutput } from '../../src/contracts/enrichment.ts';

const StrictClassify = z.object({
  category: z.string(),
  confidence: z.number().min(0).max(1),
  scores: z.array(z.object({ category: z.string(), score: z.number() })),
});

describe('toStructuredOutputSchema', () => {
  it('inlines a root $ref and drops what strict mode rejects', () => {
    const { schema, strict } = toStructuredOutputSchema(Entities);
    expect(strict).toBe(true);
    expect(schema).toEqual({
      type: 'object',
      properties: {
        people: { type: 'array', items: { type: 'string' } },
        organizations: { type: 'array', items: { type: 'string' } },
        dates: { type: 'array', items: { type: 'string' } },
        topics: { type: 'array', items: { type: 'string' } },
      },
      required: ['people', 'organizations', 'dates', 'topics'],
      additionalProperties: false,
    });
  });

  it('drops minLength (zod still checks it)', () => {
    const { schema, strict } = toStructuredOutputSchema(SummaryOutput);
    expect(strict).toBe(true);
    expect(schema).toEqual({
      type: 'object',
      properties: { summary: { type: 'string' } },
      required: ['summary'],
      additionalProperties: false,
    });
  });

  it('keeps nested objects strict', () => {
    const { schema, strict } = toStructuredOutputSchema(StrictClassify);
    expect(strict).toBe(true);
    const scores = (schema['properties'] as Record<string, { items: Record<string, unknown> }>)['scores'];
    expect(scores?.items['additionalProperties']).toBe(false);
    expect(scores?.items['required']).toEqual(['category', 'score']);
  });

  it('sends a record schema as non-strict', () => {
    expect(toStructuredOutputSchema(Classification).strict).toBe(false);
  });

  it('sends a schema with optional fields as non-strict', () => {
    expect(toStructuredOutputSchema(z.object({ a: z.string(), b: z.string().optional() })).strict).toBe(false);
  });

  it('accepts nullable and enum fields as strict', () => {
    const s = z.object({ c: z.enum(['x', 'y']), n: z.number().nullable() });
    expect(toStructuredOutputSchema(s).strict).toBe(true);
  });

  it('constrains a free category to the allowed list', () => {
    const { schema } = toStructuredOutputSchema(StrictClassify, { categories: ['finance', 'sports'] });
    const props = schema['properties'] as Record<string, Record<string, unknown>>;
    expect(props['category']?.['enum']).toEqual(['finance', 'sports']);
    const items = (props['scores']?.['items'] as Record<string, Record<string, Record<string, unknown>>>)['properties'];
    expect(items?.['category']?.['enum']).toEqual(['finance', 'sports']);
  });

  it('does not touch the zod schema it was given', () => {
    toStructuredOutputSchema(Entities);
    expect(Entities.safeParse({ people: [], organizations: [], dates: [], topics: [] }).success).toBe(true);
  });
});
