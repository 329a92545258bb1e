import { KnowledgeDomain } from '../models/knowledge-domain.entity';
import { BoundedCache } from './bounded-cache';
import { isRegExpSpace as isSpace } from './token-counter';

/*
 * Whole-word, case-insensitive phrase matching in one pass over the context: an Aho–Corasick
 * automaton over case-folded code points. It gives exactly what the reference regex of
 * `mentions()` gives for each phrase, `(?<![\p{L}\p{N}_])phrase(?![\p{L}\p{N}_])` with flags `iu`
 * and every whitespace run in the phrase read as `\s+` (a property test holds them to it), but
 * in time linear in the context, where one regex per phrase cost 50 domains × 100 phrases scans
 * of the context (2.6 s for 32,000 characters).
 */

/** The word characters of the reference regex, with its flags: a character is one if its case folding is. */
const WORD = /[\p{L}\p{N}_]/iu;

const SPACE = 32;
const singleCodePoint = (s: string): number => {
  const c = s.codePointAt(0);
  return c !== undefined && s.length === (c > 0xffff ? 2 : 1) ? c : -1;
};

/**
 * Code points that simple case folding (what a regex with `iu` compares) relates differently from
 * toUpperCase/toLowerCase: ı is not i; ΐ and ΐ, ΰ and ΰ, ﬅ and ﬆ are one another. Which of them
 * are equal is asked of the regex engine itself, once, so the table follows the runtime's Unicode.
 */
const FOLD_FIXES = new Map<number, number>();
for (const group of [[0x131], [0x390, 0x1fd3], [0x3b0, 0x1fe3], [0xfb05, 0xfb06]]) {
  for (const c of group) {
    const ch = String.fromCodePoint(c);
    const same = new RegExp(`^${ch}$`, 'iu');
    const rule = ruleFold(c);
    // The least member of the group the engine calls equal, else the usual rule when it agrees, else itself.
    const equal = group.filter((x) => same.test(String.fromCodePoint(x)));
    FOLD_FIXES.set(c, equal.length > 1 ? Math.min(...equal) : same.test(String.fromCodePoint(rule)) ? rule : c);
  }
}

/** lower(upper(c)) where both are one code point, else lower(c), else c. */
function ruleFold(c: number): number {
  const ch = String.fromCodePoint(c);
  const upper = ch.toUpperCase();
  if (singleCodePoint(upper) >= 0) {
    const lower = singleCodePoint(upper.toLowerCase());
    if (lower >= 0) return lower;
  }
  const lower = singleCodePoint(ch.toLowerCase());
  return lower >= 0 ? lower : c;
}

// Per-code-point tables of the BMP, filled as code points are met (0 = not computed yet); code
// points beyond it are worked out each time. Pays: the worst persona again 5–10% slower without
// them (CPU time, interleaved runs; npm run bench medians 18.4 → 19.7 ms unicode, 25.9 → 30.3 ms random-unicode).
const foldBmp = new Int32Array(0x10000);
const wordBmp = new Uint8Array(0x10000);

/**
 * The representative of a code point's class under the regex engine's case-insensitive
 * comparison: two code points match under `iu` exactly when their folds are equal (checked
 * against the engine for every cased code point by a test).
 */
export function foldCodePoint(c: number): number {
  if (c >= 0x10000) return FOLD_FIXES.get(c) ?? ruleFold(c);
  const known = foldBmp[c];
  if (known) return known - 1;
  const f = FOLD_FIXES.get(c) ?? ruleFold(c);
  foldBmp[c] = f + 1;
  return f;
}

/** A word character for the boundaries of a match (`[\p{L}\p{N}_]` under `iu`). */
export function isWordCodePoint(c: number): boolean {
  if (c >= 0x10000) return WORD.test(String.fromCodePoint(c));
  const known = wordBmp[c];
  if (known) return known === 2;
  const w = WORD.test(String.fromCharCode(c));
  wordBmp[c] = w ? 2 : 1;
  return w;
}

/** A text as folded code points, each whitespace run as one space, with a word flag per position. */
type Folded = { points: Int32Array; word: Uint8Array; length: number };

function foldText(text: string): Folded {
  const points = new Int32Array(text.length);
  const word = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (isSpace(c)) {
      if (n === 0 || points[n - 1] !== SPACE) {
        points[n] = SPACE;
        word[n++] = 0;
      }
      continue;
    }
    points[n] = foldCodePoint(c);
    word[n++] = isWordCodePoint(c) ? 1 : 0;
  }
  return { points, word, length: n };
}

/** A phrase as the automaton reads it: trimmed, folded, inner whitespace runs as one space; '' when blank. */
function phraseKey(phrase: string): Int32Array {
  const f = foldText(phrase.trim());
  return f.points.subarray(0, f.length);
}

/** `label[s]` when state s has two children or more: they are in `branches[child[s]]`. */
const BRANCH = -2;
/** `label[s]` when state s has no child. */
const LEAF = -1;

/**
 * Which of a list of phrase sets (one per knowledge domain) a context mentions, each phrase as a
 * whole word or phrase, case-insensitively. Compiled once per list; `match` is one pass over
 * the context, linear in its length (each position follows at most as many output links as
 * there are distinct phrase lengths, at most 100).
 */
