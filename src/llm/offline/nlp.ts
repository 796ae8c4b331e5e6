/**
 * Text analysis for the offline provider: entity extraction (compromise plus date patterns) and
 * sentence splitting (the extractive summary is summarize-text.ts). Deterministic and pure.
 */
import nlp from 'compromise';
import type { Entities } from '../../contracts/index.ts';

/** Each entity list is capped: a model asked for "the entities" returns a handful, not fifty. */
export const MAX_ENTITIES = 10;
/** compromise costs ~10 ms per KB; past this the first part of a document names its entities. */
const MAX_NLP_CHARS = 4000;
const MAX_NOUN_TOPICS = 6;

const STOPWORDS = new Set(
  ('a about above after again against all also am an and any are as at be because been before being below ' +
    'between both but by can could did do does doing down during each few for from further had has have having ' +
    'he her here hers herself him himself his how i if in into is it its itself just me more most my myself no ' +
    'nor not now of off on once only or other our ours ourselves out over own same she should so some such than ' +
    'that the their theirs them themselves then there these they this those through to too under until up very ' +
    'was we were what when where which while who whom why will with would you your yours yourself yourselves ' +
    'said says say according new one two three year years month months week weeks day days time last first next ' +
    'since may might must shall per around among across still already even however though although yet many much ' +
    'well back made make makes told including whose within without s t').split(' '),
);

/** Nouns too generic to be anyone's topic. */
const GENERIC_NOUNS = new Set([
  'thing', 'things', 'way', 'ways', 'people', 'part', 'lot', 'number', 'area', 'point', 'case', 'fact', 'group',
  'world', 'place', 'end', 'side', 'kind', 'sort', 'type', 'statement', 'comment', 'comments', 'decision',
  'percent', 'per cent', 'official', 'officials', 'spokesperson', 'spokesman', 'spokeswoman', 'report',
  'move', 'plan', 'plans', 'issue', 'issues', 'question', 'questions', 'news', 'today', 'others', 'something',
]);

// Abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'inc', 'ltd', 'co', 'corp', 'plc', 'llc', 'gov',
  'sen', 'rep', 'gen', 'col', 'lt', 'capt', 'sgt', 'no', 'vs', 'etc', 'e.g', 'i.e', 'u.s', 'u.k', 'u.n', 'e.u',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'fig', 'approx', 'dept',
  'univ', 'ave', 'bros', 'cf', 'al',
]);

