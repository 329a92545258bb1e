import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource, exportPersona, importPersona, MetricsService, PersonaStore, personaDataSourceOptions, toPlain } from '../../src';
import { fixture } from '../fixtures';
import { POSTGRES_MIGRATIONS } from '../../src/persistence/migrations/postgres';
import { SQLITE_MIGRATIONS } from '../../src/persistence/migrations/sqlite';
import { rebuildRollups } from '../../src/persistence/metrics-rollups';
import { ENGINES, PG_URL } from '../support/engines';

const PERSONA_ID = '0190a0a0-0000-7000-8000-000000000001';
const alice = { id: 'alice' };

/** Rows as the first release wrote them: a persona at version 2, its two revisions, three interactions. */
async function seedFirstRelease(ds: DataSource): Promise<void> {
  const pg = ds.options.type === 'postgres';
  const marks = (n: number) => Array.from({ length: n }, (_, i) => (pg ? `$${i + 1}` : '?')).join(', ');
  // Version 1 was written while private, version 2 after the persona went public.
  const snapshot = (version: number) => JSON.stringify({ id: PERSONA_ID, name: 'Legacy', slug: 'legacy', createdBy: 'alice', version, isPublic: version === 2, instructions: `v${version}` });
  await ds.query(
    `INSERT INTO personas (id, name, slug, instructions, "modelPreferences", tags, metadata, "createdBy", version, "isPublic", "responseStyleFormattingpreferences", "memoryConfigPrioritytopics", "storedFieldPaths")
     VALUES (${marks(13)})`,
    [PERSONA_ID, 'Legacy', 'legacy', 'v2', '[]', '["old"]', '{}', 'alice', 2, pg ? true : 1, '{}', '[]', '["name","slug","createdBy","instructions","tags","isPublic"]'],
  );
  for (const version of [1, 2]) {
    await ds.query(`INSERT INTO persona_revisions (id, "personaId", version, "changedBy", snapshot, "fieldPaths") VALUES (${marks(6)})`, [
      `0190a0a0-0000-7000-8000-00000000010${version}`,
      PERSONA_ID,
      version,
      'alice',
      snapshot(version),
      '["name","slug","createdBy","instructions"]',
    ]);
  }
  await ds.query(`INSERT INTO persona_metrics ("personaId", "totalInteractions", "successfulInteractions", "totalResponseTimeMs") VALUES (${marks(4)})`, [PERSONA_ID, 3, 2, 600]);
  for (const [i, success] of [true, true, false].entries()) {
    await ds.query(`INSERT INTO persona_interactions (id, "personaId", success, "latencyMs", at) VALUES (${marks(5)})`, [
      `0190a0a0-0000-7000-8000-00000000020${i}`,
      PERSONA_ID,
      pg ? success : success ? 1 : 0,
      200,
      new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
    ]);
  }
}

