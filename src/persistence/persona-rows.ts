import { newId } from './ids';
import { EntityManager, SelectQueryBuilder } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { isStorableText } from '../validation/storable-text';
import { hydrate, insertRows, tableOf } from './rows';
import { BehaviorRule } from '../models/behavior-rule.entity';
import { KnowledgeDomain } from '../models/knowledge-domain.entity';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaTrait } from '../models/persona-trait.entity';
import { PersonaTagRow } from '../models/persona-tag.entity';
import { UUID_PATTERN } from '../validation/constraints';
import { HiddenSlot } from '../validation/hidden';
import { Model, restoreFieldPaths, setFieldPaths } from '../validation/model';
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
const CHILD_BOOKKEEPING: ReadonlySet<string> = new Set(['id', 'personaId', 'position']);

/**
 * The SQL of one child list of the persona row `p` as a JSON array of arrays (one per child, its
 * columns in metadata order, bookkeeping left out), ordered by position: `json_group_array` on
 * SQLite, `json_agg` on PostgreSQL. Built from TypeORM's metadata once per data source and class.
 */
const aggregateSql = new WeakMap<object, Map<Function, { sql: string; columns: ColumnMetadata[] }>>();
function childAggregate(manager: EntityManager, cls: Function): { sql: string; columns: ColumnMetadata[] } {
  const ds = manager.connection;
  let byClass = aggregateSql.get(ds);
  if (!byClass) aggregateSql.set(ds, (byClass = new Map()));
  let entry = byClass.get(cls);
  if (!entry) {
    const { table, columns: all } = tableOf(manager, cls);
    const columns = all.filter((c) => !CHILD_BOOKKEEPING.has(c.propertyName));
    const list = columns.map((c) => `c.${ds.driver.escape(c.databaseName)}`).join(', ');
    const sql =
      ds.options.type === 'postgres'
        ? `(SELECT COALESCE(json_agg(json_build_array(${list}) ORDER BY c."position"), '[]'::json) FROM ${table} c WHERE c."personaId" = p."id")`
        : `(SELECT json_group_array(json_array(${list}) ORDER BY c."position") FROM ${table} c WHERE c."personaId" = p."id")`;
    byClass.set(cls, (entry = { sql, columns }));
  }
  return entry;
}

/**
 * Complete personas matching `where` (over the row alias `p`) in ONE query: the persona row with
 * its three child lists aggregated as JSON in SQL, hydrated with TypeORM's own column metadata and
 * value conversions. `extra` columns (SQL over `p` or joined tables) come back beside each persona.
 */
export async function selectComplete(
  manager: EntityManager,
  where: string,
  parameters: Record<string, unknown>,
  options: { with?: string; from?: string; extra?: string; orderBy?: string } = {},
): Promise<{ persona: PersonaConfiguration; raw: Record<string, unknown> }[]> {
  const h = tableOf(manager, PersonaConfiguration);
  const driver = manager.connection.driver;
  const children = CHILDREN.map(({ key, cls }) => ({ key, ...childAggregate(manager, cls) }));
  const select = [`p.*`, ...children.map((c) => `${c.sql} AS "__${c.key}"`), ...(options.extra ? [options.extra] : [])].join(', ');
  const from = options.from ?? `${h.table} p`;
  const [sql, params] = driver.escapeQueryWithParameters(`${options.with ?? ''}SELECT ${select} FROM ${from} WHERE ${where}${options.orderBy ? ` ORDER BY ${options.orderBy}` : ''}`, parameters);
  const raws: Record<string, unknown>[] = await manager.query(sql, params);
  return raws.map((raw) => {
    const persona = hydrate(manager, h, raw) as PersonaConfiguration;
    for (const child of children) {
      const value = raw[`__${child.key}`];
      const rows = (typeof value === 'string' ? JSON.parse(value) : value) as unknown[][];
      const create = tableOf(manager, CHILDREN.find((c) => c.key === child.key)!.cls).create;
      (persona as unknown as Record<string, unknown>)[child.key] = rows.map((cells) => {
        const entity = create() as Record<string, unknown>;
        child.columns.forEach((column, i) => {
          entity[column.propertyName] = driver.prepareHydratedValue(cells[i], column);
        });
        (entity as unknown as Model).normaliseAfterLoad();
        return entity;
      });
    }
    restoreFieldPaths(persona, persona.storedFieldPaths ?? [], { fresh: true });
    delete persona.storedFieldPaths;
    return { persona, raw };
  });
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

const fieldPathCache = new HiddenSlot<string[]>('fieldPaths');
/** `setFieldPaths(persona)`, computed once per write (the row and its revision both need it). */
export function fieldPathsOf(persona: PersonaConfiguration): string[] {
  let paths = fieldPathCache.get(persona);
  if (!paths) fieldPathCache.set(persona, (paths = setFieldPaths(persona)));
  return paths;
}

function childRows(persona: PersonaConfiguration, key: 'traits' | 'knowledgeDomains' | 'behaviorRules'): Record<string, unknown>[] {
  return (persona[key] as unknown as Record<string, unknown>[]).map((child, position) => ({ ...child, id: newId(), personaId: persona.id, position }));
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

/** The values a persona row holds beyond its fields: the paths of the fields its author set. */
export const personaRowExtra = (p: PersonaConfiguration) => ({ storedFieldPaths: fieldPathsOf(p) });

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
  const [query, params] = manager.connection.driver.escapeQueryWithParameters(sql, { startId, maxDepth });
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
