import fc from 'fast-check';
import { DataSource } from 'typeorm';
import {
  Actor,
  fieldsSet,
  InheritanceCycleError,
  InheritanceDepthError,
  InheritanceResolver,
  PersonaConfiguration,
  PersonaNotFoundError,
  PersonaStore,
  toPlain,
} from '../../src';
import { personaArb } from '../fixtures/arbitraries';
import { countQueries, describeEachEngine } from '../support/engines';

const alice: Actor = { id: 'alice' };
const bob: Actor = { id: 'bob' };

async function chain(store: PersonaStore, depth: number, actor: Actor = alice): Promise<PersonaConfiguration[]> {
  const made: PersonaConfiguration[] = [];
  for (let i = 0; i < depth; i++) {
    made.push(
      await store.create(
        { name: `Level ${i}`, slug: `level-${i}`, parentId: made[i - 1]?.id, traits: [{ name: `t${i}`, category: 'cognitive', value: i }], isPublic: true },
        actor,
      ),
    );
  }
  return made;
}

describeEachEngine('InheritanceResolver', (ctx) => {
  let store: PersonaStore;
  let resolver: InheritanceResolver;
  beforeEach(() => {
    store = new PersonaStore(ctx.ds);
    resolver = new InheritanceResolver(ctx.ds);
  });

  it('merges by the documented rules and records where each field came from', async () => {
    const root = await store.create(
      {
        name: 'Root',
        slug: 'root',
        status: 'active',
        isPublic: true,
        description: 'from root',
        temperature: 0.2,
        maxTokens: 1000,
        traits: [
          { name: 'analytical', category: 'cognitive', value: 90 },
          { name: 'formal', category: 'communication', value: 80 },
        ],
        behaviorRules: [{ name: 'no-secrets', condition: 'secret shared', action: 'refuse', isMandatory: true }],
        responseStyle: { type: 'technical', tone: 'dry', formalityLevel: 9 },
        memoryConfig: { maxContextTokens: 32000, summarizeAtTokens: 30000 },
        voiceConfig: { provider: 'openai', voiceId: 'alloy', speed: 1.2 },
        tags: ['base', 'shared'],
        metadata: { team: { name: 'core', size: 3 }, region: 'eu' },
      },
      alice,
    );
    const child = await store.create(
      {
        name: 'Child',
        slug: 'child',
        parentId: root.id,
        temperature: 0.9,
        traits: [{ name: 'analytical', category: 'cognitive', value: 40 }, { name: 'playful', category: 'personality', value: 70 }],
        responseStyle: { tone: 'warm' },
        memoryConfig: { maxContextTokens: 8192 },
        voiceConfig: { provider: 'elevenlabs', voiceId: 'rachel' },
        tags: ['shared', 'child'],
        metadata: { team: { size: 5 }, inheritance: { remove: { traits: ['formal'], tags: ['base'] } } },
      },
      alice,
    );

    const { persona, lineage, provenance } = await resolver.resolve('child', alice);
    expect(lineage).toEqual([child.id, root.id]);
    // identity is never inherited
    expect(persona).toMatchObject({ id: child.id, name: 'Child', slug: 'child', status: 'draft', isPublic: false, parentId: root.id, version: 1 });
    // scalars: the nearest that set it
    expect(persona.temperature).toBe(0.9);
    expect(persona.description).toBe('from root');
    expect(persona.maxTokens).toBe(1000);
    expect(provenance).toMatchObject({ temperature: child.id, description: root.id, maxTokens: root.id, interactionMode: 'default', name: child.id });
    // lists by name, nearer entry wins whole; removal through metadata.inheritance.remove
    expect(persona.traits.map((t) => [t.name, t.value])).toEqual([['analytical', 40], ['playful', 70]]);
    expect(provenance['traits.analytical']).toBe(child.id);
    expect(provenance['traits.formal']).toBeUndefined();
    expect(persona.behaviorRules.map((r) => r.name)).toEqual(['no-secrets']);
    expect(provenance['behaviorRules.no-secrets']).toBe(root.id);
    // embedded objects field by field; a far threshold that no longer fits falls back to its default
    expect(persona.responseStyle).toMatchObject({ type: 'technical', tone: 'warm', formalityLevel: 9 });
    expect(provenance).toMatchObject({ 'responseStyle.tone': child.id, 'responseStyle.type': root.id });
    expect(persona.memoryConfig).toMatchObject({ maxContextTokens: 8192, summarizeAtTokens: 6144 });
    expect(persona.voiceConfig).toMatchObject({ provider: 'elevenlabs', voiceId: 'rachel', speed: 1.2 });
    // tags are a union, minus removals; metadata merges deeply, the directive itself is dropped
    expect(persona.tags).toEqual(['shared', 'child']);
    expect(persona.metadata).toEqual({ team: { name: 'core', size: 5 }, region: 'eu' });
    expect(provenance['metadata.region']).toBe(root.id);
    // fields set: what anybody in the lineage set
    expect(fieldsSet(persona).has('description')).toBe(true);
    expect(fieldsSet(persona).has('interactionMode')).toBe(false);
  });

  it('returns a persona without a parent unchanged', async () => {
    const [only] = await chain(store, 1);
    const { persona, lineage } = await resolver.resolve(only.id as string, alice);
    expect(lineage).toEqual([only.id]);
    expect(toPlain(persona)).toEqual(toPlain(only));
  });

  it('loads the whole lineage in a fixed number of queries, at depth 2 and at depth 20', async () => {
    const made = await chain(store, 20);
    const at2 = await countQueries(ctx.ds, () => resolver.resolve('level-1', alice));
    const at20 = await countQueries(ctx.ds, () => resolver.resolve('level-19', alice));
    expect(at2.result.lineage).toHaveLength(2);
    expect(at20.result.lineage).toEqual(made.map((p) => p.id).reverse());
    expect(at20.result.persona.traits).toHaveLength(20);
    expect(at2.queries.length).toBe(1);
    expect(at20.queries.length).toBe(1);
  });

  it('caps the depth with its own error', async () => {
    await chain(store, 6);
    await expect(new InheritanceResolver(ctx.ds, { maxDepth: 5 }).resolve('level-5', alice)).rejects.toBeInstanceOf(InheritanceDepthError);
    expect((await new InheritanceResolver(ctx.ds, { maxDepth: 6 }).resolve('level-5', alice)).lineage).toHaveLength(6);
    const shallow = new PersonaStore(ctx.ds, { maxInheritanceDepth: 6 });
    await expect(shallow.create({ name: 'Too deep', slug: 'too-deep', parentId: (await store.get('level-5', alice)).id }, alice)).rejects.toBeInstanceOf(InheritanceDepthError);
  });

  it('throws InheritanceCycleError listing the ids if stored data ever holds a cycle', async () => {
    const [a, b, c] = await chain(store, 3);
    await ctx.ds.query(`UPDATE personas SET "parentId" = '${c.id}' WHERE id = '${a.id}'`);
    const error = await resolver.resolve('level-2', alice).catch((e) => e);
    expect(error).toBeInstanceOf(InheritanceCycleError);
    expect(error.cycle).toEqual([c.id, b.id, a.id, c.id]);
  });

  it('requires every parent to be visible to the actor', async () => {
    const parent = await store.create({ name: 'P', slug: 'p', isPublic: true }, bob);
    await store.create({ name: 'C', slug: 'c', parentId: parent.id }, alice);
    expect((await resolver.resolve('c', alice)).lineage).toHaveLength(2);
    await store.update('p', { isPublic: false }, { expectedVersion: 1 }, bob);
    await expect(resolver.resolve('c', alice)).rejects.toBeInstanceOf(PersonaNotFoundError);
    await expect(resolver.resolve('c', bob)).rejects.toBeInstanceOf(PersonaNotFoundError);
  });

  describe('properties', () => {
    const parentAndChild = fc.tuple(personaArb, personaArb).map(([p, c]) => {
      const { parentId: _p, createdBy: _a, ...parent } = p;
      const { parentId: _q, createdBy: _b, ...child } = c;
      return { parent: { ...parent, slug: `p-${parent.slug}`.slice(0, 64) }, child: { ...child, slug: `c-${child.slug}`.slice(0, 64) } };
    });

    async function reset(ds: DataSource) {
      for (const t of ['persona_revisions', 'persona_metrics', 'persona_traits', 'persona_knowledge_domains', 'persona_behavior_rules', 'personas']) await ds.query(`DELETE FROM "${t}"`);
    }

    it('a child that sets a field wins over its ancestor; resolution is deterministic', async () => {
      await fc.assert(
        fc.asyncProperty(parentAndChild, async ({ parent, child }) => {
          await reset(ctx.ds);
          const p = await store.create(parent as never, alice);
          const c = await store.create({ ...child, parentId: p.id } as never, alice);
          const first = await resolver.resolve(c.id as string, alice);
          const second = await resolver.resolve(c.id as string, alice);
          expect(JSON.stringify(first)).toBe(JSON.stringify(second));
          const resolved = toPlain(first.persona) as Record<string, unknown>;
          const own = toPlain(c) as Record<string, unknown>;
          for (const field of fieldsSet(c)) {
            if (['traits', 'knowledgeDomains', 'behaviorRules', 'tags', 'metadata', 'memoryConfig', 'responseStyle', 'voiceConfig'].includes(field)) continue;
            expect(resolved[field]).toEqual(own[field]);
          }
          for (const entry of c.traits) expect(first.persona.traits.find((t) => t.name === entry.name)?.value).toEqual(entry.value);
          for (const sub of fieldsSet(c.responseStyle)) expect((first.persona.responseStyle as never)[sub]).toEqual((c.responseStyle as never)[sub]);
        }),
        { numRuns: 20 },
      );
    });

    it('a persona with no parent resolves to itself', async () => {
      await fc.assert(
        fc.asyncProperty(personaArb, async (plain) => {
          await reset(ctx.ds);
          const { parentId: _p, createdBy: _c, ...rest } = plain;
          const p = await store.create(rest as never, alice);
          const { persona } = await resolver.resolve(p.slug, alice);
          expect(toPlain(persona)).toEqual(toPlain(p));
          expect(toPlain(persona, { excludeUnset: true })).toEqual(toPlain(p, { excludeUnset: true }));
        }),
        { numRuns: 20 },
      );
    });
  });
});
