import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../actor';
import { InheritanceCycleError, InheritanceDepthError, PersonaNotFoundError } from '../errors';
import { NEVER_INHERITED, STORE_KEPT_FIELDS } from '../models/field-roles';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { DEFAULT_MAX_INHERITANCE_DEPTH, lineageOf, LineageLink, lineageWithPersonas } from '../persistence/persona-rows';
import { reading } from '../persistence/transaction';
import { fieldsSet, ModelInput, schemaFields, toPlain } from '../validation/model';
import { assertActor, canRead } from './access';

/** What `resolve()` returns: the effective persona (not persisted), its lineage and where each field came from. */
export type ResolvedPersona = {
  persona: PersonaConfiguration;
  /** Ids from the persona itself up to its root. */
  lineage: string[];
  /** Field path or entry (`temperature`, `responseStyle.tone`, `traits.analytical`, `tags.support`) → id of the persona it came from, or `"default"`. */
  provenance: Record<string, string>;
};

/** Options of the resolver. */
export type InheritanceResolverOptions = {
  /** Longest lineage resolved, the persona itself included (default 32). */
  maxDepth?: number;
};


/** Lists merged by entry name, the nearer entry winning whole. */
const BY_NAME = ['traits', 'knowledgeDomains', 'behaviorRules'] as const;
/** Embedded objects merged field by field. */
const EMBEDDED = ['responseStyle', 'memoryConfig', 'voiceConfig'] as const;
/** Where a persona lists inherited entries it removes: `metadata.inheritance.remove`. */
const REMOVE_KEY = 'inheritance';

type Plain = Record<string, unknown>;

