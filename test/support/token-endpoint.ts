/**
 * A small OAuth 2.0 token endpoint for the OAUTHBEARER tests: the client-credentials grant with
 * HTTP Basic client authentication, answering unsigned JWTs (alg "none"), which the secured
 * local broker's OAuthBearerUnsecuredValidatorCallbackHandler accepts. The token's `sub` is the
 * Kafka principal. It keeps every token it issued, so a test can look for them in logs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenEndpoint {
  url: string;
  clientId: string;
  clientSecret: string;
  issued: string[];
  refused: number;
  close(): Promise<void>;
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

export async function startTokenEndpoint(o: { subject: string; lifetimeSeconds: number; clientId?: string; clientSecret?: string }): Promise<TokenEndpoint> {
  const clientId = o.clientId ?? 'enricher-client';
  const clientSecret = o.clientSecret ?? `secret-${Math.random().toString(36).slice(2)}`;
  const state = { issued: [] as string[], refused: 0 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':').map(decodeURIComponent);
      const form = new URLSearchParams(body);
      res.setHeader('content-type', 'application/json');
      if (req.method !== 'POST' || form.get('grant_type') !== 'client_credentials') {
        res.writeHead(400).end(JSON.stringify({ error: 'unsupported_grant_type' }));
        return;
      }
      if (id !== clientId || secret !== clientSecret) {
        state.refused++;
        res.writeHead(401).end(JSON.stringify({ error: 'invalid_client', error_description: 'client authentication failed' }));
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      const token = `${b64({ alg: 'none' })}.${b64({ sub: o.subject, iat: now - 1, exp: now + o.lifetimeSeconds, scope: form.get('scope') ?? '', jti: Math.random().toString(36).slice(2) })}.`;
      state.issued.push(token);
      res.writeHead(200).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: o.lifetimeSeconds }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`,
    clientId,
    clientSecret,
    get issued() {
      return state.issued;
    },
    get refused() {
      return state.refused;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
