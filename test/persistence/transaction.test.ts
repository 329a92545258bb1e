import { QueryFailedError } from 'typeorm';
import { createDataSource, PersonaStorageError, PersonaStore } from '../../src';
import { sqliteRows } from '../../src/persistence/transaction';
import { describeEachEngine } from '../support/engines';

const admin = { id: 'root', roles: ['admin'] };

describeEachEngine('rows read on the SQLite connection itself (sqliteRows)', (ctx) => {
  it('gives the rows TypeORM gives, booleans bound as 0/1, each statement logged; nothing on PostgreSQL or a closed data source', async () => {
    const { ds } = ctx;
    const store = new PersonaStore(ds);
    await store.create({ name: 'Public one', slug: 'public-one', createdBy: 'alice', isPublic: true } as never, admin);
    await store.create({ name: 'Private one', slug: 'private-one', createdBy: 'alice' } as never, admin);
    const sql = `SELECT id, name, version, "isPublic", "createdAt" FROM personas WHERE "isPublic" = ? ORDER BY name`;
    const rows = sqliteRows(ds, sql, [true]);
    if (ds.options.type === 'postgres') {
      expect(rows).toBeUndefined();
      return;
    }
    expect(rows).toEqual(await ds.query(sql, [1]));
    expect(rows?.map((r) => r.name)).toEqual(['Public one']);
    expect(sqliteRows(ds, sql, [false])?.map((r) => r.name)).toEqual(['Private one']);
    // Through the data source's logger, as TypeORM's own queries are.
    const logged: string[] = [];
    const original = ds.logger.logQuery;
    ds.logger.logQuery = (query: string) => void logged.push(query);
    try {
      sqliteRows(ds, sql, [true]);
    } finally {
      ds.logger.logQuery = original;
    }
    expect(logged).toEqual([sql]);
    // A failure is TypeORM's QueryFailedError naming the query (logged as an error), and a list reports it as a storage error.
    const errors: string[] = [];
    const originalError = ds.logger.logQueryError;
    ds.logger.logQueryError = (_error: string | Error, query: string) => void errors.push(query);
    try {
      expect(() => sqliteRows(ds, 'SELECT nothing FROM no_such_table', [])).toThrow(QueryFailedError);
      await ds.query('ALTER TABLE persona_revisions RENAME TO persona_revisions_away');
      await expect(store.list({}, admin)).rejects.toBeInstanceOf(PersonaStorageError);
      await ds.query('ALTER TABLE persona_revisions_away RENAME TO persona_revisions');
      expect((await store.list({}, admin)).items).toHaveLength(2);
    } finally {
      ds.logger.logQueryError = originalError;
    }
    expect(errors[0]).toBe('SELECT nothing FROM no_such_table');
    expect(errors[1]).toMatch(/persona_revisions/);
    const closed = await createDataSource({ database: ':memory:' }).initialize();
    await closed.destroy();
    expect(sqliteRows(closed, 'SELECT 1', [])).toBeUndefined();
  });
});
