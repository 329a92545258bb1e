import fc from 'fast-check';
import {
  Actor,
  InheritanceCycleError,
  InheritanceResolver,
  PersonaInUseError,
  PersonaNotFoundError,
  PersonaRuntime,
  PersonaStorageError,
  PersonaStore,
  PersonaValidationError,
  TemplateService,
  VersionConflictError,
} from '../../src';
import { SYSTEM_OWNER } from '../../src/services/access';
import { ENGINES, closeDataSource, describeEachEngine, openDataSource } from '../support/engines';

const alice: Actor = { id: 'alice' };
const bob: Actor = { id: 'bob' };
const admin: Actor = { id: 'root', roles: ['admin'] };

/** Everything `reader` can learn about persona `slug` through the read paths, as JSON text. */
async function everythingVisible(ds: import('typeorm').DataSource, slug: string, reader: Actor): Promise<string> {
  const store = new PersonaStore(ds);
  const parts: unknown[] = [];
  const attempt = async (read: () => Promise<unknown>) => {
    try {
      parts.push(await read());
    } catch (error) {
      if (!(error instanceof PersonaNotFoundError)) throw error;
    }
  };
  await attempt(() => store.get(slug, reader));
  await attempt(() => store.history(slug, reader));
  await attempt(() => store.list({ search: slug }, reader));
  await attempt(() => new InheritanceResolver(ds).resolve(slug, reader));
  await attempt(() => new PersonaRuntime(ds).prompt(slug, { actor: reader }));
  return JSON.stringify(parts);
}

