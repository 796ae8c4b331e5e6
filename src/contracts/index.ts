export * from './raw-document.ts';
export * from './enrichment.ts';
export * from './enriched-document.ts';
export * from './cost-event.ts';
export * from './headers.ts';
export * from './chain-progress.ts';
export * from './retry-envelope.ts';
