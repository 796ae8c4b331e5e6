/**
 * HTML is built only through the `html` tag: every interpolated value is escaped unless it is
 * itself Html made by this tag. Document text, titles, entities and user names can hold
 * anything (`<script>`, `onerror=`): they can only ever reach the page as text.
 */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

export type Interpolated = Html | string | number | boolean | null | undefined | readonly Interpolated[];

function render(v: Interpolated): string {
  if (v === null || v === undefined || v === false || v === true) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** A query string or path built by our own code (values already URI-encoded). */
export function href(path: string, query?: string): string {
  return query ? `${path}?${query}` : path;
}

export function itemPath(documentId: string): string {
  return `/items/${encodeURIComponent(documentId)}`;
}

export function formatAge(ms: number | undefined): string {
  if (ms === undefined) return '–';
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} d`;
}

export const pct = (n: number, digits = 0) => `${(n * 100).toFixed(digits)} %`;
