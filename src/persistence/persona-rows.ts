import { EntityManager, SelectQueryBuilder } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { isStorableText } from '../validation/storable-text';
import { hydrate, hydratedValue, insertRows, tableOf } from './rows';
import { BehaviorRule } from '../models/behavior-rule.entity';
import { KnowledgeDomain } from '../models/knowledge-domain.entity';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaTrait } from '../models/persona-trait.entity';
import { PersonaTagRow } from '../models/persona-tag.entity';
import { UUID_PATTERN } from '../validation/constraints';
import { HiddenSlot } from '../validation/hidden';
import { restoreModel } from '../validation/restore';
import { applyFieldPaths, compileFieldPaths, fromJSON, Model, restoreFieldPaths, toPlain } from '../validation/model';
import type { FieldPathsPlan } from '../validation/fields-set';
import { chunk } from './transaction';

/**
 * Reading and writing persona rows with their children. Any number of personas load in one query
 * (children aggregated as JSON in SQL); writes go through the metadata-driven `rows.ts`.
 */

type ChildClass = typeof PersonaTrait | typeof KnowledgeDomain | typeof BehaviorRule;
const CHILDREN: { key: 'traits' | 'knowledgeDomains' | 'behaviorRules'; cls: ChildClass }[] = [
  { key: 'traits', cls: PersonaTrait },
  { key: 'knowledgeDomains', cls: KnowledgeDomain },
  { key: 'behaviorRules', cls: BehaviorRule },
];

/**
 * The fields the store keeps, never taken from a snapshot's own keys: a persona read from its
 * current revision gets the id and version from its row, `updatedAt` from the revision's
 * `changedAt` and `createdAt` from the snapshot's `createdAt`, which every write of the store
 * stamps from the same instants as the row's (lists sort and page on the row's columns).
 */
const ROW_ONLY = Object.freeze(['id', 'version', 'createdAt', 'updatedAt'] as const);

/** Ids per `IN (...)` list. */
const IN_CHUNK = 1000;

/** True when the string has the shape of a UUID (and is therefore looked up as an id). */
export function looksLikeId(idOrSlug: string): boolean {
  return UUID_PATTERN.test(idOrSlug);
}

/** A query builder over persona rows, alias `p`. */
export function personaQuery(manager: EntityManager): SelectQueryBuilder<PersonaConfiguration> {
  return manager.getRepository(PersonaConfiguration).createQueryBuilder('p');
}

/** Bookkeeping columns of child rows, never part of the returned instances. */
const CHILD_BOOKKEEPING: ReadonlySet<string> = new Set(['personaId', 'position']);

/**
 * The SQL of one child list of the persona row `p` as a JSON array of arrays (one per child: its
 * position, then its columns in metadata order, bookkeeping left out): `json_group_array` on
 * SQLite, `json_agg` on PostgreSQL. Built from TypeORM's metadata once per data source and class.
 */
type ChildAggregate = { sql: string; columns: ColumnMetadata[]; hydrate: (cells: unknown[]) => object };
const aggregateSql = new WeakMap<object, Map<Function, ChildAggregate>>();
function childAggregate(manager: EntityManager, cls: Function): ChildAggregate {
  const ds = manager.connection;
  let byClass = aggregateSql.get(ds);
  if (!byClass) aggregateSql.set(ds, (byClass = new Map()));
  let entry = byClass.get(cls);
  if (!entry) {
    const { table, columns: all } = tableOf(manager, cls);
    const columns = all.filter((c) => !CHILD_BOOKKEEPING.has(c.propertyName));
    const list = columns.map((c) => `c.${ds.driver.escape(c.databaseName)}`).join(', ');
    // Each child as [position, ...columns], unordered: sorting a few rows in JS (usually already in
    // order) costs less than the temporary B-tree an ORDER BY inside the aggregate makes SQLite build.
    const sql =
      ds.options.type === 'postgres'
        ? `(SELECT COALESCE(json_agg(json_build_array(c."position", ${list})), '[]'::json) FROM ${table} c WHERE c."personaId" = p."id")`
        : `(SELECT json_group_array(json_array(c."position", ${list})) FROM ${table} c WHERE c."personaId" = p."id")`;
    const create = tableOf(manager, cls).create;
    const convert = columns.map((column) => hydratedValue(ds.driver, column));
    // Nulls are never set, so only an embedded model left empty needs normalising.
    const normalise = ds.getMetadata(cls).embeddeds.length > 0;
    const hydrate = (cells: unknown[]) => {
      const entity = create() as Record<string, unknown>;
      for (let i = 0; i < columns.length; i++) {
        // A null is what normaliseAfterLoad would delete: never set. Cell 0 is the position.
        const cell = cells[i + 1];
        if (cell !== null && cell !== undefined) entity[columns[i].propertyName] = convert[i](cell);
      }
      if (normalise) (entity as unknown as Model).normaliseAfterLoad();
      return entity;
    };
    byClass.set(cls, (entry = { sql, columns, hydrate }));
  }
  return entry;
}

