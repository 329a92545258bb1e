import { DataSource } from 'typeorm';
import { Actor } from '../actor';
import { PersonaNotFoundError, PersonaValidationError } from '../errors';
import { isStorableText } from '../validation/storable-text';
import { assertLabelName, LATEST_LABEL, servedLineage } from './release-service';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { findPersonasByIds } from '../persistence/persona-rows';
import { reading } from '../persistence/transaction';
import { assertActor } from './access';
import { InheritanceResolver, mergeLineage } from './inheritance-resolver';
import { assertRenderOptions, RenderedPrompt, renderSystemPrompt, TokenCounter } from './prompt-renderer';

/** Options of the runtime. */
export type PersonaRuntimeOptions = {
  /**
   * Most cached entries (resolved personas and rendered prompts, each), least recently used out
   * first (default 500). Rendered prompts are also bounded to 16 million characters in all.
   */
  cacheSize?: number;
  /** Longest lineage (default 32). */
  maxDepth?: number;
  /** Token counter for rendering (default o200k). */
  counter?: TokenCounter;
};

/** Options of one `prompt()` call. */
export type PromptOptions = {
  actor: Actor;
  context?: string;
  tokenBudget?: number;
  /** Serve the version this label points at (docs/releases.md); without it, or with `latest`, the current version. */
  label?: string;
  /** Who is served (a user or conversation id, at most 255 characters): picks a split label's version, the same one every time. */
  subject?: string;
};

/** A rendered prompt as the runtime serves it: also the version served of the named persona, and the label (or null). */
export type ServedPrompt = RenderedPrompt & { version: number; label: string | null };

function checkServing(options: PromptOptions): void {
  if (options.label !== undefined) assertLabelName(options.label, { allowLatest: true });
  const subject = options.subject;
  if (subject !== undefined && (typeof subject !== 'string' || subject.length < 1 || subject.length > 255 || !isStorableText(subject))) {
    throw new PersonaValidationError([{ path: 'subject', constraint: 'isString', message: 'subject must be a string of 1 to 255 characters' }], 'options');
  }
}

/**
 * Most characters of rendered prompts (texts and cache keys) the runtime keeps: 16 million (about
 * 32 MiB). A persona at every maximum renders 3.9 million characters; 500 of its prompts, one
 * per context, would otherwise hold 3.9 GB.
 */
const MAX_CACHED_PROMPT_CHARS = 16_000_000;

/** A small least-recently-used map, bounded by entries and, optionally, by a total weight. */
class Lru<K, V> {
  private readonly map = new Map<K, { value: V; weight: number }>();
  private total = 0;
  constructor(
    private readonly size: number,
    private readonly maxWeight = Infinity,
    private readonly weigh: (key: K, value: V) => number = () => 0,
  ) {}
  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry !== undefined) {
      this.map.delete(key);
      this.map.set(key, entry);
    }
    return entry?.value;
  }
  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.weigh(key, value);
    if (weight > this.maxWeight) return;
    this.map.set(key, { value, weight });
    this.total += weight;
    while (this.map.size > this.size || this.total > this.maxWeight) this.delete(this.map.keys().next().value as K);
  }
  clear(): void {
    this.map.clear();
    this.total = 0;
  }
  private delete(key: K): void {
    const entry = this.map.get(key);
    if (entry === undefined) return;
    this.map.delete(key);
    this.total -= entry.weight;
  }
}

/**
 * Where a stored persona meets a live conversation: resolves it through its lineage and renders
 * it. Resolved personas and rendered prompts are cached in memory under a key made of the id and
 * version of every persona in the lineage, so a change to any ancestor is seen on the next call;
 * a cached call costs one query (the lineage with its versions, which also re-checks access).
 */
export class PersonaRuntime {
  private readonly resolver: InheritanceResolver;
  private readonly personas: Lru<string, PersonaConfiguration>;
  private readonly prompts: Lru<string, RenderedPrompt>;

