import { KnowledgeDomain } from '../../models/knowledge-domain.entity';
import { PersonaConfiguration } from '../../models/persona-configuration.entity';

/*
 * Lorebook activation as SillyTavern applies it to a character card's `character_book`, for the
 * knowledge domains that came from one (the persona's `interop` record of a card says which
 * entry each domain was, with the entry's settings). Other domains keep the renderer's own
 * whole-word keyword matching. See docs/interop.md ("Lorebook activation").
 */

/** SillyTavern's `selectiveLogic`: how an entry's secondary keys combine with its primary keys. */
export enum SelectiveLogic {
  /** Active when any secondary key also matches. */
  AndAny = 0,
  /** Active unless every secondary key matches. */
  NotAll = 1,
  /** Active when no secondary key matches. */
  NotAny = 2,
  /** Active when every secondary key matches. */
  AndAll = 3,
}

/** One lorebook entry's activation settings, read from the record (defaults as SillyTavern's). */
export type LorebookRule = {
  /** Primary keys: the entry is a candidate when one matches. */
  keys: string[];
  /** Secondary keys, read when `selective` is set and there are any. */
  secondaryKeys: string[];
  selective: boolean;
  logic: SelectiveLogic;
  /** Always active, whatever the context. */
  constant: boolean;
  /** Keys compared with case (default false). */
  caseSensitive: boolean;
  /** Keys match whole words only (default false: a key matches inside a word, as in SillyTavern). */
  matchWholeWords: boolean;
  /** How many of the latest messages are scanned (entry, else book `scan_depth`, else 2). */
  scanDepth: number;
  /** Lower comes first in the prompt (V2 spec `insertion_order`). */
  insertionOrder: number;
  /** Lower is dropped first when the budget is short (V2 spec `priority`). */
  priority: number;
};

/** Messages scanned when neither the entry nor the book says (SillyTavern's default). */
export const DEFAULT_SCAN_DEPTH = 2;
/** Longest key read as a regular expression; a longer one, or one that could backtrack without bound, is read as plain text. */
export const MAX_REGEX_KEY_LENGTH = 200;
/**
 * Characters of the (latest) context a regular-expression key is tested against. With at most one
 * unbounded quantifier per key (see `keyRegex`), a test is at worst quadratic in this length.
 */
export const MAX_REGEX_SCAN = 4_000;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string' && k.trim().length > 0) : []);
const flag = (entryValue: unknown, extValue: unknown, fallback: boolean): boolean => (typeof extValue === 'boolean' ? extValue : typeof entryValue === 'boolean' ? entryValue : fallback);

/**
 * The rules of a persona's lorebook domains, by domain name; empty when it has none. Read on each
 * render: caching them (and the compiled regex keys) by record measured no faster (median of 9 ×
 * 20 renders of 50 domains × 50 keys, 8 interleaved runs: 2.0–3.4 ms with, 1.2–3.9 ms without).
 */
export function lorebookRules(persona: PersonaConfiguration): Map<string, LorebookRule> {
  const record = persona.interop;
  if (!isObject(record) || (record.format !== 'card-v2' && record.format !== 'card-v3')) return new Map();
  const rules = new Map<string, LorebookRule>();
  const fields = isObject(record.fields) ? record.fields : {};
  const book = isObject(fields['data.character_book']) ? fields['data.character_book'] : undefined;
  const extra = book && isObject(book.extra) ? book.extra : undefined;
  const bookDepth = extra && isObject(extra.book) && Number.isInteger(extra.book.scan_depth) ? (extra.book.scan_depth as number) : undefined;
  for (const kept of Array.isArray(extra?.entries) ? (extra?.entries as unknown[]) : []) {
    if (!isObject(kept) || typeof kept.domain !== 'string' || !isObject(kept.entry)) continue;
    const e = kept.entry;
    const ext = isObject(e.extensions) ? e.extensions : {};
    const depth = Number.isInteger(ext.scan_depth) ? (ext.scan_depth as number) : bookDepth ?? DEFAULT_SCAN_DEPTH;
    const logic = Number.isInteger(ext.selectiveLogic) && (ext.selectiveLogic as number) >= 0 && (ext.selectiveLogic as number) <= 3 ? (ext.selectiveLogic as SelectiveLogic) : SelectiveLogic.AndAny;
    rules.set(kept.domain, {
      keys: strings(e.keys),
      secondaryKeys: strings(e.secondary_keys),
      selective: e.selective === true,
      logic,
      constant: e.constant === true,
      caseSensitive: flag(e.case_sensitive, ext.case_sensitive, false),
      matchWholeWords: flag(undefined, ext.match_whole_words, false),
      scanDepth: Math.max(0, Math.min(depth, 1000)),
      insertionOrder: typeof e.insertion_order === 'number' && Number.isFinite(e.insertion_order) ? e.insertion_order : 0,
      priority: typeof e.priority === 'number' && Number.isFinite(e.priority) ? e.priority : 0,
    });
  }
  return rules;
}