/**
 * Complete personas matching `where` (over the row alias `p`) in ONE query: each row joined with
 * the revision of its current version, whose snapshot holds the fields its author set, and built
 * from that (see {@link revisionSnapshotOf}) with the columns the store keeps. Rows whose current
 * revision has the older, whole form are read, in one more query, from the row and its three
 * child lists aggregated as JSON in SQL. `extra` columns (SQL over `p` or joined tables) come
 * back beside each persona.
 */
export async function selectComplete(
  manager: EntityManager,
  where: string,
  parameters: Record<string, unknown>,
  options: { with?: string; from?: string; extra?: string; orderBy?: string; shape?: string } = {},
): Promise<{ persona: PersonaConfiguration; raw: Record<string, unknown> }[]> {
  const h = tableOf(manager, PersonaConfiguration);
  // A few columns per row: better-sqlite3 builds an object of every column selected, and `p.*`
  // with its ~45 columns cost 1.05 ms per 50 rows against 0.18 ms for these.
  const lean = documentColumns(manager);
  const [sql, params] = statementOf(manager, where, parameters, { ...options, shape: `document:${options.shape ?? where}` }, () => {
    const select = [lean.select, ...(options.extra ? [options.extra] : [])].join(', ');
    const from = `${options.from ?? `${h.table} p`} ${CURRENT_REVISION_JOIN}`;
    return `${options.with ?? ''}SELECT ${select} FROM ${from} WHERE ${where}${options.orderBy ? ` ORDER BY ${options.orderBy}` : ''}`;
  });
  const raws: Record<string, unknown>[] = await manager.query(sql, params);
  const personas = await personasOfDocumentRows(manager, raws);
  return raws.map((raw, i) => ({ persona: personas[i], raw })).filter((r): r is { persona: PersonaConfiguration; raw: Record<string, unknown> } => !!r.persona);
}

/** Joins the revision of each persona row's current version (alias `r`). */
export const CURRENT_REVISION_JOIN = 'LEFT JOIN persona_revisions r ON r."personaId" = p."id" AND r."version" = p."version"';
/** SQL: the joined revision has the fields-set form. */
const LEAN_REVISION = `r."fieldPaths" = '[]'`;

/**
 * The raw names {@link personasOfDocumentRows} reads: the row's `p.id` and `p.version`, and of the
 * joined revision `r.snapshot`, `r.fieldPaths` and `r.changedAt` (the persona's `updatedAt`;
 * its `createdAt` is in the snapshot).
 */
export const DOCUMENT_ROW = { id: 'p_id', version: 'p_version', snapshot: 'r_snapshot', fieldPaths: 'r_fieldPaths', changedAt: 'r_changedAt' } as const;

/**
 * The personas of raw rows holding {@link DOCUMENT_ROW}: built from the current revision's
 * snapshot of the fields set; rows whose revision has the older whole form are read from their
 * rows and child lists in one more query. One entry per raw row, in order (undefined for a row
 * gone meanwhile).
 */
