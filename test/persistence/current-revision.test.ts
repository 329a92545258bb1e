import fc from 'fast-check';
import { PersonaConfiguration, PersonaStore, toPlain } from '../../src';
import { PersonaRevision } from '../../src/models/persona-revision.entity';
import { DOCUMENT_ROW, findPersonasByIds, personaOfRevision, personasOfDocumentRows } from '../../src/persistence/persona-rows';
import { setFieldPaths } from '../../src/validation/model';
import { personaArb } from '../fixtures/arbitraries';
import { fixture } from '../fixtures';
import { describeEachEngine } from '../support/engines';

const admin = { id: 'root', roles: ['admin'] };

/** Everything a reader can observe of a persona: both plain forms and the fields set. */
function observed(p: PersonaConfiguration) {
  return { full: toPlain(p), given: toPlain(p, { excludeUnset: true }), paths: setFieldPaths(p).sort(), proto: Object.getPrototypeOf(p) === PersonaConfiguration.prototype };
}

describeEachEngine('personas read from the revision of their current version', (ctx) => {
  /**
   * The same persona read through its current revision (the fields set) and, with that revision
   * turned into the older whole form (toPlain and the field paths, also in the row), through its
   * row and child lists.
   */
  async function bothWays(id: string) {
    const { ds } = ctx;
    const [fromRevision] = await findPersonasByIds(ds.manager, [id]);
    const [revision] = await ds.getRepository(PersonaRevision).find({ where: { personaId: id, version: fromRevision.version } });
    const pg = ds.options.type === 'postgres';
    const paths = JSON.stringify(setFieldPaths(fromRevision));
    await ds.query(`UPDATE persona_revisions SET snapshot = ${pg ? '$1' : '?'}, "fieldPaths" = ${pg ? '$2' : '?'} WHERE "personaId" = ${pg ? '$3' : '?'} AND version = ${pg ? '$4' : '?'}`, [
      JSON.stringify(toPlain(fromRevision)),
      paths,
      revision.personaId,
      revision.version,
    ]);
    await ds.query(`UPDATE personas SET "storedFieldPaths" = ${pg ? '$1' : '?'} WHERE id = ${pg ? '$2' : '?'}`, [paths, id]);
    const [fromRows] = await findPersonasByIds(ds.manager, [id]);
    return { fromRevision, fromRows, revision };
  }

  it('builds the same persona as the row and its child lists, for any valid persona (fields set included)', async () => {
    const { ds } = ctx;
    const store = new PersonaStore(ds);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(personaArb, async (input) => {
        // Links must name stored personas and templates: left out here (the lineage suites cover them).
        const { parentId, templateId, templateVersion, ...rest } = input as Record<string, unknown>;
        const created = await store.create({ ...rest, slug: `persona-${n++}` } as never, admin);
        // History gives the whole form back from the fields set.
        const [entry] = await store.history(created.id as string, admin);
        expect(entry.snapshot).toEqual(toPlain(created));
        const { fromRevision, fromRows, revision } = await bothWays(created.id as string);
        expect(revision.fieldPaths).toEqual([]);
        // The id, version and updatedAt are the revision's own columns.
        expect(revision.snapshot).toEqual({ ...toPlain(created, { excludeUnset: true }), createdAt: created.createdAt?.toISOString() });
        expect(observed(personaOfRevision(revision))).toEqual(observed(created));
        expect(observed(fromRevision)).toEqual(observed(created));
        expect(observed(fromRows)).toEqual(observed(created));
      }),
      { numRuns: 40 },
    );
  });

  it('takes what the store keeps from the row, and the interchange record from the revision', async () => {
    const { ds } = ctx;
    const store = new PersonaStore(ds);
    const created = await store.create({ ...fixture('personas/technical-assistant'), interop: { format: 'native', note: 'x'.repeat(2000) } } as never, admin);
    const updated = await store.update(created.id as string, { description: 'changed' }, { expectedVersion: 1 }, admin);
    const [read] = await findPersonasByIds(ds.manager, [created.id as string]);
    expect(read.description).toBe('changed');
    expect(read.version).toBe(2);
    expect(read.updatedAt).toEqual(updated.updatedAt);
    expect(read.createdAt).toEqual(created.createdAt);
    expect(read.interop).toEqual({ format: 'native', note: 'x'.repeat(2000) });
    expect(observed(read)).toEqual(observed(updated));
  });

  it('reads personas whose current revision has the older form from their child lists, and writes the newer form with their next version', async () => {
    const { ds } = ctx;
    const store = new PersonaStore(ds);
    const created = await store.create(fixture('personas/technical-assistant') as never, admin);
    await bothWays(created.id as string);
    const listed = await store.list({}, admin);
    expect(observed(listed.items[0])).toEqual(observed(created));
    expect(observed(await store.get(created.id as string, admin))).toEqual(observed(created));
    await store.update(created.id as string, { tags: ['after'] }, { expectedVersion: 1 }, admin);
    const [revision] = await ds.getRepository(PersonaRevision).find({ where: { personaId: created.id, version: 2 } });
    expect(revision.fieldPaths).toEqual([]);
    expect((await store.list({}, admin)).items[0].tags).toEqual(['after']);
  });
  it('never mixes versions when a persona of the older form is written between its two reads', async () => {
    const { ds } = ctx;
    const store = new PersonaStore(ds);
    const created = await store.create(fixture('personas/technical-assistant') as never, admin);
    await bothWays(created.id as string);
    // What the first statement of a read saw: the row at version 1 with its older-form revision.
    const pg = ds.options.type === 'postgres';
    const [stale] = await ds.query(
      `SELECT p.id AS "${DOCUMENT_ROW.id}", p.version AS "${DOCUMENT_ROW.version}", r.snapshot AS "${DOCUMENT_ROW.snapshot}", r."fieldPaths" AS "${DOCUMENT_ROW.fieldPaths}", r."changedAt" AS "${DOCUMENT_ROW.changedAt}"
         FROM personas p LEFT JOIN persona_revisions r ON r."personaId" = p.id AND r.version = p.version WHERE p.id = ${pg ? '$1' : '?'}`,
      [created.id],
    );
    expect(stale[DOCUMENT_ROW.fieldPaths]).not.toBe('[]');
    // A write commits before the second statement: version 2, of the newer form, storedFieldPaths empty.
    const updated = await store.update(created.id as string, { description: 'written in between' }, { expectedVersion: 1 }, admin);
    const [read] = await personasOfDocumentRows(ds.manager, [stale]);
    expect(read?.description).toBe('written in between');
    expect(observed(read as PersonaConfiguration)).toEqual(observed(updated));
  });
});

