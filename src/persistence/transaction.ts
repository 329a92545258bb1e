import { DataSource, EntityManager, QueryFailedError, TypeORMError } from 'typeorm';
import { PersonaError, PersonaStorageError } from '../errors';

/**
 * A driver's error never reaches a caller raw: a `QueryFailedError`, a pg `DatabaseError`, an
 * `SqliteError` or any other TypeORM error becomes a {@link PersonaStorageError} (with the
 * original as `cause`). The library's own typed errors pass through unchanged.
 */
export function asStorageError(error: unknown): unknown {
  if (error instanceof PersonaError) return error;
  const e = error as { name?: string; code?: unknown; driverError?: { code?: unknown } } | null;
  const fromDriver =
    error instanceof TypeORMError || e?.name === 'SqliteError' || e?.name === 'DatabaseError' || (typeof e?.code === 'string' && /^(?:[0-9A-Z]{5}|E[A-Z]{3,}|SQLITE_\w+)$/.test(e.code));
  if (!fromDriver) return error;
  const code = e?.driverError?.code ?? e?.code;
  return new PersonaStorageError(typeof code === 'string' ? code : undefined, error);
}

/** True when a driver error is a unique-constraint violation (PostgreSQL 23505, SQLite CONSTRAINT_UNIQUE). */
export function isUniqueViolation(error: unknown): boolean {
  if (error instanceof PersonaStorageError) return isUniqueViolation(error.cause);
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = (error as QueryFailedError & { driverError?: { code?: string } }).driverError;
  return driverError?.code === '23505' || driverError?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(error.message);
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asStorageError(error);
  }
}

/**
 * better-sqlite3 is one connection: TypeORM cannot run two transactions on it at once ("cannot
 * start a transaction within a transaction"). Work on SQLite is queued per data source; on
 * PostgreSQL each call gets its own pooled connection and transaction.
 */
const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

function queued<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  const previous = sqliteQueues.get(dataSource) ?? Promise.resolve();
  const next = previous.then(work, work);
  sqliteQueues.set(dataSource, next.catch(() => undefined));
  return next;
}

/** better-sqlite3 query runners whose transactions begin IMMEDIATE. */
const immediateRunners = new WeakSet<object>();

/**
 * Makes every transaction of a better-sqlite3 data source start with `BEGIN IMMEDIATE` instead of
 * TypeORM's deferred `BEGIN TRANSACTION` (TypeORM has no option for it). A deferred transaction
 * that has read and then writes while another process holds or has just committed a write fails
 * at once with SQLITE_BUSY (the busy timeout cannot help a read snapshot that went stale);
 * `BEGIN IMMEDIATE` takes the write lock first, waiting up to the connection's busy timeout
 * (`busyTimeoutMs` of createDataSource, default 5 s), so writers in other processes queue instead
 * of failing. better-sqlite3 has one query runner per data source; it is wrapped once.
 */
export function useImmediateTransactions(dataSource: DataSource): void {
  if (dataSource.options.type !== 'better-sqlite3') return;
  const runner = dataSource.createQueryRunner() as unknown as { query: (sql: string, ...rest: unknown[]) => Promise<unknown> };
  if (immediateRunners.has(runner)) return;
  const query = runner.query.bind(runner);
  runner.query = (sql: string, ...rest: unknown[]) => query(sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql, ...rest);
  immediateRunners.add(runner);
}

/**
 * Runs `work` in one transaction: all of it is written, or none of it. On SQLite the transaction
 * begins IMMEDIATE (see {@link useImmediateTransactions}).
 */
export function inTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (dataSource.options.type === 'postgres') {
    markWrite(dataSource);
    return guarded(() => dataSource.transaction(work)).finally(() => markWrite(dataSource));
  }
  return guarded(() =>
    queued(dataSource, () => {
      useImmediateTransactions(dataSource);
      return dataSource.transaction(work);
    }),
  );
}

/** The better-sqlite3 connection's prepared statements, by SQL text. */
const sqliteStatements = new WeakMap<object, Map<string, SqliteStatement>>();

