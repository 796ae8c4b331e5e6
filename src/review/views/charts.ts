/**
 * Small inline SVG charts, drawn on the server: no script, no library, no CDN, and nothing the
 * Content-Security-Policy has to allow (geometry is in attributes, colours in console.css).
 * Each chart has a title for screen readers; the numbers are also printed beside the bars.
 */
import { html, type Html } from './html.ts';

export interface Bar {
  label: string;
  value: number;
  /** The number as printed beside the bar. */
  display: string;
  /** A CSS class for the bar (e.g. the suggested category, or a route). */
  kind?: string;
}

const ROW = 20;

export function barChart(bars: readonly Bar[], opts: { title: string; max?: number; width?: number; labelWidth?: number; marker?: { at: number; label: string } }): Html {
  const width = opts.width ?? 360;
  const labelWidth = opts.labelWidth ?? 110;
  const valueWidth = 64;
  const plot = width - labelWidth - valueWidth;
  const max = Math.max(opts.max ?? 0, ...bars.map((b) => b.value), 1e-9);
  const height = bars.length * ROW + 4;
  const rows = bars.map((b, i) => {
    const y = i * ROW + 2;
    const w = Math.max(0, (b.value / max) * plot);
    return html`<g class="bar ${b.kind ?? ''}"><text x="${labelWidth - 6}" y="${y + 14}" text-anchor="end">${b.label}</text><rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 6}" rx="2"></rect><text x="${labelWidth + w + 4}" y="${y + 14}" class="value">${b.display}</text></g>`;
  });
  const mx = opts.marker ? (labelWidth + (opts.marker.at / max) * plot).toFixed(1) : '';
  const marker = opts.marker
    ? html`<line class="marker" x1="${mx}" x2="${mx}" y1="12" y2="${height + 12}"><title>${opts.marker.label}</title></line><text class="marker-label" x="${mx}" y="9" text-anchor="middle">${opts.marker.label}</text>`
    : '';
  const top = opts.marker ? 12 : 0;
  return html`<svg class="chart" role="img" width="${width}" height="${height + top}" viewBox="0 0 ${width} ${height + top}"><title>${opts.title}</title><g transform="translate(0 ${top})">${rows}</g>${marker}</svg>`;
}

export interface Column {
  label: string;
  /** Stacked from the bottom, in the order of `series`. */
  values: Record<string, number>;
}

export function stackedColumns(columns: readonly Column[], series: readonly string[], opts: { title: string; width?: number; height?: number; every?: number }): Html {
  const width = opts.width ?? 1000;
  const height = opts.height ?? 150;
  const axis = 18;
  const left = 34;
  const plotH = height - axis - 6;
  const max = Math.max(1, ...columns.map((c) => series.reduce((s, k) => s + (c.values[k] ?? 0), 0)));
  const step = (width - left) / Math.max(1, columns.length);
  const bars = columns.map((c, i) => {
    let y = 6 + plotH;
    const parts = series.map((k) => {
      const h = ((c.values[k] ?? 0) / max) * plotH;
      y -= h;
      return h > 0 ? html`<rect class="series-${k}" x="${(left + i * step + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, step - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>${c.label} ${k}: ${c.values[k] ?? 0}</title></rect>` : '';
    });
    const tick = i % (opts.every ?? 5) === 0 ? html`<text class="tick" x="${(left + i * step).toFixed(1)}" y="${height - 4}">${c.label}</text>` : '';
    return html`${parts}${tick}`;
  });
  return html`<svg class="chart" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title>${opts.title}</title><text class="tick" x="0" y="14">${max}</text><text class="tick" x="0" y="${6 + plotH}">0</text><line class="axis" x1="${left}" x2="${width}" y1="${6 + plotH}" y2="${6 + plotH}"></line>${bars}</svg>`;
}

/** One horizontal bar against a limit (spend against the budget); past the limit it is drawn in the warning colour. */
export function gauge(value: number, limit: number | undefined, opts: { title: string; width?: number; display: string }): Html {
  const width = opts.width ?? 360;
  const max = Math.max(value, limit ?? value, 1e-12);
  const w = (value / max) * width;
  const over = limit !== undefined && value >= limit;
  const mark = limit !== undefined ? html`<line class="marker" x1="${((limit / max) * width).toFixed(1)}" x2="${((limit / max) * width).toFixed(1)}" y1="0" y2="26"></line>` : '';
  return html`<svg class="chart gauge${over ? ' over' : ''}" role="img" width="${width}" height="26" viewBox="0 0 ${width} 26"><title>${opts.title}: ${opts.display}</title><rect class="track" x="0" y="4" width="${width}" height="18" rx="3"></rect><rect class="fill" x="0" y="4" width="${w.toFixed(1)}" height="18" rx="3"></rect>${mark}</svg>`;
}
