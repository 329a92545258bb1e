import { InteractionMode, ResponseStyleType } from '../enums';
import { BudgetExceededError, PersonaValidationError, ValidationIssue } from '../errors';
import { BehaviorRule } from '../models/behavior-rule.entity';
import { KnowledgeDomain } from '../models/knowledge-domain.entity';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaTrait } from '../models/persona-trait.entity';
import { fieldsSet } from '../validation/model';
import { activeDomains } from './keyword-matcher';
import { o200kTokenCounter, TokenCounter } from './token-counter';

export { o200kTokenCounter, TOKEN_SEGMENT_LENGTH } from './token-counter';
export type { TokenCounter } from './token-counter';

/**
 * Longest context a render accepts, in UTF-16 code units (`context.length`): about 8,000 tokens
 * of conversation. Matching is linear in it; a longer context is refused with path `context`,
 * constraint `maxLength`.
 */
export const MAX_CONTEXT_LENGTH = 32_000;

/** Largest token budget a render accepts: the largest `memoryConfig.maxContextTokens` (2,000,000). */
export const MAX_TOKEN_BUDGET = 2_000_000;

/** Options of {@link renderSystemPrompt}. */
export type RenderOptions = {
  /** The conversation so far (or the user's message): activates knowledge domains. At most {@link MAX_CONTEXT_LENGTH} characters. */
  context?: string;
  /** Most tokens the prompt may take, an integer 1–{@link MAX_TOKEN_BUDGET}; optional material is dropped to fit. */
  tokenBudget?: number;
  /** Token counter (default o200k, counted in segments). */
  counter?: TokenCounter;
};

/**
 * Refuses render options outside their ranges, before any work is done: a context that is not a
 * string or is longer than {@link MAX_CONTEXT_LENGTH}, a token budget that is not an integer
 * 1–{@link MAX_TOKEN_BUDGET}. Throws `PersonaValidationError` naming `context` or `tokenBudget`.
 * `renderSystemPrompt` and `PersonaRuntime.prompt` (hence the REST route and the CLI) both call it.
 */
export function assertRenderOptions(options: { context?: unknown; tokenBudget?: unknown }): void {
  const issues: ValidationIssue[] = [];
  const { context, tokenBudget } = options;
  if (tokenBudget !== undefined) {
    if (typeof tokenBudget !== 'number' || !Number.isSafeInteger(tokenBudget)) issues.push({ path: 'tokenBudget', constraint: 'isInt', message: 'tokenBudget must be a positive integer' });
    else if (tokenBudget < 1) issues.push({ path: 'tokenBudget', constraint: 'min', message: 'tokenBudget must be a positive integer' });
    else if (tokenBudget > MAX_TOKEN_BUDGET) issues.push({ path: 'tokenBudget', constraint: 'max', message: `tokenBudget must be at most ${MAX_TOKEN_BUDGET.toLocaleString('en-US')}` });
  }
  if (context !== undefined) {
    if (typeof context !== 'string') issues.push({ path: 'context', constraint: 'isString', message: 'context must be a string' });
    else if (context.length > MAX_CONTEXT_LENGTH) {
      issues.push({ path: 'context', constraint: 'maxLength', message: `context must be at most ${MAX_CONTEXT_LENGTH.toLocaleString('en-US')} characters (got ${context.length.toLocaleString('en-US')})` });
    }
  }
  if (issues.length) throw new PersonaValidationError(issues, 'options');
}

/** A part of the prompt and its token count. */
export type RenderedSection = { name: PromptSectionName; tokens: number };
/** The sections, in the order they appear. */
export type PromptSectionName = 'identity' | 'traits' | 'responseStyle' | 'interactionMode' | 'knowledge' | 'rules' | 'memory';
/** Something left out of the prompt, and why. */
export type DroppedItem = { kind: 'rule' | 'trait' | 'domainDetails' | 'domain' | 'memory' | 'formatting' | 'responseStyle' | 'interactionMode'; name: string; reason: string };

