import { importPersonas, PersonaStore, PersonaValidationError, toPlain } from '../../src';
import { fixture } from '../fixtures';
import { describeEachEngine } from '../support/engines';

const alice = { id: 'alice' };
const input = (name: string, slug: string) => ({ name, slug });

describeEachEngine('PersonaStore: taken slugs renamed on request (imports)', (ctx) => {
  it('refuses a taken slug by default, and suffixes -2, -3, … with renameTakenSlugs', async () => {
    const store = new PersonaStore(ctx.ds);
    await store.create(input('Ai', 'ai'), alice);
    await expect(store.create(input('Ai again', 'ai'), alice)).rejects.toBeInstanceOf(PersonaValidationError);
    const second = await store.create(input('爱', 'ai'), alice, { renameTakenSlugs: true });
    expect(second.slug).toBe('ai-2');
    const batch = await store.createMany([input('愛', 'ai'), input('Ai three', 'ai'), input('Other', 'other')], alice, { renameTakenSlugs: true });
    expect(batch.map((p) => p.slug)).toEqual(['ai-3', 'ai-4', 'other']);
    expect((await store.get('ai-4', alice)).name).toBe('Ai three');
  });

  it('keeps a suffixed slug within 64 characters', async () => {
    const store = new PersonaStore(ctx.ds);
    const long = 'a'.repeat(30) + '-' + 'b'.repeat(33);
    await store.create(input('Long', long), alice);
    const next = await store.create(input('Long again', long), alice, { renameTakenSlugs: true });
    expect(next.slug).toBe(`${long.slice(0, 62)}-2`);
    expect(next.slug.length).toBeLessThanOrEqual(64);
  });

  it('stores non-Latin imports side by side: one file, two imports of it', async () => {
    const store = new PersonaStore(ctx.ds);
    for (let round = 0; round < 2; round++) {
      const results = await importPersonas(fixture('interop/cards-non-latin') as unknown as object[]);
      await store.createMany(results.map((r) => { const { createdBy: _c, ...plain } = toPlain(r.persona); return plain as never; }), alice, { renameTakenSlugs: true });
    }
    const { items } = await store.list({ limit: 20 } as never, alice);
    const slugs = items.map((p) => p.slug).sort();
    const hashed = slugs.filter((s) => s.startsWith('persona-'));
    expect(slugs.filter((s) => !s.startsWith('persona-'))).toEqual(['ai', 'ai-2', 'xiu-nu-yu-nu-ren-de-shuang-mian-ri-chang', 'xiu-nu-yu-nu-ren-de-shuang-mian-ri-chang-2', 'yozhik', 'yozhik-2']);
    expect(hashed).toEqual([expect.stringMatching(/^persona-[0-9a-f]{8}$/), `${hashed[0]}-2`]);
  });
});
