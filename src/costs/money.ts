/**
 * Money as integer pico-dollars (1e-12 USD). Cost events carry cost_usd rounded to 1e-12, so
 * each converts back to an exact integer, and sums of integers do not drift the way float sums
 * of many small prices do. BigInt, because a busy day can pass 2^53 pico-dollars ($9,007).
 */
export type Pico = bigint;

export const PICO_PER_USD = 1_000_000_000_000;

export function usdToPico(usd: number): Pico {
  if (!Number.isFinite(usd)) throw new RangeError(`not a finite amount of USD: ${usd}`);
  return BigInt(Math.round(usd * PICO_PER_USD));
}

/** Exact below 2^53 pico-dollars; above, the nearest double (well below a micro-dollar off). */
export function picoToUsd(pico: Pico): number {
  return Number(pico) / PICO_PER_USD;
}

export function maxPico(a: Pico, b: Pico): Pico {
  return a > b ? a : b;
}
