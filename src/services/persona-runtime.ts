import { DataSource } from 'typeorm';
import { Actor, isAdmin } from '../actor';
import { PersonaNotFoundError, PersonaValidationError } from '../errors';
import { isStorableText } from '../validation/storable-text';
import { assertLabelName, LATEST_LABEL, servedLineage } from './release-service';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { InvalidationListener, InvalidationListenerOptions } from '../persistence/invalidation-listener';
import { confirmLineage, findPersonasByIds, LineageLink } from '../persistence/persona-rows';
import { reading } from '../persistence/transaction';
import { assertActor } from './access';
import { BoundedCache } from './bounded-cache';
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
  /**
   * How a cached prompt learns that the persona changed. `'query'` (default): every call reads the
   * lineage's versions (one query). `'notify'` (PostgreSQL only): a cached call reads nothing;
   * writes from any process invalidate it through LISTEN/NOTIFY (docs/runtime.md).
   */
  invalidation?: 'query' | 'notify';
  /** With `'notify'`: how the listening connection is watched and re-established. */
  listener?: InvalidationListenerOptions;
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

/**
 * Where a stored persona meets a live conversation: resolves it through its lineage and renders
 * it. Resolved personas and rendered prompts are cached in memory under a key made of the id and
 * version of every persona in the lineage.
 *
 * With `invalidation: 'query'` (the default, and the only mode on SQLite) a cached call costs one
 * query (the lineage with its versions, which also re-checks access), so a change to any
 * ancestor is seen on the next call. With `'notify'` (PostgreSQL) a cached call costs no query:
 * the lineage is remembered too, access is checked on it per actor in memory, and every write to
 * a persona, its child rows or its labels, from any process, reaches every runtime through
 * LISTEN/NOTIFY (a trigger, in the writing transaction) and drops what read it. While not
 * listening (starting, or after a lost connection) nothing is cached; listening again flushes
 * everything. `close()` releases the listening connection. docs/runtime.md has the details.
 */
export class PersonaRuntime {
  private readonly resolver: InheritanceResolver;
  private readonly personas: BoundedCache<string, PersonaConfiguration>;
  private readonly prompts: BoundedCache<string, RenderedPrompt>;
  /** With 'notify': the lineage (ids, versions, owners, visibility) of what was asked for by id or slug. */
  private readonly lineages: BoundedCache<string, { links: LineageLink[]; key: string }>;
  /** With 'notify': what a label served (the lineage key, the version, every persona id read), per label, subject and actor. */
  private readonly labelled: BoundedCache<string, { lineageKey: string; version: number; ids: string[] }>;
  private readonly listener: InvalidationListener | undefined;
  /** Bumped by every invalidation: a read that saw it change caches nothing. */
  private epoch = 0;

  constructor(private readonly dataSource: DataSource, private readonly options: PersonaRuntimeOptions = {}) {
    const invalidation = options.invalidation ?? 'query';
    if (invalidation !== 'query' && invalidation !== 'notify') {
      throw new PersonaValidationError([{ path: 'invalidation', constraint: 'isIn', message: "invalidation must be 'query' or 'notify'" }], 'options');
    }
    if (invalidation === 'notify' && dataSource.options.type !== 'postgres') {
      throw new PersonaValidationError([{ path: 'invalidation', constraint: 'isPostgres', message: "invalidation 'notify' needs PostgreSQL (LISTEN/NOTIFY); SQLite keeps 'query'" }], 'options');
    }
    this.resolver = new InheritanceResolver(dataSource, { maxDepth: options.maxDepth });
    // Pays (npm run bench, medians): a cached prompt() 0.026 ms, 1.12 ms with both caches off.
    const maxEntries = options.cacheSize ?? 500;
    this.personas = new BoundedCache({ maxEntries });
    this.prompts = new BoundedCache({ maxEntries, maxWeight: MAX_CACHED_PROMPT_CHARS, weigh: (key, prompt) => key.length + prompt.text.length });
    this.lineages = new BoundedCache({ maxEntries });
    this.labelled = new BoundedCache({ maxEntries });
    if (invalidation === 'notify') {
      this.listener = new InvalidationListener(dataSource, { changed: (id) => this.invalidate(id), flush: () => this.flush() }, options.listener);
      this.listener.start();
    }
  }