/** What a persona becomes for one conversation turn. */
export type RenderedPrompt = {
  /** The system prompt. */
  text: string;
  /** Token count of `text` by the counter used (never above the budget). */
  tokens: number;
  /** Each part with its token count, in order. */
  sections: RenderedSection[];
  /** Every item left out, and why (inactive domains, budget). */
  dropped: DroppedItem[];
  /** Names of the knowledge domains brought in. */
  activeDomains: string[];
  /** The first model preference, or null. */
  model: string | null;
  temperature: number;
  /** The persona's response limit (not the prompt budget), or null. */
  maxTokens: number | null;
};

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

/** A numeric trait value in words. */
export function gradeTrait(value: number): string {
  if (value >= 90) return 'exceptionally high';
  if (value >= 75) return 'very high';
  if (value >= 60) return 'high';
  if (value >= 40) return 'moderate';
  if (value >= 25) return 'low';
  if (value >= 10) return 'very low';
  return 'minimal';
}

const STYLE_WORDS: Record<ResponseStyleType, string> = {
  formal: 'Write formally and professionally.',
  casual: 'Write in a relaxed, conversational way.',
  technical: 'Write precisely, with correct technical terms and concrete details.',
  creative: 'Write imaginatively, with vivid language.',
  educational: 'Teach: explain step by step and check understanding.',
  empathetic: 'Acknowledge feelings first, then help, with warmth.',
};

const MODE_WORDS: Record<InteractionMode, string> = {
  conversational: 'Converse naturally: respond to what the user says and keep the exchange flowing.',
  task_oriented: 'Focus on getting the user’s task done: clarify the goal, then act, then confirm.',
  analytical: 'Analyse: break problems down, reason step by step and state your assumptions.',
  creative: 'Collaborate creatively: offer ideas, variations and surprises.',
  advisory: 'Advise: weigh the options and recommend one, with its trade-offs.',
};

function formalityWords(level: number): string {
  if (level >= 9) return 'very formal; no slang, no contractions';
  if (level >= 7) return 'formal';
  if (level >= 5) return 'neutral, professional but approachable';
  if (level >= 3) return 'informal';
  return 'very informal';
}

function verbosityWords(level: number): string {
  if (level >= 9) return 'exhaustive answers covering every detail';
  if (level >= 7) return 'thorough answers with explanation and examples';
  if (level >= 5) return 'balanced answers: complete, without padding';
  if (level >= 3) return 'concise answers';
  return 'the shortest answer that is correct';
}

const humanised = new Map<string, string>();
function humanise(name: string): string {
  if (!name.includes('-') && !name.includes('_')) return name;
  let out = humanised.get(name);
  if (out === undefined) {
    out = name.replace(/[-_]+/g, ' ');
    if (humanised.size >= 10_000) humanised.clear();
    humanised.set(name, out);
  }
  return out;
}

/** Code-point order: the same on every machine, whatever its locale (localeCompare is not). */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How a list of entries is ordered in the prompt: the fields the order depends on, and the comparison. */
type Ordering<E> = { fields: readonly (keyof E)[]; compare: (a: E, b: E) => number };

/** Traits: heaviest first, then by name. */
const TRAIT_ORDER: Ordering<PersonaTrait> = { fields: ['weight', 'name'], compare: (a, b) => b.weight - a.weight || byCodePoint(a.name, b.name) };
/** Rules: mandatory first, then by priority, then by name. */
const RULE_ORDER: Ordering<BehaviorRule> = {
  fields: ['isMandatory', 'priority', 'name'],
  compare: (a, b) => Number(b.isMandatory) - Number(a.isMandatory) || b.priority - a.priority || byCodePoint(a.name, b.name),
};

/** The sorted copy of a list, remembered beside the list with the entries and field values it was sorted from. */
const sortedLists = new WeakMap<readonly object[], { entries: object[]; values: unknown[]; sorted: object[] }>();

/**
 * `[...list].sort(order.compare)`, sorted once while the list holds the same entries with the
 * same values of the fields the order reads (a persona renders again and again; checking the
 * fields is linear, sorting is not). The result is shared: read it, never change it.
 */
