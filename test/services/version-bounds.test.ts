import { MAX_VERSION_NUMBER, MetricsService, PersonaStatus, PersonaStore, PersonaValidationError, ReleaseService, TemplateService } from '../../src';
import { describeEachEngine } from '../support/engines';

const alice = { id: 'alice' };
const TOO_BIG = [MAX_VERSION_NUMBER + 1, 4_294_967_297, 999_999_999_999_999, Number.MAX_SAFE_INTEGER];
const cursorOf = (value: unknown[]) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** The PersonaValidationError `work` throws (anything else fails the test), with its issue paths. */
async function refusal(work: () => Promise<unknown>): Promise<string[]> {
  const error = await work().then(
    () => new Error('not refused'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PersonaValidationError);
  return (error as PersonaValidationError).issues.map((i) => i.path);
}

describeEachEngine('Version numbers and list cursors: one answer on both engines', (ctx) => {
  let store: PersonaStore;
  let releases: ReleaseService;
  let metrics: MetricsService;
  let id: string;
  beforeEach(async () => {
    store = new PersonaStore(ctx.ds);
    releases = new ReleaseService(ctx.ds);
    metrics = new MetricsService(ctx.ds);
    id = (await store.create({ name: 'B', slug: 'b', isPublic: true }, alice)).id as string;
    await store.update('b', { description: 'v2' }, { expectedVersion: 1 }, alice);
  });

  it('MAX_VERSION_NUMBER is the largest PostgreSQL integer', () => {
    expect(MAX_VERSION_NUMBER).toBe(2 ** 31 - 1);
  });

  it.each(TOO_BIG)('refuses version %p everywhere a version is taken, naming the field', async (v) => {
    expect(await refusal(() => store.revert('b', v, { expectedVersion: 2 }, alice))).toEqual(['toVersion']);
    expect(await refusal(() => store.revert('b', 1, { expectedVersion: v }, alice))).toEqual(['expectedVersion']);
    expect(await refusal(() => store.update('b', { description: 'x' }, { expectedVersion: v }, alice))).toEqual(['expectedVersion']);
    expect(await refusal(() => store.archive('b', { expectedVersion: v }, alice))).toEqual(['expectedVersion']);
    expect(await refusal(() => store.diff('b', 1, v, alice))).toEqual(['toVersion']);
    expect(await refusal(() => store.diff('b', v, 1, alice))).toEqual(['fromVersion']);
    expect(await refusal(() => releases.setLabel('b', 'prod', { version: v }, alice))).toEqual(['target.version']);
    expect(await refusal(() => releases.setLabel('b', 'prod', { split: [{ version: 1, weight: 1 }, { version: v, weight: 1 }] }, alice))).toEqual(['target.split[1].version']);
    expect(await refusal(() => metrics.series(id, { bucket: 'day', version: v }, alice))).toEqual(['version']);
    expect(await refusal(() => metrics.recordInteraction(id, { success: true, latencyMs: 1, version: v }, alice))).toEqual(['version']);
    expect(await refusal(() => metrics.recordInteractions([{ personaId: id, success: true, latencyMs: 1, version: v }], alice))).toEqual(['[0].version']);
    const templates = new TemplateService(ctx.ds);
    await templates.createTemplate({ name: 'T', slug: 't', category: 'c', baseConfiguration: {} } as never, alice);
    expect(await refusal(() => templates.updateTemplate('t', { name: 'U' }, { expectedVersion: v }, alice))).toEqual(['expectedVersion']);
  });

  it('still answers the largest version number as "no such version", not a storage error', async () => {
    const max = MAX_VERSION_NUMBER;
    expect(await refusal(() => store.revert('b', max, { expectedVersion: 2 }, alice))).toEqual(['toVersion']);
    await expect(store.diff('b', 1, max, alice)).rejects.toMatchObject({ name: 'RevisionNotFoundError' });
    expect((await metrics.series(id, { bucket: 'day', version: max }, alice)).every((b) => b.interactions === 0)).toBe(true);
    expect(await refusal(() => metrics.recordInteraction(id, { success: true, latencyMs: 1, version: max }, alice))).toEqual(['version']);
    await expect(store.update('b', { description: 'x' }, { expectedVersion: max }, alice)).rejects.toMatchObject({ name: 'VersionConflictError' });
  });

  describe('forged list cursors', () => {
    const uuid = '00000000-0000-4000-8000-000000000000';
    it.each([
      ['createdAt', ['createdAt', 'garbage', uuid]],
      ['createdAt', ['createdAt', '2026-02-30T00:00:00.000Z', uuid]],
      ['-updatedAt', ['-updatedAt', '2026-01-01', uuid]],
      ['updatedAt', ['updatedAt', 17, uuid]],
      ['status', ['status', 'zzz', uuid]],
      ['version', ['version', 4_294_967_297, uuid]],
      ['version', ['version', 0, uuid]],
      ['version', ['version', '3', uuid]],
      ['name', ['name', 5, uuid]],
      ['name', ['name', 'x', 'not-a-uuid']],
      ['name', ['slug', 'x', uuid]],
    ])('orderBy %p refuses the cursor %j at path cursor', async (orderBy, value) => {
      expect(await refusal(() => store.list({ orderBy: orderBy as never, cursor: cursorOf(value) }, alice))).toEqual(['cursor']);
    });

    it('refuses a forged template cursor too', async () => {
      const templates = new TemplateService(ctx.ds);
      expect(await refusal(() => templates.listTemplates({ orderBy: 'createdAt', cursor: cursorOf(['createdAt', 'garbage', uuid]) }, alice))).toEqual(['cursor']);
    });

    it.each(['createdAt', '-updatedAt', 'status', '-version', 'name'])('pages through every persona by %p with the cursors it hands out', async (orderBy) => {
      for (let i = 0; i < 5; i++) await store.create({ name: `P${i}`, slug: `p${i}`, status: i % 2 ? PersonaStatus.Active : PersonaStatus.Draft }, alice);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ orderBy: orderBy as never, cursor, limit: 2, withTotal: false }, alice);
        seen.push(...page.items.map((p) => p.id as string));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen.length).toBe(6);
      expect(new Set(seen).size).toBe(6);
    });
  });
});