export async function personasOfDocumentRows(manager: EntityManager, raws: Record<string, unknown>[]): Promise<(PersonaConfiguration | undefined)[]> {
  const R = DOCUMENT_ROW;
  const isLean = (raw: Record<string, unknown>) => typeof raw[R.snapshot] === 'string' && raw[R.fieldPaths] === '[]';
  const older = raws.filter((raw) => !isLean(raw)).map((raw) => raw[R.id] as string);
  const fromRows = older.length ? new Map((await selectFromRows(manager, older)).map((p) => [p.id, p])) : null;
  return raws.map((raw) => (isLean(raw) ? fromDocument(raw) : fromRows?.get(raw[R.id] as string)));
}

/** The columns {@link personasOfDocumentRows} reads, in SQL, built once per data source. */
function documentColumns(manager: EntityManager): { select: string } {
  const ds = manager.connection;
  let entry = documentSelect.get(ds);
  if (!entry) {
    const byName = new Map(ds.getMetadata(PersonaConfiguration).columns.map((c) => [c.propertyName, c]));
    const select = (['id', 'version'] as const)
      .map((name) => `p.${ds.driver.escape(byName.get(name)!.databaseName)} AS "${DOCUMENT_ROW[name]}"`)
      .concat([revisionColumns()])
      .join(', ');
    documentSelect.set(ds, (entry = { select }));
  }
  return entry;
}

/** SQL: what {@link personasOfDocumentRows} reads of the joined revision (alias `r`). */
export function revisionColumns(): string {
  return `r."snapshot" AS "${DOCUMENT_ROW.snapshot}", r."fieldPaths" AS "${DOCUMENT_ROW.fieldPaths}", r."changedAt" AS "${DOCUMENT_ROW.changedAt}"`;
}
const documentSelect = new WeakMap<object, { select: string }>();

/**
 * Complete personas by id from their rows and child lists (aggregated as JSON in SQL), for
 * personas whose current revision had the older, whole form when the caller read it. The row is
 * read again with its current revision in the same statement: if a write gave it a revision of
 * the fields set meanwhile (and an empty `storedFieldPaths`), the persona is built from that
 * revision instead, so the two statements can never mix versions.
 */
async function selectFromRows(manager: EntityManager, ids: string[]): Promise<PersonaConfiguration[]> {
  const h = tableOf(manager, PersonaConfiguration);
  const children = CHILDREN.map(({ key, cls }) => ({ key, ...childAggregate(manager, cls) }));
  const lean = documentColumns(manager);
  const out: PersonaConfiguration[] = [];
  for (const part of chunk(ids, IN_CHUNK)) {
    const where = 'p."id" IN (:...ids)';
    const [sql, params] = statementOf(manager, where, { ids: part }, { shape: `rows:${where}` }, () => {
      const select = [`p.*`, lean.select, ...children.map((c) => `CASE WHEN ${LEAN_REVISION} THEN NULL ELSE ${c.sql} END AS "__${c.key}"`)].join(', ');
      return `SELECT ${select} FROM ${h.table} p ${CURRENT_REVISION_JOIN} WHERE ${where}`;
    });
    const raws: Record<string, unknown>[] = await manager.query(sql, params);
    for (const raw of raws) {
      if (typeof raw[DOCUMENT_ROW.snapshot] === 'string' && raw[DOCUMENT_ROW.fieldPaths] === '[]') {
        out.push(fromDocument(raw));
        continue;
      }
      const persona = hydrate(manager, h, raw, STORED_PATHS) as PersonaConfiguration;
      for (const child of children) {
        const value = raw[`__${child.key}`];
        const rows = inPositionOrder((typeof value === 'string' ? JSON.parse(value) : value) as [number, ...unknown[]][]);
        (persona as unknown as Record<string, unknown>)[child.key] = rows.map(child.hydrate);
      }
      applyFieldPaths(persona, fieldPathsPlan(raw.storedFieldPaths), { fresh: true });
      out.push(persona);
    }
  }
  return out;
}

