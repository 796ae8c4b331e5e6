import { z } from 'zod';

/** Settings that can change at runtime through the compacted pipeline.config topic. */
export const SettingName = z.enum(['quality_threshold', 'daily_budget_usd']);
export type SettingName = z.infer<typeof SettingName>;

/**
 * A value on pipeline.config, keyed by setting name. `value: null` means "explicitly none"
 * (no daily budget); a tombstone (no value at all) removes the runtime override, so the
 * environment's value applies again.
 */
export const ConfigRecord = z
  .object({
    name: SettingName,
    value: z.number().nullable(),
    updated_at: z.iso.datetime(),
    updated_by: z.string().optional(),
  })
  .meta({ id: 'ConfigRecord', description: 'A runtime setting on pipeline.config' });
export type ConfigRecord = z.infer<typeof ConfigRecord>;
