import { DataSource, EntityManager } from 'typeorm';

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

/** Runs `work` in one transaction: all of it is written, or none of it. */
export function inTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (dataSource.options.type === 'postgres') return dataSource.transaction(work);
  return queued(dataSource, () => dataSource.transaction(work));
}

/**
 * Runs read-only `work`. On SQLite it waits for running transactions, so it never sees a write
 * that may still be rolled back; on PostgreSQL it reads committed data from the pool.
 */
export function reading<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (dataSource.options.type === 'postgres') return work(dataSource.manager);
  return queued(dataSource, () => work(dataSource.manager));
}

/** Splits `items` into chunks of at most `size`, to stay under the engines' parameter limits. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