/** What {@link inSqliteConnection} hands its work: the connection's cached prepared statements. */
export type SqliteStatement = { run(...params: unknown[]): unknown; get(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] };
export type SqliteConnection = { statement(sql: string): SqliteStatement };

/**
 * SQLite: runs synchronous `work` on the better-sqlite3 connection itself, in one
 * `BEGIN IMMEDIATE` transaction, in the data source's queue (so it never interleaves with an
 * {@link inTransaction} of this library), with prepared statements cached per connection. For the
 * hot write paths where TypeORM's cost per statement is most of the cost (MetricsService).
 */
export function inSqliteConnection<T>(dataSource: DataSource, work: (connection: SqliteConnection) => T): Promise<T> {
  return guarded(() =>
    queued(dataSource, async () => {
      const db = (dataSource.driver as unknown as { databaseConnection?: { prepare(sql: string): SqliteStatement; inTransaction: boolean; open?: boolean } }).databaseConnection;
      // A data source destroyed meanwhile: the same typed error as PostgreSQL gives, not better-sqlite3's TypeError.
      if (!db || db.open === false || !dataSource.isInitialized) throw new PersonaStorageError(undefined, new Error('the data source is not initialized (destroyed?)'));
      let cache = sqliteStatements.get(db);
      if (!cache) sqliteStatements.set(db, (cache = new Map()));
      const statement = (sql: string) => {
        let prepared = cache!.get(sql);
        if (!prepared) cache!.set(sql, (prepared = db.prepare(sql)));
        return prepared;
      };
      statement('BEGIN IMMEDIATE').run();
      try {
        const result = work({ statement });
        statement('COMMIT').run();
        return result;
      } catch (error) {
        if (db.inTransaction) statement('ROLLBACK').run();
        throw error;
      }
    }),
  );
}

/** Statements {@link sqliteRows} keeps per better-sqlite3 connection (then all are forgotten at once). */
const SQLITE_ROW_STATEMENTS = 200;
const sqliteRowStatements = new WeakMap<object, Map<string, { statement: { all(...params: unknown[]): unknown[][] }; columns: string[] }>>();

/**
 * SQLite: the rows of one SELECT, run on the better-sqlite3 connection itself with its prepared
 * statement kept per connection, read as arrays and made objects (keyed by the statement's
 * column names, as TypeORM's `query` gives them) here: better-sqlite3 making an object per row
 * cost a list page of 50 rows and 6 columns 0.27 ms against 0.21 ms this way. Booleans are bound
 * as 0/1 as TypeORM binds them; the query is logged, a slow one (`maxQueryExecutionTime`) and a
 * failed one too, and a failure is a `QueryFailedError` as from TypeORM. TypeORM's query
 * subscribers (`beforeQuery`/`afterQuery`) are not told. It runs in whatever transaction the connection is in, so callers
 * run it in the data source's queue (`reading`, `inTransaction`), as every SQLite read here is.
 * Returns undefined when the data source is no better-sqlite3 one or not open.
 */
export function sqliteRows(dataSource: DataSource, sql: string, params: readonly unknown[]): Record<string, unknown>[] | undefined {
  if (dataSource.options.type !== 'better-sqlite3' || !dataSource.isInitialized) return undefined;
  type RawStatement = { raw(on: boolean): RawStatement; columns(): { name: string }[]; all(...params: unknown[]): unknown[][] };
  const db = (dataSource.driver as unknown as { databaseConnection?: { prepare(sql: string): RawStatement; open?: boolean } }).databaseConnection;
  if (!db || db.open === false) return undefined;
  let cache = sqliteRowStatements.get(db);
  if (!cache) sqliteRowStatements.set(db, (cache = new Map()));
  const bound = params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
  // Logged, timed and failed as TypeORM's query runner does it (a QueryFailedError naming the query).
  dataSource.logger.logQuery(sql, bound);
  const started = Date.now();
  let entry = cache.get(sql);
  let arrays: unknown[][];
  try {
    if (!entry) {
      const statement = db.prepare(sql).raw(true);
      if (cache.size >= SQLITE_ROW_STATEMENTS) cache.clear();
      cache.set(sql, (entry = { statement, columns: statement.columns().map((c) => c.name) }));
    }
    arrays = entry.statement.all(...bound);
  } catch (error) {
    dataSource.logger.logQueryError(error as Error, sql, bound);
    throw new QueryFailedError(sql, bound, error as Error);
  }
  const slow = dataSource.options.maxQueryExecutionTime;
  if (slow && Date.now() - started > slow) dataSource.logger.logQuerySlow(Date.now() - started, sql, bound);
  const { columns } = entry;
  const out: Record<string, unknown>[] = new Array(arrays.length);
  for (let i = 0; i < arrays.length; i++) {
    const row: Record<string, unknown> = {};
    const values = arrays[i];
    for (let c = 0; c < columns.length; c++) row[columns[c]] = values[c];
    out[i] = row;
  }
  return out;
}