/** Aggregated child rows ([position, ...cells]) in position order; sorted only when they are not. */
function inPositionOrder(rows: [number, ...unknown[]][]): [number, ...unknown[]][] {
  for (let i = 1; i < rows.length; i++) if (rows[i - 1][0] > rows[i][0]) return rows.sort((a, b) => a[0] - b[0]);
  return rows;
}

/** The stored field paths column, read as a plan (below) rather than hydrated. */
const STORED_PATHS: ReadonlySet<string> = new Set(['storedFieldPaths']);

/**
 * What a revision stores of a persona (see `PersonaRevision.snapshot`): the fields its author
 * set, as `toPlain(p, { excludeUnset: true })` gives them (so the keys present are the fields
 * set, and the defaults come back from the classes), with `createdAt`; the id, version and
 * `updatedAt` are the revision's own `personaId`, `version` and `changedAt`. About half the
 * whole `toPlain` form, and no list of field paths beside it. The revision of the current
 * version is also what lists and lookups build the persona from.
 */
export function revisionSnapshotOf(persona: PersonaConfiguration): Record<string, unknown> {
  const plain = toPlain(persona, { excludeUnset: true });
  for (const key of ROW_ONLY) delete plain[key];
  if (persona.createdAt) plain.createdAt = persona.createdAt.toISOString();
  return plain;
}

/** A revision as {@link personaOfRevision} reads it. */
export type RevisionRow = { personaId: string; version: number; changedAt: Date; snapshot: Record<string, unknown>; fieldPaths: string[] };

/** The persona a revision holds, either form (what it set included). Not validated again: only the store writes revisions. */
export function personaOfRevision(revision: RevisionRow): PersonaConfiguration {
  if (revision.fieldPaths.length) {
    const persona = fromJSON(PersonaConfiguration, revision.snapshot);
    restoreFieldPaths(persona, revision.fieldPaths);
    return persona;
  }
  const plain = revision.snapshot;
  return personaOfFieldsSet(plain, { id: revision.personaId, version: revision.version, createdAt: instantOf(plain.createdAt), updatedAt: revision.changedAt });
}

/**
 * A persona from a snapshot of the fields set: restored by code generated from the compiled plans
 * `create()` uses (the fields set recorded at every level as it copies, the defaults applied; see
 * `restoreModel`), the fields the store keeps taken from `kept` only. Not validated again: only
 * the store writes these snapshots, from validated instances. The persona takes over the
 * snapshot's nested objects and arrays.
 */
function personaOfFieldsSet(plain: Record<string, unknown>, kept: Partial<Record<(typeof ROW_ONLY)[number], unknown>>): PersonaConfiguration {
  const persona = restoreModel(PersonaConfiguration, plain, ROW_ONLY);
  for (const key of ROW_ONLY) if (kept[key] !== undefined && kept[key] !== null) (persona as unknown as Record<string, unknown>)[key] = kept[key];
  return persona;
}

/** The whole `toPlain` form of a revision, either form. */
export function snapshotOfRevision(revision: RevisionRow): Record<string, unknown> {
  return revision.fieldPaths.length ? revision.snapshot : toPlain(personaOfRevision(revision));
}

/**
 * A date from TypeORM's SQLite text ("2026-11-25 20:14:04.123", UTC) or from `toISOString()`
 * text ("2026-11-25T20:14:04.123Z", as snapshots hold `createdAt`), or undefined for any other
 * shape. Read field by field: `new Date(text)` cost 1.7 µs.
 */
function utcText(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  let end = value.length;
  if (value.charCodeAt(10) === 84 /* T */) {
    // ISO: the same fields, a "T" between date and time and a "Z" at the end.
    if (value.charCodeAt(end - 1) !== 90 /* Z */) return undefined;
    end--;
  } else if (value.charCodeAt(10) !== 32 /* space */) return undefined;
  if (end < 19 || end > 23 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45 || value.charCodeAt(13) !== 58 || value.charCodeAt(16) !== 58) return undefined;
  let ms = 0;
  if (end > 19) {
    if (value.charCodeAt(19) !== 46 /* . */ || end === 20) return undefined;
    ms = digits(value, 20, end) * 10 ** (23 - end);
  }
  const time = Date.UTC(digits(value, 0, 4), digits(value, 5, 7) - 1, digits(value, 8, 10), digits(value, 11, 13), digits(value, 14, 16), digits(value, 17, 19), ms);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** The decimal number of `text` from `from` to `to`, or NaN when a character there is no digit. */
function digits(text: string, from: number, to: number): number {
  let out = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    out = out * 10 + d;
  }
  return out;
}