describeEachEngine('Access rules', (ctx) => {
  let store: PersonaStore;
  beforeEach(() => {
    store = new PersonaStore(ctx.ds);
  });

  describe('private eras', () => {
    it('keeps what was written while private from other readers after the persona goes public', async () => {
      await store.create({ name: 'Spy', slug: 'spy', instructions: 'The launch code is 0000.' }, alice);
      await store.update('spy', { instructions: 'Public now.', isPublic: true }, { expectedVersion: 1 }, alice);
      const seen = await everythingVisible(ctx.ds, 'spy', bob);
      expect(seen).toContain('Public now.');
      expect(seen).not.toContain('launch code');
      expect((await store.history('spy', bob)).map((h) => h.version)).toEqual([2]);
      expect((await store.history('spy', alice)).map((h) => h.version)).toEqual([1, 2]);
      expect((await store.history('spy', admin)).map((h) => h.version)).toEqual([1, 2]);
    });

    it('a revert never changes visibility: reverting a private persona to a public-era version keeps it private', async () => {
      await store.create({ name: 'R', slug: 'r', isPublic: true, instructions: 'v1' }, alice);
      await store.update('r', { isPublic: false, instructions: 'v2 secret' }, { expectedVersion: 1 }, alice);
      const reverted = await store.revert('r', 1, { expectedVersion: 2 }, alice);
      expect(reverted.isPublic).toBe(false);
      expect(reverted.instructions).toBe('v1');
      await expect(store.get('r', bob)).rejects.toBeInstanceOf(PersonaNotFoundError);
      // And the other way: reverting a public persona to a private-era version keeps it public.
      await store.create({ name: 'S', slug: 's', instructions: 'draft' }, alice);
      await store.update('s', { isPublic: true, instructions: 'released' }, { expectedVersion: 1 }, alice);
      expect((await store.revert('s', 1, { expectedVersion: 2 }, alice)).isPublic).toBe(true);
    });

    it('property: other readers see exactly the versions that were public when written, whatever the sequence of edits', async () => {
      const step = fc.record({ isPublic: fc.option(fc.boolean(), { nil: undefined }), revertTo: fc.option(fc.nat(), { nil: undefined }) });
      const runs = ctx.engine === 'postgres' ? 15 : 40;
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.boolean(), fc.array(step, { minLength: 1, maxLength: 6 }), fc.constantFrom(bob, admin, alice), async (startPublic, steps, reader) => {
          const slug = `p-${n++}`;
          let current = await store.create({ name: 'P', slug, isPublic: startPublic, instructions: `text of version 1` }, alice);
          for (const s of steps) {
            const version = current.version as number;
            if (s.revertTo !== undefined) current = await store.revert(slug, (s.revertTo % version) + 1, { expectedVersion: version }, alice);
            else current = await store.update(slug, { instructions: `text of version ${version + 1}`, ...(s.isPublic === undefined ? {} : { isPublic: s.isPublic }) }, { expectedVersion: version }, alice);
          }
          const full = await store.history(slug, alice);
          const expected = reader === bob ? (current.isPublic ? full.filter((h) => h.snapshot.isPublic === true) : null) : full;
          if (expected === null) {
            await expect(store.history(slug, bob)).rejects.toBeInstanceOf(PersonaNotFoundError);
            return;
          }
          const seen = await store.history(slug, reader);
          expect(seen).toEqual(expected);
          if (reader === bob) {
            // Every text bob can reach anywhere was the content of a version written while public.
            const published = new Set(full.filter((h) => h.snapshot.isPublic === true).map((h) => h.snapshot.instructions));
            const reached = (await everythingVisible(ctx.ds, slug, bob)).match(/text of version \d+/g) ?? [];
            for (const text of reached) expect(published).toContain(text);
          }
        }),
        { numRuns: runs },
      );
    });
  });

  describe('templates', () => {
    let templates: TemplateService;
    beforeEach(() => {
      templates = new TemplateService(ctx.ds);
    });

    it('refuses a template that would set the access, identity or lineage of what it creates', async () => {
      for (const key of ['isPublic', 'createdBy', 'parentId', 'slug', 'name']) {
        const value = key === 'isPublic' ? true : key === 'parentId' ? '0190a0a0-0000-7000-8000-000000000000' : 'x';
        const error = await templates
          .createTemplate({ name: 'T', slug: `t-${key.toLowerCase()}`, isPublic: true, baseConfiguration: { [key]: value } } as never, alice)
          .catch((e) => e);
        expect(error).toBeInstanceOf(PersonaValidationError);
        expect(error.issues).toContainEqual(expect.objectContaining({ path: `baseConfiguration.${key}`, constraint: 'identityField' }));
      }
      const custom = await templates
        .createTemplate({ name: 'T', slug: 't', isPublic: true, customizableFields: [{ path: 'isPublic', type: 'boolean', default: true }] } as never, alice)
        .catch((e) => e);
      expect(custom).toBeInstanceOf(PersonaValidationError);
      expect(custom.issues.map((i: { path: string }) => i.path)).toContain('customizableFields[0].path');
    });

    it('makes an instance public only when the instantiating actor says so, even from a template stored before the rule', async () => {
      const t = await templates.createTemplate({ name: 'T', slug: 't', isPublic: true, baseConfiguration: { instructions: 'Hi.' } } as never, alice);
      // A template written before the rule existed, with access fields in its base.
      await ctx.ds.query(`UPDATE persona_templates SET "baseConfiguration" = $1 WHERE id = $2`.replace(/\$\d/g, ctx.engine === 'postgres' ? (m) => m : () => '?'), [
        JSON.stringify({ instructions: 'Hi.', isPublic: true, createdBy: 'alice', slug: 'hijack' }),
        t.id,
      ]);
      const mine = await templates.instantiate('t', { name: 'Mine', slug: 'mine', actor: bob });
      expect(mine).toMatchObject({ isPublic: false, createdBy: 'bob', slug: 'mine', instructions: 'Hi.' });
      await expect(store.get('mine', alice)).rejects.toBeInstanceOf(PersonaNotFoundError);
      const shared = await templates.instantiate('t', { name: 'Shared', slug: 'shared', actor: bob, isPublic: true });
      expect(shared.isPublic).toBe(true);
    });

    it('keeps starter templates the library\'s own: reserved slugs, a reserved owner, never a squatter\'s template', async () => {
      const squat = await templates.createTemplate({ name: 'Fake', slug: 'customer-support', isPublic: true } as never, bob).catch((e) => e);
      expect(squat.issues).toContainEqual(expect.objectContaining({ path: 'slug', constraint: 'reservedSlug' }));
      const starters = await templates.loadStarterTemplates(bob);
      expect(starters.every((t) => t.createdBy === SYSTEM_OWNER && t.isPublic)).toBe(true);
      const support = starters.find((t) => t.slug === 'customer-support')!;
      await expect(templates.updateTemplate('customer-support', { description: 'mine now' }, { expectedVersion: 1 }, bob)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
      const renamed = await templates.createTemplate({ name: 'Mine', slug: 'mine', isPublic: true } as never, bob);
      await expect(templates.updateTemplate('mine', { slug: 'tutor' }, { expectedVersion: renamed.version as number }, bob)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect((await templates.updateTemplate('customer-support', { description: 'edited by an admin' }, { expectedVersion: 1 }, admin)).createdBy).toBe(SYSTEM_OWNER);
      expect((await templates.loadStarterTemplates(alice)).find((t) => t.slug === 'customer-support')?.id).toBe(support.id);
      await expect(store.get('x', { id: SYSTEM_OWNER })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [expect.objectContaining({ constraint: 'reservedActor' })] });
    });

    it('refuses to take a squatter\'s template (stored before slugs were reserved) for the starter', async () => {
      const fake = await templates.createTemplate({ name: 'Fake', slug: 'fake', isPublic: true } as never, bob);
      await ctx.ds.query(ctx.engine === 'postgres' ? `UPDATE persona_templates SET slug = 'tutor' WHERE id = $1` : `UPDATE persona_templates SET slug = 'tutor' WHERE id = ?`, [fake.id]);
      const error = await templates.loadStarterTemplates(alice).catch((e) => e);
      expect(error).toBeInstanceOf(PersonaValidationError);
      expect(error.issues).toContainEqual(expect.objectContaining({ path: 'slug', constraint: 'reservedSlug' }));
    });
  });

  describe('lists', () => {
    it('range-checks pages and filters with typed errors naming the field', async () => {
      const bad: [Record<string, unknown>, string][] = [
        [{ offset: 1e21 }, 'offset'],
        [{ offset: -1 }, 'offset'],
        [{ offset: 1_000_001 }, 'offset'],
        [{ offset: 0.5 }, 'offset'],
        [{ limit: 0 }, 'limit'],
        [{ limit: 501 }, 'limit'],
        [{ limit: Number.NaN }, 'limit'],
        [{ limit: '10' }, 'limit'],
        [{ search: 'x'.repeat(256) }, 'search'],
        [{ tag: 42 }, 'tag'],
        [{ isPublic: 'yes' }, 'isPublic'],
        [{ orderBy: 'name; DROP TABLE personas' }, 'orderBy'],
      ];
      for (const [filter, path] of bad) {
        const error = await store.list(filter as never, alice).catch((e) => e);
        expect(error).toBeInstanceOf(PersonaValidationError);
        expect(error.issues.map((i: { path: string }) => i.path)).toEqual([path]);
        const templateError = await new TemplateService(ctx.ds).listTemplates(filter as never, alice).catch((e) => e);
        expect(templateError).toBeInstanceOf(PersonaValidationError);
      }
      expect(await store.list({ offset: 1_000_000 }, alice)).toEqual({ items: [], total: 0, nextCursor: null });
    });

    it('refuses text no engine can store (U+0000, lone surrogates) in filters, actors and lookups, never reaching the driver', async () => {
      for (const bad of ['a\u0000b', 'x\ud800', '\udc00y']) {
        for (const key of ['search', 'tag', 'createdBy']) {
          const error = await store.list({ [key]: bad } as never, alice).catch((e) => e);
          expect(error).toBeInstanceOf(PersonaValidationError);
          expect(error.issues[0]).toMatchObject({ path: key, constraint: 'isStorableText' });
        }
        await expect(store.get(bad, alice)).rejects.toBeInstanceOf(PersonaNotFoundError);
        await expect(new InheritanceResolver(ctx.ds).resolve(bad, alice)).rejects.toBeInstanceOf(PersonaNotFoundError);
        await expect(new TemplateService(ctx.ds).getTemplate(bad, alice)).rejects.toBeInstanceOf(PersonaNotFoundError);
        await expect(store.list({}, { id: bad })).rejects.toBeInstanceOf(PersonaValidationError);
        // And in what is stored: refused with the path, on both engines alike (PostgreSQL would refuse U+0000 itself).
        const error = await store.create({ name: bad, slug: 'nul', metadata: { note: bad } }, alice).catch((e) => e);
        expect(error).toBeInstanceOf(PersonaValidationError);
        expect(error.issues.map((i: { path: string; constraint: string }) => `${i.path}:${i.constraint}`).sort()).toEqual(['metadata.note:isStorableText', 'name:isStorableText']);
      }
    });

    it('matches a tag exactly, never as a piece of another tag\'s JSON', async () => {
      await store.create({ name: 'Tricky', slug: 'tricky', tags: ['b","a'] }, alice);
      await store.create({ name: 'Plain', slug: 'plain', tags: ['a', 'c'] }, alice);
      await store.create({ name: 'Percent', slug: 'percent', tags: ['50%_off'] }, alice);
      expect((await store.list({ tag: 'a' }, alice)).items.map((p) => p.slug)).toEqual(['plain']);
      expect((await store.list({ tag: 'b","a' }, alice)).items.map((p) => p.slug)).toEqual(['tricky']);
      expect((await store.list({ tag: '50%' }, alice)).total).toBe(0);
      expect((await store.list({ tag: '50%_off' }, alice)).total).toBe(1);
    });

    it('searches case-insensitively beyond ASCII, with % and _ literal', async () => {
      await store.create({ name: 'Élodie', slug: 'elodie' }, alice);
      await store.create({ name: 'ÖSTERREICH', slug: 'at' }, alice);
      await store.create({ name: 'Under_score 100%', slug: 'us' }, alice);
      for (const q of ['élo', 'ÉLO', 'Élodie']) expect((await store.list({ search: q }, alice)).items.map((p) => p.slug)).toEqual(['elodie']);
      expect((await store.list({ search: 'österr' }, alice)).items.map((p) => p.slug)).toEqual(['at']);
      expect((await store.list({ search: '_' }, alice)).items.map((p) => p.slug)).toEqual(['us']);
      expect((await store.list({ search: '%' }, alice)).items.map((p) => p.slug)).toEqual(['us']);
    });

    it('lists only what the actor may read, for any mix of owners and visibility (property)', async () => {
      const owners = [alice, bob, { id: 'carol' }];
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(0, 1, 2), fc.boolean()), { minLength: 1, maxLength: 8 }), fc.constantFrom(alice, bob, admin), async (rows, reader) => {
          await ctx.ds.query('DELETE FROM persona_revisions');
          await ctx.ds.query('DELETE FROM persona_metrics');
          await ctx.ds.query('DELETE FROM personas');
          for (const [i, [owner, isPublic]] of rows.entries()) await store.create({ name: `N${i}`, slug: `n-${i}`, isPublic }, owners[owner]);
          const expected = rows
            .map(([owner, isPublic], i) => ({ slug: `n-${i}`, ok: isPublic || owners[owner].id === reader.id || reader === admin }))
            .filter((r) => r.ok)
            .map((r) => r.slug)
            .sort();
          const page = await store.list({ limit: 500, orderBy: 'slug' }, reader);
          expect(page.items.map((p) => p.slug)).toEqual(expected);
          expect(page.total).toBe(expected.length);
        }),
        { numRuns: ctx.engine === 'postgres' ? 15 : 40 },
      );
    });
  });

  describe('errors name nothing private', () => {
    it('a cycle error leaves out the personas the actor cannot read', async () => {
      const m = await store.create({ name: 'M', slug: 'm', isPublic: true }, { id: 'mallory' });
      const c = await store.create({ name: 'C', slug: 'c', parentId: m.id }, { id: 'carol' });
      const q = await store.create({ name: 'Q', slug: 'q', isPublic: true, parentId: c.id }, { id: 'carol' });
      const error = await store.update('m', { parentId: q.id }, { expectedVersion: 1 }, { id: 'mallory' }).catch((e) => e);
      expect(error).toBeInstanceOf(InheritanceCycleError);
      expect(error.cycle).toEqual([m.id, q.id, m.id]);
      expect(JSON.stringify(error)).not.toContain(c.id as string);
    });
  });

  describe('driver errors', () => {
    it('never reach the caller raw: a failing query is a PersonaStorageError without SQL', async () => {
      const ds = await openDataSource(ctx.engine);
      try {
        const own = new PersonaStore(ds);
        await own.create({ name: 'X', slug: 'x' }, alice);
        await ds.query('DROP TABLE persona_revisions');
        const error = await own.history('x', alice).catch((e) => e);
        expect(error).toBeInstanceOf(PersonaStorageError);
        expect(error.code).toBe('STORAGE_FAILED');
        expect(error.message).not.toMatch(/SELECT|persona_revisions/);
      } finally {
        await closeDataSource(ds);
      }
    });
  });
});

