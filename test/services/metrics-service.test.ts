import fc from 'fast-check';
import { MetricsService, PersonaNotFoundError, PersonaStore, PersonaValidationError, toPlain } from '../../src';
import { createDataSource } from '../../src';
import { describeEachEngine, PG_URL } from '../support/engines';

const actor = { id: 'alice' };
const eventArb = fc.record(
  {
    success: fc.boolean(),
    latencyMs: fc.integer({ min: 0, max: 60_000 }),
    inputTokens: fc.integer({ min: 0, max: 100_000 }),
    outputTokens: fc.integer({ min: 0, max: 100_000 }),
    rating: fc.integer({ min: 1, max: 5 }),
    at: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }),
  },
  { requiredKeys: ['success', 'latencyMs'] },
);

describeEachEngine('MetricsService', (ctx) => {
  let metrics: MetricsService;
  let personaId: string;
  beforeEach(async () => {
    metrics = new MetricsService(ctx.ds);
    personaId = (await new PersonaStore(ctx.ds).create({ name: 'Measured', slug: 'measured' }, actor)).id as string;
  });

  it('starts at zero with null derived figures', async () => {
    const m = await metrics.get(personaId);
    expect(toPlain(m)).toMatchObject({
      personaId,
      totalInteractions: 0,
      successRate: null,
      averageResponseTimeMs: null,
      averageTokensPerInteraction: null,
      averageRating: null,
      p95ResponseTimeMs: null,
    });
  });

  it('records interactions and derives success rate, averages and p95', async () => {
    for (let i = 1; i <= 20; i++) {
      await metrics.recordInteraction(personaId, {
        success: i % 4 !== 0,
        latencyMs: i * 10,
        inputTokens: 100,
        outputTokens: 50,
        rating: i <= 4 ? i : undefined,
        at: new Date(Date.UTC(2026, 0, i)),
      });
    }
    const m = await metrics.get(personaId);
    expect(m).toMatchObject({ totalInteractions: 20, successfulInteractions: 15, failedInteractions: 5, totalInputTokens: 2000, totalOutputTokens: 1000, totalResponseTimeMs: 2100, ratingCount: 4, ratingSum: 10 });
    expect(m.successRate).toBe(0.75);
    expect(m.averageResponseTimeMs).toBe(105);
    expect(m.averageTokensPerInteraction).toBe(150);
    expect(m.averageRating).toBe(2.5);
    expect(m.p95ResponseTimeMs).toBe(190); // nearest rank: the 19th of 20
    expect(m.lastInteractionAt?.toISOString()).toBe('2026-01-20T00:00:00.000Z');
  });

  it('keeps the latest time when events arrive out of order', async () => {
    await metrics.recordInteraction(personaId, { success: true, latencyMs: 1, at: '2026-05-01T10:00:00.000Z' });
    await metrics.recordInteraction(personaId, { success: true, latencyMs: 1, at: '2026-03-01T10:00:00.000Z' });
    expect((await metrics.get(personaId)).lastInteractionAt?.toISOString()).toBe('2026-05-01T10:00:00.000Z');
  });

  it('refuses bad events and unknown personas, recording nothing', async () => {
    const bad: [unknown, string][] = [
      [{ success: true, latencyMs: -1 }, 'latencyMs'],
      [{ success: 'yes', latencyMs: 1 }, 'success'],
      [{ success: true, latencyMs: 1, rating: 6 }, 'rating'],
      [{ success: true, latencyMs: 1, rating: 0 }, 'rating'],
      [{ success: true, latencyMs: 1, inputTokens: -5 }, 'inputTokens'],
      [{ success: true, latencyMs: 1, outputTokens: 1.5 }, 'outputTokens'],
      [{ success: true, latencyMs: 1, at: 'tomorrow' }, 'at'],
      [{ success: true, latencyMs: 1, mood: 'happy' }, 'mood'],
    ];
    for (const [event, path] of bad) {
      const error = await metrics.recordInteraction(personaId, event as never).catch((e) => e);
      expect(error).toBeInstanceOf(PersonaValidationError);
      expect(error.issues).toContainEqual(expect.objectContaining({ path }));
    }
    await expect(metrics.recordInteraction('3f0c6c1e-5a43-4c5e-9f2e-1d2b3c4d5e6f', { success: true, latencyMs: 1 })).rejects.toBeInstanceOf(PersonaNotFoundError);
    await expect(metrics.get('not-an-id')).rejects.toBeInstanceOf(PersonaNotFoundError);
    expect((await metrics.get(personaId)).totalInteractions).toBe(0);
    expect(Number((await ctx.ds.query('SELECT COUNT(*) AS n FROM persona_interactions'))[0].n)).toBe(0);
  });

  it('recompute always agrees with the incremental figures (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { maxLength: 25 }), async (events) => {
        await ctx.ds.query('DELETE FROM persona_interactions');
        await ctx.ds.query(`UPDATE persona_metrics SET "totalInteractions" = 0, "successfulInteractions" = 0, "failedInteractions" = 0, "totalInputTokens" = 0, "totalOutputTokens" = 0, "totalResponseTimeMs" = 0, "ratingCount" = 0, "ratingSum" = 0, "lastInteractionAt" = NULL`);
        for (const e of events) await metrics.recordInteraction(personaId, e);
        const incremental = toPlain(await metrics.get(personaId));
        const rebuilt = toPlain(await metrics.recompute(personaId));
        expect(rebuilt).toEqual(incremental);
        expect(incremental.totalInteractions).toBe(events.length);
      }),
      { numRuns: 15 },
    );
  });

  it('recompute repairs counters that drifted from the log', async () => {
    await metrics.recordInteraction(personaId, { success: true, latencyMs: 40, rating: 5 });
    await ctx.ds.query(`UPDATE persona_metrics SET "totalInteractions" = 99`);
    const repaired = await metrics.recompute(personaId);
    expect(repaired).toMatchObject({ totalInteractions: 1, successfulInteractions: 1, ratingSum: 5, p95ResponseTimeMs: 40 });
  });
});

(PG_URL ? describe : describe.skip)('MetricsService contention on PostgreSQL', () => {
  it('10 connections x 100 events at once: the totals are exact', async () => {
    const { openDataSource, closeDataSource } = await import('../support/engines');
    const seed = await openDataSource('postgres', { poolSize: 10 });
    try {
      const personaId = (await new PersonaStore(seed).create({ name: 'Hot', slug: 'hot' }, actor)).id as string;
      const url = (seed.options as { url: string }).url;
      const sources = await Promise.all(Array.from({ length: 10 }, () => createDataSource({ url, poolSize: 1, installExtensions: false }).initialize()));
      try {
        await Promise.all(
          sources.map((ds, c) =>
            Promise.all(Array.from({ length: 100 }, (_, i) => new MetricsService(ds).recordInteraction(personaId, { success: i % 2 === 0, latencyMs: c, inputTokens: 1, outputTokens: 2, rating: 1 + (i % 5) }))),
          ),
        );
      } finally {
        await Promise.all(sources.map((ds) => ds.destroy()));
      }
      const m = await new MetricsService(seed).get(personaId);
      expect(m).toMatchObject({ totalInteractions: 1000, successfulInteractions: 500, failedInteractions: 500, totalInputTokens: 1000, totalOutputTokens: 2000, totalResponseTimeMs: 4500, ratingCount: 1000, ratingSum: 3000 });
      expect(toPlain(await new MetricsService(seed).recompute(personaId))).toEqual(toPlain(m));
    } finally {
      await closeDataSource(seed);
    }
  });
});
