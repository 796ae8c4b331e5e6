/**
 * The real browser for the console's tests: Debian's chromium (never a downloaded build; .ci/run
 * installs the package) driven by playwright-core. Playwright starts each launch with a fresh
 * temporary --user-data-dir of its own; the other flags keep a closed network quiet.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does it)`);
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 60_000 });
}

export async function signIn(page: Page, url: string, user: string, password: string, next = '/'): Promise<void> {
  await page.goto(`${url}/login?next=${encodeURIComponent(next)}`);
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
}

// Every run keeps its screenshots as artifacts in test-results/ (ignored by git), so `npm test`
// leaves the checkout clean; `npm run screenshots` (UPDATE_SCREENSHOTS=1) refreshes the copies in
// docs/screenshots that the README shows, on purpose and in a commit of their own.
const SHOTS = new URL(process.env.UPDATE_SCREENSHOTS === '1' ? '../../docs/screenshots/' : '../../test-results/screenshots/', import.meta.url);

/** A screenshot kept as an artifact (test-results/screenshots/<name>.png; docs/screenshots with UPDATE_SCREENSHOTS=1). */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: opts.fullPage ?? true });
}