describe.each(ENGINES)('Link integrity under concurrency [%s]', (engine) => {
  let ds: Awaited<ReturnType<typeof openDataSource>>;
  beforeAll(async () => {
    ds = await openDataSource(engine);
  });
  afterAll(async () => {
    await closeDataSource(ds);
  });

  async function danglingOrCyclic(): Promise<string[]> {
    const rows: { id: string; parentId: string | null }[] = await ds.query('SELECT id, "parentId" FROM personas');
    const byId = new Map(rows.map((r) => [r.id, r.parentId]));
    const bad: string[] = [];
    for (const r of rows) {
      if (r.parentId && !byId.has(r.parentId)) bad.push(`${r.id} -> missing ${r.parentId}`);
      const seen = new Set<string>();
      for (let at: string | null | undefined = r.id; at; at = byId.get(at)) {
        if (seen.has(at)) {
          bad.push(`cycle through ${r.id}`);
          break;
        }
        seen.add(at);
      }
    }
    return bad;
  }

  it('two writers linking x → y and y → x at once: one wins, the other gets InheritanceCycleError (20 trials)', async () => {
    const store = new PersonaStore(ds);
    for (let trial = 0; trial < 20; trial++) {
      const x = await store.create({ name: 'X', slug: `x-${trial}`, isPublic: true }, alice);
      const y = await store.create({ name: 'Y', slug: `y-${trial}`, isPublic: true }, alice);
      const outcomes = await Promise.allSettled([
        store.update(x.id as string, { parentId: y.id }, { expectedVersion: 1 }, alice),
        store.update(y.id as string, { parentId: x.id }, { expectedVersion: 1 }, alice),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const lost = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(lost?.reason).toBeInstanceOf(InheritanceCycleError);
      await new InheritanceResolver(ds).resolve(x.id as string, alice);
      await new InheritanceResolver(ds).resolve(y.id as string, alice);
    }
    expect(await danglingOrCyclic()).toEqual([]);
  });

  it('removing a parent while a child of it is created never leaves a dangling parentId (20 trials each way)', async () => {
    const store = new PersonaStore(ds);
    for (let trial = 0; trial < 40; trial++) {
      const childOwner = trial % 2 === 0 ? alice : bob;
      const parent = await store.create({ name: 'P', slug: `parent-${trial}`, isPublic: true }, alice);
      const outcomes = await Promise.allSettled([
        store.remove(parent.id as string, alice),
        store.create({ name: 'C', slug: `child-${trial}`, parentId: parent.id }, childOwner),
      ]);
      for (const o of outcomes) {
        if (o.status === 'rejected') expect([PersonaInUseError, PersonaValidationError].some((cls) => o.reason instanceof cls)).toBe(true);
      }
      expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
    }
    expect(await danglingOrCyclic()).toEqual([]);
  });

  it('removing a parent while another user edits their private child: the removal succeeds and names nothing private (20 trials)', async () => {
    const store = new PersonaStore(ds);
    for (let trial = 0; trial < 20; trial++) {
      const parent = await store.create({ name: 'P', slug: `rp-${trial}`, isPublic: true }, alice);
      const child = await store.create({ name: 'C', slug: `rc-${trial}`, parentId: parent.id }, bob);
      const [removal, edit] = await Promise.allSettled([
        store.remove(parent.id as string, alice),
        store.update(child.id as string, { description: `edit ${trial}` }, { expectedVersion: 1 }, bob),
      ]);
      expect(removal.status).toBe('fulfilled');
      if (edit.status === 'rejected') expect(edit.reason).toBeInstanceOf(VersionConflictError);
      const detached = await store.get(child.id as string, bob);
      expect(detached.parentId).toBeUndefined();
      if (edit.status === 'fulfilled') expect(detached.description).toBe(`edit ${trial}`);
    }
    expect(await danglingOrCyclic()).toEqual([]);
  });

  it('a three-way race closing a ring x → y → z → x stores no cycle (20 trials)', async () => {
    const store = new PersonaStore(ds);
    for (let trial = 0; trial < 20; trial++) {
      const ids: string[] = [];
      for (const n of ['a', 'b', 'c']) ids.push((await store.create({ name: n, slug: `ring-${n}-${trial}`, isPublic: true }, alice)).id as string);
      const outcomes = await Promise.allSettled(ids.map((id, i) => store.update(id, { parentId: ids[(i + 1) % 3] }, { expectedVersion: 1 }, alice)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    }
    expect(await danglingOrCyclic()).toEqual([]);
  });
});
