import fc from 'fast-check';
import { PersonaConfiguration, PersonaStore, toPlain } from '../../src';
import { PersonaRevision } from '../../src/models/persona-revision.entity';
import { findPersonasByIds, personaOfRevision } from '../../src/persistence/persona-rows';
import { setFieldPaths } from '../../src/validation/model';
import { personaArb } from '../fixtures/arbitraries';
import { fixture } from '../fixtures';
import { describeEachEngine } from '../support/engines';

const admin = { id: 'root', roles: ['admin'] };

/** Everything a reader can observe of a persona: both plain forms and the fields set. */
function observed(p: PersonaConfiguration) {
  return { full: toPlain(p), given: toPlain(p, { excludeUnset: true }), paths: setFieldPaths(p).sort(), proto: Object.getPrototypeOf(p) === PersonaConfiguration.prototype };
}

describeEachEngine('personas.storedDocument and revisions of the fields set', (ctx) => {
  /** The same persona read through its document and, with the document cleared, through its row and child lists. */
  async function bothWays(id: string) {
    const { ds } = ctx;
    const [fromDocument] = await findPersonasByIds(ds.manager, [id]);
    const mark = ds.options.type === 'postgres' ? '$1' : '?';
    const document = (await ds.query(`SELECT "storedDocument" FROM personas WHERE id = ${mark}`, [id]))[0].storedDocument;
    // A row as written before documents existed: no document, the field paths in their column.
    await ds.query(`UPDATE personas SET "storedDocument" = NULL, "storedFieldPaths" = ${mark === '?' ? '?' : '$2'} WHERE id = ${mark}`, mark === '?' ? [JSON.stringify(setFieldPaths(fromDocument)), id] : [id, JSON.stringify(setFieldPaths(fromDocument))]);
    const [fromRows] = await findPersonasByIds(ds.manager, [id]);
    return { fromDocument, fromRows, document };
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
        const { fromDocument, fromRows, document } = await bothWays(created.id as string);
        expect(typeof document).toBe('string');
        expect(observed(fromDocument)).toEqual(observed(fromRows));
        expect(observed(fromDocument)).toEqual(observed(created));
        // The revision holds the fields set with what the store keeps: history gives the whole form back, and the persona too.
        const [entry] = await store.history(created.id as string, admin);
        expect(entry.snapshot).toEqual(toPlain(created));
        const [revision] = await ds.getRepository(PersonaRevision).find({ where: { personaId: created.id } });
        expect(revision.fieldPaths).toEqual([]);
        expect(observed(personaOfRevision(revision))).toEqual(observed(created));
      }),
      { numRuns: 40 },
    );
  });

  it('keeps what the store keeps and the interchange record out of the document, and takes them from the row', async () => {
    const { ds } = ctx;
    const store = new PersonaStore(ds);
    const created = await store.create({ ...fixture('personas/technical-assistant'), interop: { format: 'native', note: 'x'.repeat(2000) } } as never, admin);
    const updated = await store.update(created.id as string, { description: 'changed' }, { expectedVersion: 1 }, admin);
    const { fromDocument, fromRows, document } = await bothWays(created.id as string);
    const parsed = JSON.parse(document);
    for (const key of ['id', 'version', 'createdAt', 'updatedAt', 'interop']) expect(parsed).not.toHaveProperty(key);
    expect(parsed.description).toBe('changed');
    expect(fromDocument.version).toBe(2);
    expect(fromDocument.updatedAt).toEqual(updated.updatedAt);
    expect(fromDocument.createdAt).toBeInstanceOf(Date);
    expect(observed(fromDocument)).toEqual(observed(fromRows));
    expect(fromDocument.interop).toEqual({ format: 'native', note: 'x'.repeat(2000) });
  });

  it('reads rows written before the column existed from their child lists, and writes the document with their next version', async () => {
    const { ds } = ctx;
    const store = new PersonaStore(ds);
    const created = await store.create(fixture('personas/technical-assistant') as never, admin);
    const paths = JSON.stringify(setFieldPaths(created));
    await ds.query(`UPDATE personas SET "storedDocument" = NULL, "storedFieldPaths" = ${ds.options.type === 'postgres' ? '$1' : '?'}`, [paths]);
    const listed = await store.list({}, admin);
    expect(observed(listed.items[0])).toEqual(observed(created));
    await store.update(created.id as string, { tags: ['after'] }, { expectedVersion: 1 }, admin);
    const [row] = await ds.query('SELECT "storedDocument" FROM personas');
    expect(JSON.parse(row.storedDocument).tags).toEqual(['after']);
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
