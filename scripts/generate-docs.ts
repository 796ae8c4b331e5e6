/**
 * The generated parts of the docs: `npm run docs`. docs/configuration.md from the settings tree,
 * and the README's topics table from the topic catalogue; unit tests hold both to the code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigurationDoc } from '../src/config/configuration-doc.ts';
import { SETTINGS } from '../src/config/settings.ts';
import { CATALOGUE } from '../src/topics/catalogue.ts';
import { renderTopicsTable } from '../src/topics/topics-table.ts';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigurationDoc(SETTINGS));
const readmeUrl = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmeUrl, 'utf8');
const block = /(<!-- topics-table:[^>]*-->\n)[\s\S]*?(<!-- \/topics-table -->)/;
if (!block.test(readme)) throw new Error('README.md has no topics-table block');
writeFileSync(readmeUrl, readme.replace(block, (_m, open: string, close: string) => `${open}${renderTopicsTable(CATALOGUE)}\n${close}`));
process.stdout.write('docs/configuration.md and the README\'s topics table written\n');
