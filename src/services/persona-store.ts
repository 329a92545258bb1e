import { DataSource, EntityManager, In, SelectQueryBuilder } from 'typeorm';
import { Actor } from '../actor';
import { PersonaStatus } from '../enums';
import { InheritanceCycleError, InheritanceDepthError, PersonaInUseError, PersonaValidationError, RevisionNotFoundError, ValidationIssue } from '../errors';
import { STORE_KEPT_FIELDS } from '../models/field-roles';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaMetrics } from '../models/persona-metrics.entity';
import { PersonaTemplate } from '../models/persona-template.entity';
import { PersonaInteraction } from '../models/persona-interaction.entity';
import { PersonaRevision } from '../models/persona-revision.entity';
import { PersonaLatencyBin } from '../models/persona-latency-bin.entity';
import { PersonaLogHorizon } from '../models/persona-log-horizon.entity';
import { PersonaMetricRollup } from '../models/persona-metric-rollup.entity';
import {
  childIds,
  deleteListRows,
  DEFAULT_MAX_INHERITANCE_DEPTH,
  findPersona,
  findPersonasByIds,
  DOCUMENT_ROW,
  personaOfRevision,
  revisionSnapshotOf,
  snapshotOfRevision,
  personasOfDocumentRows,
  revisionColumns,
  insertPersonas,
  lineageOf,
  personaQuery,
  personaRowExtra,
  replaceChildren,
} from '../persistence/persona-rows';
import { canSeeVersion, labelRowsOf, readableVersions, targetVersions } from '../persistence/release-rows';
import { insertRows } from '../persistence/rows';
import { lockLineage } from '../persistence/transaction';
import { assertVersionNumber, checkPatch, refuse, storeKeptIssues, VersionedRecords } from '../persistence/versioned-records';
import { BehaviorRule } from '../models/behavior-rule.entity';
import { KnowledgeDomain } from '../models/knowledge-domain.entity';
import { PersonaTrait } from '../models/persona-trait.entity';
import { fieldsSet, ModelInput, toPlain } from '../validation/model';
import { assertActor, assertCanWrite, canRead, canReadVersion, canWrite, ownerOfNew } from './access';
import { mergeLineage } from './inheritance-resolver';
import { diffSnapshots, PersonaChange } from './persona-diff';
import { checkListFilter, ListFilterBase, runListQuery } from './list-query';
import { applyMergePatch } from './merge-patch';


/** Where persona lists find tags and text beyond the persona row. */
const PERSONA_LIST_SOURCES = { tagIds: 'SELECT t."personaId" FROM persona_tags t WHERE t.tag = :tag', searchTable: 'persona_search' };

/** Sort keys `list()` accepts; `-` in front sorts descending. */
export const PERSONA_SORT_KEYS = ['name', 'slug', 'status', 'createdAt', 'updatedAt', 'version'] as const;
/** One of {@link PERSONA_SORT_KEYS}, optionally prefixed with `-` for descending order. */
export type PersonaOrderBy = (typeof PERSONA_SORT_KEYS)[number] | `-${(typeof PERSONA_SORT_KEYS)[number]}`;

/** What `list()` filters by; every field optional. */
export type PersonaListFilter = ListFilterBase & {
  status?: PersonaStatus | `${PersonaStatus}`;
  /** Default `name`. */
  orderBy?: PersonaOrderBy;
};

/**
 * One page of personas, the number matching the filter in all, and the cursor of the next page
 * (null on the last page; pass it as `cursor` with the same filter).
 */
export type PersonaPage = { items: PersonaConfiguration[]; total: number; nextCursor: string | null };
/** A page asked for with `withTotal: false`: no count was made. */
export type PersonaPageWithoutTotal = Omit<PersonaPage, 'total'> & { total: null };

/** Paging of `history()`: the newest `limit` versions (1 to 1,000) below `beforeVersion`. */
export type HistoryOptions = { limit?: number; beforeVersion?: number };

/** Most versions one `history()` page holds. */
export const MAX_HISTORY_LIMIT = 1_000;

function checkHistoryOptions(options: HistoryOptions): HistoryOptions {
  if (options === null || typeof options !== 'object') throw new PersonaValidationError([{ path: '', constraint: 'isObject', message: 'options must be an object' }], 'history options');
  const { limit, beforeVersion } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT)) {
    throw new PersonaValidationError([{ path: 'limit', constraint: 'isInt', message: `limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}` }], 'history options');
  }
  if (beforeVersion !== undefined) assertVersionNumber(beforeVersion, 'beforeVersion');
  return { limit, beforeVersion };
}

