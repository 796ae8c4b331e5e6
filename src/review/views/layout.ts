/** The page frame: navigation, who is signed in, the CSRF token for the script, and the message area. */
import { html, type Html } from './html.ts';

export interface PageContext {
  user: string;
  role: 'reviewer' | 'viewer';
  csrf: string;
  /** Whether a sign-out button makes sense (password sessions). */
  canSignOut: boolean;
  /**
   * The review state's version the page was rendered at. A change that lands between the render
   * and the page's event stream opening would otherwise never reach it: the stream's first event
   * carries the version then, and the page catches up when the two differ.
   */
  stateVersion: number;
}

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

const NAV = [
  { id: 'queue', path: '/', label: 'Queue' },
  { id: 'advice', path: '/advice', label: 'Threshold advice' },
  { id: 'overview', path: '/overview', label: 'Pipeline overview' },
  { id: 'candidates', path: '/candidates', label: 'Candidates' },
] as const;

export function flashBox(flash: Flash | undefined): Html {
  // role=alert for errors (read at once), role=status for confirmations (read politely).
  return flash
    ? html`<div id="flash" class="flash ${flash.kind}" role="${flash.kind === 'error' ? 'alert' : 'status'}">${flash.text}</div>`
    : html`<div id="flash" class="flash" role="status" hidden></div>`;
}

export function layout(ctx: PageContext | undefined, opts: { title: string; page: string; active?: string; flash?: Flash; body: Html; data?: Record<string, string> }): string {
  const data = Object.entries(opts.data ?? {}).map(([k, v]) => html` data-${k}="${v}"`);
  const nav = ctx
    ? html`<nav aria-label="Main"><ul>${NAV.map((n) => html`<li><a href="${n.path}"${n.id === opts.active ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul></nav>
      <div class="who"><span>${ctx.user}</span> <span class="role role-${ctx.role}">${ctx.role}</span>${ctx.canSignOut ? html` <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${ctx.csrf}"><button type="submit" class="link">Sign out</button></form>` : ''}</div>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${ctx?.csrf ?? ''}">
<title>${opts.title} · llm-enricher review</title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body data-page="${opts.page}" data-role="${ctx?.role ?? ''}" data-version="${String(ctx?.stateVersion ?? '')}"${data}>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><span class="brand">llm-enricher · review</span>${nav}</header>
<main id="main" tabindex="-1">
${flashBox(opts.flash)}
${opts.body}
</main>
<footer><button type="button" class="link" id="show-keys" aria-haspopup="dialog">Keyboard shortcuts (?)</button></footer>
<dialog id="keys" aria-labelledby="keys-title">
<h2 id="keys-title">Keyboard shortcuts</h2>
<dl class="keys">
<dt><kbd>j</kbd> / <kbd>k</kbd></dt><dd>next / previous item</dd>
<dt><kbd>Enter</kbd></dt><dd>open the selected item (queue)</dd>
<dt><kbd>a</kbd></dt><dd>accept</dd>
<dt><kbd>e</kbd></dt><dd>edit, then accept</dd>
<dt><kbd>1</kbd>–<kbd>9</kbd></dt><dd>pick a category (opens the editor)</dd>
<dt><kbd>r</kbd></dt><dd>reject (pick a reason)</dd>
<dt><kbd>s</kbd></dt><dd>skip to the next item</dd>
<dt><kbd>u</kbd></dt><dd>back to the queue</dd>
<dt><kbd>Esc</kbd></dt><dd>close a panel</dd>
</dl>
<form method="dialog"><button type="submit">Close</button></form>
</dialog>
</body>
</html>
`.value;
}
