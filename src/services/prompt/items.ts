import { BehaviorRule } from '../../models/behavior-rule.entity';
import { KnowledgeDomain } from '../../models/knowledge-domain.entity';
import { PersonaConfiguration } from '../../models/persona-configuration.entity';
import { PersonaTrait } from '../../models/persona-trait.entity';
import { fieldsSet } from '../../validation/model';
import { BoundedCache } from '../bounded-cache';
import { activeDomains } from '../keyword-matcher';
import { applyLorebook } from './lorebook';
import { TokenCounter } from '../token-counter';
import { domainLine, formattingLine, HEADINGS, memoryBlock, modeBlock, ruleLine, styleLines, traitLine } from './wording';

/*
 * What a persona's prompt is made of: its items (lines and blocks) in prompt order, each with its
 * section, whether and how it may be dropped, and its token count once known.
 */

/**
 * The sections, in the order they appear. Everything up to `memory` depends only on the persona
 * (`knowledge` holds the always-active domains); `activatedKnowledge`, last, holds the domains
 * the context activated, so that the text before it is a stable, cacheable prefix.
 */
export type PromptSectionName = 'identity' | 'traits' | 'responseStyle' | 'interactionMode' | 'knowledge' | 'rules' | 'memory' | 'activatedKnowledge';
/** Something left out of the prompt, and why. */
export type DroppedItem = { kind: 'rule' | 'trait' | 'domainDetails' | 'domain' | 'memory' | 'formatting' | 'responseStyle' | 'interactionMode'; name: string; reason: string };

/**
 * One line (or block) of the prompt. Without `drop` it is required (identity, mandatory rules);
 * a heading stays while anything under it stays. `level` orders items of one kind in the drop
 * order (priority, weight, expertise); `order` is the item's place in the prompt.
 */
export type Item = { section: PromptSectionName; text: string; tokens?: number; drop?: DroppedItem; heading?: boolean; order: number; level?: number };

/**
 * The items of a persona for one context, the domains it leaves out, and the active domains in
 * persona order, each with what activated it (null when always active).
 */
export type PromptItems = { items: Item[]; dropped: DroppedItem[]; active: Map<KnowledgeDomain, string | null> };

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

/**
 * Sorted copies of lists (a persona's traits, its rules), keyed by the list, with the entries and
 * field values they were sorted from: at most 1,000 lists and 20,000 entries in all.
 */
// Pays (npm run bench, medians of 9): render + fit 0.0286 ms with it, 0.0310 ms without (ratio 0.59 → 0.68).
const sortedLists = new BoundedCache<readonly object[], { entries: object[]; values: unknown[]; sorted: object[] }>({ maxEntries: 1_000, maxWeight: 20_000, weigh: (list) => list.length });

/**
 * `[...list].sort(order.compare)`, sorted once while the list holds the same entries with the
 * same values of the fields the order reads. The result is shared: read it, never change it.
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

/**
 * Lines of entries (traits, domains, rules) with their token counts, keyed by the entry and checked
 * against the fields they are made of: at most 20,000 entries and 8 million characters of lines.
 */
// Pays (npm run bench, medians): render + fit 0.029 → 0.053 ms without it; the worst persona again 18–26 → 26–43 ms.
const lines = new BoundedCache<object, { key: unknown[]; text: string; tokens?: number }>({ maxEntries: 20_000, maxWeight: 8_000_000, weigh: (_, l) => l.text.length });

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The items of a persona's prompt, in prompt order, for one context. With `countNow` (the default
 * counter), the lines of traits, domains and rules come with their token counts.
 */
