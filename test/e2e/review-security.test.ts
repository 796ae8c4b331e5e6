/**
 * Who may do what in the review console, in a real browser and with plain HTTP: no session is
 * refused (401), a wrong password is refused, a state-changing request without the CSRF token
 * (or from another origin) is refused (403), a viewer cannot decide (403), and script in a
 * document's content, title and entities is shown as text, never run.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { signIn } from '../support/browser.ts';
import { openConsoleFixture, PASSWORDS, produceReviewItems, reviewItem, type ConsoleFixture, type OutputCollector } from '../support/review.ts';
import { sleep } from '../support/time.ts';

let fixture: ConsoleFixture;
let config: Config;
let browser: Browser;
let url: string;
let outputs: OutputCollector;

const XSS_TITLE = '<script>window.__xss = "title"</script>Quarterly <b>results</b>';
const XSS_CONTENT = 'Acme Corp said <img src=x onerror="window.__xss = \'content\'"> profits rose. <script>window.__xss = "content-script"</script> Jane Smith agreed.';
const XSS_ENTITY = '<img src=x onerror="window.__xss = \'entity\'">';

beforeAll(async () => {
  fixture = await openConsoleFixture({}, (tk, c) => produceReviewItems(tk.kafka, c, [
    reviewItem('sec-1'), reviewItem('sec-2'),
    reviewItem('xss-1', { title: XSS_TITLE, content: XSS_CONTENT, entities: { people: ['Jane Smith', XSS_ENTITY], organizations: ['Acme Corp'], topics: ['<script>window.__xss = "topic"</script>'] } }),
  ]));
  ({ config, browser, url, outputs } = fixture);
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

/** A signed-in browser page and its CSRF token. */
async function signedIn(user: 'alice' | 'victor', path = '/') {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, url, user, PASSWORDS[user], path);
  const csrf = (await page.getAttribute('meta[name=csrf-token]', 'content'))!;
  return { page, context, csrf };
}

describe('review console access', () => {
  it('refuses every page and action without a session (401), and shows the sign-in form', async () => {
    for (const path of ['/', '/items/sec-1', '/advice', '/overview', '/candidates', '/events', '/bulk?action=accept']) {
      expect((await fetch(url + path)).status, path).toBe(401);
    }
    const post = await fetch(`${url}/items/sec-1/decide`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'kind=accept&version=0:0' });
    expect(post.status).toBe(401);
    const page = await (await browser.newContext()).newPage();
    const res = await page.goto(`${url}/items/sec-1`);
    expect(res!.status()).toBe(401);
    expect(await page.isVisible('form.login')).toBe(true);
    expect(await page.textContent('body')).not.toContain('sec-1 from');
    await page.context().close();
  });

  it('refuses a wrong password and sets no session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/login`);
    await page.fill('input[name=user]', 'alice');
    await page.fill('input[name=password]', 'not-her-password');
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'), page.click('button[type=submit]')]);
    expect(res.status()).toBe(401);
    expect(await page.textContent('#login-error')).toBe('Wrong user name or password.');
    expect((await context.cookies()).map((c) => c.name)).not.toContain('__Host-enricher-review');
    expect((await page.goto(url))!.status()).toBe(401);
    await context.close();
  });

  it('sets a Secure, HttpOnly, SameSite=Strict host-only session cookie and a strict CSP', async () => {
    const { page, context } = await signedIn('alice');
    const cookie = (await context.cookies()).find((c) => c.name === '__Host-enricher-review')!;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    const res = await page.goto(url);
    expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(res!.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await context.close();
  });

  it('refuses a decision without the CSRF token, with a wrong one, or from another origin (403), and publishes nothing', async () => {
    const { page, context, csrf } = await signedIn('alice', '/items/sec-1');
    const version = await page.getAttribute('#accept-form input[name=version]', 'value');
    const post = (form: Record<string, string>, headers: Record<string, string> = {}) => page.request.post(`${url}/items/sec-1/decide`, { form, headers, maxRedirects: 0 });
    expect((await post({ kind: 'accept', version: version! })).status()).toBe(403);
    expect((await post({ kind: 'accept', version: version!, _csrf: `${csrf.slice(0, -2)}xx` })).status()).toBe(403);
    expect((await post({ kind: 'accept', version: version!, _csrf: csrf }, { origin: 'https://evil.example' })).status()).toBe(403);
    // The same request with the token from the page goes through: the refusals above were for the token alone.
    expect((await post({ kind: 'accept', version: version!, _csrf: csrf })).status()).toBe(303);
    await outputs.waitFor((c) => c.on(config.topics.enriched).some((r) => r.key === 'sec-1'));
    await sleep(1000);
    expect(outputs.on(config.topics.enriched).filter((r) => r.key === 'sec-1')).toHaveLength(1);
    await context.close();
  });

  it('lets a viewer look but not decide (403), by keyboard, form or bulk', async () => {
    const { page, context, csrf } = await signedIn('victor', '/items/sec-2');
    expect(await page.textContent('#read-only')).toContain('viewer');
    expect(await page.locator('#accept-form').count()).toBe(0);
    await page.keyboard.press('a');
    await page.waitForTimeout(500);
    expect(page.url()).toBe(`${url}/items/sec-2`);
    const decided = await page.request.post(`${url}/items/sec-2/decide`, { form: { kind: 'accept', version: '0:0', _csrf: csrf }, maxRedirects: 0 });
    expect(decided.status()).toBe(403);
    expect((await page.request.get(`${url}/bulk?action=accept`, { maxRedirects: 0 })).status()).toBe(403);
    expect((await page.request.post(`${url}/bulk`, { form: { action: 'accept', _csrf: csrf, item: '0:0:sec-2' }, maxRedirects: 0 })).status()).toBe(403);
    expect(outputs.on(config.topics.enriched).filter((r) => r.key === 'sec-2')).toHaveLength(0);
    expect(outputs.on(config.topics.reviewDecisions).filter((r) => r.key === 'sec-2')).toHaveLength(0);
    await context.close();
  });

  it('shows <script> and onerror= payloads in content, title and entities as text; none runs', async () => {
    const { page, context } = await signedIn('alice');
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${url}/?run=`);
    expect(await page.textContent('#queue-table')).toContain(XSS_TITLE);
    await page.goto(`${url}/items/xss-1`);
    expect(await page.textContent('#doc-title')).toBe(XSS_TITLE);
    expect(await page.textContent('#doc-text')).toBe(XSS_CONTENT);
    expect(await page.textContent('#entities')).toContain(XSS_ENTITY);
    expect(await page.locator('#doc-text img, #entities img, #doc-title b, main script').count()).toBe(0);
    expect(await page.locator('#doc-text mark.ent-people', { hasText: 'Jane Smith' }).count()).toBe(1);
    await page.keyboard.press('e');
    expect(await page.inputValue('#edit-form textarea[name=people]')).toContain(XSS_ENTITY);
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
    expect(dialogs).toEqual([]);
    await context.close();
  });
});
