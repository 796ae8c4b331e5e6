/**
 * One Node major everywhere: the pinned devDependency that runs the code, the check in
 * bin/enricher.mjs that stops any other Node, .nvmrc and the service image. Bumping one
 * without the others would let the code run on a Node nothing was tested on, or refuse the
 * pinned one.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

it('the pinned node, the bin check, .nvmrc, the Dockerfile and the running tests agree on the Node major', () => {
  const pkg = JSON.parse(read('package.json')) as { devDependencies: Record<string, string>; engines?: Record<string, string> };
  const pinned = Number(/^\^?(\d+)\./.exec(pkg.devDependencies.node ?? '')?.[1]);
  expect(pinned).toBeGreaterThan(0);
  expect(Number(/const NODE_MAJOR = (\d+);/.exec(read('bin/enricher.mjs'))?.[1])).toBe(pinned);
  expect(Number(read('.nvmrc').trim())).toBe(pinned);
  expect(Number(/^FROM node:(\d+)/m.exec(read('Dockerfile'))?.[1])).toBe(pinned);
  expect(Number(process.versions.node.split('.')[0])).toBe(pinned);
});

it('engines asks nothing of the node on PATH, which only runs npm (else npm warns EBADENGINE at every first npx)', () => {
  const pkg = JSON.parse(read('package.json')) as { engines?: Record<string, string> };
  expect(pkg.engines?.node).toBeUndefined();
});
