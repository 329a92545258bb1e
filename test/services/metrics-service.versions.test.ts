import { MetricsService, PersonaNotFoundError, PersonaStore, PersonaValidationError, ReleaseService } from '../../src';
import { describeEachEngine } from '../support/engines';

const alice = { id: 'alice' };
const bob = { id: 'bob' };

describeEachEngine('MetricsService per version and over time', (ctx) => {
  let store: PersonaStore;
  let metrics: MetricsService;
  beforeEach(() => {
    store = new PersonaStore(ctx.ds);
    metrics = new MetricsService(ctx.ds);
  });

  async function twoVersions(isPublic = true) {
    const p = await store.create({ name: 'M', slug: 'm', isPublic }, alice);
    await store.update('m', { description: 'v2' }, { expectedVersion: 1 }, alice);
    return p.id as string;
  }

  it('records the current version by default, or the one given; a version that does not exist is refused', async () => {
    const id = await twoVersions();
    await metrics.recordInteraction(id, { success: true, latencyMs: 100 }, alice);
    await metrics.recordInteraction(id, { success: false, latencyMs: 300, version: 1, rating: 2 }, alice);
    await metrics.recordInteraction(id, { success: true, latencyMs: 200, version: 1, rating: 4 }, alice);
    for (const version of [3, 0, 1.5, '1']) {
      const error = await metrics.recordInteraction(id, { success: true, latencyMs: 1, version } as never, alice).catch((e) => e);
      expect(error).toBeInstanceOf(PersonaValidationError);
      expect(error.issues[0].path).toBe('version');
    }
    const byVersion = await metrics.byVersion(id, alice);
    expect(byVersion.map((v) => [v.version, v.metrics.totalInteractions, v.metrics.successRate, v.metrics.averageRating, v.metrics.p95ResponseTimeMs])).toEqual([
      [1, 2, 0.5, 3, 300],
      [2, 1, 1, null, 100],
    ]);
    expect((await metrics.get(id, alice)).totalInteractions).toBe(3);
  });

  it('hides private-era versions from other readers, and follows read access', async () => {
    const p = await store.create({ name: 'M', slug: 'm' }, alice);
    const id = p.id as string;
    await metrics.recordInteraction(id, { success: true, latencyMs: 5 }, alice);
    await expect(metrics.byVersion(id, bob)).rejects.toBeInstanceOf(PersonaNotFoundError);
    await store.update('m', { isPublic: true }, { expectedVersion: 1 }, alice);
    await metrics.recordInteraction(id, { success: true, latencyMs: 7 }, alice);
    expect((await metrics.byVersion(id, bob)).map((v) => v.version)).toEqual([2]);
    expect((await metrics.byVersion(id, alice)).map((v) => v.version)).toEqual([1, 2]);
    expect((await metrics.series(id, { bucket: 'day', version: 1 }, bob)).every((b) => b.interactions === 0)).toBe(true);
    await new ReleaseService(ctx.ds).setLabel('m', 'production', { version: 1 }, alice);
    expect((await metrics.byVersion(id, bob)).map((v) => v.version)).toEqual([1, 2]);
  });

  it('gives every bucket from `from` to `to`, empty ones as zeros and nulls, with p95 per bucket', async () => {
    const id = await twoVersions();
    const base = Date.UTC(2026, 10, 20, 10, 0, 0);
    const at = (hours: number, minutes = 0) => new Date(base + hours * 3_600_000 + minutes * 60_000).toISOString();
    const events = [
      { at: at(0, 5), latencyMs: 100, success: true, rating: 5 },
      { at: at(0, 30), latencyMs: 300, success: false },
      { at: at(2, 59), latencyMs: 50, success: true, version: 1 },
    ];
    for (const e of events) await metrics.recordInteraction(id, e, alice);
    const hourly = await metrics.series(id, { bucket: 'hour', from: at(0), to: at(4) }, alice);
    expect(hourly).toEqual([
      { at: '2026-11-20T10:00:00.000Z', interactions: 2, successRate: 0.5, averageResponseTimeMs: 200, p95ResponseTimeMs: 300, averageRating: 5 },
      { at: '2026-11-20T11:00:00.000Z', interactions: 0, successRate: null, averageResponseTimeMs: null, p95ResponseTimeMs: null, averageRating: null },
      { at: '2026-11-20T12:00:00.000Z', interactions: 1, successRate: 1, averageResponseTimeMs: 50, p95ResponseTimeMs: 50, averageRating: null },
      { at: '2026-11-20T13:00:00.000Z', interactions: 0, successRate: null, averageResponseTimeMs: null, p95ResponseTimeMs: null, averageRating: null },
    ]);
    const v1 = await metrics.series(id, { bucket: 'hour', from: at(0), to: at(4), version: 1 }, alice);
    expect(v1.map((b) => b.interactions)).toEqual([0, 0, 1, 0]);
    const daily = await metrics.series(id, { bucket: 'day', from: '2026-11-19T12:00:00+02:00', to: '2026-11-21T00:00:00Z' }, alice);
    expect(daily.map((b) => [b.at, b.interactions])).toEqual([
      ['2026-11-19T00:00:00.000Z', 0],
      ['2026-11-20T00:00:00.000Z', 3],
    ]);
    const defaults = await metrics.series(id, { bucket: 'day' }, alice);
    expect(defaults.length).toBeGreaterThanOrEqual(30);
    expect(defaults.length).toBeLessThanOrEqual(31);
  });

  it('refuses bad series options with the field named, and more than 1,000 buckets', async () => {
    const id = await twoVersions();
    const bad: [Record<string, unknown>, string][] = [
      [{ bucket: 'week' }, 'bucket'],
      [{ bucket: 'hour', from: '2026-01-01' }, 'from'],
      [{ bucket: 'hour', to: 'soon' }, 'to'],
      [{ bucket: 'hour', from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'from'],
      [{ bucket: 'hour', from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }, 'from'],
      [{ bucket: 'day', version: 0 }, 'version'],
      [{ bucket: 'day', extra: 1 }, 'extra'],
    ];
    for (const [options, path] of bad) {
      const error = await metrics.series(id, options as never, alice).catch((e) => e);
      expect(error).toBeInstanceOf(PersonaValidationError);
      expect(error.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    expect(await metrics.series(id, { bucket: 'hour', from: '2026-01-01T00:00:00Z', to: '2026-02-11T16:00:00Z' }, alice)).toHaveLength(1000);
  });
});
