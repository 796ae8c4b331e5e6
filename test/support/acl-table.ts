/** docs/connecting.md's ACL table, rendered from src/kafka/acls.ts with the default names. */
import { loadConfig } from '../../src/config.ts';
import { ACL_COMMANDS, requiredAcls, type AclRule } from '../../src/kafka/acls.ts';

const cell = (rules: AclRule[], resource: AclRule['resource']) =>
  rules
    .filter((r) => r.resource === resource)
    .map((r) => `${r.pattern === 'PREFIXED' ? 'prefix ' : ''}\`${r.name}\`: ${r.operations.join(', ')}`)
    .join('<br>') || '—';

export function aclTableMarkdown(): string {
  const c = loadConfig({});
  const rows = ACL_COMMANDS.map((command) => {
    const rules = requiredAcls(c, command);
    const cluster = rules.some((r) => r.resource === 'CLUSTER') ? '<br>cluster: CREATE' : '';
    return `| \`enricher ${command}\` | ${cell(rules, 'TOPIC')}${cluster} | ${cell(rules, 'GROUP')} | ${cell(rules, 'TRANSACTIONAL_ID')} |`;
  });
  return ['| command | topics | consumer groups | transactional ids |', '|---|---|---|---|', ...rows].join('\n');
}
