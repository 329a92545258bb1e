import { DataSource } from 'typeorm';
import { createDataSource, PersonaNotFoundError, PersonaRuntime, PersonaStore, PersonaValidationError, ReleaseService } from '../../src';
import { closeDataSource, countQueries, openDataSource, PG_URL } from '../support/engines';

const alice = { id: 'alice' };
const bob = { id: 'bob' };

/** Polls `check` until it holds (1 s at most): how long another instance takes to see a write. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Calls `run` until a call costs no query (1 s at most). A notification of a write made just
 * before reaches the runtime a moment after the write returns; a read overlapping it is not
 * cached, so the first calls after a write may still query.
 */
async function servedWithoutQueries<T>(ds: DataSource, run: () => Promise<T>): Promise<T> {
  let last: T | undefined;
  await within(1000, async () => {
    const { result, queries } = await countQueries(ds, run);
    last = result;
    return queries.length === 0;
  });
  return last as T;
}

describe("PersonaRuntime with invalidation 'notify'", () => {
  it('is refused on SQLite, which keeps query', async () => {
    const ds = await openDataSource('better-sqlite3');
    try {
      expect(() => new PersonaRuntime(ds, { invalidation: 'notify' })).toThrow(PersonaValidationError);
      try {
        new PersonaRuntime(ds, { invalidation: 'notify' });
      } catch (e) {
        expect((e as PersonaValidationError).issues).toEqual([expect.objectContaining({ path: 'invalidation', constraint: 'isPostgres' })]);
      }
      expect(() => new PersonaRuntime(ds, { invalidation: 'gossip' as never })).toThrow(/invalidation/);
      await new PersonaRuntime(ds).close(); // 'query' has nothing to close
    } finally {
      await closeDataSource(ds);
    }
  });

  (PG_URL ? describe : describe.skip)('two instances on one PostgreSQL database', () => {
    let first: DataSource & { dropTestDatabase?: () => Promise<void> };
    let second: DataSource;
    /** Instance A serves; instance B writes (another app process, as far as A can tell). */
    let a: PersonaRuntime;
    let b: PersonaRuntime;
    let writer: PersonaStore;
    let releases: ReleaseService;

    beforeAll(async () => {
      first = await openDataSource('postgres');
      second = await createDataSource({ url: (first.options as { url: string }).url, installExtensions: false }).initialize();
    });
    afterAll(async () => {
      if (second?.isInitialized) await second.destroy();
      if (first) await closeDataSource(first);
    });
    beforeEach(async () => {
      await first.query('TRUNCATE "personas", "persona_templates" CASCADE');
      writer = new PersonaStore(second);
      releases = new ReleaseService(second);
      const base = await writer.create({ name: 'Base', slug: 'base', isPublic: true, instructions: 'Base v1.' }, alice);
      await writer.create({ name: 'Child', slug: 'child', parentId: base.id, isPublic: true, description: 'Child v1.' }, alice);
      a = new PersonaRuntime(first, { invalidation: 'notify', listener: { retryMs: 20 } });
      b = new PersonaRuntime(second, { invalidation: 'notify' });
      await Promise.all([a.ready(), b.ready()]);
    });
    afterEach(async () => {
      await a.close();
      await b.close();
    });

    it('serves a cached prompt with no query at all', async () => {
      const cold = await countQueries(first, () => a.prompt('child', { actor: alice, context: 'hi' }));
      expect(cold.queries.length).toBeGreaterThan(0);
      const warm = await countQueries(first, () => a.prompt('child', { actor: alice, context: 'hi' }));
      expect(warm.queries).toEqual([]);
      expect(warm.result).toEqual(cold.result);
      // Another context renders from the cached persona, still without a query.
      const other = await countQueries(first, () => a.prompt('child', { actor: alice, context: 'something else' }));
      expect(other.queries).toEqual([]);
      // By id as well as by slug.
      await a.prompt(cold.result.personaId as string, { actor: alice });
      expect((await countQueries(first, () => a.prompt(cold.result.personaId as string, { actor: alice }))).queries).toEqual([]);
    });

    it('serves an edit made through the other instance within a second, then again with no query', async () => {
      await a.prompt('child', { actor: alice });
      await writer.update('child', { description: 'Child v2.' }, { expectedVersion: 1 }, alice);
      // Within a second, A serves the new version from its cache: the text of v2, and no query.
      const ms = await within(1000, async () => {
        const { result, queries } = await countQueries(first, () => a.prompt('child', { actor: alice }));
        return result.text.includes('Child v2.') && result.version === 2 && queries.length === 0;
      });
      expect(ms).toBeLessThan(1000);
    });

    it('drops what read an ancestor when the ancestor changes', async () => {
      await a.prompt('child', { actor: alice });
      await writer.update('base', { instructions: 'Base v2.' }, { expectedVersion: 1 }, alice);
      await within(1000, async () => (await a.prompt('child', { actor: alice })).text.includes('Base v2.'));
    });

    it('drops a labelled prompt when the label moves', async () => {
      await writer.update('child', { description: 'Child v2.' }, { expectedVersion: 1 }, alice);
      await releases.setLabel('child', 'production', { version: 1 }, alice);
      expect((await servedWithoutQueries(first, () => a.prompt('child', { actor: alice, label: 'production' }))).text).toContain('Child v1.');
      await releases.setLabel('child', 'production', { version: 2 }, alice);
      await within(1000, async () => (await a.prompt('child', { actor: alice, label: 'production' })).text.includes('Child v2.'));
    });

    it('checks access per actor on cached entries, with no query, and follows a change of visibility', async () => {
      await a.prompt('child', { actor: alice });
      expect((await countQueries(first, () => a.prompt('child', { actor: bob }))).queries).toEqual([]);
      await writer.update('base', { isPublic: false }, { expectedVersion: 1 }, alice);
      await within(1000, async () => (await a.prompt('child', { actor: bob }).catch((e) => e)) instanceof PersonaNotFoundError);
      await servedWithoutQueries(first, () => a.prompt('child', { actor: alice }));
      const refused = await countQueries(first, () => a.prompt('child', { actor: bob }).catch((e) => e));
      expect(refused.result).toBeInstanceOf(PersonaNotFoundError);
      expect(refused.queries).toEqual([]);
      expect((await a.prompt('child', { actor: { id: 'root', roles: ['admin'] } })).text).toContain('Child v1.');
    });

    it('flushes when its listening connection is killed, caches nothing until it listens again, and listens again', async () => {
      await a.prompt('child', { actor: alice });
      const killed = await first.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`);
      expect(killed.length).toBe(2); // both instances' listeners
      await within(1000, async () => !a.listening);
      // Written while A hears nothing: A must not serve what it cached before.
      await writer.update('child', { description: 'Child v2.' }, { expectedVersion: 1 }, alice);
      const meanwhile = await a.prompt('child', { actor: alice });
      expect(meanwhile.text).toContain('Child v2.');
      await within(5000, async () => a.listening);
      expect((await servedWithoutQueries(first, () => a.prompt('child', { actor: alice }))).text).toContain('Child v2.');
      // And it hears writes again.
      await writer.update('child', { description: 'Child v3.' }, { expectedVersion: 2 }, alice);
      await within(1000, async () => (await a.prompt('child', { actor: alice })).text.includes('Child v3.'));
    });

    it('never keeps a prompt read while a write committed (many writes, many reads, one answer at the end)', async () => {
      let version = 1;
      const writes = (async () => {
        for (let i = 2; i <= 15; i++) {
          await writer.update('child', { description: `Child v${i}.` }, { expectedVersion: version }, alice);
          version = i;
        }
      })();
      const reads = Promise.all(Array.from({ length: 40 }, (_, i) => new Promise((r) => setTimeout(r, i * 5)).then(() => a.prompt('child', { actor: alice }))));
      await Promise.all([writes, reads]);
      await within(1000, async () => (await a.prompt('child', { actor: alice })).text.includes('Child v15.'));
      // Settled: the cache holds the last version, served with no query.
      expect((await servedWithoutQueries(first, () => a.prompt('child', { actor: alice }))).version).toBe(15);
    });

    it('refuses to cache when the triggers are missing (migrations not run): ready() says why, every call reads', async () => {
      await first.query('DROP TRIGGER "personas_notify_changed" ON "personas"');
      const blind = new PersonaRuntime(first, { invalidation: 'notify' });
      try {
        const why = await blind.ready().catch((e: unknown) => e);
        expect(why).toBeInstanceOf(PersonaValidationError);
        expect((why as PersonaValidationError).issues).toEqual([expect.objectContaining({ path: 'invalidation', constraint: 'notifyTriggers' })]);
        await blind.prompt('child', { actor: alice });
        expect((await countQueries(first, () => blind.prompt('child', { actor: alice }))).queries.length).toBeGreaterThan(0);
      } finally {
        await blind.close();
        await first.query('CREATE TRIGGER "personas_notify_changed" AFTER INSERT OR UPDATE OR DELETE ON "personas" FOR EACH ROW EXECUTE FUNCTION "personas_notify_changed"()');
      }
    });

    it('close() gives its connection back; the runtime then reads the database on every call', async () => {
      const listeners = async () => (await first.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND state = 'idle'`))[0].n;
      expect(await listeners()).toBe(2);
      await a.close();
      await within(1000, async () => (await listeners()) === 1);
      expect(a.listening).toBe(false);
      await a.prompt('child', { actor: alice });
      expect((await countQueries(first, () => a.prompt('child', { actor: alice }))).queries.length).toBeGreaterThan(0);
    });
  });
});
