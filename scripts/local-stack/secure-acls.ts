/**
 * Grants the secured local broker's `app` user exactly the rights the README lists for every
 * command (src/kafka/acls.ts, with the default names), as the super user `admin`. `norights`
 * gets none. Idempotent: Kafka ignores an ACL that exists already.
 * Usage (from secure-broker.sh): node secure-acls.ts <credentials.env> <ca.pem> <host:port>
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config.ts';
import { ACL_COMMANDS, grantAcls, mergeAcls, requiredAcls } from '../../src/kafka/acls.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { createLogger } from '../../src/observability/logger.ts';

const [credsFile, caFile, brokers] = process.argv.slice(2);
if (!credsFile || !caFile || !brokers) throw new Error('usage: secure-acls.ts <credentials.env> <ca.pem> <host:port>');
const creds = Object.fromEntries(readFileSync(credsFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split('=', 2) as [string, string]));

const defaults = loadConfig({});
const admin = loadConfig({
  KAFKA_BROKERS: brokers, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: caFile,
  KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'admin', KAFKA_SASL_PASSWORD: creds.ADMIN_PASSWORD!,
});
const client = createKafka(admin, createLogger({ level: 'warn', name: 'secure-acls' }), '-acls').admin();
await client.connect();
try {
  const rules = mergeAcls(ACL_COMMANDS.flatMap((c) => requiredAcls(defaults, c)));
  await grantAcls(client, 'User:app', rules);
  process.stderr.write(`[local-stack --secure] User:app granted ${rules.length} ACL rules (the README's list); User:norights none\n`);
} finally {
  await client.disconnect();
}
