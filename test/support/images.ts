/** The image names of scripts/images/versions.sh: the one place they are written (compose, tests and docs are checked against it). */
import { readFileSync } from 'node:fs';

export interface Images {
  NODE_IMAGE: string;
  KAFKA_VERSION: string;
  KAFKA_IMAGE: string;
  REDIS_IMAGE: string;
  REGISTRY_VERSION: string;
  REGISTRY_IMAGE: string;
  APP_IMAGE: string;
  BASE_IMAGE: string;
}

export function images(): Images {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(new URL('../../scripts/images/versions.sh', import.meta.url), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!.replace(/\$([A-Z_]+)/g, (_, v: string) => vars[v] ?? '');
  }
  return vars as unknown as Images;
}
