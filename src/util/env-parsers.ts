/**
 * Parsers of environment values, for the settings tree in config.ts: each turns the text of a
 * variable into a typed value or an issue that names what was expected.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDurationMs } from './duration.ts';

export const duration = z.string().transform((s, ctx) => {
  const ms = parseDurationMs(s);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 10s, 2m or 7d, got "${s}"` });
    return z.NEVER;
  }
  return ms;
});
export const durationList = z.string().transform((s, ctx) => {
  const parts = s.split(',').map((p) => p.trim()).filter(Boolean);
  const out: number[] = [];
  for (const p of parts) {
    const ms = parseDurationMs(p);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `expected a comma-separated list of durations (10s,20s,40s), got "${p}"` });
      return z.NEVER;
    }
    out.push(ms);
  }
  if (out.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'needs at least one delay' });
    return z.NEVER;
  }
  return out;
});
export const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
export const list = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));
export const optionalString = z.string().optional().transform((s) => (s === undefined || s.trim() === '' ? undefined : s.trim()));
export const optionalPositive = (integer: boolean) =>
  z.string().optional().transform((s, ctx) => {
    if (s === undefined || s.trim() === '') return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      ctx.addIssue({ code: 'custom', message: `expected a positive ${integer ? 'integer' : 'number'}` });
      return z.NEVER;
    }
    return n;
  });

export const bool = z.string().trim().toLowerCase().pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'])).transform((s) => ['true', '1', 'yes'].includes(s));
export const saslMechanism = z.string().trim().toLowerCase().pipe(z.enum(['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'])).optional();
/** SASL extensions for OAUTHBEARER as key=value pairs (Confluent Cloud: logicalCluster=lkc-…,identityPoolId=pool-…). */
export const extensions = optionalString.transform((s, ctx) => {
  if (s === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const pair of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [k, ...v] = pair.split('=');
    if (!k || !/^[A-Za-z]+$/.test(k) || v.length === 0 || k === 'auth') {
      ctx.addIssue({ code: 'custom', message: 'expected key=value pairs separated by commas, keys of letters only (not "auth")' });
      return z.NEVER;
    }
    out[k] = v.join('=');
  }
  return out;
});

/** A file named by a variable, read once at start: its (trimmed) text is the value (a PEM CA, say). */
export const fileText = optionalString.transform((path, ctx) => {
  if (path === undefined) return undefined;
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (text === '') throw new Error('the file is empty');
    return text;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${path}: ${(e as Error).message}` });
    return z.NEVER;
  }
});

/**
 * The OpenTelemetry list form `key1=value1,key2=value2` (OTEL_EXPORTER_OTLP_HEADERS,
 * OTEL_RESOURCE_ATTRIBUTES): values are percent-decoded, as the specification says.
 */
export const keyValueList = optionalString.transform((s, ctx) => {
  if (s === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const pair of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at).trim() : '';
    if (!key) {
      ctx.addIssue({ code: 'custom', message: 'expected key=value pairs separated by commas' });
      return z.NEVER;
    }
    try {
      out[key] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      ctx.addIssue({ code: 'custom', message: `the value of "${key}" is not valid percent-encoding` });
      return z.NEVER;
    }
  }
  return out;
});
