/** The sign-in page (also the body of every 401 a browser gets) and the simple error pages. */
import { html } from './html.ts';
import { layout, type PageContext } from './layout.ts';

export function loginPage(opts: { csrf: string; error?: string; user?: string; next?: string; passwords: boolean }): string {
  const body = opts.passwords
    ? html`<h1>Sign in</h1>
${opts.error ? html`<p class="flash error" role="alert" id="login-error">${opts.error}</p>` : ''}
<form method="post" action="/login" class="login">
<input type="hidden" name="_csrf" value="${opts.csrf}">
<input type="hidden" name="next" value="${opts.next ?? '/'}">
<label>User name <input name="user" autocomplete="username" required autofocus value="${opts.user ?? ''}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit" class="primary">Sign in</button>
</form>`
    : html`<h1>Sign-in needed</h1><p>This console accepts people through the trusted proxy in front of it; your request did not come through it.</p>`;
  return layout(undefined, { title: 'Sign in', page: 'login', body });
}

export function messagePage(ctx: PageContext | undefined, title: string, text: string): string {
  return layout(ctx, { title, page: 'message', body: html`<h1>${title}</h1><p id="message">${text}</p><p><a href="/">Back to the queue</a></p>` });
}
