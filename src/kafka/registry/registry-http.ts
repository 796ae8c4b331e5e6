/**
 * A small client for the parts of the Confluent REST API the schema-registry library does not
 * expose (compatibility levels, subject and version listings, compatibility checks). It shares
 * the library's connection settings: the same agent (TLS CA) and basic auth.
 */
import http from 'node:http';
import https from 'node:https';

export interface RegistryConnection {
  /** Base URL, including a path prefix such as Apicurio's /apis/ccompat/v7. */
  url: string;
  auth: { username: string; password: string } | undefined;
  agent: http.Agent;
  timeoutMs: number;
}

/** A failed call. status 0: no HTTP answer at all (refused, reset, timed out). */
export class RegistryHttpError extends Error {
  readonly status: number;
  readonly errorCode: number | undefined;
  constructor(message: string, status: number, errorCode: number | undefined) {
    super(message);
    this.name = 'RegistryHttpError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

export type RegistryRequest = (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => Promise<unknown>;

export function createAgent(url: string, ca: string | undefined): http.Agent {
  return url.startsWith('https:') ? new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) }) : new http.Agent({ keepAlive: true });
}

/** The URL without credentials, for log lines and error messages. */
export function displayUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString().replace(/\/$/, '');
}

export function createRegistryRequest(conn: RegistryConnection): RegistryRequest {
  const base = conn.url.replace(/\/+$/, '');
  const authHeader = conn.auth ? `Basic ${Buffer.from(`${conn.auth.username}:${conn.auth.password}`).toString('base64')}` : undefined;
  return (method, path, body) =>
    new Promise((resolve, reject) => {
      const target = new URL(base + path);
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = (target.protocol === 'https:' ? https : http).request(
        target,
        {
          method,
          agent: conn.agent,
          timeout: conn.timeoutMs,
          headers: {
            accept: 'application/vnd.schemaregistry.v1+json, application/json',
            ...(payload ? { 'content-type': 'application/vnd.schemaregistry.v1+json', 'content-length': payload.length } : {}),
            ...(authHeader ? { authorization: authHeader } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(json);
            const err = json as { message?: unknown; error_code?: unknown } | undefined;
            const message = typeof err?.message === 'string' ? err.message : `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
            reject(new RegistryHttpError(message, status, typeof err?.error_code === 'number' ? err.error_code : undefined));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${conn.timeoutMs} ms`)));
      req.on('error', (e) => reject(new RegistryHttpError(`${method} ${displayUrl(base)}${path}: ${e.message}`, 0, undefined)));
      req.end(payload);
    });
}
