import { Column, CreateDateColumn, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { PersonaConfiguration, PersonaStore, PersonaTemplate, TemplateService, toPlain } from '../../src';
import { setFieldPaths } from '../../src/validation/model';
import { hydrate, insertRows, tableOf, updateAtVersion } from '../../src/persistence/rows';
import { countQueries, describeEachEngine } from '../support/engines';

/** A record as a user of rows.ts would declare it: no column list anywhere but the entity. */
class Dimensions {
  @Column({ type: 'float', nullable: true }) width?: number;
  @Column({ type: 'float', nullable: true }) height?: number;
}

@Entity('gadgets')
class Gadget {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'integer' }) version!: number;
  @Column({ length: 50 }) name!: string;
  @Column({ type: 'simple-json' }) tags!: string[];
  @Column({ type: 'boolean', default: false }) isPublic!: boolean;
  @Column(() => Dimensions) size?: Dimensions;
  @CreateDateColumn() createdAt!: Date;
}

/** The same table a release later: one new column, declared in the entity only. */
@Entity('gadgets')
class GadgetWithColour extends Gadget {
  @Column({ type: 'varchar', length: 20, nullable: true }) colour?: string | null;
}

async function open(engine: string, entity: Function, url?: string): Promise<DataSource> {
  const options = engine === 'postgres' ? { type: 'postgres' as const, url } : { type: 'better-sqlite3' as const, database: ':memory:' };
  return new DataSource({ ...options, entities: [entity], synchronize: true }).initialize();
}

describeEachEngine('rows from entity metadata', (ctx) => {
  it('inserts, updates at a version and hydrates any entity, embedded columns and JSON included', async () => {
    const ds = await open(ctx.engine, Gadget, (ctx.ds.options as { url?: string }).url);
    try {
      await ds.transaction(async (m) => {
        await insertRows(m, Gadget, [{ id: 'g1', version: 1, name: 'Lamp', tags: ['a'], isPublic: true, size: { width: 2, height: 3 }, createdAt: new Date(0) }]);
        expect(await updateAtVersion(m, Gadget, { id: 'g1', version: 2, name: 'Lamp 2', tags: ['a', 'b'], isPublic: false, createdAt: new Date() } as unknown as Gadget, 1)).toBe(true);
        expect(await updateAtVersion(m, Gadget, { id: 'g1', version: 3, name: 'Stale', tags: [], isPublic: false } as unknown as Gadget, 1)).toBe(false);
      });
      const [raw] = await ds.query('SELECT * FROM gadgets');
      const g = hydrate(ds.manager, tableOf(ds.manager, Gadget), raw) as Gadget;
      expect(g).toMatchObject({ id: 'g1', version: 2, name: 'Lamp 2', tags: ['a', 'b'], isPublic: false });
      // A missing embedded object is written as NULLs; the creation date is never overwritten.
      expect(g.size).toEqual({ width: null, height: null });
      expect(g.createdAt.getTime()).toBe(0);
    } finally {
      if (ctx.engine === 'postgres') await ds.query('DROP TABLE gadgets');
      await ds.destroy();
    }
  });

  it('writes a column added to the entity with no change anywhere else', async () => {
    const ds = await open(ctx.engine, GadgetWithColour, (ctx.ds.options as { url?: string }).url);
    try {
      await ds.transaction(async (m) => {
        await insertRows(m, GadgetWithColour, [{ id: 'g1', version: 1, name: 'Lamp', tags: [], isPublic: false, colour: 'teal', createdAt: new Date() }]);
        await updateAtVersion(m, GadgetWithColour, { id: 'g1', version: 2, name: 'Lamp', tags: [], isPublic: false, colour: 'amber' } as unknown as GadgetWithColour, 1);
      });
      const [raw] = await ds.query('SELECT * FROM gadgets');
      expect(hydrate(ds.manager, tableOf(ds.manager, GadgetWithColour), raw)).toMatchObject({ version: 2, colour: 'amber' });
    } finally {
      if (ctx.engine === 'postgres') await ds.query('DROP TABLE gadgets');
      await ds.destroy();
    }
  });

  it('PersonaStore and TemplateService write every column their entity declares (no hand-written lists)', async () => {
    const store = new PersonaStore(ctx.ds);
    const alice = { id: 'alice' };
    await store.create({ name: 'P', slug: 'p' }, alice);
    const templates = new TemplateService(ctx.ds);
    await templates.createTemplate({ name: 'T', slug: 't' } as never, alice);
    for (const [cls, write] of [
      [PersonaConfiguration, () => store.update('p', { description: 'x' }, { expectedVersion: 1 }, alice)],
      [PersonaTemplate, () => templates.updateTemplate('t', { description: 'x' }, { expectedVersion: 1 }, alice)],
    ] as const) {
      const { queries } = await countQueries(ctx.ds, write as () => Promise<unknown>);
      const { table } = tableOf(ctx.ds.manager, cls);
      const update = queries.find((q) => q.startsWith(`UPDATE ${table}`)) as string;
      const expected = ctx.ds.getMetadata(cls).columns.filter((c) => !c.isPrimary && !c.isCreateDate).map((c) => c.databaseName);
      for (const column of expected) expect(update).toContain(`"${column}" = `);
      expect(update.match(/" = /g)?.length).toBe(expected.length + 2); // + WHERE id and version
    }
  });
  it('loads children in position order whatever order the database aggregates them in', async () => {
    const store = new PersonaStore(ctx.ds);
    const alice = { id: 'alice' };
    const names = ['first', 'second', 'third', 'fourth'];
    await store.create({ name: 'P', slug: 'ordered', behaviorRules: names.map((name, i) => ({ name, condition: 'c', action: 'a', priority: i })) }, alice);
    // Rewrite the positions backwards and back, so rowid order and position order disagree. The
    // child lists are read for personas whose current revision has the older, whole form: made so first.
    const [{ id }] = await ctx.ds.query(`SELECT id FROM personas WHERE slug = 'ordered'`);
    const pg = ctx.ds.options.type === 'postgres';
    const before = await store.get('ordered', alice);
    const paths = JSON.stringify(setFieldPaths(before));
    await ctx.ds.query(`UPDATE persona_revisions SET snapshot = ${pg ? '$1' : '?'}, "fieldPaths" = ${pg ? '$2' : '?'} WHERE "personaId" = ${pg ? '$3' : '?'}`, [JSON.stringify(toPlain(before)), paths, id]);
    await ctx.ds.query(`UPDATE personas SET "storedFieldPaths" = ${pg ? '$1' : '?'} WHERE id = ${pg ? '$2' : '?'}`, [paths, id]);
    await ctx.ds.query(`UPDATE persona_behavior_rules SET position = 10 - position WHERE "personaId" = ${pg ? '$1' : '?'}`, [id]);
    const loaded = await store.get('ordered', alice);
    expect(loaded.behaviorRules.map((r) => r.name)).toEqual([...names].reverse());
    await ctx.ds.query(`UPDATE persona_behavior_rules SET position = 10 - position WHERE "personaId" = ${pg ? '$1' : '?'}`, [id]);
    expect((await store.get('ordered', alice)).behaviorRules.map((r) => r.name)).toEqual(names);
  });
});
