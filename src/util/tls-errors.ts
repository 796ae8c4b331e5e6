/**
 * What a failed TLS handshake means, from Node's error code: the same reading for Kafka and
 * Redis, each of which then names its own setting to fix.
 */
export type TlsFix =
  /** The server's certificate is signed by a CA we do not trust: give its CA file. */
  | 'trust-ca'
  /** The certificate does not name the host we connected to. */
  | 'hostname'
  /** The certificate is outside its validity dates. */
  | 'expired'
  /** The server refused our client certificate (or wanted one). */
  | 'client-certificate';

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);

export function tlsFix(code: string | undefined, message = ''): TlsFix | undefined {
  if (!code && !message) return undefined;
  if (code && UNTRUSTED.has(code)) return 'trust-ca';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /does not match certificate's altnames/i.test(message)) return 'hostname';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'expired';
  // The server's alerts after it read our certificate (or saw none): bad certificate, unknown CA, certificate required.
  if (/^ERR_SSL_.*ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE|ACCESS_DENIED)/.test(code ?? '')) return 'client-certificate';
  if (/alert (bad certificate|unknown ca|certificate required|certificate unknown)/i.test(message)) return 'client-certificate';
  return undefined;
}

/** A connection dropped before the handshake finished: a TLS client at a plaintext port, or the reverse. */
export function droppedDuringHandshake(code: string | undefined, message = ''): boolean {
  return code === 'ECONNRESET' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /before secure TLS connection was established|wrong version number|Closed connection/i.test(message);
}
