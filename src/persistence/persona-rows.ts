import { newId } from './ids';
import { EntityManager, QueryFailedError, SelectQueryBuilder } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { PersonaStorageError } from '../errors';
import { BehaviorRule } from '../models/behavior-rule.entity';
import { KnowledgeDomain } from '../models/knowledge-domain.entity';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaTrait } from '../models/persona-trait.entity';
import { UUID_PATTERN } from '../validation/constraints';
import { HiddenSlot } from '../validation/hidden';
import { Model, restoreFieldPaths, setFieldPaths } from '../validation/model';
import { chunk } from './transaction';

/**
 * Reading and writing persona rows with their children. A persona always loads in a fixed
 * number of queries: one for the rows, one per child table for all of them (no join of traits
 * × domains × rules, no query per child).
 */

type ChildClass = typeof PersonaTrait | typeof KnowledgeDomain | typeof BehaviorRule;
const CHILDREN: { key: 'traits' | 'knowledgeDomains' | 'behaviorRules'; cls: ChildClass }[] = [
  { key: 'traits', cls: PersonaTrait },
  { key: 'knowledgeDomains', cls: KnowledgeDomain },
  { key: 'behaviorRules', cls: BehaviorRule },
];

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

/** How rows of one entity become instances: its table and columns, from TypeORM's metadata. */
type Hydrator = { table: string; columns: ColumnMetadata[]; create: () => object };
const hydrators = new WeakMap<object, Map<Function, Hydrator>>();

function hydratorOf(manager: EntityManager, cls: Function): Hydrator {
  const ds = manager.connection;
  let byClass = hydrators.get(ds);
  if (!byClass) hydrators.set(ds, (byClass = new Map()));
  let h = byClass.get(cls);
  if (!h) {
    const metadata = ds.getMetadata(cls);
    h = { table: ds.driver.escape(metadata.tableName), columns: metadata.columns, create: () => metadata.create() as object };
    byClass.set(cls, h);
  }
  return h;
}

/**
 * Rows of `cls` selected with plain SQL through TypeORM (`manager.query`, whose statements the
 * driver caches) and hydrated with TypeORM's own column metadata and value conversions: the
 * same instances the query builder makes, without building and aliasing a query each time.
 */
async function selectRows<T>(manager: EntityManager, cls: Function, where: string, parameters: Record<string, unknown>, orderBy?: string): Promise<T[]> {
  return (await selectRaw<T>(manager, cls, where, parameters, orderBy)).map((r) => r.entity);
}

/** {@link selectRows} with each raw row beside its entity; `omit` columns are not put on the entity. */
async function selectRaw<T>(
  manager: EntityManager,
  cls: Function,
  where: string,
  parameters: Record<string, unknown>,
  orderBy?: string,
  omit?: ReadonlySet<string>,
): Promise<{ entity: T; raw: Record<string, unknown> }[]> {
  const h = hydratorOf(manager, cls);
  const driver = manager.connection.driver;
  const [sql, params] = driver.escapeQueryWithParameters(`SELECT * FROM ${h.table} WHERE ${where}${orderBy ? ` ORDER BY ${orderBy}` : ''}`, parameters);
  const raws: Record<string, unknown>[] = await manager.query(sql, params);
  return raws.map((raw) => {
    const entity = h.create() as Record<string, unknown>;
    for (const column of h.columns) {
      if (omit?.has(column.propertyName)) continue;
      const value = driver.prepareHydratedValue(raw[column.databaseName], column);
      if (column.embeddedMetadata) column.setEntityValue(entity, value);
      else entity[column.propertyName] = value;
    }
    (entity as unknown as Model).normaliseAfterLoad();
    return { entity: entity as T, raw };
  });
}

/** Bookkeeping columns of child rows, never part of the returned instances. */
const CHILD_BOOKKEEPING: ReadonlySet<string> = new Set(['id', 'personaId', 'position']);

/** Loads the children of `personas` (3 queries in all) and makes each a clean, complete persona. */
export async function completePersonas(manager: EntityManager, personas: PersonaConfiguration[]): Promise<PersonaConfiguration[]> {
  if (!personas.length) return personas;
  const byId = new Map(personas.map((p) => [p.id as string, p]));
  for (const p of personas) {
    p.traits = [];
    p.knowledgeDomains = [];
    p.behaviorRules = [];
  }
  for (const { key, cls } of CHILDREN) {
    for (const ids of chunk([...byId.keys()], IN_CHUNK)) {
      const rows = await selectRaw<PersonaTrait | KnowledgeDomain | BehaviorRule>(
        manager,
        cls,
        ids.length === 1 ? '"personaId" = :id' : '"personaId" IN (:...ids)',
        ids.length === 1 ? { id: ids[0] } : { ids },
        '"personaId", "position"',
        CHILD_BOOKKEEPING,
      );
      for (const { entity, raw } of rows) (byId.get(raw.personaId as string)?.[key] as unknown[] | undefined)?.push(entity);
    }
  }
  for (const p of personas) {
    restoreFieldPaths(p, p.storedFieldPaths ?? [], { fresh: true });
    delete p.storedFieldPaths;
  }
  return personas;
}

