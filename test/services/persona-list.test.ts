import fc from 'fast-check';
import { PersonaStore, PersonaValidationError, TemplateService } from '../../src';
import { describeEachEngine } from '../support/engines';

const alice = { id: 'alice' };
const bob = { id: 'bob' };
const admin = { id: 'root', roles: ['admin'] };

describeEachEngine('PersonaStore.list: indexes, tags, search and cursors', (ctx) => {
  let store: PersonaStore;
  beforeEach(async () => {
    store = new PersonaStore(ctx.ds);
    // 30 personas: alice's (every third public), bob's (private); duplicate names to exercise the id tie-breaker.
    const mine = Array.from({ length: 20 }, (_, i) => ({ name: `Persona ${String(i % 7).padStart(2, '0')}`, slug: `a-${i}`, isPublic: i % 3 === 0, tags: i % 2 ? ['odd', `t${i}`] : ['even'] }));
    await store.createMany(mine, alice);
    await store.createMany(Array.from({ length: 10 }, (_, i) => ({ name: `Bob ${i}`, slug: `b-${i}`, tags: ['odd'] })), bob);
  });

  /** Every page of a list by cursor, as ids. */
  async function walk(filter: Record<string, unknown>, actor: { id: string; roles?: string[] }): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await store.list({ ...filter, cursor, limit: 4, withTotal: false }, actor);
      expect(page.total).toBeNull();
      ids.push(...page.items.map((p) => p.id as string));
      if (!page.nextCursor) return ids;
      cursor = page.nextCursor;
    }
    throw new Error('cursor never ended');
  }

  it('walks every page by cursor in exactly the order of one big offset page, for every sort key and direction, with the same visibility', async () => {
    for (const orderBy of ['name', '-name', 'slug', '-slug', 'createdAt', '-updatedAt', 'status', '-version']) {
      for (const actor of [alice, bob, admin]) {
        const all = await store.list({ orderBy: orderBy as never, limit: 500 }, actor);
        expect(await walk({ orderBy }, actor)).toEqual(all.items.map((p) => p.id));
        expect(all.nextCursor).toBeNull();
      }
    }
    expect((await store.list({ limit: 500 }, bob)).total).toBe(10 + 7);
  });

  it('filters by tag through the side table, following updates and removals', async () => {
    expect((await store.list({ tag: 'odd' }, admin)).total).toBe(20);
    expect((await store.list({ tag: 'odd' }, alice)).total).toBe(10);
    await store.update('a-1', { tags: ['renamed'] }, { expectedVersion: 1 }, alice);
    expect((await store.list({ tag: 'odd' }, alice)).total).toBe(9);
    expect((await store.list({ tag: 'renamed' }, alice)).items.map((p) => p.slug)).toEqual(['a-1']);
    await store.remove('a-1', alice);
    expect((await store.list({ tag: 'renamed' }, alice)).total).toBe(0);
    expect(await walk({ tag: 'odd' }, admin)).toHaveLength(19);
  });

  it('searches names and slugs case-insensitively as substrings, short and long, through renames', async () => {
    expect((await store.list({ search: 'PERSONA 0' }, alice)).total).toBe(20);
    expect((await store.list({ search: 'a-1' }, alice)).items.map((p) => p.slug).sort()).toEqual(['a-1', 'a-10', 'a-11', 'a-12', 'a-13', 'a-14', 'a-15', 'a-16', 'a-17', 'a-18', 'a-19']);
    expect((await store.list({ search: 'b-' }, alice)).total).toBe(0);
    expect((await store.list({ search: 'b-' }, bob)).total).toBe(10);
    await store.update('b-3', { name: 'Émile "Quoted" Ünïcode' }, { expectedVersion: 1 }, bob);
    expect((await store.list({ search: 'émile "quoted"' }, bob)).items.map((p) => p.slug)).toEqual(['b-3']);
    expect((await store.list({ search: 'ÜNÏ' }, bob)).items.map((p) => p.slug)).toEqual(['b-3']);
    expect((await store.list({ search: 'Bob 3' }, bob)).total).toBe(0);
    expect(await walk({ search: 'persona' }, admin)).toHaveLength(20);
  });

  it('search agrees with a plain substring test on any text (property)', async () => {
    const personas = (await store.list({ limit: 500 }, admin)).items;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('per', 'SONA 0', 'a-1', '"', 'b-9', '%', '_', '\\')), async (q) => {
        fc.pre(!q.includes('\u0000'));
        const expected = personas.filter((p) => p.name.toLowerCase().includes(q.toLowerCase()) || p.slug.toLowerCase().includes(q.toLowerCase())).map((p) => p.slug).sort();
        const got = (await store.list({ search: q, limit: 500 }, admin)).items.map((p) => p.slug).sort();
        expect(got).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a cursor it did not write, one of another order, and a cursor with an offset', async () => {
    const page = await store.list({ limit: 2 }, alice);
    const bad: [Record<string, unknown>, string][] = [
      [{ cursor: 'garbage' }, 'cursor'],
      [{ cursor: page.nextCursor, orderBy: 'slug' }, 'cursor'],
      [{ cursor: Buffer.from(JSON.stringify(['name', { $gt: '' }, 'x'])).toString('base64url') }, 'cursor'],
      [{ cursor: 'x'.repeat(1001) }, 'cursor'],
      [{ cursor: 42 }, 'cursor'],
      [{ cursor: page.nextCursor, offset: 2 }, 'offset'],
      [{ withTotal: 'no' }, 'withTotal'],
    ];
    for (const [filter, path] of bad) {
      const error = await store.list(filter as never, alice).catch((e) => e);
      expect(error).toBeInstanceOf(PersonaValidationError);
      expect(error.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
  });

  it('a cursor never reveals rows the actor may not read', async () => {
    const adminCursor = (await store.list({ limit: 1, orderBy: 'slug' }, admin)).nextCursor as string;
    const seen = await walk({ orderBy: 'slug', cursor: undefined }, bob);
    const after = await store.list({ orderBy: 'slug', cursor: adminCursor, limit: 500 }, bob);
    expect(after.items.every((p) => p.isPublic || p.createdBy === 'bob')).toBe(true);
    expect(after.items.every((p) => seen.includes(p.id as string))).toBe(true);
  });

  it('listTemplates takes cursors and withTotal too', async () => {
    const templates = new TemplateService(ctx.ds);
    for (let i = 0; i < 5; i++) await templates.createTemplate({ name: `T ${i}`, slug: `t-${i}`, baseConfiguration: {}, customizableFields: [] }, alice);
    const first = await templates.listTemplates({ limit: 2, withTotal: false }, alice);
    expect(first.total).toBeNull();
    const second = await templates.listTemplates({ limit: 2, cursor: first.nextCursor as string }, alice);
    expect([...first.items, ...second.items].map((t) => t.slug)).toEqual(['t-0', 't-1', 't-2', 't-3']);
  });
});