export class PhraseMatcher {
  /**
   * Trie edges. Most states of a long phrase have one child: its code point is `label[s]` and the
   * child `child[s]`; a state with more children (at most one per phrase) keeps them in a map,
   * `branches[child[s]]`. (One map keyed by state × code point, first runs for 50 domains of 100
   * phrases of 95 characters: 785 ms to build, 29 ms to match the worst context; this: 264 ms, 5 ms.)
   */
  private readonly label: Int32Array;
  private readonly child: Int32Array;
  private readonly branches: Map<number, number>[];
  private readonly fail: Int32Array;
  /** The phrase ending at a state, or -1. */
  private readonly output: Int32Array;
  /** The nearest state on the failure chain with an output (0 when none). */
  private readonly outputLink: Int32Array;
  /** Per phrase: its length in folded code points, the sets it belongs to and its place in each set's list. */
  private readonly lengths: number[] = [];
  private readonly owners: number[][] = [];
  private readonly ranks: number[][] = [];
  /** Per set: its phrases as given, and the place of its first non-blank one (the best a match can do). */
  private readonly phrases: (readonly string[])[];
  private readonly bestRank: number[];
  /** Sets that have at least one non-blank phrase. */
  readonly reachable: number;
  /** Trie states: what the matcher's memory grows with (about 20 bytes each, plus branch maps). */
  readonly states: number;

  /** `sets[i]` is the phrases of set i; blank phrases never match. */
  constructor(sets: readonly (readonly string[])[]) {
    // Distinct phrases first (the same phrase may serve several sets), then the trie, in arrays
    // sized by their total length (an upper bound of the number of states).
    const byKey = new Map<string, number>();
    const keys: Int32Array[] = [];
    const hasPhrase = new Set<number>();
    this.phrases = sets.map((phrases) => [...phrases]);
    this.bestRank = sets.map(() => -1);
    let total = 1;
    sets.forEach((phrases, set) => {
      for (let rank = 0; rank < phrases.length; rank++) {
        const key = phraseKey(phrases[rank]);
        if (!key.length) continue;
        hasPhrase.add(set);
        if (this.bestRank[set] === -1) this.bestRank[set] = rank;
        const id = key.join(',');
        let p = byKey.get(id);
        if (p === undefined) {
          p = keys.length;
          byKey.set(id, p);
          keys.push(key);
          total += key.length;
          this.lengths.push(key.length);
          this.owners.push([]);
          this.ranks.push([]);
        }
        // A set listing the same phrase twice keeps its first place.
        const owners = this.owners[p];
        if (owners[owners.length - 1] !== set) {
          owners.push(set);
          this.ranks[p].push(rank);
        }
      }
    });
    const label = new Int32Array(total).fill(LEAF);
    const child = new Int32Array(total);
    const outputs = new Int32Array(total).fill(-1);
    const branches: Map<number, number>[] = [];
    this.label = label;
    this.child = child;
    this.branches = branches;
    let states = 1;
    keys.forEach((key, p) => {
      let s = 0;
      for (let i = 0; i < key.length; i++) {
        const c = key[i];
        let t = this.step(s, c);
        if (t === -1) {
          t = states++;
          if (label[s] === LEAF) {
            label[s] = c;
            child[s] = t;
          } else if (label[s] === BRANCH) branches[child[s]].set(c, t);
          else {
            branches.push(new Map([[label[s], child[s]], [c, t]]));
            label[s] = BRANCH;
            child[s] = branches.length - 1;
          }
        }
        s = t;
      }
      outputs[s] = p;
    });
    this.reachable = hasPhrase.size;
    this.states = states;
    this.output = outputs;
    this.fail = new Int32Array(states);
    this.outputLink = new Int32Array(states);
    // Failure links, breadth first: a state's failure is the longest proper suffix that is a state.
    const queue = new Int32Array(states);
    let head = 0;
    let tail = 0;
    const link = (parent: number, c: number, t: number) => {
      let f = parent;
      let next = -1;
      while (f !== 0 && next === -1) {
        f = this.fail[f];
        next = this.step(f, c);
      }
      // A child of the root has no shorter suffix.
      const target = parent === 0 || next === -1 ? 0 : next;
      this.fail[t] = target;
      this.outputLink[t] = outputs[target] >= 0 ? target : this.outputLink[target];
      queue[tail++] = t;
    };
    const linkChildren = (s: number) => {
      const l = label[s];
      if (l === BRANCH) for (const [c, t] of branches[child[s]]) link(s, c, t);
      else if (l !== LEAF) link(s, l, child[s]);
    };
    linkChildren(0);
    while (head < tail) linkChildren(queue[head++]);
  }

  /** The state after reading `c` in state `s` along a trie edge, or -1. */
  private step(s: number, c: number): number {
    const l = this.label[s];
    if (l === c) return this.child[s];
    return l === BRANCH ? (this.branches[this.child[s]].get(c) ?? -1) : -1;
  }