describe.each(ENGINES)('upgrading a database of the first release [%s]', (engine) => {
  let target: { options: Parameters<typeof createDataSource>[0]; drop: () => Promise<void> };

  beforeEach(async () => {
    if (engine === 'postgres') {
      const name = `personas_upgrade_${process.pid}_${randomBytes(4).toString('hex')}`;
      const admin = new Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      await admin.end();
      const url = new URL(PG_URL);
      url.pathname = `/${name}`;
      target = {
        options: { url: url.toString(), installExtensions: false },
        drop: async () => {
          const c = new Client({ connectionString: PG_URL });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
          await c.end();
        },
      };
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'personas-upgrade-'));
      target = { options: { database: join(dir, 'old.db') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    }
  });
  afterEach(async () => {
    await target.drop();
  });

  it('applies the releases migration with data in place: nothing lost, new columns empty, everything usable', async () => {
    const first = engine === 'postgres' ? POSTGRES_MIGRATIONS.slice(0, 1) : SQLITE_MIGRATIONS.slice(0, 1);
    const old = await new DataSource({ ...personaDataSourceOptions(target.options), migrations: first } as never).initialize();
    await seedFirstRelease(old);
    await old.destroy();

    const ds = await createDataSource(target.options).initialize();
    try {
      const applied = await ds.query(`SELECT name FROM persona_migrations ORDER BY id`);
      expect(applied.length).toBe((ds.options.migrations as unknown[]).length);
      const store = new PersonaStore(ds);
      const persona = await store.get('legacy', alice);
      expect(persona).toMatchObject({ id: PERSONA_ID, version: 2, instructions: 'v2', tags: ['old'] });
      const history = await store.history('legacy', alice);
      expect(history.map((h) => [h.version, h.snapshot.instructions])).toEqual([
        [1, 'v1'],
        [2, 'v2'],
      ]);
      // The private era of the first release stays private after the upgrade.
      expect((await store.history('legacy', { id: 'bob' })).map((h) => h.version)).toEqual([2]);
      const metrics = await new MetricsService(ds).get(PERSONA_ID, alice);
      // The rollups migration builds the rollups of the events already logged.
      expect(metrics).toMatchObject({ totalInteractions: 3, successfulInteractions: 2, totalResponseTimeMs: 600, p95ResponseTimeMs: 200 });
      expect(metrics.lastInteractionAt?.toISOString()).toBe('2026-01-03T00:00:00.000Z');
      const days = await new MetricsService(ds).series(PERSONA_ID, { bucket: 'day', from: '2026-01-01T00:00:00Z', to: '2026-01-04T00:00:00Z' }, alice);
      expect(days.map((d) => d.interactions)).toEqual([1, 1, 1]);
      const [row] = await ds.query(`SELECT COUNT(*) AS n FROM persona_interactions WHERE version IS NULL`);
      expect(Number(row.n)).toBe(3);
      // The upgraded database takes new writes.
      const next = await store.update('legacy', { instructions: 'v3' }, { expectedVersion: 2 }, alice);
      expect(next.version).toBe(3);
    } finally {
      await ds.destroy();
    }
  });

  it('moves the interchange records that earlier versions kept in metadata.interop into their own column, and leaves the owner\'s own metadata.interop', async () => {
    const before = engine === 'postgres' ? POSTGRES_MIGRATIONS.slice(0, 2) : SQLITE_MIGRATIONS.slice(0, 2);
    const old = await new DataSource({ ...personaDataSourceOptions(target.options), migrations: before } as never).initialize();
    const pg = old.options.type === 'postgres';
    const marks = (n: number) => Array.from({ length: n }, (_, i) => (pg ? `$${i + 1}` : '?')).join(', ');
    const card = fixture('interop/card-v2-full');
    const { persona } = await importPersona(card);
    const { interop: record, ...plain } = toPlain(persona) as Record<string, unknown>;
    const rows: [string, string, Record<string, unknown>][] = [
      ['0190a0a0-0000-7000-8000-000000000301', 'imported', { team: 'a', interop: record }],
      ['0190a0a0-0000-7000-8000-000000000302', 'own-data', { interop: { note: 'the owner\'s own key' } }],
    ];
    for (const [id, slug, metadata] of rows) {
      await old.query(
        `INSERT INTO personas (id, name, slug, description, instructions, "modelPreferences", tags, metadata, "createdBy", version, "isPublic", "responseStyleFormattingpreferences", "memoryConfigPrioritytopics", "storedFieldPaths")
         VALUES (${marks(14)})`,
        [id, plain.name, slug, plain.description, plain.instructions, '[]', JSON.stringify(plain.tags), JSON.stringify(metadata), 'alice', 1, pg ? false : 0, '{}', '[]', '["name","slug","createdBy","description","instructions","tags","metadata"]'],
      );
    }
    await old.destroy();

    const ds = await createDataSource(target.options).initialize();
    try {
      const store = new PersonaStore(ds);
      const moved = await store.get('imported', alice);
      expect(moved.metadata).toEqual({ team: 'a' });
      expect(moved.interop).toEqual(record);
      const own = await store.get('own-data', alice);
      expect(own.metadata).toEqual({ interop: { note: 'the owner\'s own key' } });
      expect(own.interop).toBeUndefined();
      // The moved record still gives the fields the persona has no place for back (the lorebook is not in these rows).
      const back = (await exportPersona(moved, { format: 'card-v2' })) as Record<string, any>;
      expect(back.data).toMatchObject({ first_mes: card.data.first_mes, creator_notes: card.data.creator_notes, alternate_greetings: card.data.alternate_greetings });
      expect(back.create_date).toBe(card.create_date);
    } finally {
      await ds.destroy();
    }
  });

  it('keys child rows by persona and name: every child kept in order, positions repeated by hand renumbered, tags kept', async () => {
    const migrations = engine === 'postgres' ? POSTGRES_MIGRATIONS : SQLITE_MIGRATIONS;
    const before = migrations.slice(0, migrations.findIndex((m) => m.name.startsWith('CompactRows')));
    const old = await new DataSource({ ...personaDataSourceOptions(target.options), migrations: before } as never).initialize();
    const pg = old.options.type === 'postgres';
    const marks = (n: number) => Array.from({ length: n }, (_, i) => (pg ? `$${i + 1}` : '?')).join(', ');
    await old.query(
      `INSERT INTO personas (id, name, slug, instructions, "modelPreferences", tags, metadata, "createdBy", version, "isPublic", "responseStyleFormattingpreferences", "memoryConfigPrioritytopics", "storedFieldPaths")
       VALUES (${marks(13)})`,
      [PERSONA_ID, 'Legacy', 'legacy', 'v1', '[]', '["old","kept"]', '{}', 'alice', 1, pg ? false : 0, '{}', '[]', JSON.stringify(['name', 'slug', 'createdBy', 'instructions', 'tags', ...[0, 1, 2].flatMap((i) => ['name', 'category', 'value'].map((f) => `traits[${i}].${f}`)), ...['name', 'condition', 'action', 'isMandatory'].map((f) => `behaviorRules[0].${f}`)])],
    );
    if (!pg) for (const tag of ['old', 'kept']) await old.query('INSERT INTO persona_tags ("personaId", tag) VALUES (?, ?)', [PERSONA_ID, tag]);
    // Two traits at position 0 (as a hand-written INSERT relying on the default made them), one at 1.
    const traits: [string, number][] = [
      ['calm', 0],
      ['curious', 1],
      ['direct', 0],
    ];
    for (const [i, [name, position]] of traits.entries()) {
      await old.query(`INSERT INTO persona_traits (id, "personaId", position, name, category, value, weight) VALUES (${marks(7)})`, [
        `0190a0a0-0000-7000-8000-00000000040${i}`,
        PERSONA_ID,
        position,
        name,
        'personality',
        '50',
        1,
      ]);
    }
    await old.query(`INSERT INTO persona_behavior_rules (id, "personaId", position, name, condition, action, priority, "isMandatory", exceptions) VALUES (${marks(9)})`, [
      '0190a0a0-0000-7000-8000-000000000501',
      PERSONA_ID,
      0,
      'polite',
      'always',
      'be polite',
      50,
      pg ? true : 1,
      '[]',
    ]);
    await old.destroy();

    const ds = await createDataSource(target.options).initialize();
    try {
      const store = new PersonaStore(ds);
      const persona = await store.get('legacy', alice);
      // Ordered by position, then by the order the rows were written in.
      expect(persona.traits.map((t) => t.name)).toEqual(['calm', 'direct', 'curious']);
      expect(persona.behaviorRules.map((r) => [r.name, r.isMandatory])).toEqual([['polite', true]]);
      const rows = await ds.query(`SELECT name, position FROM persona_traits ORDER BY position`);
      expect(rows.map((r: { name: string; position: number }) => [r.name, Number(r.position)])).toEqual([
        ['calm', 0],
        ['direct', 1],
        ['curious', 2],
      ]);
      expect((await store.list({ tag: 'kept' }, alice)).items.map((p) => p.slug)).toEqual(['legacy']);
      // The upgraded database takes new writes, children and tags included.
      const next = await store.update('legacy', { traits: [{ name: 'bold', category: 'personality', value: 80 }], tags: ['new'] }, { expectedVersion: 1 }, alice);
      expect((await store.get(next.id as string, alice)).traits.map((t) => t.name)).toEqual(['bold']);
      expect((await store.list({ tag: 'new' }, alice)).items.map((p) => p.slug)).toEqual(['legacy']);
      expect((await store.list({ tag: 'old' }, alice)).items).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it('adds the pending queue of the fold and moves sharded rollups into shard 0: totals, p95 and series unchanged, nothing pending', async () => {
    const migrations = engine === 'postgres' ? POSTGRES_MIGRATIONS : SQLITE_MIGRATIONS;
    expect(migrations.map((m) => m.name)).toContainEqual(expect.stringMatching(/^PendingMetrics/));
    // The rows of the first release are written before CompactRows (which the upgrade then applies too).
    const before = migrations.slice(0, migrations.findIndex((m) => m.name.startsWith('CompactRows')));
    const old = await new DataSource({ ...personaDataSourceOptions(target.options), migrations: before } as never).initialize();
    const pg = old.options.type === 'postgres';
    const ph = (n: number) => (pg ? `$${n}` : '?');
    const at = (iso: string) => (pg ? iso : iso.replace('T', ' ').replace('Z', ''));
    await seedFirstRelease(old);
    // Rollups as the sharded writers of the previous release left them: the third event (2026-01-03,
    // failed, 200 ms) in shard 3, the first two in shard 0.
    await rebuildRollups(old.manager, { lastBefore: new Date() }, { maxLatencyMs: 86_400_000, maxTokens: 10_000_000, minRating: 1, maxRating: 5 });
    const third = at('2026-01-03T00:00:00.000Z');
    await old.query(`UPDATE persona_metric_rollups SET shard = 3 WHERE grain <> 0 AND "bucketAt" >= ${ph(1)}`, [third]);
    await old.query(`UPDATE persona_latency_bins SET shard = 3 WHERE grain <> 0 AND "bucketAt" >= ${ph(1)}`, [third]);
    await old.query(`UPDATE persona_metric_rollups SET interactions = interactions - 1, "latencySum" = "latencySum" - 200, "lastAt" = ${ph(1)} WHERE grain = 0`, [at('2026-01-02T00:00:00.000Z')]);
    await old.query(
      `INSERT INTO persona_metric_rollups ("personaId", version, grain, "bucketAt", shard, interactions, successes, "inputTokens", "outputTokens", "latencySum", "ratingCount", "ratingSum", "lastAt")
       VALUES (${ph(1)}, 0, 0, ${ph(2)}, 3, 1, 0, 0, 0, 200, 0, 0, ${ph(3)})`,
      [PERSONA_ID, at('1970-01-01T00:00:00.000Z'), third],
    );
    await old.query(`UPDATE persona_latency_bins SET "count" = "count" - 1 WHERE grain = 0`);
    await old.query(`INSERT INTO persona_latency_bins ("personaId", version, grain, "bucketAt", bin, shard, "count", "maxMs") VALUES (${ph(1)}, 0, 0, ${ph(2)}, 200, 3, 1, 200)`, [
      PERSONA_ID,
      at('1970-01-01T00:00:00.000Z'),
    ]);
    const [sharded] = await old.query(`SELECT COUNT(*) AS n FROM persona_metric_rollups WHERE shard <> 0`);
    expect(Number(sharded.n)).toBe(3);
    await old.destroy();

    const ds = await createDataSource(target.options).initialize();
    try {
      const [pending] = await ds.query(`SELECT COUNT(*) AS n FROM persona_metric_pending`);
      expect(Number(pending.n)).toBe(0);
      for (const table of ['persona_metric_rollups', 'persona_latency_bins']) {
        const [left] = await ds.query(`SELECT COUNT(*) AS n FROM ${table} WHERE shard <> 0`);
        expect(Number(left.n)).toBe(0);
      }
      const [totalRows] = await ds.query(`SELECT COUNT(*) AS n FROM persona_metric_rollups WHERE grain = 0`);
      expect(Number(totalRows.n)).toBe(1);
      const metrics = new MetricsService(ds);
      const m = await metrics.get(PERSONA_ID, alice);
      expect(m).toMatchObject({ totalInteractions: 3, successfulInteractions: 2, totalResponseTimeMs: 600, p95ResponseTimeMs: 200 });
      expect(m.lastInteractionAt?.toISOString()).toBe('2026-01-03T00:00:00.000Z');
      const days = await metrics.series(PERSONA_ID, { bucket: 'day', from: '2026-01-01T00:00:00Z', to: '2026-01-04T00:00:00Z' }, alice);
      expect(days.map((d) => d.interactions)).toEqual([1, 1, 1]);
      expect(toPlain(await metrics.recompute(PERSONA_ID, alice))).toEqual(toPlain(m));
      // The upgraded database records through the queue, and a flush folds it.
      await metrics.recordInteraction(PERSONA_ID, { success: true, latencyMs: 10 }, alice);
      expect((await metrics.get(PERSONA_ID, alice)).totalInteractions).toBe(4);
      expect(await metrics.flush()).toBe(1);
      expect((await metrics.get(PERSONA_ID, alice)).totalInteractions).toBe(4);
    } finally {
      await ds.destroy();
    }
  });

  it('moves the name index of the list onto the visibility columns and the version: lists unchanged, pages read from the index, and back down', async () => {
    const migrations = engine === 'postgres' ? POSTGRES_MIGRATIONS : SQLITE_MIGRATIONS;
    const before = migrations.slice(0, migrations.findIndex((m) => m.name.startsWith('ListPageIndex')));
    const old = await new DataSource({ ...personaDataSourceOptions(target.options), migrations: before } as never).initialize();
    const admin = { id: 'root', roles: ['admin'] };
    const pages = async (ds: DataSource) => {
      const store = new PersonaStore(ds);
      const slugs = async (filter: Record<string, unknown>, actor: { id: string; roles?: string[] }) => (await store.list(filter as never, actor)).items.map((p) => `${p.slug}@${p.version}`);
      return { alice: await slugs({}, alice), bob: await slugs({}, { id: 'bob' }), admin: await slugs({}, admin), second: await slugs({ limit: 2, offset: 2 }, admin) };
    };
    const oldStore = new PersonaStore(old);
    for (const [i, owner] of ['alice', 'bob', 'carol', 'alice', 'bob'].entries()) {
      const created = await oldStore.create({ name: `Persona ${5 - i}`, slug: `p-${i}`, createdBy: owner, isPublic: i % 2 === 0 } as never, admin);
      if (i === 1) await oldStore.update(created.id as string, { description: 'second version' }, { expectedVersion: 1 }, admin);
    }
    const expected = await pages(old);
    expect(expected.admin).toEqual(['p-4@1', 'p-3@1', 'p-2@1', 'p-1@2', 'p-0@1']);
    expect(expected.bob).toEqual(['p-4@1', 'p-2@1', 'p-1@2', 'p-0@1']);
    await old.destroy();

    const ds = await createDataSource(target.options).initialize();
    try {
      expect(await pages(ds)).toEqual(expected);
      const pg = ds.options.type === 'postgres';
      const indexes = pg
        ? (await ds.query(`SELECT indexname AS name, indexdef AS sql FROM pg_indexes WHERE tablename = 'personas'`))
        : (await ds.query(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'personas'`));
      const byName = new Map(indexes.map((i: { name: string; sql: string }) => [i.name, i.sql]));
      expect(String(byName.get('IDX_personas_name_page')).replace(/"/g, '')).toMatch(/\(name, id, isPublic, createdBy, version\)/);
      expect(byName.has('IDX_eb9bc0e91e97119ae84b3dfad1')).toBe(false);
      if (!pg) {
        const plan = await ds.query(`EXPLAIN QUERY PLAN SELECT id, version FROM personas WHERE ("isPublic" = 1 OR "createdBy" = ?) ORDER BY name, id LIMIT 51`, ['bob']);
        expect(plan.map((r: { detail: string }) => r.detail).join(' | ')).toMatch(/COVERING INDEX IDX_personas_name_page/);
      }
      await ds.undoLastMigration();
      expect(await pages(ds)).toEqual(expected);
      const after = pg
        ? (await ds.query(`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'personas'`))
        : (await ds.query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'personas'`));
      expect(after.map((i: { name: string }) => i.name)).toEqual(expect.arrayContaining(['IDX_eb9bc0e91e97119ae84b3dfad1']));
      expect(after.map((i: { name: string }) => i.name)).not.toContain('IDX_personas_name_page');
    } finally {
      await ds.destroy();
    }
  });
});
