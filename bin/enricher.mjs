#!/usr/bin/env node
// The CLI is TypeScript run by Node 24's type stripping. `npx enricher …` and the npm scripts
// run it on the Node 24 pinned in devDependencies, whatever `node` is on PATH. This check, not
// package.json's `engines` (which npm compares with the node on PATH that only runs npm), is
// what stops the code on another Node, saying what to do instead.
const NODE_MAJOR = 24;
if (Number(process.versions.node.split('.')[0]) !== NODE_MAJOR) {
  process.stderr.write(
    `enricher runs on Node ${NODE_MAJOR}; this is Node ${process.version}. Run it as \`npx enricher …\` or \`npm run enricher -- …\` ` +
      `in the project: they use the Node ${NODE_MAJOR} that \`npm ci\` installs from devDependencies (not with --omit=dev or --ignore-scripts).\n`,
  );
  process.exit(1);
}
try {
  await import('../src/cli/main.ts');
} catch (e) {
  // A refusal while loading (the KafkaJS read_committed fix does not fit the installed KafkaJS)
  // is one line naming the cause, not a stack trace.
  process.stderr.write(`enricher: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
