/**
 * OAUTHBEARER tokens for KafkaJS. KafkaJS asks its `oauthBearerProvider` for a token on every
 * (re)authentication of every connection and leaves caching to us: one token is shared until it
 * nears its end, then replaced before it expires, with one request at a time to the source.
 *
 * Two sources: the OAuth 2.0 client-credentials flow (Confluent Cloud, Aiven, Keycloak, Okta,
 * Entra ID…), and Amazon MSK IAM through AWS's signer (aws-msk-iam-sasl-signer-js), which is
 * the documented hook: it is loaded only when KAFKA_OAUTH_TOKEN_PROVIDER=aws-msk-iam.
 *
 * A token's value never reaches a log line or an error message.
 */
import type { Logger } from '../observability/logger.ts';
import { scrubSecrets } from '../util/redact.ts';

export interface BearerToken {
  value: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** Fetches a new token. */
export type TokenSource = () => Promise<BearerToken>;

/** What KafkaJS's `oauthBearerProvider` returns. */
export interface OAuthBearerAnswer {
  value: string;
  extensions?: Record<string, string>;
}

/**
 * A token that cannot be had. `retriable` tells KafkaJS whether to try again (an endpoint that
 * is down) or give up (credentials refused); `setting` names what to fix.
 */
export class OAuthTokenError extends Error {
  readonly retriable: boolean;
  readonly setting: string;
  constructor(message: string, opts: { retriable: boolean; setting: string }) {
    super(message);
    this.name = 'OAuthTokenError';
    this.retriable = opts.retriable;
    this.setting = opts.setting;
  }
}

/** Share of a token's lifetime after which it is replaced (the Java client refreshes at 80 % too). */
const REFRESH_AT = 0.8;
/** After a failed refresh while the current token still works, ask the source again at most this often. */
const RETRY_AFTER_FAILURE_MS = 5_000;

export function createRefreshingTokenProvider(o: {
  source: TokenSource;
  /**
   * A token handed out must live at least this long: KafkaJS re-authenticates a connection this
   * close to the end of its session (reauthenticationThreshold plus a margin), and a token
   * shorter than that would have it re-authenticate on every request.
   */
  minValidityMs: number;
  extensions?: Readonly<Record<string, string>> | undefined;
  logger: Logger;
  now?: () => number;
}): () => Promise<OAuthBearerAnswer> {
  const now = o.now ?? Date.now;
  let current: (BearerToken & { obtainedAt: number }) | undefined;
  let inflight: Promise<BearerToken & { obtainedAt: number }> | undefined;
  let lastFailure = -Infinity;

  const usable = (t: BearerToken) => t.expiresAt - now() > 1_000;
  const fresh = (t: BearerToken & { obtainedAt: number }) =>
    now() < t.obtainedAt + REFRESH_AT * (t.expiresAt - t.obtainedAt) && t.expiresAt - now() > o.minValidityMs;

  function fetchToken(): Promise<BearerToken & { obtainedAt: number }> {
    inflight ??= (async () => {
      try {
        const obtainedAt = now();
        const t = await o.source();
        if (!t.value) throw new OAuthTokenError('the token source returned an empty token', { retriable: true, setting: 'KAFKA_OAUTH_TOKEN_URL' });
        current = { ...t, obtainedAt };
        o.logger.info({ component: 'kafka-oauth', expiresInMs: t.expiresAt - obtainedAt }, 'Kafka OAuth token obtained');
        return current;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  async function token(): Promise<BearerToken> {
    if (current && fresh(current)) return current;
    if (current && usable(current) && now() - lastFailure < RETRY_AFTER_FAILURE_MS) return current;
    try {
      return await fetchToken();
    } catch (e) {
      lastFailure = now();
      // The token in hand still works: keep using it and try again later, rather than fail a connection.
      if (current && usable(current)) {
        o.logger.warn({ component: 'kafka-oauth', err: (e as Error).message, expiresInMs: current.expiresAt - now() }, 'Kafka OAuth token refresh failed; using the current token until it expires');
        return current;
      }
      throw e;
    }
  }

  return async () => {
    const t = await token();
    return o.extensions ? { value: t.value, extensions: { ...o.extensions } } : { value: t.value };
  };
}

/** The `exp` claim of a JWT, in epoch ms, if the token is a JWT that has one. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string | undefined;
}

const form = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);

/**
 * The client-credentials grant (RFC 6749 §4.4), authenticated with HTTP Basic as §2.3.1 asks
 * (the Java Kafka client does the same). The lifetime is `expires_in`, else the JWT's `exp`.
 */
export function clientCredentialsSource(c: ClientCredentials, deps: { fetch?: typeof fetch; now?: () => number; timeoutMs?: number } = {}): TokenSource {
  const doFetch = deps.fetch ?? fetch;
  const now = deps.now ?? Date.now;
  const endpoint = new URL(c.tokenUrl);
  const where = `${endpoint.origin}${endpoint.pathname}`;
  const secrets = [c.clientSecret];
  return async () => {
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(c.scope ? { scope: c.scope } : {}) });
    const basic = Buffer.from(`${form(c.clientId)}:${form(c.clientSecret)}`).toString('base64');
    let res: Response;
    try {
      res = await doFetch(c.tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
      });
    } catch (e) {
      const inner = (e as { cause?: { code?: string; message?: string } }).cause;
      const cause = inner?.code ?? inner?.message ?? (e as Error).message;
      throw new OAuthTokenError(`cannot reach the OAuth token endpoint ${where} (KAFKA_OAUTH_TOKEN_URL): ${scrubSecrets(cause, secrets)}`, { retriable: true, setting: 'KAFKA_OAUTH_TOKEN_URL' });
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not JSON: the status says enough.
    }
    if (!res.ok) {
      const said = [json.error, json.error_description].filter((x) => typeof x === 'string').join(': ').slice(0, 200);
      const refused = res.status === 400 || res.status === 401 || res.status === 403;
      throw new OAuthTokenError(
        `the OAuth token endpoint ${where} answered ${res.status}${said ? ` (${scrubSecrets(said, secrets)})` : ''}: ` +
          (refused ? 'check KAFKA_OAUTH_CLIENT_ID, KAFKA_OAUTH_CLIENT_SECRET and KAFKA_OAUTH_SCOPE' : 'check KAFKA_OAUTH_TOKEN_URL'),
        { retriable: !refused, setting: refused ? 'KAFKA_OAUTH_CLIENT_ID / KAFKA_OAUTH_CLIENT_SECRET' : 'KAFKA_OAUTH_TOKEN_URL' },
      );
    }
    const value = json.access_token;
    if (typeof value !== 'string' || value === '') {
      throw new OAuthTokenError(`the OAuth token endpoint ${where} answered without an access_token: check KAFKA_OAUTH_TOKEN_URL`, { retriable: false, setting: 'KAFKA_OAUTH_TOKEN_URL' });
    }
    const expiresIn = Number(json.expires_in);
    const expiresAt = Number.isFinite(expiresIn) && expiresIn > 0 ? now() + expiresIn * 1000 : jwtExpiry(value);
    if (expiresAt === undefined) {
      throw new OAuthTokenError(`the OAuth token endpoint ${where} gave no expires_in and the token has no exp claim: its lifetime is unknown`, { retriable: false, setting: 'KAFKA_OAUTH_TOKEN_URL' });
    }
    return { value, expiresAt };
  };
}