/**
 * A key as SillyTavern reads it: `/pattern/flags` is a regular expression, anything else plain
 * text. Bounded work: a pattern is used only when it is at most {@link MAX_REGEX_KEY_LENGTH}
 * characters, has no back-reference or lookbehind, and at most one unbounded quantifier (`*`, `+`,
 * `{n,}`), so no test can backtrack beyond quadratic time over the {@link MAX_REGEX_SCAN}
 * characters it reads; any other pattern is matched as the plain text of the key.
 */
function keyRegex(key: string): RegExp | undefined {
  let regex: RegExp | null = null;
  const m = /^\/([\s\S]+)\/([gimsuy]*)$/.exec(key.trim());
  if (m && key.length <= MAX_REGEX_KEY_LENGTH) {
    const [, source, flags] = m;
    const bare = source.replace(/\\./g, '');
    const unbounded = (bare.match(/[*+]|\{\d+,\}/g) ?? []).length;
    if (unbounded <= 1 && !/\\[1-9]|\\k</.test(source) && !/\(\?<[=!]/.test(source)) {
      try {
        regex = new RegExp(source, flags.replace(/[gy]/g, ''));
      } catch {
        regex = null;
      }
    }
  }
  return regex ?? undefined;
}

const WORD = /[\p{L}\p{N}_]/u;

/** The text an entry scans, as it is (for regular-expression keys, which carry their own flags) and as compared (lower-cased unless case-sensitive). */
export type ScannedText = { raw: string; text: string };

/** True when `key` occurs in the scanned text under the entry's flags. */
export function keyMatches(key: string, scan: ScannedText, rule: Pick<LorebookRule, 'caseSensitive' | 'matchWholeWords'>): boolean {
  const regex = keyRegex(key);
  if (regex) return regex.test(scan.raw.length > MAX_REGEX_SCAN ? scan.raw.slice(scan.raw.length - MAX_REGEX_SCAN) : scan.raw);
  const text = scan.text;
  const needle = rule.caseSensitive ? key.trim() : key.trim().toLowerCase();
  if (!needle) return false;
  // A key of several words matches anywhere even with whole words set, as in SillyTavern.
  if (!rule.matchWholeWords || /\s/.test(needle)) return text.includes(needle);
  // Whole words: the match is not inside a longer word at either end. Letters of every script are
  // word characters (SillyTavern's `\W` counts only ASCII ones, so it would find "Ёж" in "Ёжик").
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const before = at > 0 ? text[at - 1] : '';
    const after = text[at + needle.length] ?? '';
    if (!(before && WORD.test(before)) && !(after && WORD.test(after))) return true;
  }
  return false;
}

/** The text an entry scans: the last `scanDepth` messages (all of a plain-string context). */
function scanned(context: string | readonly string[], depth: number, caseSensitive: boolean): ScannedText {
  const raw = typeof context === 'string' ? context : context.slice(Math.max(0, context.length - depth)).join('\n');
  return { raw, text: caseSensitive ? raw : raw.toLowerCase() };
}