/** A stored instant (text or a driver's Date) as a Date, or undefined when there is none. */
function instantOf(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== 'string') return undefined;
  const fast = utcText(value);
  if (fast) return fast;
  // Other text as TypeORM reads SQLite's: UTC unless it names a zone. Text that is no date gives none (never an Invalid Date).
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * A persona from its current revision's snapshot of the fields set (see
 * {@link personaOfFieldsSet}): the id and version from the row, `updatedAt` the revision's
 * `changedAt` (the store writes both from one instant), `createdAt` from the snapshot. A third
 * as much CPU as building from the row and its child lists, and no child rows read.
 */
function fromDocument(raw: Record<string, unknown>): PersonaConfiguration {
  const plain = JSON.parse(raw[DOCUMENT_ROW.snapshot] as string) as Record<string, unknown>;
  return personaOfFieldsSet(plain, { id: raw[DOCUMENT_ROW.id], version: Number(raw[DOCUMENT_ROW.version]), createdAt: instantOf(plain.createdAt), updatedAt: instantOf(raw[DOCUMENT_ROW.changedAt]) });
}

/**
 * Compiled field-path plans by the stored text: personas of one shape share one plan, so a load
 * neither parses that JSON nor any path. Found by the text's length, then compared with `===`:
 * a `Map` keyed by the text itself hashes all of it on every load (a fresh string from the
 * driver), which measured as slow as parsing it (3.8 µs for 2,300 characters, against 0.23 µs).
 * With the per-column converters of rows.ts, CPU per `get` of the bench's persona (25 children,
 * 20,000 calls) went 0.088 → 0.068 ms; without the ORDER BY inside the aggregates, 0.059 ms.
 */
const plans = new Map<number, { text: string; plan: FieldPathsPlan }[]>();
/** Most plans kept (then all are forgotten at once), most per length, most characters of text in all. */
const PLAN_LIMITS = { entries: 5_000, perLength: 16, characters: 8_000_000 };
let planCount = 0;
let planCharacters = 0;

function fieldPathsPlan(stored: unknown): FieldPathsPlan {
  const text = typeof stored === 'string' ? stored : JSON.stringify(stored ?? []);
  let bucket = plans.get(text.length);
  const found = bucket?.find((entry) => entry.text === text);
  if (found) return found.plan;
  let paths: unknown;
  try {
    paths = JSON.parse(text);
  } catch {
    paths = [];
  }
  const plan = compileFieldPaths(Array.isArray(paths) ? paths : []);
  if (planCount >= PLAN_LIMITS.entries || planCharacters + text.length > PLAN_LIMITS.characters) {
    plans.clear();
    planCount = planCharacters = 0;
    bucket = undefined;
  }
  if (!bucket) plans.set(text.length, (bucket = []));
  if (bucket.length >= PLAN_LIMITS.perLength) {
    planCharacters -= bucket.shift()!.text.length;
    planCount--;
  }
  bucket.push({ text, plan });
  planCount++;
  planCharacters += text.length;
  return plan;
}

/**
 * Escaped statements by query shape, for parameters that are all strings or numbers: the same
 * SQL string object every call, so the driver's statement cache finds it without hashing ~1,500
 * characters of fresh text (which cost as much as the rest of a `get`'s SQL work in JS), and the
 * text is neither rebuilt nor re-escaped. `shape` (default `where`) must name the template's text;
 * numbers are part of the key, since SQLite's escaping writes them into the SQL.
 */
const statements = new WeakMap<object, Map<string, { sql: string; order: { name: string; index?: number }[] }>>();
const SENTINEL = '\u0000param:';