/** The persona with this id (UUID shape) or slug, complete, or null. No access check. */
export async function findPersona(manager: EntityManager, idOrSlug: string): Promise<PersonaConfiguration | null> {
  if (typeof idOrSlug !== 'string' || !idOrSlug) return null;
  const byId = looksLikeId(idOrSlug);
  const [row] = await selectRows<PersonaConfiguration>(manager, PersonaConfiguration, byId ? '"id" = :key' : '"slug" = :key', { key: byId ? idOrSlug.toLowerCase() : idOrSlug });
  if (!row) return null;
  return (await completePersonas(manager, [row]))[0];
}

/** Complete personas by id, in no particular order; missing ids are left out. */
export async function findPersonasByIds(manager: EntityManager, ids: readonly string[]): Promise<PersonaConfiguration[]> {
  const rows: PersonaConfiguration[] = [];
  for (const part of chunk([...new Set(ids)], IN_CHUNK)) {
    rows.push(...(await selectRows<PersonaConfiguration>(manager, PersonaConfiguration, '"id" IN (:...ids)', { ids: part })));
  }
  return completePersonas(manager, rows);
}

const fieldPathCache = new HiddenSlot<string[]>('fieldPaths');
/** `setFieldPaths(persona)`, computed once per write (the row and its revision both need it). */
export function fieldPathsOf(persona: PersonaConfiguration): string[] {
  let paths = fieldPathCache.get(persona);
  if (!paths) fieldPathCache.set(persona, (paths = setFieldPaths(persona)));
  return paths;
}

/** The column values of a persona row (no children). */
function rowValues(persona: PersonaConfiguration): Record<string, unknown> {
  return {
    id: persona.id,
    name: persona.name,
    slug: persona.slug,
    description: persona.description,
    instructions: persona.instructions ?? null,
    status: persona.status,
    interactionMode: persona.interactionMode,
    responseStyle: persona.responseStyle,
    memoryConfig: persona.memoryConfig,
    voiceConfig: persona.voiceConfig ?? {
      provider: null, voiceId: null, language: null, speed: null, pitch: null, volume: null, emotion: null, style: null, providerOptions: null,
    },
    temperature: persona.temperature,
    maxTokens: persona.maxTokens ?? null,
    modelPreferences: persona.modelPreferences,
    templateId: persona.templateId ?? null,
    templateVersion: persona.templateVersion ?? null,
    parentId: persona.parentId ?? null,
    isPublic: persona.isPublic,
    createdBy: persona.createdBy,
    version: persona.version,
    tags: persona.tags,
    metadata: persona.metadata,
    createdAt: persona.createdAt,
    updatedAt: persona.updatedAt,
    storedFieldPaths: fieldPathsOf(persona),
  };
}

function childRows(persona: PersonaConfiguration, key: 'traits' | 'knowledgeDomains' | 'behaviorRules'): Record<string, unknown>[] {
  return (persona[key] as unknown as Record<string, unknown>[]).map((child, position) => ({ ...child, id: newId(), personaId: persona.id, position }));
}

/**
 * Inserts rows of `cls` in multi-row INSERT statements sent through TypeORM (`manager.query`),
 * each value converted by TypeORM's own driver (`preparePersistentValue`: JSON columns, dates,
 * booleans), chunked under the engine's parameter limit (SQLite 32,766, PostgreSQL 65,535). No
 * SELECT per row, no query-builder work per value; equal chunk sizes reuse one cached statement.
 */
