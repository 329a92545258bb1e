import { MAX_CONTEXT_LENGTH, MAX_TOKEN_BUDGET, PersonaNotFoundError, PersonaRuntime, PersonaStore, PersonaValidationError, renderSystemPrompt, InheritanceResolver } from '../../src';
import { countQueries, describeEachEngine } from '../support/engines';

const alice = { id: 'alice' };
const bob = { id: 'bob' };

describeEachEngine('PersonaRuntime', (ctx) => {
  let store: PersonaStore;
  let runtime: PersonaRuntime;
  beforeEach(async () => {
    store = new PersonaStore(ctx.ds);
    runtime = new PersonaRuntime(ctx.ds);
    const base = await store.create(
      {
        name: 'Base',
        slug: 'base',
        isPublic: true,
        temperature: 0.2,
        modelPreferences: ['gpt-4o'],
        knowledgeDomains: [{ name: 'k8s', expertiseLevel: 8, topics: ['deployments'], activationKeywords: ['helm'] }],
        behaviorRules: [{ name: 'no-secrets', condition: 'a secret is shared', action: 'refuse to repeat it', isMandatory: true }],
      },
      alice,
    );
    await store.create({ name: 'Child', slug: 'child', parentId: base.id, maxTokens: 500, description: 'A child persona.' }, alice);
  });

  it('resolves a stored persona through its lineage and renders it', async () => {
    const prompt = await runtime.prompt('child', { actor: alice, context: 'helm upgrade failed', tokenBudget: 400 });
    const { persona } = await new InheritanceResolver(ctx.ds).resolve('child', alice);
    // What the renderer gives, and which version was served (the current one: no label).
    expect(prompt).toEqual({ ...renderSystemPrompt(persona, { context: 'helm upgrade failed', tokenBudget: 400 }), version: 1, label: null });
    expect(prompt).toMatchObject({ model: 'gpt-4o', temperature: 0.2, maxTokens: 500, activeDomains: ['k8s'] });
    expect(prompt.text).toContain('# Child');
    expect(prompt.text).toContain('refuse to repeat it');
  });

  it('answers a repeated call from its cache with one query', async () => {
    await runtime.prompt('child', { actor: alice, context: 'hello' });
    const cold = await countQueries(ctx.ds, () => new PersonaRuntime(ctx.ds).prompt('child', { actor: alice, context: 'hello' }));
    const warm = await countQueries(ctx.ds, () => runtime.prompt('child', { actor: alice, context: 'hello' }));
    expect(warm.result).toEqual(cold.result);
    expect(warm.queries.length).toBe(1);
    expect(cold.queries.length).toBeGreaterThan(warm.queries.length);
    // A different context reuses the resolved persona: still one query.
    const other = await countQueries(ctx.ds, () => runtime.prompt('child', { actor: alice, context: 'helm' }));
    expect(other.queries.length).toBe(1);
    expect(other.result.activeDomains).toEqual(['k8s']);
  });

  it('follows a slug given to another persona, a new parent and a deleted persona on the next call', async () => {
    await runtime.prompt('child', { actor: alice });
    // The slug moves: the old holder renames itself, another persona takes the name.
    await store.update('child', { slug: 'old-child' }, { expectedVersion: 1 }, alice);
    await store.create({ name: 'Newcomer', slug: 'child', description: 'A newcomer.' }, alice);
    expect((await runtime.prompt('child', { actor: alice })).text).toContain('# Newcomer');
    expect((await runtime.prompt('old-child', { actor: alice })).text).toContain('# Child');
    // A new parent (the lineage changes shape), then the persona goes away.
    const other = await store.create({ name: 'Other Base', slug: 'other-base', instructions: 'Other base rules.' }, alice);
    await store.update('old-child', { parentId: other.id }, { expectedVersion: 2 }, alice);
    expect((await runtime.prompt('old-child', { actor: alice })).text).toContain('Other base rules.');
    await store.remove('old-child', alice);
    await expect(runtime.prompt('old-child', { actor: alice })).rejects.toBeInstanceOf(PersonaNotFoundError);
  });

  it('sees an update to any ancestor on the next call', async () => {
    const before = await runtime.prompt('child', { actor: alice });
    expect(before.temperature).toBe(0.2);
    await store.update('base', { temperature: 0.9, behaviorRules: [{ name: 'be-brief', condition: 'always', action: 'keep it short' }] }, { expectedVersion: 1 }, alice);
    const after = await runtime.prompt('child', { actor: alice });
    expect(after.temperature).toBe(0.9);
    expect(after.text).toContain('keep it short');
    expect(after.text).not.toContain('refuse to repeat it');
    await store.update('child', { description: 'Changed.' }, { expectedVersion: 1 }, alice);
    expect((await runtime.prompt('child', { actor: alice })).text).toContain('Changed.');
  });

  it('checks access on every call, cached or not', async () => {
    await runtime.prompt('child', { actor: alice });
    await expect(runtime.prompt('child', { actor: bob })).rejects.toBeInstanceOf(PersonaNotFoundError);
    await expect(runtime.prompt('nobody', { actor: alice })).rejects.toBeInstanceOf(PersonaNotFoundError);
  });

  it('refuses a context over MAX_CONTEXT_LENGTH or a budget out of range before reading anything', async () => {
    const refusal = (options: { context?: string; tokenBudget?: number }) =>
      countQueries(ctx.ds, () => runtime.prompt('child', { actor: alice, ...options }).catch((e: unknown) => e));
    const long = await refusal({ context: 'helm '.repeat(MAX_CONTEXT_LENGTH / 5) + 'x' });
    expect(long.result).toBeInstanceOf(PersonaValidationError);
    expect((long.result as PersonaValidationError).issues).toEqual([expect.objectContaining({ path: 'context', constraint: 'maxLength' })]);
    expect(long.queries).toEqual([]);
    const budget = await refusal({ tokenBudget: MAX_TOKEN_BUDGET + 1 });
    expect((budget.result as PersonaValidationError).issues).toEqual([expect.objectContaining({ path: 'tokenBudget', constraint: 'max' })]);
    expect(budget.queries).toEqual([]);
    // The longest context allowed renders.
    const longest = await runtime.prompt('child', { actor: alice, context: 'helm '.repeat(MAX_CONTEXT_LENGTH / 5) });
    expect(longest.activeDomains).toEqual(['k8s']);
  });

  it('returns copies: changing a result does not change the cache', async () => {
    const first = await runtime.prompt('child', { actor: alice });
    first.dropped.push({ kind: 'rule', name: 'x', reason: 'y' });
    first.text = 'tampered';
    const second = await runtime.prompt('child', { actor: alice });
    expect(second.text).not.toBe('tampered');
    expect(second.dropped.some((d) => d.name === 'x')).toBe(false);
  });
});
