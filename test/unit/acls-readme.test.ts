import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ACL_COMMANDS, mergeAcls, requiredAcls } from '../../src/kafka/acls.ts';
import { aclTableMarkdown } from '../support/acl-table.ts';

describe('the ACLs each command needs', () => {
  it('are the README\'s table (the secured stack grants exactly these; the security tests run with them)', () => {
    const readme = readFileSync(new URL('../../docs/connecting.md', import.meta.url), 'utf8');
    const block = /<!-- acl-table:[^>]*-->\n([\s\S]*?)\n<!-- \/acl-table -->/.exec(readme)?.[1];
    expect(block, 'docs/connecting.md has no acl-table block').toBeDefined();
    expect(block!.trim()).toBe(aclTableMarkdown());
  });

  it('follow the configured names and prefixes', () => {
    const c = loadConfig({ KAFKA_GROUP_ID: 'enr', TOPIC_RAW: 'in', TOPIC_RETRY_PREFIX: 'r', COST_AGGREGATOR_GROUP_ID: 'costs-agg' });
    const start = requiredAcls(c, 'start');
    expect(start).toContainEqual({ resource: 'TOPIC', pattern: 'LITERAL', name: 'in', operations: ['READ'] });
    expect(start).toContainEqual({ resource: 'TOPIC', pattern: 'PREFIXED', name: 'r.', operations: ['READ', 'WRITE'] });
    expect(start).toContainEqual({ resource: 'TRANSACTIONAL_ID', pattern: 'PREFIXED', name: 'enr', operations: ['WRITE'] });
    // An aggregator group outside the prefix gets its own rule.
    expect(requiredAcls(c, 'aggregate-costs')).toContainEqual({ resource: 'GROUP', pattern: 'PREFIXED', name: 'costs-agg', operations: ['READ', 'DELETE'] });
  });

  it('are what `enricher acls` prints, with the configured names, and nothing is granted without --principal', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const r = spawnSync(process.execPath, ['src/cli/main.ts', 'acls', '--command', 'redrive'], {
      cwd: root, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TOPIC_DLQ: 'acme.dlq', KAFKA_GROUP_ID: 'acme' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const printed = r.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    const expected = requiredAcls(loadConfig({ TOPIC_DLQ: 'acme.dlq', KAFKA_GROUP_ID: 'acme' }), 'redrive');
    expect(printed.map((cells) => cells.find((c) => c.startsWith('acme') || c.startsWith('documents')))).toEqual(expected.map((x) => x.name));
    expect(r.stdout).toContain('acme.dlq.redriven');
  });

  it('merge into one rule per resource', () => {
    const all = mergeAcls(ACL_COMMANDS.flatMap((cmd) => requiredAcls(loadConfig({}), cmd)));
    const raw = all.filter((r) => r.resource === 'TOPIC' && r.name === 'documents.raw');
    expect(raw).toHaveLength(1);
    expect(new Set(raw[0]!.operations)).toEqual(new Set(['READ', 'WRITE', 'DESCRIBE']));
  });
});
