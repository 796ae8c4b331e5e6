#!/usr/bin/env node
// The CLI is TypeScript run by Node 24's type stripping. `npm run enricher -- …` and `npx enricher`
// use the Node 24 pinned in devDependencies; an older Node on PATH gets a clear message.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`enricher needs Node 24 (this is ${process.version}). Run it as \`npx enricher …\` or \`npm run enricher -- …\` in the project, which use the pinned Node 24.\n`);
  process.exit(1);
}
await import('../src/cli/main.ts');
