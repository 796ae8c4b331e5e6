import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { configErrorMessage } from '../support/config-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'registry-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const errorOf = configErrorMessage;
const URL_ = 'https://registry.example:8081/apis/ccompat/v7';

describe('schema registry settings', () => {
  it('are off by default: no URL, no credentials', () => {
    const c = loadConfig({});
    expect(c.schemaRegistry.url).toBeUndefined();
    expect(c.schemaRegistry.auth).toBeUndefined();
    expect(c.schemaRegistry.ca).toBeUndefined();
  });

  it('take basic auth from the variables or from files', () => {
    expect(loadConfig({ SCHEMA_REGISTRY_URL: URL_, SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' }).schemaRegistry.auth).toEqual({ username: 'u', password: 'p' });
    const c = loadConfig({
      SCHEMA_REGISTRY_URL: URL_,
      SCHEMA_REGISTRY_USERNAME_FILE: file('user', 'svc-enricher\n'),
      SCHEMA_REGISTRY_PASSWORD_FILE: file('pass', 's3cret\n'),
      SCHEMA_REGISTRY_CA_FILE: file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'),
    });
    expect(c.schemaRegistry.auth).toEqual({ username: 'svc-enricher', password: 's3cret' });
    expect(c.schemaRegistry.ca).toContain('BEGIN CERTIFICATE');
  });

  it('name the variable of every mistake', () => {
    expect(errorOf({ SCHEMA_REGISTRY_URL: 'registry:8081' })).toContain('SCHEMA_REGISTRY_URL');
    expect(errorOf({ SCHEMA_REGISTRY_URL: 'ftp://registry/' })).toContain('SCHEMA_REGISTRY_URL');
    expect(errorOf({ SCHEMA_REGISTRY_URL: URL_, SCHEMA_REGISTRY_USERNAME: 'u' })).toContain('SCHEMA_REGISTRY_PASSWORD: basic auth needs both');
    expect(errorOf({ SCHEMA_REGISTRY_URL: URL_, SCHEMA_REGISTRY_PASSWORD: 'p' })).toContain('SCHEMA_REGISTRY_USERNAME: basic auth needs both');
    expect(errorOf({ SCHEMA_REGISTRY_URL: URL_, SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p', SCHEMA_REGISTRY_PASSWORD_FILE: file('p2', 'x') }))
      .toContain('SCHEMA_REGISTRY_PASSWORD_FILE: set SCHEMA_REGISTRY_PASSWORD or SCHEMA_REGISTRY_PASSWORD_FILE, not both');
    expect(errorOf({ SCHEMA_REGISTRY_URL: URL_, SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD_FILE: join(dir, 'missing') })).toContain('SCHEMA_REGISTRY_PASSWORD_FILE: cannot read');
    expect(errorOf({ SCHEMA_REGISTRY_URL: URL_, SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD_FILE: file('empty', '\n') })).toMatch(/SCHEMA_REGISTRY_PASSWORD_FILE: ".*" is empty/);
    expect(errorOf({ SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' })).toContain('SCHEMA_REGISTRY_URL: required');
    expect(errorOf({ SCHEMA_REGISTRY_URL: 'http://registry:8081', SCHEMA_REGISTRY_CA_FILE: file('ca2', 'x') })).toContain('SCHEMA_REGISTRY_CA_FILE: needs an https://');
  });

  it('never echo a password or a URL that may carry one', () => {
    const msg = errorOf({ SCHEMA_REGISTRY_URL: 'not a url with hunter2', SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'hunter2', SCHEMA_REGISTRY_PASSWORD_FILE: file('p3', 'hunter2') });
    expect(msg).toContain('SCHEMA_REGISTRY_URL');
    expect(msg).not.toContain('hunter2');
  });
});
