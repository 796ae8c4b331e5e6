/**
 * The only reader of process.env. Every setting is parsed once, with zod, into a frozen
 * object that is passed down. A bad value fails at startup with the variable's name.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { crossSettingProblems } from './config/cross-rules.ts';
import { deepFreeze, leaves, readSettingFiles, toTree, type Parsed } from './config/setting-tree.ts';
import { SETTINGS } from './config/settings.ts';
import { ConfigError } from './errors.ts';
import { withoutCredentials } from './util/redact.ts';

export { isLoopbackHost } from './config/cross-rules.ts';
export { CONFIDENCE_MODES, DEFAULT_CATEGORIES, SERVICE_TIERS, type ConfidenceMode, type ServiceTier } from './config/settings.ts';


/** The prompt files that come with the package (PROMPTS_DIR's default), wherever it is run from. */
export const BUNDLED_PROMPTS_DIR = fileURLToPath(new URL('../prompts', import.meta.url));

/** The chain's steps that have a model setting of their own (LLM_MODEL_<STEP>). */
export type ModelledStep = 'extract' | 'summarize' | 'classify';

/** The parsed settings, with the few that finish() resolves narrowed to what they become. */
export type Config = Omit<Parsed<typeof SETTINGS>, 'shadow'> & {
  readonly llm: {
    readonly provider: 'openai' | 'offline';
    /** Each step's model: its LLM_MODEL_<STEP>, else LLM_MODEL. */
    readonly models: Readonly<Record<ModelledStep, string>>;
    readonly promptsDir: string;
  };
  readonly costs: { readonly aggregatorGroupId: string };
  /** Undefined unless SHADOW_MODEL or SHADOW_PROMPTS_DIR is set. */
  readonly shadow: ShadowConfig | undefined;
  readonly schemaRegistry: { readonly auth: { readonly username: string; readonly password: string } | undefined };
};

/** The shadow candidate, resolved: each step's model and its prompt files. */
export interface ShadowConfig {
  readonly models: Readonly<Record<ModelledStep, string>>;
  readonly promptsDir: string;
  /** Whether SHADOW_PROMPTS_DIR was set (the candidate's name then carries its prompt version). */
  readonly ownPrompts: boolean;
  readonly sample: number;
  readonly budgetShare: number;
}

const LEAVES = leaves(SETTINGS);
const envSchema = z.object(Object.fromEntries(LEAVES.map((l) => [l.setting.env, l.setting.schema])));

const SECRET_VARIABLES = new Set(LEAVES.filter((l) => l.setting.secret).map((l) => l.setting.env));

/** Every environment variable the service reads (the README documents each), `<NAME>_FILE` variants included. */
export const SETTING_VARIABLES: readonly string[] = LEAVES.flatMap((l) => (l.setting.fromFile ? [l.setting.env, `${l.setting.env}_FILE`] : [l.setting.env]));

/** The settings derived from others. */
function finish(c: Record<string, unknown>): Config {
  const parsed = c as unknown as Parsed<typeof SETTINGS>;
  const provider = parsed.llm.provider === 'auto' ? (parsed.llm.apiKey ? 'openai' : 'offline') : parsed.llm.provider;
  // Tiers above the cap are clamped, then de-duplicated, so the topic names stay unique.
  const delaysMs = [...new Set(parsed.retry.delaysMs.map((d) => Math.min(d, parsed.retry.maxDelayMs)))];
  const { username, password } = parsed.schemaRegistry;
  const models = { extract: parsed.llm.modelExtract ?? parsed.llm.model, summarize: parsed.llm.modelSummarize ?? parsed.llm.model, classify: parsed.llm.modelClassify ?? parsed.llm.model };
  const promptsDir = parsed.llm.promptsDir === undefined ? BUNDLED_PROMPTS_DIR : resolve(parsed.llm.promptsDir);
  const sh = parsed.shadow;
  const shadow: ShadowConfig | undefined = sh.model === undefined && sh.promptsDir === undefined ? undefined : {
    models: sh.model === undefined ? models : { extract: sh.model, summarize: sh.model, classify: sh.model },
    promptsDir: sh.promptsDir === undefined ? promptsDir : resolve(sh.promptsDir), ownPrompts: sh.promptsDir !== undefined,
    sample: sh.sample, budgetShare: sh.budgetShare,
  };
  return {
    ...parsed,
    llm: {
      ...parsed.llm, provider,
      models, promptsDir,
    },
    shadow,
    schemaRegistry: { ...parsed.schemaRegistry, auth: username !== undefined && password !== undefined ? { username, password } : undefined },
    retry: { ...parsed.retry, delaysMs },
    costs: { ...parsed.costs, aggregatorGroupId: parsed.costs.aggregatorGroupId ?? `${parsed.kafka.groupId}.cost-aggregator` },
  };
}

/**
 * Parses the environment. Throws ConfigError naming every bad variable. `overrides` win over
 * the environment: a command that must run a setting its own way (the demo's offline provider)
 * says so here instead of building a Config by hand.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Record<string, string> = {}): Config {
  // Empty strings mean "unset" to users of shells and compose files.
  const cleaned = Object.fromEntries(Object.entries({ ...env, ...overrides }).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
  const fileProblems = readSettingFiles(LEAVES, cleaned);
  const parsed = envSchema.safeParse(cleaned);
  // A secret's value is never echoed back (an error message may end up in a log); a URL is shown without its credentials.
  const shown = (name: string) => (SECRET_VARIABLES.has(name) ? '' : ` (got "${name === 'REDIS_URL' ? withoutCredentials(cleaned[name]!) : cleaned[name]}")`);
  const lines = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}${i.path[0] ? shown(String(i.path[0])) : ''}`);
  // Rules across settings are checked even when others failed, so every problem is named at once.
  lines.push(...fileProblems, ...crossSettingProblems(cleaned));
  const values = parsed.success ? (parsed.data as Record<string, unknown>) : undefined;
  if (values && (values.KAFKA_HEARTBEAT_INTERVAL as number) >= (values.KAFKA_SESSION_TIMEOUT as number)) {
    lines.push('  KAFKA_HEARTBEAT_INTERVAL: must be shorter than KAFKA_SESSION_TIMEOUT');
  }
  if (lines.length > 0 || !values) throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  return deepFreeze(finish(toTree(LEAVES, values)));
}