/** One saved version of a persona, as `history()` returns it. */
export type PersonaRevisionEntry = {
  version: number;
  changedBy: string;
  changedAt: Date;
  /** The change message given with the write, or null. */
  message: string | null;
  /** Every label whose target is this version (split members included); never `latest`. */
  labels: string[];
  snapshot: Record<string, unknown>;
};

/** Options of a versioned write: the version it is based on, and an optional change message (at most 500 characters; '' means none). */
export type WriteOptions = { expectedVersion: number; message?: string };

/** Longest change message, in characters. */
export const MAX_MESSAGE_LENGTH = 500;

/** The message of a write as stored: null for none; refused when not a string of at most 500 characters. */
function messageOf(options: WriteOptions | undefined): string | null {
  const message = options?.message;
  if (message === undefined || message === null || message === '') return null;
  if (typeof message !== 'string' || message.length > MAX_MESSAGE_LENGTH) {
    refuse([{ path: 'message', constraint: 'maxLength', message: `message must be a string of at most ${MAX_MESSAGE_LENGTH} characters` }], 'options');
  }
  return message;
}

/** Options of the store. */
export type PersonaStoreOptions = {
  /** Longest lineage a `parentId` may create (default 32). */
  maxInheritanceDepth?: number;
};

/** Input of `create()`: a persona without the fields the store keeps. */
export type PersonaCreateInput = Omit<ModelInput<PersonaConfiguration>, (typeof STORE_KEPT_FIELDS)[number]>;

/** Options of `PersonaStore.create` and `createMany`. */
export type PersonaCreateOptions = {
  /**
   * A slug already taken (stored, or earlier in the same batch) becomes the first free
   * `slug-2`, `slug-3`, … instead of a refusal: for imports, whose slugs come from names. Default
   * false: a taken slug is refused (`unique`). Two imports racing for the same suffix still meet
   * the unique index; the loser is refused and can retry.
   */
  renameTakenSlugs?: boolean;
};