  constructor(private readonly dataSource: DataSource, private readonly options: PersonaRuntimeOptions = {}) {
    this.resolver = new InheritanceResolver(dataSource, { maxDepth: options.maxDepth });
    this.personas = new Lru(options.cacheSize ?? 500);
    this.prompts = new Lru(options.cacheSize ?? 500, MAX_CACHED_PROMPT_CHARS, (key, prompt) => key.length + prompt.text.length);
  }

  /**
   * The rendered system prompt and model settings of a stored persona for this turn. A context
   * longer than `MAX_CONTEXT_LENGTH` or a budget outside 1–`MAX_TOKEN_BUDGET` is refused
   * (`PersonaValidationError` at `context` / `tokenBudget`) before anything is read.
   */
  async prompt(idOrSlug: string, options: PromptOptions): Promise<ServedPrompt> {
    assertActor(options?.actor);
    assertRenderOptions({ context: options.context, tokenBudget: options.tokenBudget });
    checkServing(options);
    const { actor, context, tokenBudget, label, subject } = options;
    if (label !== undefined && label !== LATEST_LABEL) return this.promptByLabel(idOrSlug, label, subject, actor, context, tokenBudget);
    return reading(this.dataSource, async (manager) => {
      const links = await this.resolver.loadLineage(manager, idOrSlug, actor);
      const served = { version: links[0].version, label: label ?? null };
      const lineageKey = links.map((l) => `${l.id}@${l.version}`).join('>');
      const promptKey = JSON.stringify([lineageKey, context ?? null, tokenBudget ?? null]);
      const cached = this.prompts.get(promptKey);
      if (cached) return { ...structuredClone(cached), ...served };
      let persona = this.personas.get(lineageKey);
      if (!persona) {
        const rows = await findPersonasByIds(manager, links.map((l) => l.id));
        const byId = new Map(rows.map((p) => [p.id as string, p]));
        const ordered = links.map((l) => byId.get(l.id));
        if (ordered.some((p) => !p)) throw new PersonaNotFoundError(String(idOrSlug));
        persona = mergeLineage(ordered as PersonaConfiguration[]).persona;
        this.personas.set(lineageKey, persona);
      }
      const rendered = renderSystemPrompt(persona, { context, tokenBudget, counter: this.options.counter });
      this.prompts.set(promptKey, rendered);
      return { ...structuredClone(rendered), ...served };
    });
  }

  /**
   * Serving by label: the lineage as served (the named persona at its labelled version, ancestors
   * at their version of the same label, else current) is read on every call, so a label move is
   * seen on the next one; the merge and the render are cached under the served versions (never
   * under the label, so a split picked at random is never taken for the label's only version).
   */
  private async promptByLabel(idOrSlug: string, label: string, subject: string | undefined, actor: Actor, context: string | undefined, tokenBudget: number | undefined): Promise<ServedPrompt> {
    return reading(this.dataSource, async (manager) => {
      const { lineage, version } = await servedLineage(manager, idOrSlug, label, subject, actor, this.options.maxDepth);
      const served = { version, label };
      const lineageKey = lineage.map((p) => `${p.id}@${p.version}`).join('>');
      const promptKey = JSON.stringify([lineageKey, context ?? null, tokenBudget ?? null]);
      const cached = this.prompts.get(promptKey);
      if (cached) return { ...structuredClone(cached), ...served };
      let persona = this.personas.get(lineageKey);
      if (!persona) {
        persona = mergeLineage(lineage).persona;
        this.personas.set(lineageKey, persona);
      }
      const rendered = renderSystemPrompt(persona, { context, tokenBudget, counter: this.options.counter });
      this.prompts.set(promptKey, rendered);
      return { ...structuredClone(rendered), ...served };
    });
  }

  /** Forgets every cached persona and prompt. */
  clearCache(): void {
    this.personas.clear();
    this.prompts.clear();
  }
}
