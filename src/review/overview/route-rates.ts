/** Documents per minute by route over a sliding window, from the records' timestamps. Pure. */
import type { Column } from '../views/charts.ts';

export const ROUTES = ['enriched', 'review', 'dlq'] as const;
export type RouteName = (typeof ROUTES)[number];

const MINUTE = 60_000;

export interface RouteRates {
  add(route: RouteName, timestampMs: number): void;
  /** One column per minute, oldest first, ending with the current (partial) minute. */
  columns(now: number): Column[];
  /** Documents per minute over the last `minutes` whole minutes, per route. */
  perMinute(now: number, minutes: number): Record<RouteName, number>;
}

export function createRouteRates(windowMinutes = 30): RouteRates {
  const buckets = new Map<number, Record<RouteName, number>>();
  const prune = (now: number) => {
    const oldest = Math.floor(now / MINUTE) - windowMinutes;
    for (const k of buckets.keys()) if (k <= oldest) buckets.delete(k);
  };
  return {
    add(route, ts) {
      const k = Math.floor(ts / MINUTE);
      if (k <= Math.floor(Date.now() / MINUTE) - windowMinutes) return;
      const b = buckets.get(k) ?? { enriched: 0, review: 0, dlq: 0 };
      b[route]++;
      buckets.set(k, b);
    },
    columns(now) {
      prune(now);
      const current = Math.floor(now / MINUTE);
      return Array.from({ length: windowMinutes }, (_, i) => {
        const k = current - windowMinutes + 1 + i;
        const at = new Date(k * MINUTE);
        return { label: `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`, values: { ...(buckets.get(k) ?? { enriched: 0, review: 0, dlq: 0 }) } };
      });
    },
    perMinute(now, minutes) {
      const current = Math.floor(now / MINUTE);
      const out: Record<RouteName, number> = { enriched: 0, review: 0, dlq: 0 };
      for (let k = current - minutes; k < current; k++) for (const r of ROUTES) out[r] += buckets.get(k)?.[r] ?? 0;
      for (const r of ROUTES) out[r] /= minutes;
      return out;
    },
  };
}