function fail(issues: ValidationIssue[], what = 'persona'): never {
  refuse(issues, what);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Stores personas: validated, versioned, access-controlled, every change one transaction with a
 * revision. Works on any DataSource made by `createDataSource` (SQLite or PostgreSQL).
 */
export class PersonaStore {
  private readonly maxDepth: number;
  private readonly records: VersionedRecords<PersonaConfiguration>;

  constructor(dataSource: DataSource, options: PersonaStoreOptions = {}) {
    this.maxDepth = options.maxInheritanceDepth ?? DEFAULT_MAX_INHERITANCE_DEPTH;
    this.records = new VersionedRecords(dataSource, { entity: PersonaConfiguration, kind: 'persona', find: findPersona });
  }

  /** Validates and stores a new persona at version 1, owned by the actor, with revision 1. */
  async create(props: PersonaCreateInput, actor: Actor, options: PersonaCreateOptions = {}): Promise<PersonaConfiguration> {
    assertActor(actor);
    const [persona] = await this.createMany([props], actor, options);
    return persona;
  }

  /**
   * Stores several personas in one transaction: all of them or, on the first refusal, none.
   * Used by imports; each is validated before anything is written.
   */
  async createMany(items: PersonaCreateInput[], actor: Actor, options: PersonaCreateOptions = {}): Promise<PersonaConfiguration[]> {
    assertActor(actor);
    const personas = items.map((props, index) => {
      const at = (issues: ValidationIssue[]) => (items.length === 1 ? issues : issues.map((i) => ({ ...i, path: i.path ? `[${index}].${i.path}` : `[${index}]` })));
      if (!isPlainObject(props)) fail(at([{ path: '', constraint: 'isObject', message: 'a persona must be an object' }]));
      const kept = storeKeptIssues(props);
      if (kept.length) fail(at(kept));
      const createdBy = ownerOfNew(actor, (props as { createdBy?: unknown }).createdBy, 'personas');
      try {
        return PersonaConfiguration.create({ ...props, createdBy } as ModelInput<PersonaConfiguration>);
      } catch (error) {
        if (error instanceof PersonaValidationError) fail(at(error.issues));
        throw error;
      }
    });
    const slugs = new Set<string>();
    for (const p of personas) {
      if (slugs.has(p.slug) && !options.renameTakenSlugs) fail([{ path: 'slug', constraint: 'unique', message: `slug "${p.slug}" is given twice` }]);
      slugs.add(p.slug);
    }
    return this.records.write(async (manager) => {
      if (options.renameTakenSlugs) await this.renameTakenSlugs(manager, personas);
      return this.insertWithin(manager, personas, actor);
    });
  }

  /** Gives each persona whose slug is taken (stored, or earlier in the batch) the first free `slug-N`. */
  private async renameTakenSlugs(manager: EntityManager, personas: PersonaConfiguration[]): Promise<void> {
    const used = new Set<string>();
    for (const p of personas) {
      const base = p.slug;
      // Slugs are [a-z0-9-] only, so LIKE needs no escaping.
      const rows = await personaQuery(manager)
        .select('p.slug', 'slug')
        .where('p.slug LIKE :prefix', { prefix: `${base.slice(0, 50).replace(/-+$/, '')}%` })
        .getRawMany<{ slug: string }>();
      const taken = new Set([...rows.map((r) => r.slug), ...used]);
      let slug = base;
      for (let n = 2; taken.has(slug); n++) slug = `${base.slice(0, 63 - String(n).length).replace(/-+$/, '')}-${n}`;
      p.slug = slug;
      used.add(slug);
    }
  }

  /**
   * @internal Writes already validated personas inside the caller's transaction (used by
   * `TemplateService.instantiate`, so that a persona and its template bookkeeping commit together).
   */
  async insertWithin(manager: EntityManager, personas: PersonaConfiguration[], actor: Actor): Promise<PersonaConfiguration[]> {
    const now = new Date();
    for (const p of personas) this.records.stampNew(p, now);
    await this.assertSlugsFree(manager, personas);
    if (personas.some((p) => p.parentId)) await lockLineage(manager);
    for (const p of personas) await this.assertLinks(manager, p, actor);
    // In slices, so that the rows, snapshots and parameters of one slice are garbage before the
    // next is built: memory stays flat and a large import grows linearly, all in one transaction.
    for (let start = 0; start < personas.length; start += 500) {
      const slice = personas.slice(start, start + 500);
      await insertPersonas(manager, slice);
      await this.insertRevisions(manager, slice, actor);
    }
    return personas;
  }

  /** @internal Runs `work` as one store transaction (slug races become validation errors). */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.records.write(work);
  }

  /** The persona with this id or slug. A private persona of someone else is reported as not found. */
  async get(idOrSlug: string, actor: Actor): Promise<PersonaConfiguration> {
    assertActor(actor);
    return this.records.read((manager) => this.records.findReadable(manager, idOrSlug, actor));
  }

  /** A page of the personas the actor may see, filtered and sorted by a whitelisted key. */
  async list(filter: PersonaListFilter & { withTotal: false }, actor: Actor): Promise<PersonaPageWithoutTotal>;
  async list(filter: PersonaListFilter, actor: Actor): Promise<PersonaPage>;
  async list(filter: PersonaListFilter = {}, actor: Actor): Promise<PersonaPage | PersonaPageWithoutTotal> {
    assertActor(actor);
    const f = checkListFilter(filter, { sortKeys: PERSONA_SORT_KEYS, enums: { status: Object.values(PersonaStatus) } });
    return this.records.read(async (manager) => {
      // The page in one query, each row with its current revision (the fields set), which the
      // personas are built from; rows whose revision has the older whole form take one more query.
      const key = f.orderBy.replace(/^-/, '');
      // The page is chosen on the narrow rows first (an owner's or an admin's page in name order
      // from the name index alone: it carries the visibility columns and the version), then
      // joined with the wide revisions: joined inside, PostgreSQL judged sorting the wide rows
      // dearer than walking the name index and filtering, and a tag filter at 100,000 personas
      // went from 5.5 ms to 41 ms.
      const select = [...new Set(['id', key, 'version'])].map((name) => `p.${name}`);
      const withRevision = (page: string, orderBy: string) =>
        `SELECT page.*, ${revisionColumns()} FROM (${page}) page ` +
        `LEFT JOIN persona_revisions r ON r."personaId" = page."${DOCUMENT_ROW.id}" AND r."version" = page."${DOCUMENT_ROW.version}" ORDER BY ${orderBy}`;
      const { rows, total, nextCursor } = await runListQuery(personaQuery(manager).select(select), 'p', f, { status: f.status }, actor, PERSONA_LIST_SOURCES, {
        raw: true,
        wrap: withRevision,
        shape: 'persona page, then its current revisions',
      });
      const items = (await personasOfDocumentRows(manager, rows as unknown as Record<string, unknown>[])).filter((p): p is PersonaConfiguration => !!p);
      return total === null ? { items, total: null, nextCursor } : { items, total, nextCursor };
    });
  }

  /**
   * Applies a JSON merge patch (RFC 7396) at `expectedVersion`: the merged whole is validated,
   * written with its children and a new revision in one transaction, as version + 1.
   */
  async update(idOrSlug: string, patch: Record<string, unknown>, options: WriteOptions, actor: Actor): Promise<PersonaConfiguration> {
    assertActor(actor);
    checkPatch(patch);
    const message = messageOf(options);
    return this.records.writeAt(idOrSlug, options?.expectedVersion, actor, async (manager, current, expectedVersion) => {
      const merged = applyMergePatch(toPlain(current, { excludeUnset: true }), patch) as Record<string, unknown>;
      const next = PersonaConfiguration.create(merged as ModelInput<PersonaConfiguration>);
      return this.writeNext(manager, idOrSlug, current, next, expectedVersion, actor, message);
    });
  }

  /** Sets the status to `archived`, as a new version. */
  async archive(idOrSlug: string, options: WriteOptions, actor: Actor): Promise<PersonaConfiguration> {
    return this.update(idOrSlug, { status: PersonaStatus.Archived }, options, actor);
  }

  /**
   * Deletes a persona with its children, revisions and metrics. Personas that inherit from it are
   * handled by who may change them: if the remover may change any of them (their own, or any for
   * an admin), the removal is refused with `PersonaInUseError` listing those; personas of other
   * users, which the remover cannot change and which must not be able to block the removal, are
   * detached in the same transaction: each gets a new version holding everything it inherited
   * (so it renders as before) and no `parentId`. See docs/security.md.
   */
  async remove(idOrSlug: string, actor: Actor): Promise<void> {
    assertActor(actor);
    await this.records.write(async (manager) => {
      await lockLineage(manager);
      const current = await this.records.findReadable(manager, idOrSlug, actor);
      assertCanWrite(actor, current, `persona ${idOrSlug}`);
      const ids = await childIds(manager, current.id as string);
      // Lock the children, then read them: a concurrent edit of a child by its owner finishes
      // first (and is read here) or waits for this removal, never turning it into a conflict.
      if (ids.length && manager.connection.options.type === 'postgres') await manager.query('SELECT id FROM personas WHERE id = ANY($1) ORDER BY id FOR UPDATE', [ids]);
      const children = await findPersonasByIds(manager, ids);
      const blocking = children.filter((c) => canWrite(actor, c)).map((c) => c.id as string).sort();
      if (blocking.length) throw new PersonaInUseError(idOrSlug, blocking);
      for (const child of children) await this.detach(manager, child, actor, current.slug);
      await deleteListRows(manager, current.id as string);
      for (const cls of [PersonaTrait, KnowledgeDomain, BehaviorRule, PersonaRevision, PersonaInteraction, PersonaMetricRollup, PersonaLatencyBin, PersonaLogHorizon, PersonaMetrics]) {
        await manager.createQueryBuilder().delete().from(cls).where('personaId = :id', { id: current.id }).execute();
      }
      await manager.createQueryBuilder().delete().from(PersonaConfiguration).where('id = :id', { id: current.id }).execute();
    });
  }

  /**
   * The revisions the actor may read, oldest first: version, who, when, the change message, the
   * labels pointing at it, and the full persona at that version. Versions written while the
   * persona was private are its owner's (and admins'): other readers see only the versions that
   * were public when written or that a label move published. With `limit`, only the newest
   * `limit` of those (still oldest first); with `beforeVersion`, only versions below it: the page
   * before the one that started at that version.
   */
  async history(idOrSlug: string, actor: Actor, options: HistoryOptions = {}): Promise<PersonaRevisionEntry[]> {
    assertActor(actor);
    const { limit, beforeVersion } = checkHistoryOptions(options);
    return this.records.read(async (manager) => {
      const current = await this.records.findReadable(manager, idOrSlug, actor);
      const visible = await readableVersions(manager, current, actor);
      const revisions = manager.getRepository(PersonaRevision);
      // The versions first (small rows), then the snapshots of the page only.
      const versions = (await revisions.find({ select: { version: true }, where: { personaId: current.id }, order: { version: 'ASC' } }))
        .map((r) => r.version)
        .filter((v) => canSeeVersion(visible, v) && (beforeVersion === undefined || v < beforeVersion));
      const page = limit === undefined ? versions : versions.slice(Math.max(0, versions.length - limit));
      if (!page.length) return [];
      const rows = await revisions.find({ where: { personaId: current.id, version: In(page) }, order: { version: 'ASC' } });
      const labels = new Map<number, string[]>();
      for (const row of await labelRowsOf(manager, current.id as string)) {
        for (const v of new Set(targetVersions(row))) labels.set(v, [...(labels.get(v) ?? []), row.label]);
      }
      return rows.map((r) => ({ version: r.version, changedBy: r.changedBy, changedAt: r.changedAt, message: r.message ?? null, labels: labels.get(r.version) ?? [], snapshot: snapshotOfRevision(r) }));
    });
  }

  /**
   * The changes from version `fromVersion` to `toVersion` of the persona itself (not resolved
   * through its lineage), either order: see {@link diffSnapshots}. A version that does not exist,
   * or that the actor may not see, is `RevisionNotFoundError`.
   */
  async diff(idOrSlug: string, fromVersion: number, toVersion: number, actor: Actor): Promise<{ from: number; to: number; changes: PersonaChange[] }> {
    assertActor(actor);
    assertVersionNumber(fromVersion, 'fromVersion');
    assertVersionNumber(toVersion, 'toVersion');
    return this.records.read(async (manager) => {
      const current = await this.records.findReadable(manager, idOrSlug, actor);
      const visible = await readableVersions(manager, current, actor);
      const wanted = [...new Set([fromVersion, toVersion])];
      const rows = await manager.getRepository(PersonaRevision).find({ where: wanted.map((version) => ({ personaId: current.id, version })) });
      const snapshot = (v: number) => {
        const row = rows.find((r) => r.version === v);
        if (!row || !canSeeVersion(visible, v)) throw new RevisionNotFoundError(idOrSlug, v);
        return snapshotOfRevision(row);
      };
      return { from: fromVersion, to: toVersion, changes: diffSnapshots(snapshot(fromVersion), snapshot(toVersion)) };
    });
  }

  /**
   * Makes a new version equal to the persona at `toVersion` (what it had set, included).
   * Ownership and visibility (`createdBy`, `isPublic`) stay as they are now: a revert never
   * publishes a persona that is private today.
   */
  async revert(idOrSlug: string, toVersion: number, options: WriteOptions, actor: Actor): Promise<PersonaConfiguration> {
    assertActor(actor);
    const message = messageOf(options);
    assertVersionNumber(toVersion, 'toVersion');
    return this.records.writeAt(idOrSlug, options?.expectedVersion, actor, async (manager, current, expectedVersion) => {
      const revision = await manager.getRepository(PersonaRevision).findOne({ where: { personaId: current.id, version: toVersion } });
      if (!revision) fail([{ path: 'toVersion', constraint: 'revisionExists', message: `persona ${idOrSlug} has no version ${toVersion}` }], 'options');
      const old = personaOfRevision(revision);
      const content = toPlain(old, { excludeUnset: true });
      for (const k of STORE_KEPT_FIELDS) delete content[k];
      if (fieldsSet(current).has('isPublic')) content.isPublic = current.isPublic;
      else delete content.isPublic;
      const next = PersonaConfiguration.create({ ...content, createdBy: current.createdBy } as ModelInput<PersonaConfiguration>);
      return this.writeNext(manager, idOrSlug, current, next, expectedVersion, actor, message);
    });
  }

  // ---------------------------------------------------------------------------------------------

  /** Writes `next` as the version after `current`, with its children and a revision; the SQL checks the version. */
  private async writeNext(
    manager: EntityManager,
    idOrSlug: string,
    current: PersonaConfiguration,
    next: PersonaConfiguration,
    expectedVersion: number,
    actor: Actor,
    message: string | null = null,
  ): Promise<PersonaConfiguration> {
    this.records.stampNext(current, next, actor, idOrSlug);
    if (next.slug !== current.slug) await this.assertSlugsFree(manager, [next]);
    if (next.parentId !== current.parentId || next.templateId !== current.templateId) {
      if (next.parentId) await lockLineage(manager);
      await this.assertLinks(manager, next, actor);
    }
    await this.records.updateAtVersion(manager, idOrSlug, next, expectedVersion, personaRowExtra);
    await replaceChildren(manager, next);
    await this.insertRevisions(manager, [next], actor, message);
    return next;
  }

  /**
   * Makes `child` stand alone before its parent is removed: a new version with everything it
   * inherited made its own and no `parentId`, written by `actor`. What it inherited from
   * ancestors its owner could not read is not copied into it (that would publish them), so such a
   * child just loses its link, as it could not be resolved by its owner before either.
   */
  private async detach(manager: EntityManager, child: PersonaConfiguration, actor: Actor, parentSlug: string): Promise<void> {
    const owner: Actor = { id: child.createdBy };
    const chain = await lineageOf(manager, child.id as string, this.maxDepth + 1);
    const readable = chain.length <= this.maxDepth && chain.every((link) => canRead(owner, link)) && !chain[chain.length - 1].parentId;
    let content: Record<string, unknown>;
    if (readable) {
      const ordered = await findPersonasByIds(manager, chain.map((l) => l.id));
      const byId = new Map(ordered.map((p) => [p.id as string, p]));
      content = toPlain(mergeLineage(chain.map((l) => byId.get(l.id) as PersonaConfiguration)).persona, { excludeUnset: true });
    } else {
      content = toPlain(child, { excludeUnset: true });
    }
    for (const k of [...STORE_KEPT_FIELDS, 'parentId']) delete content[k];
    const next = PersonaConfiguration.create({ ...content, createdBy: child.createdBy } as ModelInput<PersonaConfiguration>);
    const message = `detached: its parent ${parentSlug} was removed; what it inherited is now its own`;
    await this.writeNext(manager, child.id as string, child, next, child.version as number, { id: actor.id, roles: ['admin'] }, message);
  }

  private async insertRevisions(manager: EntityManager, personas: PersonaConfiguration[], actor: Actor, message: string | null = null): Promise<void> {
    const rows = personas.map((p) => ({
      personaId: p.id,
      version: p.version,
      changedBy: actor.id,
      changedAt: p.updatedAt,
      wasPublic: p.isPublic,
      message,
      snapshot: revisionSnapshotOf(p),
      fieldPaths: [] as string[],
    }));
    await insertRows(manager, PersonaRevision, rows);
  }

  private async assertSlugsFree(manager: EntityManager, personas: PersonaConfiguration[]): Promise<void> {
    for (let i = 0; i < personas.length; i += 1000) {
      const part = personas.slice(i, i + 1000);
      const taken = await personaQuery(manager)
        .select('p.slug', 'slug')
        .addSelect('p.id', 'id')
        .where('p.slug IN (:...slugs)', { slugs: part.map((p) => p.slug) })
        .getRawMany<{ slug: string; id: string }>();
      const clash = taken.find((t) => part.some((p) => p.slug === t.slug && p.id !== t.id));
      if (clash) fail([{ path: 'slug', constraint: 'unique', message: `slug "${clash.slug}" is already taken` }]);
    }
  }

  /**
   * A parent must exist and be visible to the actor, must not close a cycle, and must keep the
   * lineage within the depth cap; a template must exist and be visible.
   */
  private async assertLinks(manager: EntityManager, persona: PersonaConfiguration, actor: Actor): Promise<void> {
    if (persona.templateId) {
      const template = await manager.getRepository(PersonaTemplate).findOne({ where: { id: persona.templateId }, select: { id: true, isPublic: true, createdBy: true } });
      if (!template || !canRead(actor, template)) {
        fail([{ path: 'templateId', constraint: 'templateExists', message: `no template ${persona.templateId} visible to ${actor.id}` }]);
      }
    }
    if (!persona.parentId) return;
    if (persona.parentId === persona.id) throw new InheritanceCycleError([persona.id as string, persona.id as string]);
    const chain = await lineageOf(manager, persona.parentId, this.maxDepth);
    if (!chain.length || !canRead(actor, chain[0])) {
      fail([{ path: 'parentId', constraint: 'parentExists', message: `no persona ${persona.parentId} visible to ${actor.id}` }]);
    }
    const loop = chain.findIndex((link) => link.id === persona.id);
    // The cycle names only personas the actor may read: nothing is learned of anyone else's private links.
    if (loop >= 0) throw new InheritanceCycleError([persona.id as string, ...chain.slice(0, loop + 1).filter((l) => canRead(actor, l)).map((l) => l.id)]);
    if (chain.length + 1 > this.maxDepth) throw new InheritanceDepthError(persona.id as string, this.maxDepth);
  }
}