  /**
   * With `'notify'`: resolves once the runtime listens for invalidations (until then every call
   * reads the database and nothing is cached). At once with `'query'`.
   */
  ready(timeoutMs?: number): Promise<void> {
    return this.listener ? this.listener.ready(timeoutMs) : Promise.resolve();
  }

  /** True when cached prompts are served without a query (`'notify'`, listening). */
  get listening(): boolean {
    return this.listener?.listening ?? false;
  }

  /** Stops listening (with `'notify'`) and gives its connection back; the runtime then reads the database on every call. */
  async close(): Promise<void> {
    await this.listener?.close();
  }

  /** Drops everything that read persona `id` (`'*'`: everything). */
  private invalidate(id: string): void {
    this.epoch++;
    if (id === '*') return this.clearCache();
    const mark = `${id}@`;
    this.lineages.deleteWhere((_, known) => known.links.some((l) => l.id === id || l.parentId === id));
    this.labelled.deleteWhere((_, served) => served.ids.includes(id));
    this.personas.deleteWhere((key) => key.includes(mark));
    this.prompts.deleteWhere((key) => key.includes(mark));
  }

  private flush(): void {
    this.epoch++;
    this.clearCache();
  }

  /** With 'notify', whether what was read since `epoch` may be cached: listening, and nothing invalidated meanwhile. */
  private mayCache(epoch: number): boolean {
    return !this.listener || (this.listener.listening && this.epoch === epoch);
  }

  /** The cached prompt for a lineage key, context and budget, rendering (and caching) it from a cached persona; undefined when neither is cached. */
  private fromCache(lineageKey: string, context: string | undefined, tokenBudget: number | undefined, served: { version: number; label: string | null }): ServedPrompt | undefined {
    const promptKey = promptKeyOf(lineageKey, context, tokenBudget);
    const cached = this.prompts.get(promptKey);
    if (cached) return { ...copyPrompt(cached), ...served };
    const persona = this.personas.get(lineageKey);
    if (!persona) return undefined;
    const rendered = renderSystemPrompt(persona, { context, tokenBudget, counter: this.options.counter });
    this.prompts.set(promptKey, rendered);
    return { ...copyPrompt(rendered), ...served };
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
    const epoch = this.epoch;
    if (this.listener?.listening) {
      // No query: the lineage as last read (any write to it since would have dropped it), access checked on it for this actor.
      const known = this.lineages.get(String(idOrSlug));
      if (known) {
        this.resolver.checkLineage(known.links, idOrSlug, actor);
        const hit = this.fromCache(known.key, context, tokenBudget, { version: known.links[0].version, label: label ?? null });
        if (hit) return hit;
      }
    }
    return reading(this.dataSource, async (manager) => {
      // 'query': the lineage last read for this id or slug, confirmed by one plain query on the
      // primary keys (cheaper than walking the chain again); anything changed walks it again.
      const known = this.listener ? undefined : this.lineages.get(String(idOrSlug));
      const confirmed = known && (await confirmLineage(manager, idOrSlug, known.links));
      const links = confirmed ? this.resolver.checkLineage(confirmed, idOrSlug, actor) : await this.resolver.loadLineage(manager, idOrSlug, actor);
      const served = { version: links[0].version, label: label ?? null };
      const lineageKey = lineageKeyOf(links);
      const caching = this.mayCache(epoch);
      if (caching && (this.listener || !confirmed)) this.lineages.set(String(idOrSlug), { links, key: lineageKey });
      const promptKey = promptKeyOf(lineageKey, context, tokenBudget);
      const cached = caching ? this.prompts.get(promptKey) : undefined;
      if (cached) return { ...copyPrompt(cached), ...served };
      let persona = caching ? this.personas.get(lineageKey) : undefined;
      if (!persona) {
        const rows = await findPersonasByIds(manager, links.map((l) => l.id));
        const byId = new Map(rows.map((p) => [p.id as string, p]));
        const ordered = links.map((l) => byId.get(l.id));
        if (ordered.some((p) => !p)) throw new PersonaNotFoundError(String(idOrSlug));
        persona = mergeLineage(ordered as PersonaConfiguration[]).persona;
        if (this.mayCache(epoch)) this.personas.set(lineageKey, persona);
      }
      const rendered = renderSystemPrompt(persona, { context, tokenBudget, counter: this.options.counter });
      if (this.mayCache(epoch)) this.prompts.set(promptKey, rendered);
      return { ...copyPrompt(rendered), ...served };
    });
  }