function sortedOnce<E extends object>(list: readonly E[], order: Ordering<E>): readonly E[] {
  const cached = sortedLists.get(list);
  if (cached && cached.entries.length === list.length) {
    let same = true;
    for (let i = 0, v = 0; same && i < list.length; i++) {
      const entry = list[i];
      if (entry !== cached.entries[i]) same = false;
      for (let f = 0; same && f < order.fields.length; f++) same = entry[order.fields[f]] === cached.values[v++];
    }
    if (same) return cached.sorted as E[];
  }
  const values: unknown[] = [];
  for (const entry of list) for (const field of order.fields) values.push(entry[field]);
  const sorted = [...list].sort(order.compare);
  sortedLists.set(list, { entries: [...list], values, sorted });
  return sorted;
}

function traitLine(t: PersonaTrait): string {
  const name = humanise(t.name);
  const value = typeof t.value === 'number' ? `${gradeTrait(t.value)} (${t.value}/100)` : typeof t.value === 'boolean' ? (t.value ? 'yes' : 'no') : t.value;
  return `- ${name}: ${value}${t.description ? ` — ${t.description}` : ''}`;
}

/** Ends a sentence with a period unless it already ends with one (the author's text is never altered). */
function sentence(text: string): string {
  const last = text.trimEnd().slice(-1);
  return last === '.' || last === '!' || last === '?' || last === '…' ? text : `${text}.`;
}

function domainLine(d: KnowledgeDomain): string {
  const tools = d.tools.length ? ` Tools: ${d.tools.join(', ')}.` : '';
  return `### ${d.name} (expertise ${d.expertiseLevel}/10)\nTopics: ${d.topics.join(', ')}.${tools}`;
}

function ruleLine(r: BehaviorRule): string {
  const exceptions = r.exceptions.length ? ` (Except: ${sentence(r.exceptions.join('; '))})` : '';
  return `- ${r.isMandatory ? '[Always] ' : ''}When ${r.condition}: ${sentence(r.action)}${exceptions}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * True when `phrase` appears in `text` as a whole word or phrase, case-insensitively ("helm" in
 * "a helm chart", not in "helmet"). One regex per phrase: this is the reference definition that
 * the renderer's one-pass matcher (src/services/keyword-matcher.ts) is tested against; rendering
 * does not call it.
 */
export function mentions(text: string, phrase: string): boolean {
  const p = phrase.trim();
  if (!p) return false;
  let re = phraseRegExps.get(p);
  if (!re) {
    re = new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(p).replace(/\s+/g, '\\s+')}(?![\\p{L}\\p{N}_])`, 'iu');
    if (phraseRegExps.size >= 10_000) phraseRegExps.delete(phraseRegExps.keys().next().value as string);
    phraseRegExps.set(p, re);
  }
  return re.test(text);
}
const phraseRegExps = new Map<string, RegExp>();

/**
 * Active when the context mentions one of its activation keywords or topics. A domain without
 * activation keywords is always active (its topics describe it rather than trigger it).
 */
