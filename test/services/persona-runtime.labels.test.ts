import { LabelNotFoundError, PersonaNotFoundError, PersonaRuntime, PersonaStore, PersonaValidationError, ReleaseService } from '../../src';
import { describeEachEngine } from '../support/engines';

const alice = { id: 'alice' };
const bob = { id: 'bob' };

describeEachEngine('PersonaRuntime serving by label', (ctx) => {
  let store: PersonaStore;
  let releases: ReleaseService;
  let runtime: PersonaRuntime;
  beforeEach(() => {
    store = new PersonaStore(ctx.ds);
    releases = new ReleaseService(ctx.ds);
    runtime = new PersonaRuntime(ctx.ds);
  });

  it('serves the labelled version, sees a label move on the next call, and says what it served', async () => {
    await store.create({ name: 'Bot', slug: 'bot', isPublic: true, instructions: 'Version one speaking.' }, alice);
    await store.update('bot', { instructions: 'Version two speaking.' }, { expectedVersion: 1 }, alice);
    await releases.setLabel('bot', 'production', { version: 1 }, alice);
    const prod = await runtime.prompt('bot', { actor: bob, label: 'production' });
    expect(prod).toMatchObject({ version: 1, label: 'production' });
    expect(prod.text).toContain('Version one speaking.');
    const current = await runtime.prompt('bot', { actor: bob });
    expect(current).toMatchObject({ version: 2, label: null });
    expect(current.text).toContain('Version two speaking.');
    expect((await runtime.prompt('bot', { actor: bob, label: 'latest' })).version).toBe(2);
    await releases.setLabel('bot', 'production', { version: 2 }, alice);
    expect((await runtime.prompt('bot', { actor: bob, label: 'production' })).text).toContain('Version two speaking.');
  });

  it('never falls back: a persona without the label is LABEL_NOT_FOUND; bad labels and subjects are refused', async () => {
    await store.create({ name: 'Bot', slug: 'bot', isPublic: true }, alice);
    const error = await runtime.prompt('bot', { actor: bob, label: 'production' }).catch((e) => e);
    expect(error).toBeInstanceOf(LabelNotFoundError);
    expect(error.code).toBe('LABEL_NOT_FOUND');
    await expect(runtime.prompt('bot', { actor: bob, label: 'Prod!' })).rejects.toBeInstanceOf(PersonaValidationError);
    await expect(runtime.prompt('bot', { actor: bob, label: 'production', subject: 'x'.repeat(256) })).rejects.toBeInstanceOf(PersonaValidationError);
    await expect(runtime.prompt('nobody', { actor: bob, label: 'production' })).rejects.toBeInstanceOf(PersonaNotFoundError);
  });

  it('serves ancestors at their own version of the same label, else their current version', async () => {
    const base = await store.create({ name: 'Base', slug: 'base', isPublic: true, instructions: 'Base v1.' }, alice);
    await store.update('base', { instructions: 'Base v2.' }, { expectedVersion: 1 }, alice);
    const mid = await store.create({ name: 'Mid', slug: 'mid', isPublic: true, parentId: base.id, description: 'Mid v1.' }, alice);
    await store.create({ name: 'Leaf', slug: 'leaf', isPublic: true, parentId: mid.id, tags: ['leaf'] }, alice);
    await releases.setLabel('leaf', 'production', { version: 1 }, alice);
    await releases.setLabel('base', 'production', { version: 1 }, alice);
    const served = await runtime.prompt('leaf', { actor: bob, label: 'production' });
    expect(served.text).toContain('Base v1.');
    expect(served.text).toContain('Mid v1.');
    await store.update('mid', { description: 'Mid v2.' }, { expectedVersion: 1 }, alice);
    expect((await runtime.prompt('leaf', { actor: bob, label: 'production' })).text).toContain('Mid v2.');
  });

  it('gives one subject one version of a split, and follows the split when it changes', async () => {
    await store.create({ name: 'AB', slug: 'ab', isPublic: true, instructions: 'Arm A.' }, alice);
    await store.update('ab', { instructions: 'Arm B.' }, { expectedVersion: 1 }, alice);
    await releases.setLabel('ab', 'experiment', { split: [{ version: 1, weight: 1 }, { version: 2, weight: 1 }] }, alice);
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const subject = `user-${i}`;
      const p = await runtime.prompt('ab', { actor: bob, label: 'experiment', subject });
      expect(p.text).toContain(p.version === 1 ? 'Arm A.' : 'Arm B.');
      seen.set(subject, p.version);
      expect((await runtime.prompt('ab', { actor: bob, label: 'experiment', subject })).version).toBe(p.version);
    }
    expect(new Set(seen.values())).toEqual(new Set([1, 2]));
    await releases.setLabel('ab', 'experiment', { split: [{ version: 2, weight: 1 }] }, alice);
    for (const subject of seen.keys()) expect((await runtime.prompt('ab', { actor: bob, label: 'experiment', subject })).version).toBe(2);
  });

  it('never serves a private-era version to someone who may not see it', async () => {
    await store.create({ name: 'S', slug: 's', instructions: 'draft secret' }, alice);
    await releases.setLabel('s', 'staging', { version: 1 }, alice);
    await store.update('s', { isPublic: true, instructions: 'public text' }, { expectedVersion: 1 }, alice);
    await expect(runtime.prompt('s', { actor: bob, label: 'staging' })).rejects.toBeInstanceOf(LabelNotFoundError);
    expect((await runtime.prompt('s', { actor: alice, label: 'staging' })).text).toContain('draft secret');
  });
});
