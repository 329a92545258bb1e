import { DataSource } from 'typeorm';
import { createDataSource, MetricsService, PersonaStore, PersonaValidationError } from '../../src';
import { readsFromReplica } from '../../src/persistence/transaction';
import { closeDataSource, openDataSource, PG_URL } from '../support/engines';

const alice = { id: 'alice' };

describe('createDataSource({ replicas })', () => {
  it('refuses replicas it cannot use, naming the field', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ database: ':memory:', replicas: ['postgres://h/db'] }, 'replicas'],
      [{ type: 'postgres', replicas: ['postgres://h/db'] }, 'url'],
      [{ url: 'postgres://h/db', replicas: 'postgres://h/db' }, 'replicas'],
      [{ url: 'postgres://h/db', replicas: ['mysql://h/db'] }, 'replicas[0]'],
      [{ url: 'postgres://h/db', replicas: Array.from({ length: 17 }, () => 'postgres://h/db') }, 'replicas'],
      [{ url: 'postgres://h/db', replicas: ['postgres://h/db'], readYourWritesMs: -1 }, 'readYourWritesMs'],
    ];
    for (const [options, path] of bad) {
      let error: unknown;
      try {
        createDataSource(options as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PersonaValidationError);
      expect((error as PersonaValidationError).issues.map((i) => i.path)).toContain(path);
    }
  });
});

(PG_URL ? describe : describe.skip)('read replicas on PostgreSQL (the primary named twice)', () => {
  let seed: DataSource & { dropTestDatabase?: () => Promise<void> };
  let url: string;
  beforeAll(async () => {
    seed = await openDataSource('postgres');
    url = (seed.options as { url: string }).url;
  });
  afterAll(async () => {
    await closeDataSource(seed);
  });

  /** Counts the query runners the data source opens per replication mode. */
  function spy(ds: DataSource): Record<string, number> {
    const counts: Record<string, number> = { master: 0, slave: 0 };
    const original = ds.createQueryRunner.bind(ds);
    ds.createQueryRunner = (mode = 'master') => {
      counts[mode] += 1;
      return original(mode);
    };
    return counts;
  }

  it('reads on a replica, writes and reads right after a write on the primary', async () => {
    const ds = await createDataSource({ url, replicas: [url], readYourWritesMs: 300, installExtensions: false }).initialize();
    try {
      const counts = spy(ds);
      const store = new PersonaStore(ds);
      const created = await store.create({ name: 'Replicated', slug: 'replicated' }, alice);
      expect(readsFromReplica(ds)).toBe(false);
      // Read-your-own-write: right after the write, the read goes to the primary.
      expect((await store.get('replicated', alice)).id).toBe(created.id);
      expect(counts.slave).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(readsFromReplica(ds)).toBe(true);
      const page = await store.list({ search: 'replic' }, alice);
      expect(page.items.map((p) => p.slug)).toEqual(['replicated']);
      expect((await store.history('replicated', alice)).map((h) => h.version)).toEqual([1]);
      expect(counts.slave).toBeGreaterThanOrEqual(2);
      const slavesBefore = counts.slave;
      // Every write goes to the primary, metrics' two-round-trip path included.
      const metrics = new MetricsService(ds);
      await metrics.recordInteraction(created.id as string, { success: true, latencyMs: 12 });
      await store.update('replicated', { description: 'changed' }, { expectedVersion: 1 }, alice);
      expect(counts.slave).toBe(slavesBefore);
      expect((await metrics.get(created.id as string)).totalInteractions).toBe(1);
      expect((await store.get('replicated', alice)).description).toBe('changed');
    } finally {
      await ds.destroy();
    }
  });
});