export async function insertRows(manager: EntityManager, cls: Function, rows: object[]): Promise<void> {
  if (!rows.length) return;
  const ds = manager.connection;
  const driver = ds.driver;
  const { table, columns } = hydratorOf(manager, cls);
  const postgres = ds.options.type === 'postgres';
  const perRow = columns.length;
  // Under the parameter limit, and at most 500 rows, so statements stay small enough to cache.
  const chunkRows = Math.max(1, Math.min(500, Math.floor((postgres ? 65_535 : 32_766) / perRow)));
  for (let start = 0; start < rows.length; start += chunkRows) {
    const part = rows.slice(start, start + chunkRows);
    const params: unknown[] = new Array(part.length * perRow);
    let n = 0;
    for (const row of part) {
      for (const column of columns) {
        const raw = column.embeddedMetadata ? column.getEntityValue(row as never) : (row as Record<string, unknown>)[column.propertyName];
        let value = driver.preparePersistentValue(raw, column);
        if (value === undefined) value = column.default !== undefined && typeof column.default !== 'function' ? column.default : null;
        params[n++] = value;
      }
    }
    await manager.query(insertSql(manager, cls, table, columns, part.length, postgres), params);
  }
}

/** The text of an INSERT of `rows` rows, built once per table and row count (and so a cached statement). */
const insertSqlCache = new WeakMap<object, Map<string, string>>();
function insertSql(manager: EntityManager, cls: Function, table: string, columns: ColumnMetadata[], rows: number, postgres: boolean): string {
  let cache = insertSqlCache.get(manager.connection);
  if (!cache) insertSqlCache.set(manager.connection, (cache = new Map()));
  const key = `${cls.name}:${rows}`;
  let sql = cache.get(key);
  if (!sql) {
    const driver = manager.connection.driver;
    const tuples: string[] = [];
    for (let r = 0; r < rows; r++) {
      const marks = columns.map((_, c) => (postgres ? `$${r * columns.length + c + 1}` : '?'));
      tuples.push(`(${marks.join(', ')})`);
    }
    sql = `INSERT INTO ${table} (${columns.map((c) => driver.escape(c.databaseName)).join(', ')}) VALUES ${tuples.join(', ')}`;
    if (cache.size > 200) cache.clear();
    cache.set(key, sql);
  }
  return sql;
}

/** Inserts the children of several personas, in multi-row INSERTs (no SELECT per row). */
export async function insertChildren(manager: EntityManager, personas: PersonaConfiguration[]): Promise<void> {
  for (const { key, cls } of CHILDREN) {
    await insertRows(manager, cls, personas.flatMap((p) => childRows(p, key)));
  }
}

/** Inserts new persona rows (id, version and timestamps already set) with their children. */
export async function insertPersonas(manager: EntityManager, personas: PersonaConfiguration[]): Promise<void> {
  await insertRows(manager, PersonaConfiguration, personas.map(rowValues));
  await insertChildren(manager, personas);
}

/**
 * Writes `persona` over the row at `expectedVersion`, in SQL (`WHERE id = ? AND version = ?`),
 * and replaces its children. Returns false, writing nothing, when the row has moved on.
 */
export async function updatePersonaRow(manager: EntityManager, persona: PersonaConfiguration, expectedVersion: number): Promise<boolean> {
  const { id, createdAt, ...values } = rowValues(persona);
  const result = await manager
    .createQueryBuilder()
    .update(PersonaConfiguration)
    .set(values)
    .where('id = :id AND version = :expectedVersion', { id, expectedVersion })
    .updateEntity(false)
    .execute();
  if (!result.affected) return false;
  for (const { cls } of CHILDREN) {
    await manager.createQueryBuilder().delete().from(cls).where('personaId = :id', { id }).execute();
  }
  await insertChildren(manager, [persona]);
  return true;
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
 * The chain from `start` (an id, or a slug) up through `parentId`, nearest first, in one recursive query
 * whatever its length; it stops after `maxDepth` links so stored cycles cannot run away.
 */
export async function lineageOf(manager: EntityManager, start: string, maxDepth: number): Promise<LineageLink[]> {
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
  const [query, params] = manager.connection.driver.escapeQueryWithParameters(sql, { startId, maxDepth });
  const rows: { id: string; parentId: string | null; depth: number | string; isPublic: boolean | number; createdBy: string; version: number | string }[] = await manager.query(query, params);
  return rows.map((r) => ({ id: r.id, parentId: r.parentId ?? null, depth: Number(r.depth), isPublic: Boolean(r.isPublic), createdBy: r.createdBy, version: Number(r.version) }));
}

/** True when a driver error is a unique-constraint violation (PostgreSQL 23505, SQLite CONSTRAINT_UNIQUE). */
export function isUniqueViolation(error: unknown): boolean {
  if (error instanceof PersonaStorageError) return isUniqueViolation(error.cause);
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = (error as QueryFailedError & { driverError?: { code?: string } }).driverError;
  return driverError?.code === '23505' || driverError?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(error.message);
}
