import { PersonaValidationError, ValidationIssue } from '../errors';
import { KnowledgeDomain } from '../models/knowledge-domain.entity';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { Fitted, fitToBudget } from './prompt/fitting';
import { DroppedItem, Item, itemTokens, joinItems, PromptSectionName, promptItems } from './prompt/items';
import { o200kTokenCounter, TokenCounter } from './token-counter';

export { isDomainActive, mentions } from './keyword-matcher';
export type { DroppedItem, PromptSectionName } from './prompt/items';
export { gradeTrait } from './prompt/wording';
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

/** Options of {@link renderSystemPrompt}. */
export type RenderOptions = {
  /** The conversation so far (or the user's message): activates knowledge domains. At most {@link MAX_CONTEXT_LENGTH} characters. */
  context?: string;
  /** Most tokens the prompt may take, an integer 1–{@link MAX_TOKEN_BUDGET}; optional material is dropped to fit. */
  tokenBudget?: number;
  /** Token counter (default o200k, counted in segments). */
  counter?: TokenCounter;
};

/** A knowledge domain in the prompt and the keyword or topic that activated it (null: always active). */
export type DomainActivation = { name: string; matched: string | null };

/** A part of the prompt and its token count. */
export type RenderedSection = { name: PromptSectionName; tokens: number };

/** What a persona becomes for one conversation turn. */
export type RenderedPrompt = {
  /** The persona's id, or null for a persona never stored (OpenAI's `prompt_cache_key` is derived from it). */
  personaId: string | null;
  /** The persona's version (for `PersonaRuntime`, the version served), or null for a persona never stored. */
  version: number | null;
  /** The system prompt. */
  text: string;
  /** Token count of `text` by the counter used (never above the budget). */
  tokens: number;
  /** Each part with its token count, in order. */
  sections: RenderedSection[];
  /** Every item left out, and why (inactive domains, budget). */
  dropped: DroppedItem[];
  /** Names of the knowledge domains brought in, in persona order. */
  activeDomains: string[];
  /**
   * The knowledge domains brought in, in persona order (as `activeDomains`), each with the keyword
   * or topic that activated it: the first of the domain's own keywords, then topics, that the
   * context mentions; null for a domain without activation keywords (always active). Domains
   * dropped for the budget are in `dropped` instead.
   */
  activations: DomainActivation[];
  /**
   * Where the stable prefix ends, as a JavaScript string length: `text.slice(0, stablePrefixLength)`
   * is everything that depends only on the persona's version (identity, traits, style, mode,
   * always-active knowledge, rules, memory); the rest is the knowledge the context activated,
   * after a blank line. For a version and budget the prefix is the same for every context, as
   * long as nothing is dropped for the budget (docs/rendering.md, "Stable prefix").
   */
  stablePrefixLength: number;
  /** The first model preference, or null. */
  model: string | null;
  /** All of the persona's model preferences, in order (the provider request picks from them). */
  modelPreferences: string[];
  temperature: number;
  /** The persona's response limit (not the prompt budget), or null. */
  maxTokens: number | null;
};


/**
 * Renders a persona into a system prompt, deterministic for the same input, in a fixed order:
 * identity, traits, response style, interaction mode, always-active knowledge domains, behavior
 * rules, memory guidance, and last the knowledge domains the context activated (so everything
 * before them is a stable prefix, `stablePrefixLength`) (the words: prompt/wording.ts; the items: prompt/items.ts). With a
 * `tokenBudget`, optional material is dropped in a documented order until the text fits
 * (prompt/fitting.ts, docs/rendering.md); identity and mandatory rules are never dropped, and if
 * they alone do not fit, `BudgetExceededError` says how many tokens they need.
 */
export function renderSystemPrompt(persona: PersonaConfiguration, options: RenderOptions = {}): RenderedPrompt {
  assertRenderOptions(options);
  const { context, tokenBudget } = options;
  // The final text is counted by the same function as the items, so its count is consistent with theirs.
  const count = options.counter ?? o200kTokenCounter;
  const { items, dropped, active } = promptItems(persona, context, count, !options.counter);
  const { items: kept, text, tokens } = tokenBudget === undefined ? everything(items, count) : fitToBudget(items, tokenBudget, count, dropped);
  const activations = activationsIn(active, kept);
  return {
    personaId: persona.id ?? null,
    version: persona.version ?? null,
    text,
    tokens,
    sections: sectionsOf(kept, count),
    dropped,
    activeDomains: activations.map((a) => a.name),
    activations,
    stablePrefixLength: prefixLength(kept, text),
    model: persona.modelPreferences[0] ?? null,
    modelPreferences: [...persona.modelPreferences],
    temperature: persona.temperature,
    maxTokens: persona.maxTokens ?? null,
  };
}

/** Without a budget: every item, joined, and the text's count. */
function everything(items: Item[], count: TokenCounter): Fitted {
  const text = joinItems(items);
  return { items, text, tokens: count(text) };
}

/** The active domains whose block made it into the prompt, in persona order, with what activated each. */
function activationsIn(active: Map<KnowledgeDomain, string | null>, kept: readonly Item[]): DomainActivation[] {
  const names = new Set<string>();
  for (const i of kept) if (i.drop?.kind === 'domain') names.add(i.drop.name);
  const out: DomainActivation[] = [];
  for (const [d, matched] of active) if (names.has(d.name)) out.push({ name: d.name, matched });
  return out;
}

/** The length of the text before the activated knowledge (which comes last, after a blank line), or the whole text. */
function prefixLength(kept: readonly Item[], text: string): number {
  const first = kept.findIndex((i) => i.section === 'activatedKnowledge');
  if (first === -1) return text.length;
  return text.length - joinItems(kept.slice(first)).length - '\n\n'.length;
}

/** Each section with the sum of its items' counts, in prompt order. */
function sectionsOf(items: readonly Item[], count: TokenCounter): RenderedSection[] {
  const out: RenderedSection[] = [];
  for (const item of items) {
    const tokens = itemTokens(item, count);
    const last = out[out.length - 1];
    if (last && last.name === item.section) last.tokens += tokens;
    else out.push({ name: item.section, tokens });
  }
  return out;
}
