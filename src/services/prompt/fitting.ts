import { BudgetExceededError } from '../../errors';
import { TokenCounter } from '../token-counter';
import { DroppedItem, Item, itemTokens, joinItems, PromptSectionName } from './items';

/*
 * Fitting a prompt to a token budget: what goes first, what never goes, and counting only what
 * is kept. The order is documented in docs/rendering.md ("Token budget").
 */

/** The kinds of optional material, in the order they go. */
const KIND_ORDER: DroppedItem['kind'][] = ['rule', 'trait', 'domainDetails', 'domain', 'memory', 'formatting', 'responseStyle', 'interactionMode'];
const KIND_RANK = Object.fromEntries(KIND_ORDER.map((kind, rank) => [kind, rank])) as Record<DroppedItem['kind'], number>;

/** What orders the items of a kind in the drop order, as a budget reason names it. */
const MEASURE: Partial<Record<DroppedItem['kind'], string>> = { rule: 'priority', trait: 'weight', domain: 'expertise', domainDetails: 'expertise' };

/** An item dropped for the budget, with why: `budget: priority 40`, `budget: weight 2.5`, `budget: expertise 3`, else `budget`. */
function budgetDrop(i: Item): DroppedItem {
  const { kind, name } = i.drop as DroppedItem;
  const measure = MEASURE[kind];
  return { kind, name, reason: measure ? `budget: ${measure} ${i.level ?? 0}` : 'budget' };
}

/**
 * The drop order, in linear time: kinds in {@link KIND_ORDER}; within a kind, the lowest level
 * (priority, weight, expertise) first and, on a tie, the later item first. Rules and traits are
 * created from the highest level down, so for them that is simply their reverse creation order.
 */
function dropOrder(items: readonly Item[]): Item[] {
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

/** The items that fit, in prompt order, their joined text and its exact count. */
export type Fitted = { items: Item[]; text: string; tokens: number };

/**
 * Keeps what fits `budget`, in the drop order read backwards: the required core first (identity
 * and mandatory rules, and the headings they need), then the most important optional item, the
 * next, … until one does not fit; it and everything after it (less important) are dropped and
 * added to `dropped`. That keeps exactly what dropping "lowest first until it fits" keeps, but
 * counts only what is kept (plus the one that did not fit). The running total adds counts, never
 * re-encodes; the joined text is counted once at the end to confirm it (and, rarely, once more
 * after dropping the last item kept). Throws `BudgetExceededError` when the core alone does not fit.
 */
export function fitToBudget(items: readonly Item[], budget: number, count: TokenCounter, dropped: DroppedItem[]): Fitted {
  const tokensOf = (i: Item) => itemTokens(i, count);
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
  const keptText = () => joinItems(items.filter((i) => kept.has(i)));
  for (const i of items) if (!i.drop && !i.heading) take(i);
  if (items.some((i) => !i.drop && !i.heading && i.section === 'identity') && total > budget) {
    const requiredTokens = count(keptText());
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
    const text = joinItems(finalItems);
    const tokens = count(text);
    if (tokens <= budget) return { items: finalItems, text, tokens };
    const last = added.pop();
    if (!last) throw new BudgetExceededError(count(keptText()), budget);
    kept.delete(last);
    dropped.unshift(budgetDrop(last));
    const h = headingOf.get(last.section);
    if (h && !items.some((x) => x !== h && x.section === last.section && kept.has(x))) kept.delete(h);
  }
}