export function isDomainActive(domain: KnowledgeDomain, context: string | undefined): boolean {
  if (!domain.activationKeywords.length) return true;
  if (!context) return false;
  return activeDomains([domain], context, domain).has(domain);
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/** One droppable line (or block) of the prompt, counted once. */
type Item = { section: PromptSectionName; text: string; tokens?: number; drop?: DroppedItem; heading?: boolean; order: number; level?: number };

/**
 * Renders a persona into a system prompt, deterministic for the same input, in a fixed order:
 * identity, traits, response style, interaction mode, active knowledge domains, behavior rules,
 * memory guidance. With a `tokenBudget`, optional material is dropped in a documented order until
 * the text fits (docs/rendering.md); identity and mandatory rules are never dropped, and if they
 * alone do not fit, `BudgetExceededError` says how many tokens they need.
 */
export function renderSystemPrompt(persona: PersonaConfiguration, options: RenderOptions = {}): RenderedPrompt {
  // The default counter remembers the counts of segments (a persona renders again and again), the
  // final text's included: it is counted by the same function, so its count is consistent with the items'.
  const count = options.counter ?? o200kTokenCounter;
  const countText = count;
  assertRenderOptions(options);
  const { context, tokenBudget } = options;

  const items: Item[] = [];
  const dropped: DroppedItem[] = [];
  let order = 0;
  // `level` is what orders items of one kind in the drop order: priority, weight, expertise.
  const add = (section: PromptSectionName, text: string, drop?: DroppedItem, level = 0, tokens?: number) =>
    items.push({ section, text, drop, order: order++, level, tokens });
  // The line of a trait or rule (and, with the default counter, its token count) is remembered
  // beside the entry while the fields it is made of stay the same.
  const line = <E extends object>(entry: E, key: unknown[], make: (e: E) => string): { text: string; tokens?: number } => {
    const cached = lines.get(entry);
    if (cached && sameValues(cached.key, key)) return { text: cached.text, tokens: options.counter ? undefined : cached.tokens };
    const text = make(entry);
    const fresh = { key, text, tokens: options.counter ? undefined : count(text) };
    lines.set(entry, fresh);
    return fresh;
  };
  // A heading stays while anything under it stays.
  const heading = (section: PromptSectionName, text: string) => items.push({ section, text, heading: true, order: order++ });

  // identity — never dropped
  add('identity', `# ${persona.name}`);
  if (persona.description) add('identity', persona.description);
  if (persona.instructions) add('identity', persona.instructions);

  // traits, heaviest first
  const traits = sortedOnce(persona.traits, TRAIT_ORDER);
  if (traits.length) {
    heading('traits', '## Personality');
    for (const t of traits) {
      const l = line(t, [t.name, t.value, t.description], traitLine);
      add('traits', l.text, { kind: 'trait', name: t.name, reason: '' }, t.weight, l.tokens);
    }
  }

  // response style
  const style = persona.responseStyle;
  heading('responseStyle', '## How to respond');
  add('responseStyle', `- ${STYLE_WORDS[style.type]} Tone: ${style.tone}.`, { kind: 'responseStyle', name: 'type', reason: '' });
  add('responseStyle', `- Formality ${style.formalityLevel}/10: ${formalityWords(style.formalityLevel)}.`, { kind: 'responseStyle', name: 'formalityLevel', reason: '' });
  add('responseStyle', `- Length ${style.verbosity}/10: ${verbosityWords(style.verbosity)}.`, { kind: 'responseStyle', name: 'verbosity', reason: '' });
  const prefs = Object.keys(style.formattingPreferences).sort();
  if (prefs.length) {
    const words = prefs.map((k) => {
      const v = style.formattingPreferences[k];
      return `${humanise(k)}: ${v === true ? 'yes' : v === false ? 'no' : String(v)}`;
    });
    add('responseStyle', `- Formatting: ${words.join('; ')}.`, { kind: 'formatting', name: 'formattingPreferences', reason: '' });
  }

  // interaction mode
  add('interactionMode', `## Interaction mode\n${MODE_WORDS[persona.interactionMode]}`, { kind: 'interactionMode', name: persona.interactionMode, reason: '' });

  // knowledge domains
  const active: KnowledgeDomain[] = [];
  const activated = activeDomains(persona.knowledgeDomains, context);
  for (const d of persona.knowledgeDomains) {
    if (activated.has(d)) active.push(d);
    else dropped.push({ kind: 'domain', name: d.name, reason: context ? 'inactive: the context mentions none of its keywords or topics' : 'inactive: no context' });
  }
  if (active.length) {
    heading('knowledge', '## Knowledge');
    for (const d of active) {
      const l = line(d, [d.name, d.expertiseLevel, d.topics.length, ...d.topics, d.tools.length, ...d.tools], domainLine);
      add('knowledge', l.text, { kind: 'domain', name: d.name, reason: '' }, d.expertiseLevel, l.tokens);
      if (d.description) add('knowledge', d.description, { kind: 'domainDetails', name: d.name, reason: '' }, d.expertiseLevel);
    }
  }

  // behavior rules: mandatory first, then by priority
  const rules = sortedOnce(persona.behaviorRules, RULE_ORDER);
  if (rules.length) {
    heading('rules', '## Rules');
    for (const r of rules) {
      const l = line(r, [r.isMandatory, r.condition, r.action, r.exceptions.length, ...r.exceptions], ruleLine);
      add('rules', l.text, r.isMandatory ? undefined : { kind: 'rule', name: r.name, reason: '' }, r.priority, l.tokens);
    }
  }

  // memory guidance, where the persona says something about memory
  const memory = persona.memoryConfig;
  if (fieldsSet(persona).has('memoryConfig') || memory.priorityTopics.length) {
    const lines = [
      '## Memory',
      `Keep the last ${memory.retainLastMessages} messages word for word; summarise older turns once the conversation passes ${memory.summarizeAtTokens.toLocaleString('en-US')} tokens.`,
    ];
    if (memory.priorityTopics.length) lines.push(`Always keep track of: ${memory.priorityTopics.join(', ')}.`);
    if (memory.semanticCompression) lines.push(`Compress older context by meaning to about ${Math.round(memory.compressionRatio * 100)}% of its length.`);
    add('memory', lines.join('\n'), { kind: 'memory', name: 'memoryConfig', reason: '' });
  }

  const fitted = tokenBudget === undefined ? undefined : fit(items, tokenBudget, count, countText, dropped);
  const kept = fitted?.kept ?? new Set(items);

  const finalItems = fitted?.finalItems ?? items.filter((i) => kept.has(i));
  const text = fitted?.text ?? join(finalItems);
  const tokens = fitted?.tokens ?? countText(text);
  const sections = sectionsOf(finalItems, count);
  return {
    text,
    tokens,
    sections,
    dropped,
    activeDomains: activeNames(active, finalItems),
    model: persona.modelPreferences[0] ?? null,
    temperature: persona.temperature,
    maxTokens: persona.maxTokens ?? null,
  };
}

/** The active domains whose block made it into the prompt, in persona order. */
function activeNames(active: KnowledgeDomain[], finalItems: Item[]): string[] {
  const kept = new Set<string>();
  for (const i of finalItems) if (i.drop?.kind === 'domain') kept.add(i.drop.name);
  return active.filter((d) => kept.has(d.name)).map((d) => d.name);
}

/** Items of one section are joined by newlines, sections by a blank line. */
function join(items: Item[]): string {
  const parts: string[] = [];
  let last: PromptSectionName | undefined;
  for (const item of items) {
    if (last !== undefined) parts.push(item.section === last ? '\n' : '\n\n');
    parts.push(item.text);
    last = item.section;
  }
  return parts.join('');
}

function sectionsOf(items: Item[], count: TokenCounter): RenderedSection[] {
  const out: RenderedSection[] = [];
  for (const item of items) {
    const tokens = (item.tokens ??= count(item.text));
    const last = out[out.length - 1];
    if (last && last.name === item.section) last.tokens += tokens;
    else out.push({ name: item.section, tokens });
  }
  return out;
}

/**
 * The order in which optional material goes: lowest-priority optional rules first, then traits
 * from the lightest, then domain details (knowledge text) and whole domains from the lowest
 * expertise, then memory guidance, formatting preferences, the rest of the response style and
 * the interaction mode.
 */
/** Why a budget drop happened, written only for what is dropped. */
function budgetDrop(i: Item): DroppedItem {
  const d = i.drop as DroppedItem;
  const measure = d.kind === 'trait' ? 'weight' : d.kind === 'rule' ? 'priority' : d.kind === 'domain' || d.kind === 'domainDetails' ? 'expertise' : undefined;
  return { kind: d.kind, name: d.name, reason: measure ? budgetReason(measure, i.level ?? 0) : 'budget' };
}

/** `budget: weight 2.5` and the like, made once per measure and level (a fit drops dozens of items). */
const budgetReasons = new Map<string, Map<number, string>>();
function budgetReason(measure: string, level: number): string {
  let byLevel = budgetReasons.get(measure);
  if (!byLevel) budgetReasons.set(measure, (byLevel = new Map()));
  let reason = byLevel.get(level);
  if (reason === undefined) {
    reason = `budget: ${measure} ${level}`;
    if (byLevel.size >= 1_000) byLevel.clear();
    byLevel.set(level, reason);
  }
  return reason;
}

const KIND_ORDER: DroppedItem['kind'][] = ['rule', 'trait', 'domainDetails', 'domain', 'memory', 'formatting', 'responseStyle', 'interactionMode'];
const KIND_RANK = Object.fromEntries(KIND_ORDER.map((kind, rank) => [kind, rank])) as Record<DroppedItem['kind'], number>;

/**
 * The drop order, in linear time: kinds in the documented order; within a kind, the lowest level
 * (priority, weight, expertise) first and, on a tie, the later item first. Rules and traits are
 * created from the highest level down, so for them that is simply their reverse creation order.
 */
function dropOrder(items: Item[]): Item[] {
  const buckets: Item[][] = KIND_ORDER.map(() => []);
  for (let i = items.length - 1; i >= 0; i--) {
    const drop = items[i].drop;
    if (drop) buckets[KIND_RANK[drop.kind]].push(items[i]);
  }
  const out: Item[] = [];
  for (let k = 0; k < KIND_ORDER.length; k++) {
    const bucket = buckets[k];
    const kind = KIND_ORDER[k];
    if ((kind === 'domain' || kind === 'domainDetails') && bucket.length > 1) bucket.sort((a, b) => (a.level ?? 0) - (b.level ?? 0) || b.order - a.order);
    for (const i of bucket) out.push(i);
  }
  return out;
}

/**
 * Keeps what fits, in the drop order read backwards: the required core first (identity and
 * mandatory rules, and the headings they need), then the most important optional item, the next,
 * … until one does not fit; it and everything after it (less important) are dropped. That keeps
 * exactly what dropping "lowest first until it fits" keeps, but counts only what is kept (plus the
 * one that did not fit): a 3,000-token persona fitted to 500 tokens encodes about 500 tokens of
 * items. The running total adds counts, never re-encodes; the joined text is encoded once at the
 * end to confirm it (and, rarely, once more after dropping the last item kept).
 */
function fit(items: Item[], budget: number, count: TokenCounter, countText: TokenCounter, dropped: DroppedItem[]): { kept: Set<Item>; finalItems: Item[]; text: string; tokens: number } {
  const tokensOf = (i: Item) => (i.tokens ??= count(i.text));
  const kept = new Set<Item>();
  const headingOf = new Map<PromptSectionName, Item>();
  for (const i of items) if (i.heading) headingOf.set(i.section, i);
  // Every item costs itself plus one separator (a line break or a blank line: one token each).
  const separator = Math.max(count('\n'), count('\n\n'));
  let total = -separator;
  const take = (i: Item) => {
    const h = headingOf.get(i.section);
    if (h && !kept.has(h)) {
      kept.add(h);
      total += tokensOf(h) + separator;
    }
    kept.add(i);
    total += tokensOf(i) + separator;
  };
  for (const i of items) if (!i.drop && !i.heading) take(i);
  if (items.some((i) => !i.drop && !i.heading && i.section === 'identity') && total > budget) {
    const requiredTokens = countText(join(items.filter((i) => kept.has(i))));
    if (requiredTokens > budget) throw new BudgetExceededError(requiredTokens, budget);
  }
  const order = dropOrder(items).reverse();
  const added: Item[] = [];
  let stop = order.length;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const h = headingOf.get(i.section);
    const cost = tokensOf(i) + separator + (h && !kept.has(h) ? tokensOf(h) + separator : 0);
    if (total + cost > budget) {
      stop = k;
      break;
    }
    take(i);
    added.push(i);
  }
  for (const i of order.slice(stop).reverse()) dropped.push(budgetDrop(i));
  // Confirm with one exact count of the joined text (joining can merge tokens); it is the result's count.
  for (;;) {
    const finalItems = items.filter((i) => kept.has(i));
    const text = join(finalItems);
    const tokens = countText(text);
    if (tokens <= budget) return { kept, finalItems, text, tokens };
    const last = added.pop();
    if (!last) {
      const requiredTokens = countText(join(items.filter((i) => kept.has(i))));
      throw new BudgetExceededError(requiredTokens, budget);
    }
    kept.delete(last);
    dropped.unshift(budgetDrop(last));
    const h = headingOf.get(last.section);
    if (h && !items.some((x) => x !== h && x.section === last.section && kept.has(x))) kept.delete(h);
  }
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Rendered lines of entries (traits, rules), keyed by the entry, checked against the fields they come from. */
const lines = new WeakMap<object, { key: unknown[]; text: string; tokens?: number }>();

