import fc from 'fast-check';
import { MetricsService, PersonaMetrics, PersonaNotFoundError, PersonaStore } from '../../src';
import { describeEachEngine } from '../support/engines';

const alice = { id: 'alice' };
const bob = { id: 'bob' };
const admin = { id: 'root', roles: ['admin'] };

/** The counters of a PersonaMetrics that add up across versions. */
function counters(m: PersonaMetrics) {
  return {
    totalInteractions: m.totalInteractions,
    successfulInteractions: m.successfulInteractions,
    totalInputTokens: m.totalInputTokens,
    totalOutputTokens: m.totalOutputTokens,
    totalResponseTimeMs: m.totalResponseTimeMs,
    ratingCount: m.ratingCount,
    ratingSum: m.ratingSum,
  };
}

describeEachEngine('MetricsService totals follow the private-era rule', (ctx) => {
  let store: PersonaStore;
  let metrics: MetricsService;
  beforeEach(() => {
    store = new PersonaStore(ctx.ds);
    metrics = new MetricsService(ctx.ds);
  });

  it('leaves events of versions written while private out of get() and series() for other readers', async () => {
    const p = await store.create({ name: 'Priv', slug: 'priv' }, alice);
    const id = p.id as string;
    for (let i = 0; i < 3; i++) await metrics.recordInteraction(id, { success: false, latencyMs: 777, rating: 1, version: 1 }, alice);
    await store.update('priv', { isPublic: true }, { expectedVersion: 1 }, alice);

    const seenByBob = await metrics.get(id, bob);
    expect([seenByBob.totalInteractions, seenByBob.successRate, seenByBob.averageResponseTimeMs, seenByBob.p95ResponseTimeMs, seenByBob.averageRating]).toEqual([0, null, null, null, null]);
    expect(seenByBob.lastInteractionAt).toBeNull();
    expect((await metrics.series(id, { bucket: 'day' }, bob)).every((b) => b.interactions === 0 && b.p95ResponseTimeMs === null)).toBe(true);
    expect(await metrics.byVersion(id, bob)).toEqual([]);

    for (const reader of [alice, admin, undefined]) {
      const m = await metrics.get(id, reader);
      expect([m.totalInteractions, m.averageResponseTimeMs, m.p95ResponseTimeMs, m.averageRating]).toEqual([3, 777, 777, 1]);
      expect((await metrics.series(id, { bucket: 'day' }, reader)).reduce((n, b) => n + b.interactions, 0)).toBe(3);
    }

    // An event of the public version 2 is counted for bob, with its own latency only.
    await metrics.recordInteraction(id, { success: true, latencyMs: 10 }, alice);
    const after = await metrics.get(id, bob);
    expect([after.totalInteractions, after.successRate, after.p95ResponseTimeMs, after.averageRating]).toEqual([1, 1, 10, null]);
    const day = (await metrics.series(id, { bucket: 'day' }, bob)).filter((b) => b.interactions > 0);
    expect(day.map((b) => [b.interactions, b.p95ResponseTimeMs])).toEqual([[1, 10]]);
  });

  it('property: get() totals and series() equal the sum of the byVersion rows the reader sees', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('edit' as const), isPublic: fc.boolean() }),
      fc.record({ kind: fc.constant('events' as const), pick: fc.nat(), count: fc.integer({ min: 1, max: 3 }), latencyMs: fc.integer({ min: 0, max: 5000 }), success: fc.boolean(), rating: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }) }),
    );
    const runs = ctx.engine === 'postgres' ? 12 : 30;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(step, { minLength: 1, maxLength: 8 }), fc.constantFrom(bob, admin, alice), async (startPublic, steps, reader) => {
        const slug = `e-${n++}`;
        let current = await store.create({ name: 'E', slug, isPublic: startPublic }, alice);
        const id = current.id as string;
        for (const s of steps) {
          const version = current.version as number;
          if (s.kind === 'edit') current = await store.update(slug, { description: `v${version + 1}`, isPublic: s.isPublic }, { expectedVersion: version }, alice);
          else {
            const events = Array.from({ length: s.count }, () => ({ personaId: id, success: s.success, latencyMs: s.latencyMs, rating: s.rating, inputTokens: 2, version: (s.pick % version) + 1 }));
            await metrics.recordInteractions(events, alice);
          }
        }
        if (reader === bob && !current.isPublic) {
          await expect(metrics.get(id, bob)).rejects.toBeInstanceOf(PersonaNotFoundError);
          return;
        }
        const rows = await metrics.byVersion(id, reader);
        const total = await metrics.get(id, reader);
        const summed = rows.reduce(
          (acc, r) => {
            const c = counters(r.metrics);
            for (const k of Object.keys(acc) as (keyof typeof acc)[]) acc[k] += c[k];
            return acc;
          },
          counters(new PersonaMetrics()),
        );
        expect(counters(total)).toEqual(summed);
        const p95s = rows.map((r) => r.metrics.p95ResponseTimeMs).filter((v): v is number => v !== null);
        if (!p95s.length) expect(total.p95ResponseTimeMs).toBeNull();
        else {
          expect(total.p95ResponseTimeMs).toBeGreaterThanOrEqual(Math.min(...p95s));
          expect(total.p95ResponseTimeMs).toBeLessThanOrEqual(Math.max(...p95s));
        }
        const series = await metrics.series(id, { bucket: 'day' }, reader);
        expect(series.reduce((k, b) => k + b.interactions, 0)).toBe(summed.totalInteractions);
      }),
      { numRuns: runs },
    );
  });
});
