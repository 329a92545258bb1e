import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource, PersonaDataSourceOptions } from '../../src';

/** The engines every persistence test runs on. */
export type Engine = 'better-sqlite3' | 'postgres';

/** The PostgreSQL server URL decided by the global setup, or '' when its half is skipped. */
export const PG_URL = process.env.PERSONAS_TEST_PG_ACTIVE_URL ?? '';

/** The engines this run covers: SQLite always, PostgreSQL when reachable. */
export const ENGINES: Engine[] = PG_URL ? ['better-sqlite3', 'postgres'] : ['better-sqlite3'];

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database on `engine`: SQLite in memory, or a new PostgreSQL database. */
export async function openDataSource(engine: Engine, extra: PersonaDataSourceOptions = {}): Promise<DataSource & { dropTestDatabase?: () => Promise<void> }> {
  if (engine === 'better-sqlite3') {
    return createDataSource({ type: 'better-sqlite3', database: ':memory:', ...extra }).initialize();
  }
  const name = `personas_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const ds = await createDataSource({ url: withDatabase(PG_URL, name), installExtensions: false, ...extra }).initialize();
  return Object.assign(ds, {
    dropTestDatabase: async () => {
      if (ds.isInitialized) await ds.destroy();
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  });
}

/** Closes a data source from {@link openDataSource}, dropping its PostgreSQL database. */
export async function closeDataSource(ds: DataSource & { dropTestDatabase?: () => Promise<void> }): Promise<void> {
  if (ds.dropTestDatabase) await ds.dropTestDatabase();
  else if (ds.isInitialized) await ds.destroy();
}

const TABLES = ['persona_tags', 'persona_metric_pending', 'persona_metric_rollups', 'persona_latency_bins', 'persona_log_horizons', 'persona_label_moves', 'persona_label_policies', 'persona_labels', 'persona_interactions', 'persona_revisions', 'persona_metrics', 'persona_traits', 'persona_knowledge_domains', 'persona_behavior_rules', 'personas', 'persona_templates'];

/** Empties every persona table. */
export async function clearTables(ds: DataSource): Promise<void> {
  if (ds.options.type === 'postgres') await ds.query(`TRUNCATE ${TABLES.map((t) => `"${t}"`).join(', ')} CASCADE`);
  else for (const t of [...TABLES, 'persona_search']) await ds.query(`DELETE FROM "${t}"`);
}

/** What a suite body receives: the engine and (inside tests) its data source. */
export type EngineContext = { engine: Engine; readonly ds: DataSource };

/**
 * Declares the suite once per engine, as TypeORM's own tests do: each engine gets a fresh
 * migrated database for the file and empty tables before every test.
 */
export function describeEachEngine(title: string, body: (ctx: EngineContext) => void): void {
  if (!PG_URL) {
    describe(`${title} [postgres]`, () => {
      it.skip('PostgreSQL unreachable: skipped (see the line printed at start)', () => undefined);
    });
  }
  for (const engine of ENGINES) {
    describe(`${title} [${engine}]`, () => {
      let ds: DataSource | undefined;
      beforeAll(async () => {
        ds = await openDataSource(engine);
      });
      afterAll(async () => {
        if (ds) await closeDataSource(ds);
      });
      beforeEach(async () => {
        await clearTables(ds as DataSource);
      });
      body({
        engine,
        get ds() {
          if (!ds) throw new Error('data source not open yet');
          return ds;
        },
      });
    });
  }
}

/** Counts the SQL statements `work` sends through `ds` (BEGIN/COMMIT included). */
export async function countQueries<T>(ds: DataSource, work: () => Promise<T>): Promise<{ result: T; queries: string[] }> {
  const queries: string[] = [];
  const logger = ds.logger;
  const original = logger.logQuery.bind(logger);
  logger.logQuery = (query, parameters, runner) => {
    queries.push(query);
    return original(query, parameters, runner);
  };
  try {
    return { result: await work(), queries };
  } finally {
    logger.logQuery = original;
  }
}