function isObject(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Objects merge key by key (nearer wins), anything else is replaced. */
function deepMerge(far: unknown, near: unknown): unknown {
  if (!isObject(far) || !isObject(near)) return near;
  const out: Plain = { ...far };
  for (const [k, v] of Object.entries(near)) out[k] = deepMerge(out[k], v);
  return out;
}

/** The names a persona removes from what it inherits, per list (`traits`, ..., `tags`). */
function removals(persona: PersonaConfiguration): Record<string, Set<string>> {
  const spec = (persona.metadata as Plain | undefined)?.[REMOVE_KEY];
  const remove = isObject(spec) ? spec.remove : undefined;
  const out: Record<string, Set<string>> = {};
  for (const list of [...BY_NAME, 'tags']) {
    const names = isObject(remove) ? remove[list] : undefined;
    out[list] = new Set(Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : []);
  }
  return out;
}

/**
 * Resolves a persona through its `parentId` chain into the effective persona. The whole lineage
 * loads in a fixed number of queries whatever its depth (one recursive query for the chain, one
 * for the rows, one per child table). See docs/inheritance.md for the merge rules.
 */
export class InheritanceResolver {
  private readonly maxDepth: number;

  constructor(private readonly dataSource: DataSource, options: InheritanceResolverOptions = {}) {
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_INHERITANCE_DEPTH;
  }

  /** The effective persona of `idOrSlug` for `actor`, with its lineage and provenance. */
  async resolve(idOrSlug: string, actor: Actor): Promise<ResolvedPersona> {
    assertActor(actor);
    if (typeof idOrSlug !== 'string' || !idOrSlug) throw new PersonaNotFoundError(String(idOrSlug));
    return reading(this.dataSource, async (manager) => {
      // One query: the chain and every persona in it (visibility is checked before anything is returned).
      const { links, personas } = await lineageWithPersonas(manager, idOrSlug, this.maxDepth);
      this.checkLineage(links, idOrSlug, actor);
      return mergeLineage(personas);
    });
  }

  /**
   * @internal The lineage links of `idOrSlug` (nearest first), checked for visibility, cycles
   * and depth; one query.
   */
  async loadLineage(manager: EntityManager, idOrSlug: string, actor: Actor): Promise<LineageLink[]> {
    if (typeof idOrSlug !== 'string' || !idOrSlug) throw new PersonaNotFoundError(String(idOrSlug));
    return this.checkLineage(await lineageOf(manager, idOrSlug, this.maxDepth), idOrSlug, actor);
  }

  /** @internal Refuses a lineage the actor may not read (as not found), a cycle, a chain too deep or broken. */
  checkLineage(links: LineageLink[], idOrSlug: string, actor: Actor): LineageLink[] {
    if (!links.length || !canRead(actor, links[0])) throw new PersonaNotFoundError(idOrSlug);
    const seen = new Map<string, number>();
    for (const [i, link] of links.entries()) {
      if (seen.has(link.id)) throw new InheritanceCycleError(links.slice(seen.get(link.id), i + 1).map((l) => l.id));
      seen.set(link.id, i);
      if (!canRead(actor, link)) throw new PersonaNotFoundError(link.id);
    }
    if (links.length > this.maxDepth) throw new InheritanceDepthError(links[0].id, this.maxDepth);
    const last = links[links.length - 1];
    // The chain stops at a parent that no longer exists.
    if (last.parentId) throw new PersonaNotFoundError(last.parentId);
    return links;
  }
}

/**
 * Merges a lineage (nearest first) into the effective persona. Exported for callers that hold
 * the personas already; `InheritanceResolver.resolve` loads them and calls this.
 */
export function mergeLineage(lineage: PersonaConfiguration[]): ResolvedPersona {
  const self = lineage[0];
  const selfId = self.id as string;
  const provenance: Record<string, string> = {};
  const plain: Plain = {};
  // Each model's plain form once (a merge reads many fields of the same ancestor).
  const plainForms = new Map<object, Plain>();
  const plainOf = (model: object): Plain => {
    let form = plainForms.get(model);
    if (!form) plainForms.set(model, (form = toPlain(model) as Plain));
    return form;
  };
  const full = plainOf(self);

  // Identity is the persona's own: what it set is given as set; what the store keeps is copied
  // onto the result afterwards, so the result reports the same fields set as the persona itself.
  const own = fieldsSet(self);
  for (const field of NEVER_INHERITED) {
    if (full[field] === undefined) continue;
    provenance[field] = selfId;
    if (own.has(field)) plain[field] = full[field];
  }

  const nearestSetting = (field: string) => lineage.find((p) => fieldsSet(p).has(field));
  const skip = new Set<string>([...NEVER_INHERITED, ...BY_NAME, ...EMBEDDED, 'tags', 'metadata']);
  for (const field of schemaFields(PersonaConfiguration)) {
    if (skip.has(field)) continue;
    const source = nearestSetting(field);
    if (source) {
      plain[field] = plainOf(source)[field];
      provenance[field] = source.id as string;
    } else provenance[field] = 'default';
  }

  for (const field of EMBEDDED) {
    const merged: Plain = {};
    let any = false;
    const subFields = new Set<string>();
    for (const p of lineage) {
      const value = (p as unknown as Plain)[field];
      if (value && fieldsSet(p).has(field)) for (const k of fieldsSet(value as object)) subFields.add(k);
    }
    for (const sub of subFields) {
      const source = lineage.find((p) => fieldsSet(p).has(field) && fieldsSet((p as unknown as Plain)[field] as object).has(sub));
      if (!source) continue;
      merged[sub] = plainOf((source as unknown as Plain)[field] as object)[sub];
      provenance[`${field}.${sub}`] = source.id as string;
      any = true;
    }
    if (field === 'memoryConfig' && typeof merged.summarizeAtTokens === 'number') {
      const limit = typeof merged.maxContextTokens === 'number' ? merged.maxContextTokens : 8192;
      // A threshold set far away may not fit a limit set nearer: it falls back to its default.
      if (merged.summarizeAtTokens >= limit) {
        delete merged.summarizeAtTokens;
        provenance[`${field}.summarizeAtTokens`] = 'default';
      }
    }
    if (any) plain[field] = merged;
  }

  // Lists by name and tags: walk from the root down; each persona first removes what it names
  // in metadata.inheritance.remove, then adds or replaces its own entries.
  const root = [...lineage].reverse();
  for (const list of BY_NAME) {
    const entries = new Map<string, { value: Plain; from: string }>();
    for (const p of root) {
      for (const name of removals(p)[list]) entries.delete(name);
      for (const entry of p[list] ?? []) entries.set(entry.name, { value: toPlain(entry, { excludeUnset: true }), from: p.id as string });
    }
    if (lineage.some((p) => fieldsSet(p).has(list))) plain[list] = [...entries.values()].map((e) => e.value);
    for (const [name, e] of entries) provenance[`${list}.${name}`] = e.from;
  }
  const tags = new Map<string, string>();
  for (const p of root) {
    for (const name of removals(p).tags) tags.delete(name);
    for (const tag of p.tags ?? []) if (!tags.has(tag)) tags.set(tag, p.id as string);
  }
  if (lineage.some((p) => fieldsSet(p).has('tags'))) plain.tags = [...tags.keys()];
  for (const [tag, from] of tags) provenance[`tags.${tag}`] = from;

  let metadata: unknown = {};
  for (const p of root) if (fieldsSet(p).has('metadata')) metadata = deepMerge(metadata, p.metadata);
  if (isObject(metadata) && lineage.some((p) => fieldsSet(p).has('metadata'))) {
    delete metadata[REMOVE_KEY];
    plain.metadata = metadata;
    for (const key of Object.keys(metadata)) {
      const source = lineage.find((p) => fieldsSet(p).has('metadata') && isObject(p.metadata) && key in p.metadata);
      if (source) provenance[`metadata.${key}`] = source.id as string;
    }
  }

  const persona = PersonaConfiguration.create(plain as ModelInput<PersonaConfiguration>);
  for (const field of STORE_KEPT_FIELDS) {
    if (self[field] !== undefined && !own.has(field)) (persona as unknown as Record<string, unknown>)[field] = self[field];
  }
  return { persona, lineage: lineage.map((p) => p.id as string), provenance };
}