/**
 * PostgreSQL: one statement on the primary's pool as a named prepared statement (parsed once per
 * connection), committing on its own; it skips TypeORM's query runner (the statement still goes
 * to the data source's logger). For hot single-statement writes (MetricsService).
 */
export async function preparedQuery(dataSource: DataSource, name: string, text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
  const pool = (dataSource.driver as unknown as { master?: { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[] }> } }).master;
  if (!pool || !dataSource.isInitialized) return guarded(() => dataSource.query(text, values));
  dataSource.logger.logQuery(text, values);
  return guarded(async () => (await pool.query({ name, text, values })).rows);
}

/** Data sources with read replicas: how long reads stay on the primary after a write (ms). */
const stickiness = new WeakMap<DataSource, number>();
/** When each such data source last wrote (ms since the epoch). */
const lastWrite = new WeakMap<DataSource, number>();

/** @internal Declares that `dataSource` has replicas, and how long reads follow a write to the primary. */
export function setReadYourWritesMs(dataSource: DataSource, ms: number): void {
  stickiness.set(dataSource, ms);
}

/** Notes a write through `dataSource` (reads then stay on the primary for a while, see {@link reading}). */
export function markWrite(dataSource: DataSource): void {
  if (stickiness.has(dataSource)) lastWrite.set(dataSource, Date.now());
}

/** True when `reading` on this data source would go to a replica now. */
export function readsFromReplica(dataSource: DataSource): boolean {
  const window = stickiness.get(dataSource);
  if (window === undefined) return false;
  return Date.now() - (lastWrite.get(dataSource) ?? 0) >= window;
}

/**
 * Runs read-only `work`. On SQLite it waits for running transactions, so it never sees a write
 * that may still be rolled back; on PostgreSQL it reads committed data from the pool: from a
 * replica when the data source has replicas and wrote nothing in the last `readYourWritesMs`,
 * else from the primary.
 */
export function reading<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (dataSource.options.type === 'postgres') {
    if (!readsFromReplica(dataSource)) return guarded(() => work(dataSource.manager));
    return guarded(async () => {
      const runner = dataSource.createQueryRunner('slave');
      try {
        return await work(runner.manager);
      } finally {
        await runner.release();
      }
    });
  }
  return guarded(() => queued(dataSource, () => work(dataSource.manager)));
}

/**
 * Serialises every change of inheritance links (a `parentId` set, changed or pointed at by a
 * removed persona) across all connections: on PostgreSQL a transaction-level advisory lock, so two
 * concurrent writes cannot each pass their cycle or existence check against the other's
 * uncommitted state; every check after it reads committed data (READ COMMITTED takes a new
 * snapshot per statement). SQLite needs nothing: its writes are one queue on one connection.
 */
export async function lockLineage(manager: EntityManager): Promise<void> {
  if (manager.connection.options.type === 'postgres') await manager.query('SELECT pg_advisory_xact_lock($1)', [LINEAGE_LOCK]);
}

/** The advisory lock key of {@link lockLineage} ("lin" + "eage" as bytes, an arbitrary constant). */
const LINEAGE_LOCK = 0x6c696e65;

/** Splits `items` into chunks of at most `size`, to stay under the engines' parameter limits. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
