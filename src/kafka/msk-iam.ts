/**
 * The hook for Amazon MSK IAM: MSK accepts SASL/OAUTHBEARER with a token that AWS's signer
 * (aws-msk-iam-sasl-signer-js) makes from the AWS credentials of the process (the default
 * chain: environment, web identity, ECS/EC2 role, ~/.aws). The package is not a dependency of
 * this project: install it next to it (`npm install aws-msk-iam-sasl-signer-js`) and set
 * KAFKA_SASL_MECHANISM=oauthbearer, KAFKA_OAUTH_TOKEN_PROVIDER=aws-msk-iam, KAFKA_AWS_REGION.
 *
 * Only the signer's documented call is used: generateAuthToken({ region }) resolving to
 * { token, expiryTime } (a base64url signed URL, and its end in epoch ms; 15 minutes by default).
 */
import { OAuthTokenError, type TokenSource } from './oauth-token.ts';

export const MSK_IAM_SIGNER_PACKAGE = 'aws-msk-iam-sasl-signer-js';

/** The part of aws-msk-iam-sasl-signer-js that the hook calls. */
export interface MskIamSigner {
  generateAuthToken(options: { region: string }): Promise<{ token: string; expiryTime: number }>;
}

export type ModuleImporter = (specifier: string) => Promise<unknown>;

/** Loads the signer package; a clear error, naming what to install and the setting, when it is missing. */
export async function loadMskIamSigner(importModule: ModuleImporter = (s) => import(s)): Promise<MskIamSigner> {
  let mod: unknown;
  try {
    mod = await importModule(MSK_IAM_SIGNER_PACKAGE);
  } catch {
    throw new OAuthTokenError(
      `KAFKA_OAUTH_TOKEN_PROVIDER=aws-msk-iam needs the package ${MSK_IAM_SIGNER_PACKAGE}: run \`npm install ${MSK_IAM_SIGNER_PACKAGE}\` next to the service`,
      { retriable: false, setting: 'KAFKA_OAUTH_TOKEN_PROVIDER' },
    );
  }
  const m = mod as { generateAuthToken?: unknown; default?: { generateAuthToken?: unknown } };
  const fn = m.generateAuthToken ?? m.default?.generateAuthToken;
  if (typeof fn !== 'function') {
    throw new OAuthTokenError(`${MSK_IAM_SIGNER_PACKAGE} has no generateAuthToken function: an unexpected version`, { retriable: false, setting: 'KAFKA_OAUTH_TOKEN_PROVIDER' });
  }
  return { generateAuthToken: fn as MskIamSigner['generateAuthToken'] };
}

/** Tokens from the signer; the signer is loaded once, on the first token asked for. */
export function mskIamTokenSource(region: string, signer: () => Promise<MskIamSigner> = () => loadMskIamSigner()): TokenSource {
  let loaded: Promise<MskIamSigner> | undefined;
  return async () => {
    loaded ??= signer();
    let answer: { token: string; expiryTime: number };
    try {
      answer = await (await loaded).generateAuthToken({ region });
    } catch (e) {
      if (e instanceof OAuthTokenError) {
        loaded = undefined;
        throw e;
      }
      // Usually no AWS credentials in reach, or STS briefly away: worth another try.
      throw new OAuthTokenError(`the MSK IAM signer could not make a token for region ${region}: ${(e as Error).message}`, { retriable: true, setting: 'KAFKA_AWS_REGION and the AWS credentials of the process' });
    }
    if (typeof answer?.token !== 'string' || !Number.isFinite(answer.expiryTime)) {
      throw new OAuthTokenError(`the MSK IAM signer answered without a token and expiryTime`, { retriable: false, setting: 'KAFKA_OAUTH_TOKEN_PROVIDER' });
    }
    return { value: answer.token, expiresAt: answer.expiryTime };
  };
}
