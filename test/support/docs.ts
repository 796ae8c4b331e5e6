/** Test documents: the bundled corpus, re-keyed to any count, plus builders for odd cases. */
import { readFileSync } from 'node:fs';
import type { RawDocument } from '../../src/contracts/index.ts';

export function sampleCorpus(): RawDocument[] {
  return readFileSync(new URL('../../data/sample-corpus.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as RawDocument);
}

/** n documents with unique ids (and unique text, so no cache answers for another). */
export function corpusDocs(n: number, prefix = 'doc'): RawDocument[] {
  const base = sampleCorpus();
  return Array.from({ length: n }, (_, i) => {
    const d = base[i % base.length]!;
    return { ...d, id: `${prefix}-${i}`, content: i < base.length ? d.content : `${d.content} (Edition ${Math.floor(i / base.length) + 1}.)` };
  });
}

export function toMessage(doc: RawDocument) {
  return { key: doc.id, value: Buffer.from(JSON.stringify(doc)) };
}