export function promptItems(persona: PersonaConfiguration, context: string | undefined, count: TokenCounter, countNow: boolean): PromptItems {
  const items: Item[] = [];
  const dropped: DroppedItem[] = [];
  let order = 0;
  const add = (section: PromptSectionName, text: string, drop?: DroppedItem, level = 0, tokens?: number) => items.push({ section, text, drop, order: order++, level, tokens });
  const heading = (section: keyof typeof HEADINGS) => items.push({ section, text: HEADINGS[section], heading: true, order: order++ });
  const line = <E extends object>(entry: E, key: unknown[], make: (e: E) => string): { text: string; tokens?: number } => {
    const cached = lines.get(entry);
    if (cached && sameValues(cached.key, key)) return { text: cached.text, tokens: countNow ? cached.tokens : undefined };
    const text = make(entry);
    const fresh = { key, text, tokens: countNow ? count(text) : undefined };
    lines.set(entry, fresh);
    return fresh;
  };

  // identity — never dropped
  add('identity', `# ${persona.name}`);
  if (persona.description) add('identity', persona.description);
  if (persona.instructions) add('identity', persona.instructions);

  const traits = sortedOnce(persona.traits, TRAIT_ORDER);
  if (traits.length) {
    heading('traits');
    for (const t of traits) {
      const l = line(t, [t.name, t.value, t.description], traitLine);
      add('traits', l.text, { kind: 'trait', name: t.name, reason: '' }, t.weight, l.tokens);
    }
  }

  const style = styleLines(persona.responseStyle);
  heading('responseStyle');
  add('responseStyle', style.type, { kind: 'responseStyle', name: 'type', reason: '' });
  add('responseStyle', style.formalityLevel, { kind: 'responseStyle', name: 'formalityLevel', reason: '' });
  add('responseStyle', style.verbosity, { kind: 'responseStyle', name: 'verbosity', reason: '' });
  const formatting = formattingLine(persona.responseStyle.formattingPreferences);
  if (formatting) add('responseStyle', formatting, { kind: 'formatting', name: 'formattingPreferences', reason: '' });

  add('interactionMode', modeBlock(persona.interactionMode), { kind: 'interactionMode', name: persona.interactionMode, reason: '' });

  // Domains that came from a character card's lorebook follow its entries' rules (./lorebook.ts),
  // and take their lorebook order among the persona's domains.
  const { activated: active, order: domainOrder } = applyLorebook(persona, context, activeDomains(persona.knowledgeDomains, context));
  for (const d of domainOrder) {
    if (!active.has(d)) dropped.push({ kind: 'domain', name: d.name, reason: context ? 'inactive: the context mentions none of its keywords or topics' : 'inactive: no context' });
  }
  const domains = (section: 'knowledge' | 'activatedKnowledge', always: boolean) => {
    const these = domainOrder.filter((d) => active.has(d) && (active.get(d) === null) === always);
    if (!these.length) return;
    heading(section);
    for (const d of these) {
      const l = line(d, [d.name, d.expertiseLevel, d.topics.length, ...d.topics, d.tools.length, ...d.tools], domainLine);
      add(section, l.text, { kind: 'domain', name: d.name, reason: '' }, d.expertiseLevel, l.tokens);
      if (d.description) add(section, d.description, { kind: 'domainDetails', name: d.name, reason: '' }, d.expertiseLevel);
    }
  };
  domains('knowledge', true);

  const rules = sortedOnce(persona.behaviorRules, RULE_ORDER);
  if (rules.length) {
    heading('rules');
    for (const r of rules) {
      const l = line(r, [r.isMandatory, r.condition, r.action, r.exceptions.length, ...r.exceptions], ruleLine);
      add('rules', l.text, r.isMandatory ? undefined : { kind: 'rule', name: r.name, reason: '' }, r.priority, l.tokens);
    }
  }

  // Memory guidance only where the persona says something about memory.
  if (fieldsSet(persona).has('memoryConfig') || persona.memoryConfig.priorityTopics.length) {
    add('memory', memoryBlock(persona.memoryConfig), { kind: 'memory', name: 'memoryConfig', reason: '' });
  }

  // Last, after everything that depends only on the persona: what this context activated.
  domains('activatedKnowledge', false);
  return { items, dropped, active };
}

/** Items of one section are joined by newlines, sections by a blank line. */
export function joinItems(items: readonly Item[]): string {
  const parts: string[] = [];
  let last: PromptSectionName | undefined;
  for (const item of items) {
    if (last !== undefined) parts.push(item.section === last ? '\n' : '\n\n');
    parts.push(item.text);
    last = item.section;
  }
  return parts.join('');
}

/** The token count of an item, counted once. */
export function itemTokens(item: Item, count: TokenCounter): number {
  return (item.tokens ??= count(item.text));
}