function statementOf(
  manager: EntityManager,
  where: string,
  parameters: Record<string, unknown>,
  options: { shape?: string; with?: string; from?: string; extra?: string; orderBy?: string },
  template: () => string,
): [string, unknown[]] {
  const driver = manager.connection.driver;
  const names = Object.keys(parameters);
  const isText = (v: unknown) => typeof v === 'string';
  const simple = names.every((n) => {
    const v = parameters[n];
    return isText(v) || (typeof v === 'number' && Number.isFinite(v)) || (Array.isArray(v) && v.every(isText));
  });
  const shaped = options.shape !== undefined || (options.with ?? options.from ?? options.extra ?? options.orderBy) === undefined;
  if (!simple || !shaped) return driver.escapeQueryWithParameters(template(), parameters);
  // Numbers are written into SQLite's SQL, and a list's length decides its placeholders: both are part of the key.
  const varying = names.filter((n) => !isText(parameters[n]));
  const key = varying.length ? `${options.shape ?? where}|${varying.map((n) => `${n}=${Array.isArray(parameters[n]) ? `[${(parameters[n] as unknown[]).length}]` : parameters[n]}`).join('|')}` : (options.shape ?? where);
  let byKey = statements.get(manager.connection);
  if (!byKey) statements.set(manager.connection, (byKey = new Map()));
  let entry = byKey.get(key);
  if (!entry) {
    // Escape once with a marker in place of each string (and each string of a list), to learn where each goes.
    const marked = Object.fromEntries(
      names.map((n) => {
        const v = parameters[n];
        return [n, isText(v) ? `${SENTINEL}${n}` : Array.isArray(v) ? v.map((_, i) => `${SENTINEL}${n}#${i}`) : v];
      }),
    );
    const [sql, params] = driver.escapeQueryWithParameters(template(), marked);
    const order = params.map((p) => {
      if (typeof p !== 'string' || !p.startsWith(SENTINEL)) return undefined;
      const [name, index] = p.slice(SENTINEL.length).split('#');
      return { name, index: index === undefined ? undefined : Number(index) };
    });
    if (order.some((o) => o === undefined) || byKey.size >= 1_000) return driver.escapeQueryWithParameters(template(), parameters);
    byKey.set(key, (entry = { sql, order: order as { name: string; index?: number }[] }));
  }
  return [entry.sql, entry.order.map(({ name, index }) => (index === undefined ? parameters[name] : (parameters[name] as unknown[])[index]))];
}

/** The persona with this id (UUID shape) or slug, complete, or null, in one query. No access check. */
export async function findPersona(manager: EntityManager, idOrSlug: string): Promise<PersonaConfiguration | null> {
  if (typeof idOrSlug !== 'string' || !idOrSlug || !isStorableText(idOrSlug)) return null;
  const byId = looksLikeId(idOrSlug);
  const [row] = await selectComplete(manager, byId ? 'p."id" = :key' : 'p."slug" = :key', { key: byId ? idOrSlug.toLowerCase() : idOrSlug });
  return row?.persona ?? null;
}

/** Complete personas by id, in no particular order; missing ids are left out. One query per 1,000 ids. */
export async function findPersonasByIds(manager: EntityManager, ids: readonly string[]): Promise<PersonaConfiguration[]> {
  const out: PersonaConfiguration[] = [];
  for (const part of chunk([...new Set(ids)], IN_CHUNK)) {
    for (const { persona } of await selectComplete(manager, 'p."id" IN (:...ids)', { ids: part })) out.push(persona);
  }
  return out;
}


function childRows(persona: PersonaConfiguration, key: 'traits' | 'knowledgeDomains' | 'behaviorRules'): Record<string, unknown>[] {
  return (persona[key] as unknown as Record<string, unknown>[]).map((child, position) => ({ ...child, personaId: persona.id, position }));
}

/** Inserts the children of several personas, in multi-row INSERTs (no SELECT per row). */
export async function insertChildren(manager: EntityManager, personas: PersonaConfiguration[]): Promise<void> {
  for (const { key, cls } of CHILDREN) {
    await insertRows(manager, cls, personas.flatMap((p) => childRows(p, key)));
  }
}

