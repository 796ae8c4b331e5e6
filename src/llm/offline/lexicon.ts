/**
 * The offline classifier's vocabulary: for each default category, the word stems and
 * two-word phrases that signal it in news-style English.
 *
 * A stem matches any word it begins (`financ` → finance, financial, financing); a trailing
 * `$` demands the whole word, for stems that would otherwise swallow unrelated words
 * (`ai$` must not match "aid", `law$` must not match "lawn"). Phrases match two adjacent
 * words, the second one also in its plural. Stems are deliberately at least three letters:
 * shorter prefixes match too much of the language to carry any signal.
 */

export const LEXICON: Readonly<Record<string, readonly string[]>> = {
  business: [
    'business', 'compan', 'corporat', 'ceo$', 'cfo$', 'executive', 'startup', 'merger', 'acquisition',
    'acquir', 'retail', 'customer', 'supplier', 'manufactur', 'factory$', 'factories$', 'brand', 'marketing',
    'layoff', 'workforce', 'employee', 'franchise', 'entrepreneur', 'consumer', 'sales$', 'product',
    'logistic', 'shipping', 'warehouse', 'boardroom', 'shareholder', 'subsidiar', 'chain$', 'store$', 'stores$',
    'restructur', 'outsourc', 'partnership', 'commercial', 'industr', 'headquarter', 'ecommerce',
    'e-commerce', 'unicorn', 'conglomerate', 'wholesale',
    'supply chain', 'chief executive', 'board member', 'market share', 'annual report',
  ],
  finance: [
    'financ', 'stock', 'shares$', 'bond', 'yield', 'inflation', 'interest', 'investor', 'investment', 'investing', 'invested',
    'earnings', 'dividend', 'ipo$', 'fund', 'hedge', 'portfolio', 'trader', 'trading', 'currenc',
    'credit', 'loan', 'debt', 'bank', 'mortgage', 'valuation', 'equit', 'securities', 'nasdaq',
    'dow$', 'treasur', 'monetar', 'fiscal', 'deficit', 'lender', 'lending', 'profit', 'revenue',
    'quarterly', 'forecast', 'recession', 'gdp$', 'econom', 'asset', 'capital',
    'liquidit', 'crypto', 'bitcoin', 'tax', 'pension', 'insur', 'exchange', 'rallied$', 'selloff',
    'sell-off', 'bullish', 'bearish', 'analyst', 'payout', 'buyback',
    'interest rate', 'central bank', 'federal reserve', 'stock market', 'wall street',
    'bond market', 'rate cut', 'rate hike', 'basis point', 'share price',
  ],
  technology: [
    'technolog', 'tech$', 'software', 'hardware', 'chip', 'semiconductor', 'ai$', 'algorithm',
    'cloud', 'cyber', 'encrypt', 'app$', 'apps$', 'smartphone', 'device', 'comput', 'internet',
    'online', 'digital', 'robot', 'automat', '5g$', 'network', 'server', 'developer', 'coding',
    'browser', 'processor', 'gpu$', 'gpus$', 'silicon', 'broadband', 'chatbot', 'llm$', 'dataset',
    'database', 'data$', 'platform', 'users$', 'user$', 'hack', 'malware', 'ransomware',
    'startup', 'gadget', 'wireless', 'satellite', 'firmware', 'bandwidth', 'cybersecurity',
    'artificial intelligence', 'machine learning', 'data center', 'data centre', 'open source',
    'neural network', 'language model', 'source code', 'operating system',
  ],
  science: [
    'scien', 'research', 'experiment', 'laborator', 'physic', 'chemi', 'biolog', 'genom', 'gene$',
    'genes$', 'genetic', 'species', 'fossil', 'telescope', 'astronom', 'planet', 'galax', 'nasa$',
    'orbit', 'climate', 'molecul', 'particle', 'quantum', 'evolution', 'ecosystem', 'journal$',
    'hypothes', 'observator', 'specimen', 'neutrino', 'asteroid', 'mars$', 'glacier', 'atom',
    'cell$', 'cells$', 'protein', 'enzyme', 'microb', 'bacteri', 'organism', 'mathemati',
    'geolog', 'volcan', 'seismic', 'spacecraft', 'discover', 'ocean', 'carbon',
    'emission', 'peer-review', 'data set', 'peer review', 'natural history', 'field work',
  ],
  health: [
    'health', 'hospital', 'patient', 'doctor', 'nurse', 'clinic', 'disease', 'vaccin', 'virus',
    'viral', 'infect', 'cancer', 'diabet', 'treatment', 'therap', 'drug', 'pharma', 'medic',
    'surgeon', 'surger', 'symptom', 'outbreak', 'pandemic', 'epidemi', 'obesity', 'nutrition',
    'diet$', 'fda$', 'dose', 'dosage', 'chronic', 'heart$', 'blood', 'ambulance', 'paramedic',
    'illness', 'mortality', 'diagnos', 'wellbeing', 'well-being', 'dementia', 'alzheimer',
    'antibiotic', 'immun', 'tumour', 'tumor', 'physician', 'nhs$', 'prescription', 'care home',
    'mental health', 'public health', 'clinical trial', 'health care', 'intensive care',
    'life expectancy', 'side effect',
  ],
  sport: [
    'sport', 'football', 'soccer', 'tennis', 'cricket', 'rugby', 'basketball', 'baseball', 'golf',
    'athlet', 'olympi', 'championship', 'champion', 'tournament', 'league', 'coach', 'goal',
    'striker', 'midfield', 'goalkeeper', 'stadium', 'playoff', 'medal', 'marathon', 'cup$',
    'squad', 'fixture', 'referee', 'innings', 'wicket', 'fifa$', 'uefa$', 'nba$', 'nfl$', 'club',
    'match$', 'matches$', 'season', 'scored', 'victory', 'semi-final', 'semifinal', 'quarter-final',
    'quarterfinal', 'final$', 'finals$', 'cyclist', 'cycling', 'swimm', 'sprinter', 'podium',
    'fans$', 'kickoff', 'kick-off', 'halftime', 'half-time', 'title$', 'racing', 'sprint$',
    'rebound', 'overtime', 'layup', 'buzzer', 'quarterback', 'touchdown', 'inning', 'pitcher', 'teammate',
    'game$', 'games$', 'player', 'scoring', 'relegat', 'lineup', 'manager$', 'captain',
    'grand slam', 'world cup', 'premier league', 'grand prix', 'world record', 'head coach',
    'penalty shootout', 'penalty kick',
  ],
  politics: [
    'government', 'minister', 'parliament', 'election', 'elector', 'vote', 'voter', 'voting',
    'campaign', 'senat', 'congress', 'legislat', 'president', 'party$', 'parties$', 'opposition',
    'coalition', 'policy$', 'policies$', 'polit', 'democra', 'republican', 'referendum', 'ballot',
    'mp$', 'mps$', 'cabinet', 'diplomat', 'sanction', 'treaty', 'governor', 'mayor', 'lawmaker',
    'poll$', 'polls$', 'polling', 'constituen', 'geopolit', 'candidate', 'manifesto', 'ministry', 'embassy', 'summit',
    'nato$', 'bill$', 'reform', 'premier$', 'chancellor', 'budget', 'partisan',
    'white house', 'downing street', 'prime minister', 'foreign minister', 'general election',
    'european commission', 'united nations', 'security council',
  ],
  legal: [
    'court', 'judge', 'lawsuit', 'law$', 'laws$', 'lawyer', 'attorney', 'legal', 'litigat',
    'plaintiff', 'defendant', 'verdict', 'jury', 'juror', 'prosecut', 'sentenc', 'appeal',
    'ruling', 'ruled', 'statute', 'regulat', 'complian', 'settlement', 'injunction', 'counsel',
    'indict', 'convict', 'testimon', 'testif', 'subpoena', 'arbitrat', 'patent', 'antitrust',
    'tribunal', 'criminal', 'fraud', 'police', 'arrest', 'allegation', 'alleged', 'lawful',
    'unlawful', 'liabilit', 'damages', 'breach', 'copyright', 'trademark', 'magistrate', 'bail$',
    'acquit', 'clause', 'contract', 'barrister', 'solicitor', 'prosecutor', 'sue$', 'sued$', 'sues$',
    'suing$', 'negligen', 'dismiss', 'claimant', 'plead', 'guilty', 'prison', 'jail',
    'supreme court', 'high court', 'class action', 'court of', 'district court',
  ],
};

