/**
 * The rules across settings, checked on the environment's text (after `<NAME>_FILE` is read) so
 * that every problem is named at once, even when a single variable failed to parse. Each line
 * names the variable to fix.
 */
import { readFileSync } from 'node:fs';

type Env = Record<string, string>;

/** Whether a host name or address is this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The files a TLS setting names must be readable PEM files; checked at start, before anything connects. */
function pemFileProblem(name: string, path: string | undefined): string[] {
  if (path === undefined) return [];
  try {
    if (!readFileSync(path, 'utf8').includes('-----BEGIN ')) return [`  ${name}: "${path}" is not a PEM file (no "-----BEGIN" line)`];
    return [];
  } catch (e) {
    return [`  ${name}: cannot read "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`];
  }
}

/** What each SASL mechanism and TLS option needs, to Kafka and to Redis. */
function connectionRules(c: Env): string[] {
  const out: string[] = [];
  const need = (name: string, why: string) => c[name] === undefined && out.push(`  ${name}: required ${why}`);
  const mechanism = c.KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  const ssl = ['true', '1', 'yes'].includes(c.KAFKA_SSL?.trim().toLowerCase() ?? '');
  for (const name of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'KAFKA_SSL_REJECT_UNAUTHORIZED']) {
    if (c[name] !== undefined && !ssl) out.push(`  ${name}: only applies with KAFKA_SSL=true`);
  }
  if ((c.KAFKA_SSL_CERT_FILE === undefined) !== (c.KAFKA_SSL_KEY_FILE === undefined)) {
    out.push('  KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE: mutual TLS needs both the certificate and its key');
  }
  if (mechanism === 'plain' || mechanism?.startsWith('scram-')) {
    need('KAFKA_SASL_USERNAME', `with KAFKA_SASL_MECHANISM=${mechanism} (or KAFKA_SASL_USERNAME_FILE)`);
    need('KAFKA_SASL_PASSWORD', `with KAFKA_SASL_MECHANISM=${mechanism} (or KAFKA_SASL_PASSWORD_FILE)`);
  } else if (mechanism === undefined && (c.KAFKA_SASL_USERNAME ?? c.KAFKA_SASL_PASSWORD) !== undefined) {
    out.push('  KAFKA_SASL_MECHANISM: required with KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD (plain, scram-sha-256, scram-sha-512)');
  }
  const oauthSet = Object.keys(c).filter((n) => /^KAFKA_(OAUTH|AWS)_/.test(n));
  if (mechanism === 'oauthbearer') {
    if ((c.KAFKA_OAUTH_TOKEN_PROVIDER ?? 'client-credentials') === 'client-credentials') {
      need('KAFKA_OAUTH_TOKEN_URL', 'with KAFKA_SASL_MECHANISM=oauthbearer');
      need('KAFKA_OAUTH_CLIENT_ID', 'with KAFKA_SASL_MECHANISM=oauthbearer (or KAFKA_OAUTH_CLIENT_ID_FILE)');
      need('KAFKA_OAUTH_CLIENT_SECRET', 'with KAFKA_SASL_MECHANISM=oauthbearer (or KAFKA_OAUTH_CLIENT_SECRET_FILE)');
    } else {
      need('KAFKA_AWS_REGION', 'with KAFKA_OAUTH_TOKEN_PROVIDER=aws-msk-iam');
    }
  } else if (oauthSet.length > 0) {
    out.push(`  ${oauthSet.join(', ')}: only apply with KAFKA_SASL_MECHANISM=oauthbearer`);
  }
  if (c.REDIS_TLS_CA_FILE !== undefined && !c.REDIS_URL?.startsWith('rediss://')) {
    out.push('  REDIS_TLS_CA_FILE: needs a rediss:// REDIS_URL (TLS)');
  }
  for (const name of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'REDIS_TLS_CA_FILE']) out.push(...pemFileProblem(name, c[name]));
  return out;
}

/** The registry's basic auth comes in pairs, and its credentials and CA need a URL to go to. */
function schemaRegistryRules(c: Env): string[] {
  const out: string[] = [];
  const user = c.SCHEMA_REGISTRY_USERNAME !== undefined;
  const password = c.SCHEMA_REGISTRY_PASSWORD !== undefined;
  if (user !== password) out.push(`  SCHEMA_REGISTRY_${user ? 'PASSWORD' : 'USERNAME'}: basic auth needs both a username and a password`);
  const url = (c.SCHEMA_REGISTRY_URL ?? '').trim();
  if ((user || password || c.SCHEMA_REGISTRY_CA_FILE !== undefined) && url === '') out.push('  SCHEMA_REGISTRY_URL: required when the registry\'s credentials or CA are set');
  if (c.SCHEMA_REGISTRY_CA_FILE !== undefined && url !== '' && !url.startsWith('https://')) out.push('  SCHEMA_REGISTRY_CA_FILE: needs an https:// SCHEMA_REGISTRY_URL');
  return out;
}

/**
 * A topic whose min ISR exceeds its replica count refuses every acks=all write (our transactions
 * use acks=all), so the pair is checked at start rather than found at the first commit.
 */
function topicReplicationRules(c: Env): string[] {
  // As the settings' parser reads them; a value it refuses is named by it, not here.
  const wholeNumber = (s: string | undefined) => (s !== undefined && s.trim() !== '' && Number.isInteger(Number(s)) ? Number(s) : undefined);
  const minIsr = wholeNumber(c.TOPIC_MIN_INSYNC_REPLICAS);
  const factor = c.TOPIC_REPLICATION_FACTOR === undefined ? 1 : wholeNumber(c.TOPIC_REPLICATION_FACTOR);
  if (minIsr === undefined || factor === undefined || minIsr <= factor) return [];
  return [`  TOPIC_MIN_INSYNC_REPLICAS: must not exceed TOPIC_REPLICATION_FACTOR (${factor}${c.TOPIC_REPLICATION_FACTOR === undefined ? ', its default' : ''}): a topic with fewer replicas than its min ISR refuses every acks=all write, and all of ours are`];
}

/** Every rule across settings; `c` is the environment after `<NAME>_FILE` was read. */
export function crossSettingProblems(c: Env): string[] {
  const out = [...connectionRules(c), ...schemaRegistryRules(c), ...topicReplicationRules(c)];
  if ((c.LLM_PROVIDER ?? '').trim() === 'openai' && !(c.OPENAI_API_KEY ?? '').trim()) out.push('  OPENAI_API_KEY: required when LLM_PROVIDER=openai');
  const categories = c.CATEGORIES?.split(',').map((x) => x.trim());
  if (categories && !categories.includes('other')) out.push('  CATEGORIES: must include "other", the category for text that fits none');
  if (c.SHADOW_MODEL === undefined && c.SHADOW_PROMPTS_DIR === undefined) {
    for (const name of ['SHADOW_SAMPLE', 'SHADOW_BUDGET_SHARE']) if (c[name] !== undefined) out.push(`  ${name}: only applies with SHADOW_MODEL or SHADOW_PROMPTS_DIR (the shadow is off)`);
  }
  if ((c.REVIEW_ANONYMOUS_ROLE ?? 'off') !== 'off' && !isLoopbackHost((c.REVIEW_HOST ?? '127.0.0.1').trim())) {
    out.push('  REVIEW_ANONYMOUS_ROLE: anonymous access is only allowed when REVIEW_HOST is a loopback address (127.0.0.1, ::1, localhost)');
  }
  return out;
}