  /**
   * The sets the context mentions, each with the first phrase of its own list (in the order the
   * set was given) that the context mentions. Stops as soon as every set that can match has
   * matched its first phrase.
   */
  match(context: string): Map<number, string> {
    const best = new Map<number, number>();
    if (!this.reachable || !context) return new Map();
    const { points, word, length } = foldText(context);
    const { fail, output, outputLink, lengths, owners, ranks, bestRank } = this;
    let settled = 0;
    let s = 0;
    scan: for (let i = 0; i < length; i++) {
      const c = points[i];
      let next = this.step(s, c);
      while (next === -1 && s !== 0) {
        s = fail[s];
        next = this.step(s, c);
      }
      s = next === -1 ? 0 : next;
      // A match ends before a non-word character (or the end), whatever its own last character is.
      if (s === 0 || (i + 1 < length && word[i + 1])) continue;
      for (let t = output[s] >= 0 ? s : outputLink[s]; t !== 0; t = outputLink[t]) {
        const p = output[t];
        const start = i - lengths[p] + 1;
        if (start > 0 && word[start - 1]) continue;
        const sets = owners[p];
        for (let k = 0; k < sets.length; k++) {
          const set = sets[k];
          const rank = ranks[p][k];
          const known = best.get(set);
          if (known !== undefined && known <= rank) continue;
          best.set(set, rank);
          if (rank === bestRank[set] && ++settled === this.reachable) break scan;
        }
      }
    }
    const found = new Map<number, string>();
    for (const [set, rank] of best) found.set(set, this.phrases[set][rank]);
    return found;
  }
}

/** The phrases of a domain that activate it: its keywords and topics; none when it has no keywords (always active). */
function activatingPhrases(d: KnowledgeDomain): readonly string[] {
  return d.activationKeywords.length ? [...d.activationKeywords, ...d.topics] : [];
}

/** What a compiled matcher was built from: per domain, its keyword and topic counts and texts. */
function phraseList(domains: readonly KnowledgeDomain[]): unknown[] {
  const out: unknown[] = [domains.length];
  for (const d of domains) {
    out.push(d.activationKeywords.length, d.topics.length);
    for (const k of d.activationKeywords) out.push(k);
    for (const t of d.topics) out.push(t);
  }
  return out;
}

/**
 * Compiled matchers, keyed by the domain list (a persona's) they were built for, with the phrases
 * they were built from: a list changed in place is compiled again. At most 1,000 lists and 2
 * million trie states in all (four personas at every maximum).
 */
// Pays (npm run bench, medians): the worst persona again 18–26 ms with it, 58–63 ms without.
const compiled = new BoundedCache<object, { phrases: unknown[]; matcher: PhraseMatcher }>({ maxEntries: 1_000, maxWeight: 2_000_000, weigh: (_, c) => c.matcher.states });

function matcherFor(owner: object, domains: readonly KnowledgeDomain[]): PhraseMatcher {
  const phrases = phraseList(domains);
  const cached = compiled.get(owner);
  if (cached && cached.phrases.length === phrases.length && cached.phrases.every((p, i) => p === phrases[i])) return cached.matcher;
  const matcher = new PhraseMatcher(domains.map(activatingPhrases));
  compiled.set(owner, { phrases, matcher });
  return matcher;
}

/**
 * The knowledge domains a context activates, as a map from each active domain to what activated
 * it: the first of its own keywords, then topics, that the context mentions, or `null` for a domain without activation keywords
 * (always active). A domain with keywords is active when the context mentions one of its keywords
 * or topics as a whole word or phrase, case-insensitively; without a context only always-active
 * domains are. One pass over the context, with a matcher compiled once per domain list and
 * remembered beside `owner` (default: the list itself).
 */
export function activeDomains(domains: readonly KnowledgeDomain[], context: string | undefined, owner: object = domains): Map<KnowledgeDomain, string | null> {
  const out = new Map<KnowledgeDomain, string | null>();
  const keyed = domains.some((d) => d.activationKeywords.length);
  const found = keyed && context ? matcherFor(owner, domains).match(context) : undefined;
  domains.forEach((d, i) => {
    if (!d.activationKeywords.length) out.set(d, null);
    else {
      const phrase = found?.get(i);
      if (phrase !== undefined) out.set(d, phrase);
    }
  });
  return out;
}

/**
 * Active when the context mentions one of its activation keywords or topics. A domain without
 * activation keywords is always active (its topics describe it rather than trigger it).
 */
export function isDomainActive(domain: KnowledgeDomain, context: string | undefined): boolean {
  if (!domain.activationKeywords.length) return true;
  if (!context) return false;
  return activeDomains([domain], context, domain).has(domain);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * True when `phrase` appears in `text` as a whole word or phrase, case-insensitively ("helm" in
 * "a helm chart", not in "helmet"). One regex per call: this is the reference definition that
 * {@link PhraseMatcher} is tested against; rendering does not call it.
 */
export function mentions(text: string, phrase: string): boolean {
  const p = phrase.trim();
  if (!p) return false;
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(p).replace(/\s+/g, '\\s+')}(?![\\p{L}\\p{N}_])`, 'iu').test(text);
}
