import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createDataSource, migrate, PERSONA_ENTITIES, PersonaStore } from '../../src';
import { closeDataSource, ENGINES, openDataSource } from '../support/engines';

describe('createDataSource', () => {
  it('defaults to better-sqlite3 on personas.db, uninitialised, with migrations registered and run on initialize', () => {
    const ds = createDataSource();
    expect(ds.options).toMatchObject({ type: 'better-sqlite3', database: 'personas.db', migrationsRun: true, synchronize: false, enableWAL: true });
    expect(ds.isInitialized).toBe(false);
    expect((ds.options.migrations as unknown[]).length).toBeGreaterThan(0);
    expect(ds.options.entities).toEqual([...PERSONA_ENTITIES]);
  });

  it('chooses PostgreSQL for a url, with pgcrypto for UUIDs', () => {
    const ds = createDataSource({ url: 'postgres://u@127.0.0.1:5432/x' });
    expect(ds.options).toMatchObject({ type: 'postgres', url: 'postgres://u@127.0.0.1:5432/x', uuidExtension: 'pgcrypto', migrationsRun: true, synchronize: false });
  });

  it('opens a SQLite file in WAL mode with a ready schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'personas-'));
    const ds = await createDataSource({ database: join(dir, 'p.db') }).initialize();
    try {
      expect((await ds.query('PRAGMA journal_mode'))[0].journal_mode).toBe('wal');
      const store = new PersonaStore(ds);
      await store.create({ name: 'File', slug: 'file' }, { id: 'u' });
      expect(await migrate(ds)).toEqual([]);
    } finally {
      await ds.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(ENGINES)('schema on %s', (engine) => {
  it('after the migrations matches the entities: TypeORM reports no pending change', async () => {
    const ds = await openDataSource(engine);
    try {
      const sql = await ds.driver.createSchemaBuilder().log();
      expect(sql.upQueries.map((q) => q.query)).toEqual([]);
      const applied = await ds.query(`SELECT name FROM "persona_migrations"`);
      expect(applied.length).toBe((ds.options.migrations as unknown[]).length);
    } finally {
      await closeDataSource(ds);
    }
  });

  it('stores and returns dates in UTC whatever the process time zone', async () => {
    const ds = await openDataSource(engine);
    const zone = process.env.TZ;
    try {
      const store = new PersonaStore(ds);
      process.env.TZ = 'Asia/Tokyo';
      const before = Date.now();
      const created = await store.create({ name: 'Zone', slug: 'zone' }, { id: 'u' });
      process.env.TZ = 'America/Los_Angeles';
      const loaded = await store.get('zone', { id: 'u' });
      expect(loaded.createdAt!.getTime()).toBe(created.createdAt!.getTime());
      expect(Math.abs(loaded.createdAt!.getTime() - before)).toBeLessThan(60_000);
      if (engine === 'postgres') {
        const [row] = await ds.query(`SELECT to_char("createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS utc FROM personas`);
        expect(`${row.utc}Z`).toBe(created.createdAt!.toISOString());
      } else {
        const [row] = await ds.query(`SELECT "createdAt" AS raw FROM personas`);
        expect(`${String(row.raw).replace(' ', 'T')}Z`).toBe(created.createdAt!.toISOString());
      }
    } finally {
      process.env.TZ = zone;
      if (zone === undefined) delete process.env.TZ;
      await closeDataSource(ds);
    }
  });
});
