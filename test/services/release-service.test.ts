import fc from 'fast-check';
import {
  AccessDeniedError,
  Actor,
  LabelNotFoundError,
  PersonaNotFoundError,
  PersonaStore,
  PersonaValidationError,
  pickSplitMember,
  PromotionBlockedError,
  ReleaseService,
  RevisionNotFoundError,
} from '../../src';
import { describeEachEngine } from '../support/engines';

const alice: Actor = { id: 'alice' };
const bob: Actor = { id: 'bob' };
const releaser: Actor = { id: 'ci-bot', roles: ['release-manager'] };
const admin: Actor = { id: 'root', roles: ['admin'] };

describeEachEngine('ReleaseService', (ctx) => {
  let store: PersonaStore;
  let releases: ReleaseService;
  beforeEach(() => {
    store = new PersonaStore(ctx.ds);
    releases = new ReleaseService(ctx.ds);
  });

  /** A public persona at version 3: v1 "one", v2 "two", v3 "three". */
  async function threeVersions(slug = 'p', isPublic = true) {
    await store.create({ name: 'P', slug, isPublic, instructions: 'one' }, alice);
    await store.update(slug, { instructions: 'two' }, { expectedVersion: 1, message: 'second draft' }, alice);
    return store.update(slug, { instructions: 'three' }, { expectedVersion: 2 }, alice);
  }

  describe('labels', () => {
    it('points a label at a version, lists it, and shows it in history; latest is never listed', async () => {
      await threeVersions();
      const set = await releases.setLabel('p', 'production', { version: 2 }, alice);
      expect(set).toMatchObject({ label: 'production', version: 2, split: null, movedBy: 'alice' });
      expect(set.movedAt).toBeInstanceOf(Date);
      await releases.setLabel('p', 'canary', { split: [{ version: 2, weight: 9 }, { version: 3, weight: 1 }] }, alice);
      expect((await releases.labels('p', bob)).map((l) => [l.label, l.version, l.split])).toEqual([
        ['canary', null, [{ version: 2, weight: 9 }, { version: 3, weight: 1 }]],
        ['production', 2, null],
      ]);
      const history = await store.history('p', bob);
      expect(history.map((h) => [h.version, h.labels, h.message])).toEqual([
        [1, [], null],
        [2, ['canary', 'production'], 'second draft'],
        [3, ['canary'], null],
      ]);
    });

    it('refuses bad names, latest, bad targets and missing versions, changing nothing', async () => {
      await threeVersions();
      const bad: [string, unknown, string][] = [
        ['Production', { version: 1 }, 'label'],
        ['latest', { version: 1 }, 'label'],
        ['x'.repeat(51), { version: 1 }, 'label'],
        ['prod', { version: 0 }, 'target.version'],
        ['prod', { version: 1e21 }, 'target.version'],
        ['prod', { split: [] }, 'target.split'],
        ['prod', { split: [{ version: 1, weight: 0 }] }, 'target.split[0].weight'],
        ['prod', { split: [{ version: 1, weight: 1.5 }] }, 'target.split[0].weight'],
        ['prod', { split: [{ version: 1, weight: 1 }, { version: 1, weight: 2 }] }, 'target.split[1].version'],
        ['prod', { version: 1, split: [] }, 'target'],
        ['prod', null, 'target'],
      ];
      for (const [label, target, path] of bad) {
        const error = await releases.setLabel('p', label, target as never, alice).catch((e) => e);
        expect(error).toBeInstanceOf(PersonaValidationError);
        expect(error.issues.map((i: { path: string }) => i.path)).toContain(path);
      }
      await expect(releases.setLabel('p', 'prod', { version: 4 }, alice)).rejects.toBeInstanceOf(RevisionNotFoundError);
      await expect(releases.setLabel('p', 'prod', { split: [{ version: 1, weight: 1 }, { version: 9, weight: 1 }] }, alice)).rejects.toBeInstanceOf(RevisionNotFoundError);
      expect(await releases.labels('p', alice)).toEqual([]);
      expect(await releases.labelHistory('p', alice)).toEqual([]);
    });

    it('audits every move, oldest first, including removals', async () => {
      await threeVersions();
      await releases.setLabel('p', 'production', { version: 1 }, alice);
      await releases.setLabel('p', 'production', { version: 3 }, admin);
      await releases.removeLabel('p', 'production', alice);
      await expect(releases.removeLabel('p', 'production', alice)).rejects.toBeInstanceOf(LabelNotFoundError);
      expect((await releases.labelHistory('p', bob)).map((m) => [m.label, m.from, m.to, m.movedBy])).toEqual([
        ['production', null, { version: 1 }, 'alice'],
        ['production', { version: 1 }, { version: 3 }, 'root'],
        ['production', { version: 3 }, null, 'alice'],
      ]);
    });

    it('lets only writers move a label without a role policy; readers get AccessDeniedError, strangers not found', async () => {
      await threeVersions('pub');
      await threeVersions('priv', false);
      await expect(releases.setLabel('pub', 'production', { version: 1 }, bob)).rejects.toBeInstanceOf(AccessDeniedError);
      await expect(releases.setLabel('priv', 'production', { version: 1 }, bob)).rejects.toBeInstanceOf(PersonaNotFoundError);
      await expect(releases.labels('priv', bob)).rejects.toBeInstanceOf(PersonaNotFoundError);
      await releases.setLabel('pub', 'production', { version: 1 }, admin);
      await expect(releases.removeLabel('pub', 'production', bob)).rejects.toBeInstanceOf(AccessDeniedError);
    });

    it('with a policy naming roles, exactly the role holders and admins move the label, owner or not', async () => {
      await threeVersions();
      await expect(releases.setPolicy('p', 'production', { roles: ['release-manager'] }, alice)).rejects.toBeInstanceOf(AccessDeniedError);
      await releases.setPolicy('p', 'production', { roles: ['release-manager'] }, admin);
      await expect(releases.setLabel('p', 'production', { version: 2 }, alice)).rejects.toBeInstanceOf(AccessDeniedError);
      expect((await releases.setLabel('p', 'production', { version: 2 }, releaser)).movedBy).toBe('ci-bot');
      expect((await releases.setLabel('p', 'production', { version: 3 }, admin)).version).toBe(3);
      // Other labels keep the default rule.
      await releases.setLabel('p', 'staging', { version: 3 }, alice);
      await expect(releases.setLabel('p', 'staging', { version: 1 }, releaser)).rejects.toBeInstanceOf(AccessDeniedError);
      // Only an admin replaces or removes a policy naming roles.
      await expect(releases.setPolicy('p', 'production', { checks: [] }, alice)).rejects.toBeInstanceOf(AccessDeniedError);
      await expect(releases.removePolicy('p', 'production', alice)).rejects.toBeInstanceOf(AccessDeniedError);
      await releases.removePolicy('p', 'production', admin);
      await releases.setLabel('p', 'production', { version: 1 }, alice);
      // A role holder who cannot read a private persona cannot move its labels.
      await threeVersions('hidden', false);
      await releases.setPolicy('hidden', 'production', { roles: ['release-manager'] }, admin);
      await expect(releases.setLabel('hidden', 'production', { version: 1 }, releaser)).rejects.toBeInstanceOf(PersonaNotFoundError);
    });

    it('the owner sets a policy without roles; its checks gate every move', async () => {
      await store.create(
        {
          name: 'Gated',
          slug: 'g',
          isPublic: true,
          instructions: 'Always greet by name.',
          knowledgeDomains: [{ name: 'billing', expertiseLevel: 5, topics: ['invoices'], activationKeywords: ['refund'] }],
        },
        alice,
      );
      await store.update('g', { instructions: 'Be terse.' }, { expectedVersion: 1 }, alice);
      await expect(releases.setPolicy('g', 'production', { checks: [] }, bob)).rejects.toBeInstanceOf(AccessDeniedError);
      await releases.setPolicy('g', 'production', { checks: [{ mustInclude: ['greet by name'] }, { context: 'I want a refund', mustActivate: ['billing'], maxPromptTokens: 10_000 }] }, alice);
      expect(await releases.policy('g', 'production', bob)).toMatchObject({ roles: [], checks: [expect.anything(), expect.anything()] });
      await releases.setLabel('g', 'production', { version: 1 }, alice);
      const blocked = await releases.setLabel('g', 'production', { split: [{ version: 1, weight: 1 }, { version: 2, weight: 1 }] }, alice).catch((e) => e);
      expect(blocked).toBeInstanceOf(PromotionBlockedError);
      expect(blocked.code).toBe('PROMOTION_BLOCKED');
      expect(blocked.failures).toEqual([{ check: 0, version: 2, reason: expect.stringContaining('greet by name') }]);
      expect((await releases.labels('g', alice))[0]).toMatchObject({ version: 1 });
      expect(await releases.labelHistory('g', alice)).toHaveLength(1);
      // A budget too small for the mandatory parts is a failure, not an exception.
      await releases.setPolicy('g', 'production', { checks: [{ tokenBudget: 1 }, { maxPromptTokens: 1 }] }, alice);
      const tight = await releases.setLabel('g', 'production', { version: 1 }, alice).catch((e) => e);
      expect(tight.failures.map((f: { check: number }) => f.check)).toEqual([0, 1]);
      await expect(releases.setPolicy('g', 'production', { checks: [{ context: 'x'.repeat(32_001) }] }, alice)).rejects.toMatchObject({
        issues: [expect.objectContaining({ path: 'checks[0].context' })],
      });
    });

    it('concurrent moves of one label: the last writer wins and every move is in the history', async () => {
      await threeVersions();
      await Promise.all([1, 2, 3, 1, 2, 3].map((v) => releases.setLabel('p', 'production', { version: v }, alice)));
      const moves = await releases.labelHistory('p', alice);
      expect(moves).toHaveLength(6);
      for (let i = 1; i < moves.length; i++) expect(moves[i].from).toEqual(moves[i - 1].to);
      expect((await releases.labels('p', alice))[0].version).toEqual((moves[5].to as { version: number }).version);
    });
  });

  describe('private eras', () => {
    it('keeps private-era versions from others in history, diff, labels and label history, until a label publishes one', async () => {
      await store.create({ name: 'S', slug: 's', instructions: 'secret plan' }, alice);
      await releases.setLabel('s', 'staging', { version: 1 }, alice);
      await store.update('s', { isPublic: true, instructions: 'public plan' }, { expectedVersion: 1 }, alice);
      expect((await store.history('s', bob)).map((h) => h.version)).toEqual([2]);
      await expect(store.diff('s', 1, 2, bob)).rejects.toBeInstanceOf(RevisionNotFoundError);
      expect(await releases.labels('s', bob)).toEqual([]);
      expect(await releases.labelHistory('s', bob)).toEqual([]);
      await expect(releases.setLabel('s', 'x', { version: 1 }, { id: 'carol', roles: [] })).rejects.toBeInstanceOf(AccessDeniedError);
      // The owner publishes version 1 by pointing a label at it while the persona is public.
      await releases.setLabel('s', 'production', { version: 1 }, alice);
      expect((await store.history('s', bob)).map((h) => h.version)).toEqual([1, 2]);
      expect((await store.diff('s', 1, 2, bob)).changes).toEqual([{ path: 'instructions', kind: 'changed', before: 'secret plan', after: 'public plan' }, expect.objectContaining({ path: 'isPublic' })]);
      expect((await releases.labels('s', bob)).map((l) => l.label)).toEqual(['production', 'staging']);
    });

    it('a role holder cannot point a label at a version they may not see', async () => {
      await store.create({ name: 'S', slug: 's', instructions: 'draft' }, alice);
      await store.update('s', { isPublic: true }, { expectedVersion: 1 }, alice);
      await releases.setPolicy('s', 'production', { roles: ['release-manager'] }, admin);
      await expect(releases.setLabel('s', 'production', { version: 1 }, releaser)).rejects.toBeInstanceOf(RevisionNotFoundError);
      expect((await releases.setLabel('s', 'production', { version: 2 }, releaser)).version).toBe(2);
    });
  });

  describe('diff', () => {
    it('keys named entries by name, in a deterministic order, either direction', async () => {
      await store.create(
        {
          name: 'D',
          slug: 'd',
          tags: ['a'],
          traits: [
            { name: 'patient', category: 'personality', value: 50 },
            { name: 'a.b', category: 'personality', value: 1 },
          ],
          responseStyle: { tone: 'warm' },
        },
        alice,
      );
      await store.update(
        'd',
        {
          tags: ['a', 'b'],
          traits: [
            { name: 'patient', category: 'personality', value: 80 },
            { name: 'witty', category: 'communication', value: true },
            { name: 'a.b', category: 'personality', value: 2 },
          ],
          responseStyle: { tone: 'dry' },
        },
        { expectedVersion: 1 },
        alice,
      );
      const forward = await store.diff('d', 1, 2, alice);
      expect(forward).toMatchObject({ from: 1, to: 2 });
      expect(forward.changes).toEqual([
        { path: 'responseStyle.tone', kind: 'changed', before: 'warm', after: 'dry' },
        { path: 'tags', kind: 'changed', before: ['a'], after: ['a', 'b'] },
        { path: 'traits.patient.value', kind: 'changed', before: 50, after: 80 },
        { path: 'traits.witty', kind: 'added', after: expect.objectContaining({ name: 'witty', value: true }) },
        { path: 'traits["a.b"].value', kind: 'changed', before: 1, after: 2 },
      ]);
      const backward = await store.diff('d', 2, 1, alice);
      expect(backward.changes.map((c) => [c.path, c.kind])).toEqual(forward.changes.map((c) => [c.path, c.kind === 'added' ? 'removed' : c.kind]));
      expect((await store.diff('d', 2, 2, alice)).changes).toEqual([]);
      await expect(store.diff('d', 1, 3, alice)).rejects.toBeInstanceOf(RevisionNotFoundError);
      await expect(store.diff('d', 0, 1, alice)).rejects.toBeInstanceOf(PersonaValidationError);
    });

    it('keeps change messages of at most 500 characters, and refuses longer ones changing nothing', async () => {
      await store.create({ name: 'M', slug: 'm' }, alice);
      await expect(store.update('m', { description: 'x' }, { expectedVersion: 1, message: 'm'.repeat(501) }, alice)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'message' })] });
      await store.update('m', { description: 'x' }, { expectedVersion: 1, message: '' }, alice);
      await store.revert('m', 1, { expectedVersion: 2, message: 'back to the start' }, alice);
      expect((await store.history('m', alice)).map((h) => h.message)).toEqual([null, null, 'back to the start']);
    });
  });
});

describe('pickSplitMember', () => {
  const split = [
    { version: 1, weight: 70 },
    { version: 2, weight: 20 },
    { version: 3, weight: 10 },
  ];

  it('gives one subject one version while the split is unchanged (property)', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.string(), fc.string({ maxLength: 40 }), (id, label, subject) => {
        expect(pickSplitMember(id, label, subject, split)).toBe(pickSplitMember(id, label, subject, split));
      }),
    );
  });

  it('follows the weights within a few percent over many subjects (property)', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 4 }), (id, weights) => {
        const members = weights.map((weight, i) => ({ version: i + 1, weight }));
        const total = weights.reduce((a, b) => a + b, 0);
        const counts = new Map<number, number>();
        const n = 6000;
        for (let i = 0; i < n; i++) {
          const v = pickSplitMember(id, 'production', `user-${i}`, members);
          counts.set(v, (counts.get(v) ?? 0) + 1);
        }
        for (const m of members) expect(Math.abs((counts.get(m.version) ?? 0) / n - m.weight / total)).toBeLessThan(0.03);
      }),
      { numRuns: 20 },
    );
  });
});