  /**
   * Serving by label: the lineage as served (the named persona at its labelled version, ancestors
   * at their version of the same label, else current) is read on every call, so a label move is
   * seen on the next one; the merge and the render are cached under the served versions (never
   * under the label, so a split picked at random is never taken for the label's only version).
   */
  private async promptByLabel(idOrSlug: string, label: string, subject: string | undefined, actor: Actor, context: string | undefined, tokenBudget: number | undefined): Promise<ServedPrompt> {
    const epoch = this.epoch;
    // What a label serves depends on what this actor may see (private eras), so with 'notify' it
    // is remembered per actor (admins as one); a split picked at random is never remembered.
    const servedKey = JSON.stringify([String(idOrSlug), label, subject ?? null, isAdmin(actor) ? null : actor.id]);
    if (this.listener?.listening) {
      const known = this.labelled.get(servedKey);
      if (known) {
        const hit = this.fromCache(known.lineageKey, context, tokenBudget, { version: known.version, label });
        if (hit) return hit;
      }
    }
    return reading(this.dataSource, async (manager) => {
      const { lineage, version, random } = await servedLineage(manager, idOrSlug, label, subject, actor, this.options.maxDepth);
      const served = { version, label };
      const lineageKey = lineage.map((p) => `${p.id}@${p.version}`).join('>');
      const caching = this.mayCache(epoch);
      if (caching && this.listener && !random) this.labelled.set(servedKey, { lineageKey, version, ids: lineage.map((p) => p.id as string) });
      const promptKey = promptKeyOf(lineageKey, context, tokenBudget);
      const cached = caching ? this.prompts.get(promptKey) : undefined;
      if (cached) return { ...copyPrompt(cached), ...served };
      let persona = caching ? this.personas.get(lineageKey) : undefined;
      if (!persona) {
        persona = mergeLineage(lineage).persona;
        if (this.mayCache(epoch)) this.personas.set(lineageKey, persona);
      }
      const rendered = renderSystemPrompt(persona, { context, tokenBudget, counter: this.options.counter });
      if (this.mayCache(epoch)) this.prompts.set(promptKey, rendered);
      return { ...copyPrompt(rendered), ...served };
    });
  }

  /** Forgets every cached persona and prompt. */
  clearCache(): void {
    this.personas.clear();
    this.prompts.clear();
    this.lineages.clear();
    this.labelled.clear();
  }
}

/**
 * A copy of a rendered prompt that shares nothing a caller could change with the cache: every
 * array and object of it is new (strings are immutable). Written out for the known shape:
 * structuredClone took 0.041 ms of a 'notify' cached call (npm run bench -- --only notify).
 */
function copyPrompt(p: RenderedPrompt): RenderedPrompt {
  return {
    ...p,
    sections: p.sections.map((x) => ({ ...x })),
    dropped: p.dropped.map((x) => ({ ...x })),
    activeDomains: [...p.activeDomains],
    activations: p.activations.map((x) => ({ ...x })),
    modelPreferences: [...p.modelPreferences],
  };
}

/**
 * The cache key of a prompt: its lineage key, budget and context. A lineage key holds no `|` and
 * a budget is digits, so the key is unambiguous; no context and an empty one render the same.
 */
function promptKeyOf(lineageKey: string, context: string | undefined, tokenBudget: number | undefined): string {
  return `${lineageKey}|${tokenBudget ?? ''}|${context ?? ''}`;
}

/** The cache key of a lineage: the id and version of every persona in it, nearest first. */
function lineageKeyOf(links: readonly { id: string; version: number }[]): string {
  return links.map((l) => `${l.id}@${l.version}`).join('>');
}
