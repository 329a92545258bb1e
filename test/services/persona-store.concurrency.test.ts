import { PersonaStore, VersionConflictError } from '../../src';
import { describeEachEngine } from '../support/engines';

describeEachEngine('PersonaStore under contention', (ctx) => {
  it('50 concurrent updates at one expected version: exactly one succeeds, 49 conflict, one new revision', async () => {
    const store = new PersonaStore(ctx.ds);
    const actor = { id: 'alice' };
    const created = await store.create({ name: 'Busy', slug: 'busy' }, actor);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => store.update(created.id as string, { description: `writer ${i}` }, { expectedVersion: 1 }, actor)),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const l of lost) expect(l.reason).toBeInstanceOf(VersionConflictError);
    const history = await store.history('busy', actor);
    expect(history.map((h) => h.version)).toEqual([1, 2]);
    const current = await store.get('busy', actor);
    expect(current.version).toBe(2);
    expect(current.description).toBe((won[0] as PromiseFulfilledResult<{ description: string }>).value.description);
  });

  it('two creates racing for one slug: one wins, the other gets a validation error at slug', async () => {
    const store = new PersonaStore(ctx.ds);
    const outcomes = await Promise.allSettled([
      store.create({ name: 'One', slug: 'same' }, { id: 'a' }),
      store.create({ name: 'Two', slug: 'same' }, { id: 'b' }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const lost = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(lost?.reason).toMatchObject({ code: 'VALIDATION_FAILED', issues: [expect.objectContaining({ path: 'slug', constraint: 'unique' })] });
  });
});