describeEachEngine('the dates of a persona read from its revision', (ctx) => {
  it('reads time text without a zone as UTC whatever the process zone, and a snapshot date that is no date as none', async () => {
    const { ds } = ctx;
    const store = new PersonaStore(ds);
    const created = await store.create(fixture('personas/technical-assistant') as never, admin);
    const pg = ds.options.type === 'postgres';
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      if (!pg) {
        // Text TypeORM never writes but SQLite accepts (no seconds): still UTC.
        await ds.query(`UPDATE persona_revisions SET "changedAt" = '2026-11-25 20:14' WHERE "personaId" = ?`, [created.id]);
        expect((await store.get(created.id as string, admin)).updatedAt?.toISOString()).toBe('2026-11-25T20:14:00.000Z');
      }
      await ds.query(`UPDATE persona_revisions SET snapshot = ${pg ? '$1' : '?'} WHERE "personaId" = ${pg ? '$2' : '?'}`, [
        JSON.stringify({ ...toPlain(created, { excludeUnset: true }), createdAt: 'yesterday' }),
        created.id,
      ]);
      const read = await store.get(created.id as string, admin);
      expect(read.createdAt).toBeUndefined();
      expect(() => JSON.stringify(read)).not.toThrow();
      expect((await store.list({}, admin)).items.map((p) => p.id)).toEqual([created.id]);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});

describeEachEngine('revisions written before the fields-set form', (ctx) => {
  it('are read whole, with their field paths, by history, diff and revert', async () => {
    const { ds } = ctx;
    const store = new PersonaStore(ds);
    const created = await store.create(fixture('personas/technical-assistant') as never, admin);
    await store.update(created.id as string, { description: 'second' }, { expectedVersion: 1 }, admin);
    // Version 1 as the earlier form held it: toPlain whole, and the paths beside it.
    const pg = ds.options.type === 'postgres';
    await ds.query(`UPDATE persona_revisions SET snapshot = ${pg ? '$1' : '?'}, "fieldPaths" = ${pg ? '$2' : '?'} WHERE version = 1`, [JSON.stringify(toPlain(created)), JSON.stringify(setFieldPaths(created))]);
    const history = await store.history(created.id as string, admin);
    expect(history.map((h) => h.snapshot.description)).toEqual([created.description, 'second']);
    expect(history[0].snapshot).toEqual(toPlain(created));
    const diff = await store.diff(created.id as string, 1, 2, admin);
    expect(diff.changes.map((c) => c.path)).toEqual(['description']);
    const reverted = await store.revert(created.id as string, 1, { expectedVersion: 2 }, admin);
    const content = (p: PersonaConfiguration) => {
      const { id, version, createdAt, updatedAt, ...rest } = toPlain(p, { excludeUnset: true });
      return rest;
    };
    expect(reverted.version).toBe(3);
    expect(content(reverted)).toEqual(content(created));
  });
});