/** Inserts new persona rows (id, version and timestamps already set) with their children and list rows. */
export async function insertPersonas(manager: EntityManager, personas: PersonaConfiguration[]): Promise<void> {
  await insertRows(manager, PersonaConfiguration, personas, personaRowExtra);
  await insertChildren(manager, personas);
  await insertListRows(manager, personas);
}

/**
 * The rows SQLite lists find personas through, besides the persona row: one per tag
 * (`persona_tags`) and the name and slug in the FTS5 trigram table `persona_search`. PostgreSQL
 * needs neither: a GIN index on the tags and trigram indexes on name and slug cover the persona
 * row itself (docs/scaling.md says why).
 */
async function insertListRows(manager: EntityManager, personas: PersonaConfiguration[]): Promise<void> {
  if (manager.connection.options.type === 'postgres') return;
  await insertRows(manager, PersonaTagRow, personas.flatMap((p) => (p.tags ?? []).map((tag) => ({ personaId: p.id, tag }))));
  for (const part of chunk(personas, 5000)) {
    await manager.query(`INSERT INTO persona_search (personaId, name, slug) VALUES ${part.map(() => '(?, ?, ?)').join(', ')}`, part.flatMap((p) => [p.id, p.name, p.slug]));
  }
}

/** Removes the SQLite list rows of a persona (its tags would go with it by foreign key too; the search row would not). */
export async function deleteListRows(manager: EntityManager, personaId: string): Promise<void> {
  if (manager.connection.options.type === 'postgres') return;
  await manager.createQueryBuilder().delete().from(PersonaTagRow).where('personaId = :id', { id: personaId }).execute();
  await manager.query('DELETE FROM persona_search WHERE personaId = ?', [personaId]);
}

/**
 * The values a persona row holds beyond its fields. `storedFieldPaths`, which held the paths of
 * the fields set before revisions held the fields set themselves, is left empty: it is read only
 * for rows whose current revision has the older, whole form.
 */
export const personaRowExtra = (_p: PersonaConfiguration) => ({ storedFieldPaths: [] as string[] });

/** Replaces the children of a persona whose row was just updated: the old rows go, the current lists are inserted. */
export async function replaceChildren(manager: EntityManager, persona: PersonaConfiguration): Promise<void> {
  for (const { cls } of CHILDREN) {
    await manager.createQueryBuilder().delete().from(cls).where('personaId = :id', { id: persona.id }).execute();
  }
  await insertChildren(manager, [persona]);
  await deleteListRows(manager, persona.id as string);
  await insertListRows(manager, [persona]);
}

/** The ids of personas whose `parentId` is `id`. */
export async function childIds(manager: EntityManager, id: string): Promise<string[]> {
  const rows = await personaQuery(manager).select('p.id', 'id').where('p.parentId = :id', { id }).getRawMany<{ id: string }>();
  return rows.map((r) => r.id);
}

/** Longest lineage the store accepts and the resolver follows, unless configured otherwise. */
export const DEFAULT_MAX_INHERITANCE_DEPTH = 32;

/** One link of a lineage: a persona's id, its parent's id and its distance from the start. */
export type LineageLink = { id: string; parentId: string | null; depth: number; isPublic: boolean; createdBy: string; version: number };

/**
 * `links` (a lineage read before for `start`) if it is still exactly the lineage of `start`: every
 * link still there with the same parent, version, owner and visibility, and `start` still naming
 * the first (by id, or as its slug). One query on the primary keys; null when anything differs,
 * so the caller walks the chain again. (Every change of a persona bumps its version, a change of
 * slug included, so equal versions mean equal rows for what a lineage holds.)
 */
