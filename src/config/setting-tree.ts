/**
 * The machinery of the settings tree in config.ts: a setting names its variable and parser once,
 * and the tree gives the Config type, the zod schema of the environment, and where each parsed
 * value lands. No variable is read here: config.ts passes the environment in.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * One setting: the environment variable it is read from, its parser with the default, and what
 * it is for (`doc`; `unset`: what applies when it is not set and has no default; `shown`: the
 * default as people should read it, where the parsed one is of this machine). `secret`: its
 * value is never echoed in an error. `fromFile`: `<NAME>_FILE` may name a file holding the
 * value instead (a mounted Kubernetes or Docker secret).
 */
export interface SettingOptions {
  doc: string;
  unset?: string;
  shown?: string;
  secret?: boolean;
  fromFile?: boolean;
}
export const env = <S extends z.ZodType>(name: string, schema: S, opts: SettingOptions) => ({ env: name, schema, ...opts });
export type Setting = { env: string; schema: z.ZodType } & SettingOptions;
export type SettingTree = { [key: string]: Setting | SettingTree };
export type Parsed<T> = { readonly [K in keyof T]: T[K] extends Setting ? z.output<T[K]['schema']> : Parsed<T[K]> };

export interface Leaf {
  path: string[];
  setting: Setting;
}

export function leaves(tree: SettingTree, path: string[] = []): Leaf[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    'env' in v && typeof v.env === 'string' ? [{ path: [...path, k], setting: v as Setting }] : leaves(v as SettingTree, [...path, k]),
  );
}

/** Puts each parsed variable where its setting lives in the tree. */
export function toTree(all: readonly Leaf[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { path, setting } of all) {
    let node = out;
    for (const k of path.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]!] = values[setting.env];
  }
  return out;
}

/**
 * `<NAME>_FILE` → the file's content as `<NAME>` (one trailing newline dropped), in `cleaned`.
 * Returns the problems: both set, an empty file, or one that cannot be read. The path is shown,
 * never the content.
 */
export function readSettingFiles(all: readonly Leaf[], cleaned: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const { setting } of all.filter((l) => l.setting.fromFile)) {
    const path = cleaned[`${setting.env}_FILE`];
    if (path === undefined) continue;
    if (cleaned[setting.env] !== undefined) {
      problems.push(`  ${setting.env}_FILE: set ${setting.env} or ${setting.env}_FILE, not both`);
      continue;
    }
    try {
      const text = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      if (text.trim() === '') problems.push(`  ${setting.env}_FILE: "${path}" is empty`);
      else cleaned[setting.env] = text;
    } catch (e) {
      problems.push(`  ${setting.env}_FILE: cannot read "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  return problems;
}

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
