import fc from 'fast-check';
import {
  AccessDeniedError,
  Actor,
  fieldsSet,
  InheritanceCycleError,
  InheritanceResolver,
  MAX_HISTORY_LIMIT,
  PersonaConfiguration,
  PersonaInUseError,
  PersonaNotFoundError,
  PersonaStore,
  PersonaValidationError,
  setFieldPaths,
  toPlain,
  VersionConflictError,
} from '../../src';
import { fixture } from '../fixtures';
import { countQueries, describeEachEngine } from '../support/engines';

const alice: Actor = { id: 'alice' };
const bob: Actor = { id: 'bob' };
const admin: Actor = { id: 'root', roles: ['admin'] };

function technical(overrides: Record<string, unknown> = {}) {
  const { createdBy, ...rest } = fixture('personas/technical-assistant');
  return { ...rest, ...overrides };
}

async function rowCounts(store: PersonaStore, ds: import('typeorm').DataSource) {
  const count = async (table: string) => Number((await ds.query(`SELECT COUNT(*) AS n FROM "${table}"`))[0].n);
  return {
    personas: await count('personas'),
    traits: await count('persona_traits'),
    revisions: await count('persona_revisions'),
  };
}

describeEachEngine('PersonaStore', (ctx) => {
  let store: PersonaStore;
  beforeEach(() => {
    store = new PersonaStore(ctx.ds);
  });

  describe('create', () => {
    it('validates, stores at version 1, owned by the actor, and writes revision 1', async () => {
      const created = await store.create(technical(), alice);
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.version).toBe(1);
      expect(created.createdBy).toBe('alice');
      expect(created.createdAt).toBeInstanceOf(Date);
      const history = await store.history(created.slug, alice);
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ version: 1, changedBy: 'alice' });
      expect(history[0].snapshot).toEqual(JSON.parse(JSON.stringify(created)));
    });

    it('reads back exactly what was stored: children in order, trait value types, fields set', async () => {
      const created = await store.create(technical(), alice);
      const loaded = await store.get(created.id as string, alice);
      expect(loaded).toBeInstanceOf(PersonaConfiguration);
      expect(toPlain(loaded)).toEqual(toPlain(created));
      expect(loaded.traits.map((t) => t.value)).toEqual([90, 'precise', false]);
      expect(setFieldPaths(loaded)).toEqual(setFieldPaths(created));
      expect(fieldsSet(loaded.traits[1]).has('weight')).toBe(false);
      expect(loaded.createdAt?.toISOString()).toBe(created.createdAt?.toISOString());
    });

    it('keeps an absent voice absent and optional fields unset after a round trip', async () => {
      const created = await store.create({ name: 'Quiet', slug: 'quiet' }, alice);
      const loaded = await store.get('quiet', alice);
      expect(loaded.voiceConfig).toBeUndefined();
      expect(loaded.maxTokens).toBeUndefined();
      expect(toPlain(loaded, { excludeUnset: true })).toEqual({ name: 'Quiet', slug: 'quiet', createdBy: 'alice' });
      expect(created.id).toBe(loaded.id);
    });

    it('refuses invalid input with every issue and writes nothing', async () => {
      const before = await rowCounts(store, ctx.ds);
      await expect(store.create(technical({ temperature: 9, traits: [{ name: 'x', category: 'cognitive', value: 200 }] }), alice)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: expect.arrayContaining([expect.objectContaining({ path: 'temperature' }), expect.objectContaining({ path: 'traits[0].value' })]),
      });
      expect(await rowCounts(store, ctx.ds)).toEqual(before);
    });

    it('refuses fields the store keeps, with their paths', async () => {
      for (const field of ['id', 'version', 'createdAt', 'updatedAt']) {
        const value = field === 'id' ? '3f0c6c1e-5a43-4c5e-9f2e-1d2b3c4d5e6f' : field === 'version' ? 3 : '2026-01-01T00:00:00Z';
        await expect(store.create(technical({ [field]: value }), alice)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: field, constraint: 'storeManaged' })] });
      }
    });

    it('refuses to create for another owner unless the actor is an admin', async () => {
      await expect(store.create(technical({ createdBy: 'bob' }), alice)).rejects.toBeInstanceOf(AccessDeniedError);
      const made = await store.create(technical({ createdBy: 'bob' }), admin);
      expect(made.createdBy).toBe('bob');
    });

    it('refuses a taken slug with a validation error at slug and leaves no second row', async () => {
      await store.create(technical(), alice);
      await expect(store.create(technical({ name: 'Other' }), bob)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'slug', constraint: 'unique' })] });
      expect((await rowCounts(store, ctx.ds)).personas).toBe(1);
    });

    it('refuses a parent that does not exist or that the actor cannot see', async () => {
      const secret = await store.create({ name: 'Secret', slug: 'secret', isPublic: false }, bob);
      await expect(store.create({ name: 'Child', slug: 'child', parentId: secret.id }, alice)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'parentId', constraint: 'parentExists' })] });
      await expect(store.create({ name: 'Child', slug: 'child', parentId: '3f0c6c1e-5a43-4c5e-9f2e-1d2b3c4d5e6f' }, alice)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'parentId' })] });
      const open = await store.create({ name: 'Open', slug: 'open', isPublic: true }, bob);
      const child = await store.create({ name: 'Child', slug: 'child', parentId: open.id }, alice);
      expect(child.parentId).toBe(open.id);
    });
  });

  describe('get', () => {
    it('finds by id and by slug', async () => {
      const created = await store.create(technical(), alice);
      expect((await store.get(created.id as string, alice)).slug).toBe('technical-assistant');
      expect((await store.get('technical-assistant', alice)).id).toBe(created.id);
    });

    it('loads a persona with all its children in a fixed number of queries', async () => {
      const big = technical({
        traits: Array.from({ length: 40 }, (_, i) => ({ name: `t${i}`, category: 'cognitive', value: i })),
        behaviorRules: Array.from({ length: 60 }, (_, i) => ({ name: `r${i}`, condition: 'c', action: 'a' })),
      });
      await store.create(big, alice);
      const small = await store.create({ name: 'Small', slug: 'small' }, alice);
      const { queries: bigQueries } = await countQueries(ctx.ds, () => store.get('technical-assistant', alice));
      const { queries: smallQueries } = await countQueries(ctx.ds, () => store.get(small.id as string, alice));
      expect(bigQueries.length).toBe(1);
      expect(smallQueries.length).toBe(1);
      // Children come back whole and in order from the one aggregated query.
      const loaded = await store.get('technical-assistant', alice);
      expect(loaded.traits.map((t) => t.name)).toEqual(big.traits.map((t: { name: string }) => t.name));
      expect(loaded.behaviorRules.map((r) => r.name)).toEqual(big.behaviorRules.map((r: { name: string }) => r.name));
      // A page is a count and one query for the page with each persona's document.
      const { queries: listQueries, result: page } = await countQueries(ctx.ds, () => store.list({ orderBy: '-name' }, alice));
      expect(page.items.map((p) => p.slug)).toEqual(['technical-assistant', 'small']);
      expect(page.items[0].traits).toHaveLength(40);
      expect(listQueries.length).toBe(2);
    });

    it('hides a private persona from everyone but its owner and admins', async () => {
      const created = await store.create(technical({ isPublic: false }), alice);
      await expect(store.get(created.id as string, bob)).rejects.toBeInstanceOf(PersonaNotFoundError);
      await expect(store.get('technical-assistant', bob)).rejects.toMatchObject({ code: 'PERSONA_NOT_FOUND' });
      expect((await store.get('technical-assistant', admin)).id).toBe(created.id);
    });

    it('reports a missing persona as not found', async () => {
      await expect(store.get('nobody', alice)).rejects.toBeInstanceOf(PersonaNotFoundError);
      await expect(store.get('3f0c6c1e-5a43-4c5e-9f2e-1d2b3c4d5e6f', alice)).rejects.toBeInstanceOf(PersonaNotFoundError);
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      await store.create({ name: 'Alpha', slug: 'alpha', status: 'active', tags: ['support', 'en'], isPublic: true }, alice);
      await store.create({ name: 'Beta', slug: 'beta', status: 'draft', tags: ['support'], isPublic: false }, alice);
      await store.create({ name: 'Gamma 50%', slug: 'gamma', status: 'active', tags: ['sales'], isPublic: true }, bob);
      await store.create({ name: 'Delta', slug: 'delta', status: 'archived', tags: ['support_x'], isPublic: false }, bob);
    });

    it('shows each actor only what it may see', async () => {
      expect((await store.list({}, alice)).items.map((p) => p.slug)).toEqual(['alpha', 'beta', 'gamma']);
      expect((await store.list({}, bob)).items.map((p) => p.slug)).toEqual(['alpha', 'delta', 'gamma']);
      expect((await store.list({}, admin)).total).toBe(4);
    });

    it('filters by status, tag, owner, public flag and text', async () => {
      expect((await store.list({ status: 'active' }, admin)).items.map((p) => p.slug)).toEqual(['alpha', 'gamma']);
      expect((await store.list({ tag: 'support' }, admin)).items.map((p) => p.slug)).toEqual(['alpha', 'beta']);
      expect((await store.list({ tag: 'support_' }, admin)).items).toEqual([]);
      expect((await store.list({ createdBy: 'bob' }, admin)).items.map((p) => p.slug)).toEqual(['delta', 'gamma']);
      expect((await store.list({ isPublic: false }, admin)).items.map((p) => p.slug)).toEqual(['beta', 'delta']);
      expect((await store.list({ search: 'ALP' }, admin)).items.map((p) => p.slug)).toEqual(['alpha']);
      expect((await store.list({ search: '50%' }, admin)).items.map((p) => p.slug)).toEqual(['gamma']);
      expect((await store.list({ search: '%' }, admin)).items.map((p) => p.slug)).toEqual(['gamma']);
    });

    it('paginates with a total and sorts by a whitelisted key only', async () => {
      const page = await store.list({ limit: 2, offset: 1, orderBy: '-name' }, admin);
      expect(page.total).toBe(4);
      expect(page.items.map((p) => p.slug)).toEqual(['delta', 'beta']);
      expect(page.items[0].tags).toEqual(['support_x']);
      await expect(store.list({ orderBy: 'name; DROP TABLE personas' as never }, admin)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'orderBy' })] });
      await expect(store.list({ limit: 0 }, admin)).rejects.toBeInstanceOf(PersonaValidationError);
    });
  });

  describe('update', () => {
    it('merges a JSON merge patch, validates the whole, bumps the version and writes a revision', async () => {
      const created = await store.create(technical(), alice);
      const updated = await store.update(
        created.slug,
        { description: 'Now shorter.', responseStyle: { tone: 'friendly' }, traits: [{ name: 'curious', category: 'personality', value: 60 }], maxTokens: null },
        { expectedVersion: 1 },
        alice,
      );
      expect(updated.version).toBe(2);
      expect(updated.responseStyle).toMatchObject({ tone: 'friendly', formalityLevel: 8 });
      expect(updated.traits.map((t) => t.name)).toEqual(['curious']);
      expect(updated.maxTokens).toBeUndefined();
      const loaded = await store.get(created.id as string, alice);
      expect(toPlain(loaded)).toEqual(toPlain(updated));
      expect(Number((await ctx.ds.query('SELECT COUNT(*) AS n FROM "persona_traits"'))[0].n)).toBe(1);
      expect((await store.history(created.slug, alice)).map((r) => r.version)).toEqual([1, 2]);
      expect(loaded.updatedAt!.getTime()).toBeGreaterThan(created.updatedAt!.getTime() - 1);
    });

    it('refuses a stale update and changes nothing', async () => {
      const created = await store.create(technical(), alice);
      await store.update(created.slug, { description: 'v2' }, { expectedVersion: 1 }, alice);
      const before = toPlain(await store.get(created.slug, alice));
      const error = await store.update(created.slug, { description: 'v3' }, { expectedVersion: 1 }, alice).catch((e) => e);
      expect(error).toBeInstanceOf(VersionConflictError);
      expect(error).toMatchObject({ code: 'VERSION_CONFLICT', expectedVersion: 1, actualVersion: 2 });
      expect(toPlain(await store.get(created.slug, alice))).toEqual(before);
      expect(await store.history(created.slug, alice)).toHaveLength(2);
    });

    it('refuses an invalid patch with the path and changes nothing', async () => {
      const created = await store.create(technical(), alice);
      const before = await rowCounts(store, ctx.ds);
      await expect(store.update(created.slug, { traits: [{ name: 'x', category: 'cognitive', value: 101 }] }, { expectedVersion: 1 }, alice)).rejects.toMatchObject({
        issues: [expect.objectContaining({ path: 'traits[0].value' })],
      });
      await expect(store.update(created.slug, { version: 5 }, { expectedVersion: 1 }, alice)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'version', constraint: 'storeManaged' })] });
      await expect(store.update(created.slug, { name: null }, { expectedVersion: 1 }, alice)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'name' })] });
      await expect(store.update(created.slug, JSON.parse('{"__proto__": {"isPublic": true}}'), { expectedVersion: 1 }, alice)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: '__proto__', constraint: 'forbiddenKey' })] });
      expect(await rowCounts(store, ctx.ds)).toEqual(before);
      expect((await store.get(created.slug, alice)).version).toBe(1);
    });

    it('lets only the owner and admins change a public persona, and hides a private one', async () => {
      const open = await store.create(technical({ isPublic: true }), alice);
      await expect(store.update(open.slug, { description: 'mine now' }, { expectedVersion: 1 }, bob)).rejects.toBeInstanceOf(AccessDeniedError);
      const byAdmin = await store.update(open.slug, { description: 'moderated' }, { expectedVersion: 1 }, admin);
      expect(byAdmin.version).toBe(2);
      const secret = await store.create({ name: 'S', slug: 's' }, alice);
      await expect(store.update(secret.slug, { description: 'x' }, { expectedVersion: 1 }, bob)).rejects.toBeInstanceOf(PersonaNotFoundError);
    });

    it('refuses to hand a persona to another owner unless the actor is an admin', async () => {
      const created = await store.create(technical(), alice);
      await expect(store.update(created.slug, { createdBy: 'bob' }, { expectedVersion: 1 }, alice)).rejects.toBeInstanceOf(AccessDeniedError);
      expect((await store.update(created.slug, { createdBy: 'bob' }, { expectedVersion: 1 }, admin)).createdBy).toBe('bob');
    });

    it('refuses a parentId that would close a cycle', async () => {
      const a = await store.create({ name: 'A', slug: 'a' }, alice);
      const b = await store.create({ name: 'B', slug: 'b', parentId: a.id }, alice);
      const c = await store.create({ name: 'C', slug: 'c', parentId: b.id }, alice);
      const error = await store.update('a', { parentId: c.id }, { expectedVersion: 1 }, alice).catch((e) => e);
      expect(error).toBeInstanceOf(InheritanceCycleError);
      expect(error.cycle).toEqual([a.id, c.id, b.id, a.id]);
      await expect(store.update('a', { parentId: a.id }, { expectedVersion: 1 }, alice)).rejects.toBeInstanceOf(InheritanceCycleError);
      expect((await store.get('a', alice)).parentId).toBeUndefined();
    });

    it('archives as a new version', async () => {
      const created = await store.create(technical(), alice);
      const archived = await store.archive(created.slug, { expectedVersion: 1 }, alice);
      expect(archived).toMatchObject({ status: 'archived', version: 2 });
    });
  });

  describe('remove', () => {
    it('deletes the persona with its children and revisions', async () => {
      const created = await store.create(technical(), alice);
      await store.remove(created.slug, alice);
      await expect(store.get(created.slug, alice)).rejects.toBeInstanceOf(PersonaNotFoundError);
      expect(await rowCounts(store, ctx.ds)).toEqual({ personas: 0, traits: 0, revisions: 0 });
    });

    it('is refused while one of the remover\'s own personas inherits from it, naming only those', async () => {
      const parent = await store.create({ name: 'P', slug: 'p', isPublic: true }, alice);
      const own = await store.create({ name: 'Own', slug: 'own', parentId: parent.id }, alice);
      await store.create({ name: 'Secret', slug: 'secret', parentId: parent.id }, bob);
      const error = await store.remove('p', alice).catch((e) => e);
      expect(error).toBeInstanceOf(PersonaInUseError);
      expect(error.children).toEqual([own.id]);
      expect(JSON.stringify(error)).not.toContain('secret');
      await expect(store.remove('p', bob)).rejects.toBeInstanceOf(AccessDeniedError);
      expect((await store.get('p', alice)).version).toBe(1);
      expect((await store.get('secret', bob)).version).toBe(1);
    });

    it('detaches other users\' children instead of letting them block: each keeps what it inherited', async () => {
      const root = await store.create({ name: 'Root', slug: 'root', isPublic: true, temperature: 0.2, tags: ['r'] }, alice);
      const parent = await store.create({ name: 'P', slug: 'p', isPublic: true, parentId: root.id, instructions: 'Be kind.', traits: [{ name: 'warm', category: 'personality', value: 80 }] }, alice);
      const child = await store.create({ name: 'C', slug: 'c', parentId: parent.id, traits: [{ name: 'brief', category: 'communication', value: true }] }, bob);
      const before = await new InheritanceResolver(ctx.ds).resolve('c', bob);
      await store.remove('p', alice);
      await expect(store.get('p', alice)).rejects.toBeInstanceOf(PersonaNotFoundError);
      const detached = await store.get('c', bob);
      expect(detached.parentId).toBeUndefined();
      expect(detached.version).toBe(2);
      expect(detached.createdBy).toBe('bob');
      const after = await new InheritanceResolver(ctx.ds).resolve('c', bob);
      expect(after.lineage).toEqual([child.id]);
      const strip = (p: PersonaConfiguration) => {
        const { version, updatedAt, parentId, ...rest } = toPlain(p);
        return rest;
      };
      expect(strip(after.persona)).toEqual(strip(before.persona));
      const history = await store.history('c', bob);
      expect(history.map((h) => [h.version, h.changedBy])).toEqual([[1, 'bob'], [2, 'alice']]);
    });

    it('detaches a child whose other ancestors its owner cannot read without copying their content', async () => {
      const root = await store.create({ name: 'Root', slug: 'root', isPublic: true, instructions: 'root secret' }, alice);
      const parent = await store.create({ name: 'P', slug: 'p', isPublic: true, parentId: root.id }, alice);
      await store.create({ name: 'C', slug: 'c', parentId: parent.id }, bob);
      await store.update('root', { isPublic: false }, { expectedVersion: 1 }, alice);
      await store.remove('p', alice);
      const detached = await store.get('c', bob);
      expect(detached.parentId).toBeUndefined();
      expect(detached.instructions).toBeUndefined();
      expect(JSON.stringify(await store.history('c', bob))).not.toContain('root secret');
    });
  });

  describe('history and revert', () => {
    it('reverts to an old snapshot as a new version, fields set included', async () => {
      const v1 = await store.create(technical(), alice);
      await store.update(v1.slug, { temperature: 1.5, responseStyle: null }, { expectedVersion: 1 }, alice);
      const v3 = await store.revert(v1.slug, 1, { expectedVersion: 2 }, alice);
      expect(v3.version).toBe(3);
      const { id, version, createdAt, updatedAt, ...content } = toPlain(v3);
      const { id: _i, version: _v, createdAt: _c, updatedAt: _u, ...original } = toPlain(v1);
      expect(content).toEqual(original);
      expect(setFieldPaths(await store.get(v1.slug, alice))).toEqual(setFieldPaths(v1));
      const history = await store.history(v1.slug, alice);
      expect(history.map((h) => [h.version, h.changedBy])).toEqual([[1, 'alice'], [2, 'alice'], [3, 'alice']]);
      expect(history[1].snapshot.temperature).toBe(1.5);
    });

    it('pages history: the newest `limit` visible versions below `beforeVersion`, oldest first, private eras still hidden', async () => {
      const p = await store.create({ name: 'Paged', slug: 'paged-history', isPublic: false }, alice);
      // v1, v2 private; v3..v7 public.
      await store.update(p.slug, { description: 'v2' }, { expectedVersion: 1 }, alice);
      await store.update(p.slug, { isPublic: true }, { expectedVersion: 2 }, alice);
      for (let v = 4; v <= 7; v++) await store.update(p.slug, { description: `v${v}` }, { expectedVersion: v - 1 }, alice);
      const versions = async (actor: typeof alice, options?: { limit?: number; beforeVersion?: number }) => (await store.history(p.slug, actor, options)).map((h) => h.version);
      expect(await versions(alice)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(await versions(alice, { limit: 3 })).toEqual([5, 6, 7]);
      expect(await versions(alice, { limit: 3, beforeVersion: 5 })).toEqual([2, 3, 4]);
      expect(await versions(bob)).toEqual([3, 4, 5, 6, 7]);
      expect(await versions(bob, { limit: 2, beforeVersion: 4 })).toEqual([3]);
      expect(await versions(bob, { beforeVersion: 3 })).toEqual([]);
      for (const bad of [{ limit: 0 }, { limit: 1.5 }, { limit: MAX_HISTORY_LIMIT + 1 }, { beforeVersion: 0 }, { beforeVersion: 1e21 }, { limit: '3' as unknown as number }]) {
        await expect(store.history(p.slug, alice, bad)).rejects.toBeInstanceOf(PersonaValidationError);
      }
    });

    it('refuses an unknown version and a stale expected version', async () => {
      const v1 = await store.create(technical(), alice);
      await expect(store.revert(v1.slug, 7, { expectedVersion: 1 }, alice)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'toVersion' })] });
      await expect(store.revert(v1.slug, 1, { expectedVersion: 2 }, alice)).rejects.toBeInstanceOf(VersionConflictError);
    });
  });

  describe('access property', () => {
    it('never returns a private persona to anyone but its owner or an admin (get and list)', async () => {
      const owners = ['o1', 'o2', 'o3'];
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ owner: fc.constantFrom(...owners), isPublic: fc.boolean() }), { minLength: 1, maxLength: 6 }),
          fc.record({ id: fc.constantFrom(...owners, 'stranger'), roles: fc.constantFrom<string[]>([], ['admin'], ['viewer']) }),
          async (specs, actor) => {
            await ctx.ds.query('DELETE FROM "persona_revisions"');
            await ctx.ds.query('DELETE FROM "persona_metrics"');
            await ctx.ds.query('DELETE FROM "personas"');
            const made = [];
            for (const [i, spec] of specs.entries()) {
              made.push(await store.create({ name: `P${i}`, slug: `p${i}`, isPublic: spec.isPublic }, { id: spec.owner }));
            }
            const mayRead = (p: PersonaConfiguration) => p.isPublic || p.createdBy === actor.id || actor.roles.includes('admin');
            const listed = await store.list({ limit: 500 }, actor);
            expect(listed.items.map((p) => p.slug).sort()).toEqual(made.filter(mayRead).map((p) => p.slug).sort());
            expect(listed.total).toBe(made.filter(mayRead).length);
            for (const p of made) {
              const got = await store.get(p.slug, actor).then(() => true, (e) => (e instanceof PersonaNotFoundError ? false : Promise.reject(e)));
              expect(got).toBe(mayRead(p));
            }
          },
        ),
        { numRuns: 25 },
      );
    });
  });
});
