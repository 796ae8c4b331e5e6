/**
 * The container files against the code and against each other: scripts/images/versions.sh is the
 * one place of the image names; docker-compose.yml, the Dockerfile, the local stack, the docs and
 * deploy/kubernetes/ must agree with it, and every variable they set must be a real setting.
 * deploy/kubernetes/ is on paper (not applied to a cluster here): this is what holds it to the code.
 * (YAML is read with `yaml`, which the dev tools bring: vitest's vite and testcontainers.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config.ts';
import { SETTINGS } from '../../src/config/settings.ts';
import { leaves, type SettingTree } from '../../src/config/setting-tree.ts';
import { images } from '../support/images.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const v = images();
const settings = leaves(SETTINGS as unknown as SettingTree).map((l) => l.setting);
const known = new Set(settings.flatMap((s) => (s.fromFile ? [s.env, `${s.env}_FILE`] : [s.env])));

type Service = { image?: string; command?: string[]; environment?: Record<string, unknown>; ports?: string[] };
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const appServices = Object.entries(compose.services).filter(([, s]) => s.image === v.APP_IMAGE);

describe('image versions: one place (scripts/images/versions.sh)', () => {
  it('docker-compose.yml, the Dockerfile and the local stack use its images and versions', () => {
    const used = new Set(Object.values(compose.services).map((s) => s.image));
    expect(used).toEqual(new Set([v.KAFKA_IMAGE, v.REDIS_IMAGE, v.REGISTRY_IMAGE, v.APP_IMAGE]));
    expect([...read('Dockerfile').matchAll(/^FROM (\S+)/gm)].map((m) => m[1])).toEqual([v.NODE_IMAGE, v.NODE_IMAGE]);
    expect(read('scripts/local-stack/up.sh')).toContain(`KAFKA_VERSION=\${LOCAL_KAFKA_VERSION:-${v.KAFKA_VERSION}}`);
    expect(read('scripts/local-stack/registry.sh')).toContain(`VERSION=\${LOCAL_REGISTRY_VERSION:-${v.REGISTRY_VERSION}}`);
    expect(read('scripts/images/kafka/pom.xml')).toContain(`<kafka.version>${v.KAFKA_VERSION}</kafka.version>`);
  });

  it('docs/containers.md names the same images', () => {
    const doc = read('docs/containers.md');
    for (const image of [v.NODE_IMAGE, v.KAFKA_IMAGE, v.REDIS_IMAGE, v.REGISTRY_IMAGE, v.APP_IMAGE]) expect(doc).toContain(`\`${image}\``);
  });
});

describe('docker-compose.yml against the code', () => {
  it('sets only real settings on the service image, with the CLI commands that exist', () => {
    expect(appServices.map(([name]) => name).sort()).toEqual(['cost-aggregator', 'enricher-1', 'enricher-2', 'loader', 'review', 'review-users', 'topics']);
    for (const [name, s] of appServices) {
      const unknown = Object.keys(s.environment ?? {}).filter((k) => !known.has(k) && !(name === 'review-users' && k.startsWith('REVIEW_')));
      expect(unknown, name).toEqual([]);
    }
    const commands = appServices.map(([, s]) => s.command?.[0]).filter((c) => c && !c.includes(' '));
    const main = read('src/cli/main.ts') + ['start', 'topics', 'produce', 'aggregate', 'review'].map((f) => read(`src/cli/${f}.ts`)).join('');
    for (const c of commands) expect(main).toMatch(new RegExp(`\\.command\\('${c}'`));
  });

  it('publishes only on the host loopback', () => {
    for (const s of Object.values(compose.services)) for (const p of s.ports ?? []) expect(p).toMatch(/^127\.0\.0\.1:/);
  });
});

describe('deploy/kubernetes against the code', () => {
  const docs = parseAllDocuments(read('deploy/kubernetes/processor.yaml')).map((d) => d.toJS() as Record<string, any>);
  const kind = (k: string) => docs.find((d) => d.kind === k)!;
  const deployment = kind('Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const env = Object.fromEntries((container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));

  it('runs the image and command of the code, with real settings only', () => {
    expect(docs.map((d) => d.kind)).toEqual(['Deployment', 'PodDisruptionBudget', 'ScaledObject']);
    expect(container.image).toBe(v.APP_IMAGE);
    expect(container.args).toEqual(['start']);
    expect(Object.keys(env).filter((k) => !known.has(k))).toEqual([]);
    // Valid as a whole, with each *_FILE standing for its mounted secret.
    const secrets = Object.fromEntries(Object.keys(env).filter((k) => k.endsWith('_FILE')).map((k) => [k.slice(0, -5), 'from-the-secret']));
    expect(() => loadConfig({ ...Object.fromEntries(Object.entries(env).filter(([k]) => !k.endsWith('_FILE'))), ...secrets })).not.toThrow();
    // The image's user (Dockerfile: USER node, uid 1000).
    expect(read('Dockerfile')).toMatch(/^USER node$/m);
    expect(pod.securityContext.runAsUser).toBe(1000);
  });

  it('probes the endpoints the processor serves, on its METRICS_PORT', () => {
    const port = container.ports.find((p: { name: string }) => p.name === 'metrics');
    expect(String(port.containerPort)).toBe(env.METRICS_PORT);
    const http = read('src/observability/http.ts');
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const get = container[probe].httpGet;
      expect(get.port).toBe('metrics');
      expect(http).toContain(`req.url === '${get.path}'`);
    }
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
  });

  it('gives SIGTERM more time than SHUTDOWN_TIMEOUT', () => {
    const shutdownMs = loadConfig({ SHUTDOWN_TIMEOUT: env.SHUTDOWN_TIMEOUT! }).processing.shutdownTimeoutMs;
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(shutdownMs);
  });

  it('the PodDisruptionBudget and the ScaledObject select this Deployment', () => {
    expect(kind('PodDisruptionBudget').spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(kind('ScaledObject').spec.scaleTargetRef.name).toBe(deployment.metadata.name);
  });

  it('KEDA scales on the lag of documents.raw of the processor group, capped by the shared pool and the partitions', () => {
    const scaled = kind('ScaledObject').spec;
    const config = loadConfig(Object.fromEntries(Object.entries(env).filter(([k]) => !k.endsWith('_FILE') && k !== 'LLM_PROVIDER')));
    const trigger = scaled.triggers[0];
    expect(trigger.type).toBe('kafka');
    expect(trigger.metadata.topic).toBe(config.topics.raw);
    expect(trigger.metadata.consumerGroup).toBe(config.kafka.groupId);
    expect(trigger.metadata.bootstrapServers).toBe(env.KAFKA_BROKERS);
    expect(env.REDIS_URL).toBeTruthy(); // one pool for the deployment: the cap below is global
    expect(scaled.maxReplicaCount).toBe(Math.min(config.llm.poolSlots, config.topics.partitions));
  });
});