/**
 * Whether one entry is active for a context, as SillyTavern decides: constant entries always;
 * otherwise a primary key must match and, for a selective entry with secondary keys, its logic
 * must hold (AND ANY, NOT ALL, NOT ANY, AND ALL).
 */
export function isEntryActive(rule: LorebookRule, context: string | readonly string[] | undefined, scan: typeof scanned = scanned): boolean {
  if (rule.constant) return true;
  if (context === undefined || !rule.keys.length) return false;
  const text = scan(context, rule.scanDepth, rule.caseSensitive);
  if (!text.raw) return false;
  if (!rule.keys.some((k) => keyMatches(k, text, rule))) return false;
  if (!rule.selective || !rule.secondaryKeys.length) return true;
  const hits = rule.secondaryKeys.filter((k) => keyMatches(k, text, rule)).length;
  switch (rule.logic) {
    case SelectiveLogic.AndAll:
      return hits === rule.secondaryKeys.length;
    case SelectiveLogic.NotAny:
      return hits === 0;
    case SelectiveLogic.NotAll:
      return hits < rule.secondaryKeys.length;
    default:
      return hits > 0;
  }
}

/**
 * The renderer's hook: `activated` (its own keyword matching) with the domains that came from a
 * lorebook decided by their entry's rules instead, and the domains in prompt order — lorebook
 * domains by insertion order (lower first), then priority (higher first), in the places the
 * lorebook's domains hold among the persona's. A persona without a lorebook gets both back as
 * they were. The entry's primary keys are the domain's activation keywords (edited since the
 * import, they win over the record's).
 */
export function applyLorebook(
  persona: PersonaConfiguration,
  context: string | readonly string[] | undefined,
  activated: Map<KnowledgeDomain, string | null>,
): { activated: Map<KnowledgeDomain, string | null>; order: readonly KnowledgeDomain[]; priority: (d: KnowledgeDomain) => number | undefined } {
  const rules = lorebookRules(persona);
  const domains = persona.knowledgeDomains;
  if (!rules.size) return { activated, order: domains, priority: () => undefined };
  const out = new Map(activated);
  const ruleOf = new Map<KnowledgeDomain, LorebookRule>();
  // The scanned text of one render, made once per scan depth and case setting (not once per entry).
  const scans = new Map<string, ScannedText>();
  const scanOnce = (c: string | readonly string[], depth: number, caseSensitive: boolean): ScannedText => {
    const key = `${typeof c === 'string' ? '' : depth}:${caseSensitive}`;
    let scan = scans.get(key);
    if (!scan) scans.set(key, (scan = scanned(c, depth, caseSensitive)));
    return scan;
  };
  for (const d of domains) {
    const kept = rules.get(d.name);
    if (!kept) continue;
    const rule = { ...kept, keys: d.activationKeywords.length ? d.activationKeywords : kept.keys, constant: kept.constant || (!d.activationKeywords.length && !kept.keys.length) };
    ruleOf.set(d, rule);
    if (isEntryActive(rule, context, scanOnce)) out.set(d, rule.constant ? null : (rule.keys.find((k) => keyMatches(k, scanOnce(context ?? '', rule.scanDepth, rule.caseSensitive), rule)) ?? null));
    else out.delete(d);
  }
  const slots = domains.map((d, i) => (ruleOf.has(d) ? i : -1)).filter((i) => i >= 0);
  const sorted = slots
    .map((i) => domains[i])
    .sort((a, b) => (ruleOf.get(a) as LorebookRule).insertionOrder - (ruleOf.get(b) as LorebookRule).insertionOrder || (ruleOf.get(b) as LorebookRule).priority - (ruleOf.get(a) as LorebookRule).priority);
  const order = [...domains];
  slots.forEach((slot, n) => (order[slot] = sorted[n]));
  return { activated: out, order, priority: (d) => ruleOf.get(d)?.priority };
}
