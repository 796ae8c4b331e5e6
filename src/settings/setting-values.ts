/**
 * What each runtime setting accepts, in one place: the CLI validates what a person types
 * with it, and every reader validates what it finds on pipeline.config with it, so a record
 * written by hand (or by an older version) cannot put a bad value into a running processor.
 */
import { ConfigRecord, SettingName } from '../contracts/index.ts';
import { ConfigError } from '../errors.ts';
import { jsonPayload } from '../kafka/serde.ts';

export const SETTING_NAMES: readonly SettingName[] = SettingName.options;

/** Inputs that mean "no budget". */
const NONE = new Set(['none', 'null', 'off', 'unlimited']);
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;

const RULES: Record<SettingName, { describe: string; nullable: boolean; check: (n: number) => boolean }> = {
  quality_threshold: {
    describe: 'a number from 0 to 1 (documents whose confidence is at least this are published)',
    nullable: false,
    check: (n) => n >= 0 && n <= 1,
  },
  daily_budget_usd: {
    describe: 'a positive number of US dollars (e.g. 50 or 12.5), or "none" for no budget',
    nullable: true,
    check: (n) => n > 0 && n < 1e9,
  },
};

export function settingName(input: string): SettingName {
  const parsed = SettingName.safeParse(input.trim());
  if (!parsed.success) throw new ConfigError(`unknown setting "${input}"; the runtime settings are: ${SETTING_NAMES.join(', ')}`);
  return parsed.data;
}

/** A value as typed on the command line. */
export function parseSettingInput(nameInput: string, input: string): { name: SettingName; value: number | null } {
  const name = settingName(nameInput);
  const rule = RULES[name];
  const s = input.trim().toLowerCase();
  if (rule.nullable && NONE.has(s)) return { name, value: null };
  const n = DECIMAL.test(s) ? Number(s) : Number.NaN;
  if (!Number.isFinite(n) || !rule.check(n)) throw new ConfigError(`${name} must be ${rule.describe}; got "${input}"`);
  return { name, value: n };
}

/** A value found on pipeline.config: the JSON envelope, or a bare JSON number / null. */
export function decodeSettingRecord(key: string | null, value: Buffer): { name: SettingName; value: number | null } {
  const name = settingName(key ?? '');
  let json: unknown;
  try {
    json = JSON.parse(jsonPayload(value).toString('utf8'));
  } catch (e) {
    throw new ConfigError(`${name}: the record is not JSON: ${(e as Error).message}`);
  }
  let v: unknown = json;
  if (typeof json === 'object' && json !== null) {
    const rec = ConfigRecord.safeParse(json);
    if (!rec.success) throw new ConfigError(`${name}: the record fails its schema: ${rec.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    if (rec.data.name !== name) throw new ConfigError(`${name}: the record names another setting (${rec.data.name})`);
    v = rec.data.value;
  }
  const rule = RULES[name];
  if (v === null && rule.nullable) return { name, value: null };
  if (typeof v !== 'number' || !Number.isFinite(v) || !rule.check(v)) throw new ConfigError(`${name} must be ${rule.describe}; the record holds ${JSON.stringify(v)}`);
  return { name, value: v };
}
