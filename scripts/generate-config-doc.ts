/** Writes docs/configuration.md from the settings tree: `npm run docs:config`. */
import { writeFileSync } from 'node:fs';
import { renderConfigurationDoc } from '../src/config/configuration-doc.ts';
import { SETTINGS } from '../src/config/settings.ts';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigurationDoc(SETTINGS));
process.stdout.write('docs/configuration.md written\n');