/** Lower-case word tokens, possessives removed: the unit of term frequency and of the lexicon. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[a-z0-9][a-z0-9&'’-]*/g)) {
    let w = m[0];
    if (w.endsWith("'s") || w.endsWith('’s')) w = w.slice(0, -2);
    w = w.replace(/['’-]+$/, '');
    if (w.length > 0) out.push(w);
  }
  return out;
}

export function contentWords(text: string): string[] {
  return words(text).filter((w) => w.length > 1 && !STOPWORDS.has(w) && !/^\d+$/.test(w));
}

/** Splits on sentence-final punctuation and on line breaks, without breaking at "Dr." or "U.S.". */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const block of text.split(/\n\s*/)) {
    let start = 0;
    for (const m of block.matchAll(/[.!?]+["'’”)\]]*\s+(?=["'‘“(\[]?[A-Z0-9])/g)) {
      const end = m.index + m[0].length;
      const before = block.slice(start, m.index + 1);
      const lastToken = /(\S+)$/.exec(before)?.[1] ?? '';
      const bare = lastToken.replace(/^["'‘“(\[]+/, '').replace(/\.$/, '').toLowerCase();
      // A single capital ("J. Smith") is an initial, not the end of a sentence.
      if (m[0].startsWith('.') && (ABBREVIATIONS.has(bare) || /^[a-z]$/.test(bare))) continue;
      const s = block.slice(start, end).trim();
      if (s) out.push(s);
      start = end;
    }
    const rest = block.slice(start).trim();
    if (rest) out.push(rest);
  }
  return out;
}

const MONTH = '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const WEEKDAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
// Longest forms first: the scan consumes "12 March 2024" whole, so neither "March 2024" nor
// "2024" is reported again from inside it.
const DATE_PATTERN = new RegExp(
  [
    String.raw`\b\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?\b`,
    String.raw`\b\d{1,2}(?:st|nd|rd|th)? ${MONTH}\.?,? \d{4}\b`,
    String.raw`\b${MONTH}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}\b`,
    String.raw`\b\d{1,2}(?:st|nd|rd|th)? ${MONTH}\b(?! \d)`,
    String.raw`\b${MONTH} \d{1,2}(?:st|nd|rd|th)?\b(?!,? \d{4})`,
    String.raw`\b(?:early |mid-|late |end of )?${MONTH} (?:19|20)\d{2}\b`,
    String.raw`\b(?:Q[1-4]|H[12]) (?:FY)?(?:19|20)\d{2}\b`,
    String.raw`\bFY ?(?:19|20)?\d{2}\b`,
    String.raw`\b${WEEKDAY}\b`,
    String.raw`\b(?:19|20)\d{2}s?\b(?![-/.]\d)`,
  ].join('|'),
  'g',
);

export function findDates(text: string): string[] {
  const found: string[] = [];
  // A bare month is left out on purpose: "May" and "March" are also a verb and a word.
  for (const m of text.matchAll(DATE_PATTERN)) found.push(m[0]);
  return dedupe(found);
}

/** Trims, drops possessives and stray punctuation, keeps the full stop of "Inc." or "Corp.". */
export function cleanName(raw: string): string {
  let s = raw.trim().replace(/^[\s"'‘“(\[,;:-]+/, '').replace(/[\s"'’”)\],;:!?-]+$/, '');
  s = s.replace(/['’]s$/i, '').replace(/['’]$/, '');
  if (s.endsWith('.')) {
    const last = s.slice(s.lastIndexOf(' ') + 1, -1).toLowerCase();
    if (!ABBREVIATIONS.has(last) && !/^(?:[a-z]\.)+[a-z]$/.test(last)) s = s.slice(0, -1);
  }
  return s.replace(/\s+/g, ' ').trim();
}

/** Case-insensitive de-duplication that keeps the first spelling and the order of first appearance. */
export function dedupe(items: readonly string[], limit = MAX_ENTITIES): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const item of items) {
    const key = item.toLowerCase();
    if (!item || seen.has(key)) continue;
    seen.add(key);
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}

// Headlines drop the articles and verbs taggers rely on, so compromise misreads them; the
// body repeats whatever the headline names. The title still contributes its dates.
function nlpText(content: string): string {
  if (content.length <= MAX_NLP_CHARS) return content;
  const cut = content.lastIndexOf('. ', MAX_NLP_CHARS);
  return content.slice(0, cut > 0 ? cut + 1 : MAX_NLP_CHARS);
}

function singularKey(w: string): string {
  return w.length > 4 && w.endsWith('s') && !/(?:ss|us|is)$/.test(w) ? w.slice(0, -1) : w;
}

const TITLES = new RegExp(
  '^(?:(?:President|Vice President|Prime Minister|Minister|Senator|Sen|Governor|Gov|Mayor|Judge|Justice|' +
    'Lord Justice|Chancellor|Speaker|Commissioner|Secretary|General|Captain|Coach|Dame|Sir|Lord|Lady|' +
    'Majority Leader|Minority Leader|Leader|Dr|Mr|Mrs|Ms|Prof|Professor|Rev|Chief)\\.?\\s+)+',
);
// A "person" ending in one of these is an organisation or a thing named after someone.
const NOT_A_PERSON = /\s(?:Holdings|Group|Inc|Ltd|Bank|Capital|Partners|Telescope|Space|Cup|Prize|Foundation|Institute|University|Day|Street|Party|Democrats|Republicans)\.?$/;
// Capitalised abbreviations that taggers take for organisations.
const NOT_AN_ORG = new Set(['ai', 'ceo', 'cfo', 'cto', 'gdp', 'ipo', 'gpu', 'cpu', 'vpn', 'mmr', 'rsv', 'gp', 'tv', 'pm', 'am']);
const CONNECTORS = new Set(['of', 'and', 'for', 'the', '&', 'de', 'du', 'la', 'van', 'von', 'der', 'del', 'y', 'für']);

const HONORIFIC_INSIDE = /\b(?:Dr|Mr|Mrs|Ms|Prof)\.?\s/;

/** Lists of names come back as one match ("Samsung, Google"); each name is its own entity. */
function names(list: readonly string[]): string[] {
  return list.flatMap((s) => s.split(/,\s*/)).map(cleanName);
}

function isNameCased(s: string): boolean {
  return s.split(' ').every((t) => CONNECTORS.has(t) || /^[A-Z0-9À-Þ]/.test(t));
}

export function extractEntities(content: string, title?: string): Entities {
  const text = nlpText(content);
  const doc = nlp(text);

  // A lone name is either a later mention of someone already named in full ("Alvarez" after
  // "Maria Alvarez") or a tagging slip ("Davis" of the Davis Cup): neither is a new person.
  const people = dedupe(
    names(doc.people().not('#Honorific').out('array'))
      .map((p) => p.replace(TITLES, ''))
      .filter((p) => p.includes(' ') && isNameCased(p) && !NOT_A_PERSON.test(p)),
  );
  const nameTokens = new Set(people.flatMap((p) => p.toLowerCase().split(' ')));

  const places = dedupe(
    names(doc.places().out('array'))
      .map((p) => cleanName(p.split(/['’]s\s/)[0] ?? p))
      .filter((p) => p.length > 1 && isNameCased(p) && !HONORIFIC_INSIDE.test(p) && !nameTokens.has(p.toLowerCase().split(' ')[0]!)),
    MAX_ENTITIES,
  );
  const placeKeys = new Set(places.map((p) => p.toLowerCase()));
  const organizations = dedupe(
    names(doc.organizations().out('array')).filter(
      (o) => o.length > 1 && isNameCased(o) && !placeKeys.has(o.toLowerCase()) && !NOT_AN_ORG.has(o.toLowerCase()) && !/^(?:[A-Z]\.){2,}$/.test(o),
    ),
  );
  for (const o of organizations) for (const t of o.toLowerCase().split(' ')) if (!CONNECTORS.has(t)) nameTokens.add(t);

  // Topics are what the document is about: its most repeated common-noun phrases, then its places.
  const counts = new Map<string, { text: string; n: number; first: number }>();
  const chunks: string[] = doc
    .match('#Noun+')
    .not('(#ProperNoun|#Pronoun|#Value|#Date|#Possessive|#Honorific)')
    .out('array');
  let order = 0;
  for (const chunk of chunks) {
    for (const part of chunk.split(/[,;:]\s*/)) {
      const tokens = cleanName(part).toLowerCase().split(' ').filter(Boolean);
      // The head noun and at most two modifiers: "open-source language model" is about language models.
      const phrase = tokens.slice(-3).join(' ');
      order++;
      if (phrase.length < 3 || /\d/.test(phrase) || GENERIC_NOUNS.has(phrase) || STOPWORDS.has(phrase)) continue;
      if (nameTokens.has(tokens[0]!) || nameTokens.has(tokens[tokens.length - 1]!)) continue;
      const key = phrase.split(' ').map(singularKey).join(' ');
      const entry = counts.get(key);
      if (entry) entry.n += 1;
      else counts.set(key, { text: phrase, n: 1, first: order });
    }
  }
  const ranked = [...counts.values()]
    .map((e) => ({ ...e, score: e.n * (e.text.includes(' ') ? 1.5 : 1) }))
    .sort((a, b) => b.score - a.score || a.first - b.first)
    .slice(0, MAX_NOUN_TOPICS)
    .sort((a, b) => a.first - b.first)
    .map((e) => e.text);
  const topics = dedupe([...ranked, ...places]);

  const dates = findDates(title ? `${title}\n${content}` : content);
  return { people, organizations, dates, topics };
}
