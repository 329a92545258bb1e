import { Driver, EntityManager } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { Model } from '../validation/model';

/**
 * Rows of any entity, read and written from TypeORM's own metadata: the table, every column and
 * the driver's value conversions. No column list is written by hand anywhere, so a new column in
 * an entity (and its migration) is read and written with no other change.
 */

/** One entity's table (escaped) and columns, and how to make an empty instance. */
export type EntityTable = { table: string; columns: ColumnMetadata[]; create: () => object };
const tables = new WeakMap<object, Map<Function, EntityTable>>();

/** The table and columns of `cls` on this manager's data source (looked up once). */
export function tableOf(manager: EntityManager, cls: Function): EntityTable {
  const ds = manager.connection;
  let byClass = tables.get(ds);
  if (!byClass) tables.set(ds, (byClass = new Map()));
  let t = byClass.get(cls);
  if (!t) {
    const metadata = ds.getMetadata(cls);
    t = { table: ds.driver.escape(metadata.tableName), columns: metadata.columns, create: () => metadata.create() as object };
    byClass.set(cls, t);
  }
  return t;
}

/** Column types whose driver value is already the entity's value, on both engines (no transformer). */
const AS_IS: ReadonlySet<unknown> = new Set([String, 'varchar', 'character varying', 'text', 'uuid', 'integer', 'int', 'float', 'double precision', 'real']);

/**
 * How the driver turns a stored value of `column` into the entity's: the identity for text and
 * plain numbers, else TypeORM's own `prepareHydratedValue` (booleans, dates, JSON, enums,
 * transformers). Chosen once per column, so a load does not walk the driver's type switch per cell.
 */
export function hydratedValue(driver: Driver, column: ColumnMetadata): (value: unknown) => unknown {
  if (!column.transformer && AS_IS.has(column.type)) return (value) => value;
  return (value) => driver.prepareHydratedValue(value, column);
}

const converters = new WeakMap<EntityTable, Map<Driver, ((value: unknown) => unknown)[]>>();

/** One instance from one raw row, through the column metadata and the driver's conversions; `omit` columns are skipped. */
export function hydrate(manager: EntityManager, t: EntityTable, raw: Record<string, unknown>, omit?: ReadonlySet<string>): object {
  const driver = manager.connection.driver;
  let byDriver = converters.get(t);
  if (!byDriver) converters.set(t, (byDriver = new Map()));
  let convert = byDriver.get(driver);
  if (!convert) byDriver.set(driver, (convert = t.columns.map((column) => hydratedValue(driver, column))));
  const entity = t.create() as Record<string, unknown>;
  for (let i = 0; i < t.columns.length; i++) {
    const column = t.columns[i];
    if (omit?.has(column.propertyName)) continue;
    const stored = raw[column.databaseName];
    const value = stored === null || stored === undefined ? driver.prepareHydratedValue(stored, column) : convert[i](stored);
    if (column.embeddedMetadata) column.setEntityValue(entity, value);
    else entity[column.propertyName] = value;
  }
  if (entity instanceof Model) entity.normaliseAfterLoad();
  return entity;
}

/** Values a row gets beyond (or instead of) its instance's own: property name → value. */
export type ExtraValues<T> = (row: T) => Record<string, unknown>;

/** The database value of `column` for `row`: an `extra` value first, else the instance's (embedded ones included), else the column default or null. */
function persistentValue(manager: EntityManager, column: ColumnMetadata, row: object, extra: Record<string, unknown> | undefined): unknown {
  const given = extra && column.propertyName in extra ? extra[column.propertyName] : column.embeddedMetadata ? column.getEntityValue(row as never) : (row as Record<string, unknown>)[column.propertyName];
  const value = manager.connection.driver.preparePersistentValue(given, column);
  if (value !== undefined) return value;
  return column.default !== undefined && typeof column.default !== 'function' ? column.default : null;
}

/**
 * Inserts rows of `cls` in multi-row INSERT statements sent through TypeORM (`manager.query`),
 * every column of the entity, each value converted by TypeORM's own driver
 * (`preparePersistentValue`: JSON columns, dates, booleans), chunked under the engine's parameter
 * limit (SQLite 32,766, PostgreSQL 65,535). No SELECT per row; equal chunk sizes reuse one cached
 * statement.
 */
export async function insertRows<T extends object>(manager: EntityManager, cls: Function, rows: T[], extra?: ExtraValues<T>): Promise<void> {
  if (!rows.length) return;
  const { table, columns } = tableOf(manager, cls);
  const postgres = manager.connection.options.type === 'postgres';
  const perRow = columns.length;
  // Under the parameter limit, and at most 500 rows, so statements stay small enough to cache.
  const chunkRows = Math.max(1, Math.min(500, Math.floor((postgres ? 65_535 : 32_766) / perRow)));
  for (let start = 0; start < rows.length; start += chunkRows) {
    const part = rows.slice(start, start + chunkRows);
    const params: unknown[] = new Array(part.length * perRow);
    let n = 0;
    for (const row of part) {
      const more = extra?.(row);
      for (const column of columns) params[n++] = persistentValue(manager, column, row, more);
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

/** The columns an update writes: all but the primary key and the creation date, which never change. */
const updateSqlCache = new WeakMap<object, Map<Function, { sql: string; columns: ColumnMetadata[] }>>();
function updateSql(manager: EntityManager, cls: Function): { sql: string; columns: ColumnMetadata[] } {
  let cache = updateSqlCache.get(manager.connection);
  if (!cache) updateSqlCache.set(manager.connection, (cache = new Map()));
  let entry = cache.get(cls);
  if (!entry) {
    const { table, columns: all } = tableOf(manager, cls);
    const driver = manager.connection.driver;
    const postgres = manager.connection.options.type === 'postgres';
    const mark = (i: number) => (postgres ? `$${i}` : '?');
    const columns = all.filter((c) => !c.isPrimary && !c.isCreateDate);
    const sets = columns.map((c, i) => `${driver.escape(c.databaseName)} = ${mark(i + 1)}`).join(', ');
    const sql = `UPDATE ${table} SET ${sets} WHERE "id" = ${mark(columns.length + 1)} AND "version" = ${mark(columns.length + 2)}`;
    cache.set(cls, (entry = { sql, columns }));
  }
  return entry;
}

/**
 * Writes every column of `record` over its row, only if the row is still at `expectedVersion`
 * (`UPDATE … WHERE id = ? AND version = ?`): the one place optimistic concurrency is enforced.
 * Returns false, writing nothing, when another writer moved the row on (or it is gone).
 */
export async function updateAtVersion<T extends { id?: string }>(manager: EntityManager, cls: Function, record: T, expectedVersion: number, extra?: ExtraValues<T>): Promise<boolean> {
  const { sql, columns } = updateSql(manager, cls);
  const more = extra?.(record);
  const params = [...columns.map((c) => persistentValue(manager, c, record, more)), record.id, expectedVersion];
  // Inside a transaction the manager has its query runner; its structured result says how many rows changed.
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    return (result.affected ?? 0) > 0;
  } finally {
    if (runner !== manager.queryRunner) await runner.release();
  }
}