export interface CompiledLexicon {
  readonly prefixes: ReadonlyMap<string, readonly string[]>;
  readonly exact: ReadonlyMap<string, readonly string[]>;
  readonly phrases: ReadonlyMap<string, readonly string[]>;
  readonly maxPrefix: number;
}

function push(map: Map<string, string[]>, key: string, category: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [category]);
  else if (!list.includes(category)) list.push(category);
}

export function compileLexicon(lexicon: Readonly<Record<string, readonly string[]>>): CompiledLexicon {
  const prefixes = new Map<string, string[]>();
  const exact = new Map<string, string[]>();
  const phrases = new Map<string, string[]>();
  let maxPrefix = 0;
  for (const [category, stems] of Object.entries(lexicon)) {
    for (const raw of stems) {
      const stem = raw.toLowerCase();
      if (stem.includes(' ')) push(phrases, stem, category);
      else if (stem.endsWith('$')) push(exact, stem.slice(0, -1), category);
      else {
        push(prefixes, stem, category);
        maxPrefix = Math.max(maxPrefix, stem.length);
      }
    }
  }
  return { prefixes, exact, phrases, maxPrefix };
}

export const DEFAULT_LEXICON: CompiledLexicon = compileLexicon(LEXICON);

/** A phrase is worth two words: it is far less ambiguous than either word alone. */
const PHRASE_WEIGHT = 2;

/**
 * Adds each word's categories to `into`, times `weight`. A word counts once, for its longest
 * matching stem, so "championship" does not score for both `championship` and `champion`.
 */
export function addLexiconHits(
  words: readonly string[],
  weight: number,
  into: Map<string, number>,
  lexicon: CompiledLexicon = DEFAULT_LEXICON,
): void {
  const add = (cats: readonly string[], w: number) => {
    // A stem shared by several categories is split between them, not counted in full twice.
    const share = w / cats.length;
    for (const c of cats) into.set(c, (into.get(c) ?? 0) + share);
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const exact = lexicon.exact.get(word);
    if (exact !== undefined) add(exact, weight);
    else {
      for (let len = Math.min(word.length, lexicon.maxPrefix); len >= 3; len--) {
        const cats = lexicon.prefixes.get(len === word.length ? word : word.slice(0, len));
        if (cats !== undefined) {
          add(cats, weight);
          break;
        }
      }
    }
    const next = words[i + 1];
    if (next !== undefined) {
      const cats = lexicon.phrases.get(`${word} ${next}`) ?? (next.endsWith('s') ? lexicon.phrases.get(`${word} ${next.slice(0, -1)}`) : undefined);
      if (cats !== undefined) add(cats, weight * PHRASE_WEIGHT);
    }
  }
}