export async function confirmLineage(manager: EntityManager, start: string, links: readonly LineageLink[]): Promise<LineageLink[] | null> {
  if (!links.length || typeof start !== 'string' || !isStorableText(start)) return null;
  const ids = [...new Set(links.map((l) => l.id))];
  const [sql, params] = statementOf(manager, '', { ids }, { shape: 'lineage confirm' }, () => 'SELECT id, "parentId", version, "isPublic", "createdBy", slug FROM personas WHERE id IN (:...ids)');
  const rows: { id: string; parentId: string | null; version: number | string; isPublic: boolean | number; createdBy: string; slug: string }[] = await manager.query(sql, params);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const first = byId.get(links[0].id);
  if (!first || (looksLikeId(start) ? start.toLowerCase() !== first.id : start !== first.slug)) return null;
  for (const link of links) {
    const row = byId.get(link.id);
    if (!row || (row.parentId ?? null) !== link.parentId || Number(row.version) !== link.version || Boolean(row.isPublic) !== link.isPublic || row.createdBy !== link.createdBy) return null;
  }
  return [...links];
}

/**
 * The chain from `start` (an id, or a slug) up through `parentId`, nearest first, in one recursive query
 * whatever its length; it stops after `maxDepth` links so stored cycles cannot run away.
 */
export async function lineageOf(manager: EntityManager, start: string, maxDepth: number): Promise<LineageLink[]> {
  if (!isStorableText(start)) return [];
  const byId = looksLikeId(start);
  const startId = byId ? start.toLowerCase() : start;
  const sql = `
    WITH RECURSIVE chain (id, "parentId", depth, "isPublic", "createdBy", version) AS (
      SELECT p.id, p."parentId", 0, p."isPublic", p."createdBy", p.version FROM personas p WHERE ${byId ? 'p.id' : 'p.slug'} = :startId
      UNION ALL
      SELECT p.id, p."parentId", chain.depth + 1, p."isPublic", p."createdBy", p.version
        FROM personas p JOIN chain ON p.id = chain."parentId"
       WHERE chain.depth < :maxDepth
    )
    SELECT id, "parentId", depth, "isPublic", "createdBy", version FROM chain ORDER BY depth`;
  const [query, params] = statementOf(manager, '', { startId, maxDepth }, { shape: byId ? 'lineage links by id' : 'lineage links by slug' }, () => sql);
  const rows: { id: string; parentId: string | null; depth: number | string; isPublic: boolean | number; createdBy: string; version: number | string }[] = await manager.query(query, params);
  return rows.map((r) => ({ id: r.id, parentId: r.parentId ?? null, depth: Number(r.depth), isPublic: Boolean(r.isPublic), createdBy: r.createdBy, version: Number(r.version) }));
}

/**
 * The lineage of `start` (id or slug) with every persona in it complete, nearest first, in ONE
 * query whatever its depth: the recursive chain joined with the aggregated persona rows. Stops
 * after `maxDepth` links, so a stored cycle cannot run away (its members then repeat).
 */
export async function lineageWithPersonas(manager: EntityManager, start: string, maxDepth: number): Promise<{ links: LineageLink[]; personas: PersonaConfiguration[] }> {
  if (!isStorableText(start)) return { links: [], personas: [] };
  const byId = looksLikeId(start);
  const chain = `WITH RECURSIVE chain (id, "parentId", depth) AS (
      SELECT p.id, p."parentId", 0 FROM personas p WHERE ${byId ? 'p.id' : 'p.slug'} = :startId
      UNION ALL
      SELECT p.id, p."parentId", chain.depth + 1 FROM personas p JOIN chain ON p.id = chain."parentId" WHERE chain.depth < :maxDepth
    ) `;
  const rows = await selectComplete(manager, '1 = 1', { startId: byId ? start.toLowerCase() : start, maxDepth }, {
    shape: byId ? 'lineage by id' : 'lineage by slug',
    with: chain,
    from: 'chain JOIN personas p ON p.id = chain.id',
    extra: 'chain.depth AS "__depth"',
    orderBy: 'chain.depth',
  });
  return {
    personas: rows.map((r) => r.persona),
    links: rows.map(({ persona: p, raw }) => ({
      id: p.id as string,
      parentId: p.parentId ?? null,
      depth: Number(raw.__depth),
      isPublic: p.isPublic,
      createdBy: p.createdBy,
      version: p.version as number,
    })),
  };
}
