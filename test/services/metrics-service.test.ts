import { randomUUID } from 'crypto';
import fc from 'fast-check';
import { AccessDeniedError, MetricsService, PersonaNotFoundError, PersonaStore, PersonaValidationError, toPlain } from '../../src';
import { createDataSource } from '../../src';
import { describeEachEngine, PG_URL } from '../support/engines';
import { clearMetrics, seedTotal } from '../support/metrics-rows';

const actor = { id: 'alice' };
const eventArb = fc.record(
  {
    success: fc.boolean(),
    latencyMs: fc.integer({ min: 0, max: 60_000 }),
    inputTokens: fc.integer({ min: 0, max: 100_000 }),
    outputTokens: fc.integer({ min: 0, max: 100_000 }),
    rating: fc.integer({ min: 1, max: 5 }),
    at: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date(), noInvalidDate: true }),
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
        await clearMetrics(ctx.ds);
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
    await seedTotal(ctx.ds, personaId, 'totalInteractions', '99');
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

// ------------------------------------------------------------------------------------------------
// Issue #13 item 6: metrics cannot be poisoned, and follow access rules.

const MAX = Number.MAX_SAFE_INTEGER;
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describeEachEngine('MetricsService: ranges, overflow and access', (ctx) => {
  let metrics: MetricsService;
  let store: PersonaStore;
  let personaId: string;
  const ph = (n: number) => (ctx.engine === 'postgres' ? `$${n}` : '?');

  /** Everything a refused event must leave alone: the counters (with derived figures) and the log (pending events folded into it first). */
  async function snapshot(id = personaId) {
    await metrics.flush();
    const [{ n }] = await ctx.ds.query(`SELECT COUNT(*) AS n FROM persona_interactions WHERE "personaId" = ${ph(1)}`, [id]);
    return { metrics: toPlain(await metrics.get(id)), log: Number(n) };
  }

  async function seedCounter(column: string, value: string): Promise<void> {
    await seedTotal(ctx.ds, personaId, column, value);
  }

  /** A log row written outside the service (by an older version, or by hand). */
  async function insertLogRow(row: { latencyMs: number | bigint; inputTokens: number | bigint; at: string }): Promise<void> {
    const pg = ctx.engine === 'postgres';
    const big = (v: number | bigint) => (pg ? String(v) : v);
    await ctx.ds.query(
      `INSERT INTO persona_interactions (id, "personaId", success, "latencyMs", "inputTokens", "outputTokens", rating, at) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8].map(ph).join(', ')})`,
      [randomUUID(), personaId, pg ? true : 1, big(row.latencyMs), big(row.inputTokens), 0, 5, row.at],
    );
  }

  beforeEach(async () => {
    metrics = new MetricsService(ctx.ds);
    store = new PersonaStore(ctx.ds);
    personaId = (await store.create({ name: 'Measured', slug: 'measured' }, actor)).id as string;
  });

  it('refuses every field outside its documented range, with its path and constraint, and changes nothing', async () => {
    const now = Date.now();
    const bad: [Record<string, unknown>, string, string][] = [
      [{ latencyMs: 1e19 }, 'latencyMs', 'max'],
      [{ latencyMs: 86_400_001 }, 'latencyMs', 'max'],
      [{ latencyMs: -1 }, 'latencyMs', 'min'],
      [{ latencyMs: -Number.MIN_VALUE }, 'latencyMs', 'min'],
      [{ latencyMs: NaN }, 'latencyMs', 'isNumber'],
      [{ latencyMs: Infinity }, 'latencyMs', 'isNumber'],
      [{ latencyMs: '5' }, 'latencyMs', 'isNumber'],
      [{ latencyMs: 5n }, 'latencyMs', 'isNumber'],
      [{ inputTokens: MAX }, 'inputTokens', 'max'],
      [{ inputTokens: 10_000_001 }, 'inputTokens', 'max'],
      [{ inputTokens: 2 ** 53 }, 'inputTokens', 'isInt'],
      [{ inputTokens: 1e300 }, 'inputTokens', 'isInt'],
      [{ outputTokens: -1 }, 'outputTokens', 'min'],
      [{ outputTokens: 1.5 }, 'outputTokens', 'isInt'],
      [{ outputTokens: '10' }, 'outputTokens', 'isInt'],
      [{ rating: 0 }, 'rating', 'isRating'],
      [{ rating: 6 }, 'rating', 'isRating'],
      [{ rating: 2.5 }, 'rating', 'isRating'],
      [{ rating: '5' }, 'rating', 'isRating'],
      [{ at: '9999-12-31' }, 'at', 'isDate'],
      [{ at: '9999-12-31T00:00:00Z' }, 'at', 'maxDate'],
      [{ at: iso(now + 6 * MINUTE) }, 'at', 'maxDate'],
      [{ at: new Date(now + 6 * MINUTE) }, 'at', 'maxDate'],
      [{ at: '1999-12-31T23:59:59Z' }, 'at', 'minDate'],
      [{ at: new Date(0) }, 'at', 'minDate'],
      [{ at: '2026-01-01T10:00:00' }, 'at', 'isDate'],
      [{ at: '2026-01-01' }, 'at', 'isDate'],
      [{ at: '2026-01-01T10:00:00+0200' }, 'at', 'isDate'],
      [{ at: '2026-02-29T10:00:00Z' }, 'at', 'isDate'],
      [{ at: '2026-01-01T24:00:00Z' }, 'at', 'isDate'],
      [{ at: '2026-13-01T10:00:00Z' }, 'at', 'isDate'],
      [{ at: 'Thu, 01 Jan 2026 10:00:00 GMT' }, 'at', 'isDate'],
      [{ at: `2026-01-01T10:00:00Z${' '.repeat(1_000_000)}` }, 'at', 'isDate'],
      [{ at: new Date(NaN) }, 'at', 'isDate'],
      [{ at: now }, 'at', 'isDate'],
      [{ mood: 'happy' }, 'mood', 'whitelistValidation'],
      [{ success: 1 }, 'success', 'isBoolean'],
    ];
    const before = await snapshot();
    for (const [fields, path, constraint] of bad) {
      const error = await metrics.recordInteraction(personaId, { success: true, latencyMs: 1, ...fields } as never).catch((e) => e);
      expect(error).toBeInstanceOf(PersonaValidationError);
      expect(error.issues).toContainEqual(expect.objectContaining({ path, constraint }));
    }
    for (const notAnObject of [null, undefined, 'event', 42, [], new Date()]) {
      const error = await metrics.recordInteraction(personaId, notAnObject as never).catch((e) => e);
      expect(error).toBeInstanceOf(PersonaValidationError);
      expect(error.issues[0]).toMatchObject({ path: '', constraint: 'isObject' });
    }
    const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    const flood = await metrics.recordInteraction(personaId, { success: true, latencyMs: 1, ...many } as never).catch((e) => e);
    expect(flood).toBeInstanceOf(PersonaValidationError);
    expect(flood.issues.length).toBeLessThanOrEqual(21);
    expect(await snapshot()).toEqual(before);
  });

  it('accepts every bound exactly and counts it exactly', async () => {
    const now = Date.now();
    const events = [
      { success: true, latencyMs: 0, inputTokens: 0, outputTokens: 0, rating: 1, at: '2000-01-01T00:00:00Z' },
      { success: false, latencyMs: -0, inputTokens: -0, rating: null },
      { success: true, latencyMs: 86_400_000, inputTokens: 10_000_000, outputTokens: 10_000_000, rating: 5, at: new Date(now + 4 * MINUTE) },
      { success: true, latencyMs: 86_399_999.6, at: '2026-03-01T10:00:00.123456789+02:00' },
      { success: true, latencyMs: 0.4, at: '2026-03-01T10:00-05:30' },
    ];
    for (const e of events) await metrics.recordInteraction(personaId, e);
    const m = await metrics.get(personaId);
    expect(toPlain(m)).toMatchObject({
      totalInteractions: 5,
      successfulInteractions: 4,
      failedInteractions: 1,
      totalInputTokens: 10_000_000,
      totalOutputTokens: 10_000_000,
      totalResponseTimeMs: 2 * 86_400_000,
      ratingCount: 2,
      ratingSum: 6,
      p95ResponseTimeMs: 86_400_000,
    });
    expect(m.lastInteractionAt?.getTime()).toBe(new Date(now + 4 * MINUTE).getTime());
    await metrics.flush(); // the pending events into the log, read below
    const rows: { latencyMs: unknown }[] = await ctx.ds.query('SELECT "latencyMs" FROM persona_interactions ORDER BY "latencyMs"');
    const latencies = rows.map((r) => Number(r.latencyMs));
    expect(latencies).toEqual([0, 0, 0, 86_400_000, 86_400_000]); // -0 is 0, 86,399,999.6 rounds to the bound, 0.4 to 0
    expect(latencies.some((l) => Object.is(l, -0))).toBe(false);
    expect(toPlain(await metrics.recompute(personaId))).toEqual(toPlain(m));
  });

  it('reads ISO text by its zone, never in the server time zone', async () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      await metrics.recordInteraction(personaId, { success: true, latencyMs: 1, at: '2026-03-01T10:00:00+02:00' });
      expect((await metrics.get(personaId)).lastInteractionAt?.toISOString()).toBe('2026-03-01T08:00:00.000Z');
      await metrics.recordInteraction(personaId, { success: true, latencyMs: 1, at: '2026-03-01T09:30:00.5-00:00' });
      expect((await metrics.get(personaId)).lastInteractionAt?.toISOString()).toBe('2026-03-01T09:30:00.500Z');
      const zoneless = await metrics.recordInteraction(personaId, { success: true, latencyMs: 1, at: '2026-03-01T11:00:00' }).catch((e) => e);
      expect(zoneless).toBeInstanceOf(PersonaValidationError);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('a date far in the future is refused, so it can never pin lastInteractionAt', async () => {
    await expect(metrics.recordInteraction(personaId, { success: true, latencyMs: 1, at: '9999-12-31T23:59:59Z' })).rejects.toBeInstanceOf(PersonaValidationError);
    await metrics.recordInteraction(personaId, { success: true, latencyMs: 1, at: '2026-01-01T00:00:00Z' });
    await metrics.recordInteraction(personaId, { success: true, latencyMs: 1 });
    expect(Math.abs(((await metrics.get(personaId)).lastInteractionAt as Date).getTime() - Date.now())).toBeLessThan(MINUTE);
  });

  it('takes ids in any case (stored lower case); any other id is PersonaNotFoundError, never a driver error', async () => {
    const upper = personaId.toUpperCase();
    await metrics.recordInteraction(upper, { success: true, latencyMs: 7 });
    expect(await metrics.get(upper)).toMatchObject({ personaId, totalInteractions: 1 });
    expect(await metrics.recompute(upper)).toMatchObject({ personaId, totalInteractions: 1 });
    const [{ personaId: stored }] = await ctx.ds.query('SELECT "personaId" FROM persona_interactions');
    expect(stored).toBe(personaId);

    const others: unknown[] = [randomUUID(), randomUUID().toUpperCase(), 'measured', 'not-an-id', '', ` ${personaId}`, `${personaId}\n`, 'x'.repeat(1_000_000), 42, null, undefined, {}, Object.create(null), Symbol('id')];
    for (const id of others) {
      for (const call of [
        () => metrics.recordInteraction(id as string, { success: true, latencyMs: 1 }),
        () => metrics.get(id as string),
        () => metrics.recompute(id as string),
        () => metrics.get(id as string, actor),
      ]) {
        const error = await call().catch((e) => e);
        expect(error).toBeInstanceOf(PersonaNotFoundError);
        expect(error.message.length).toBeLessThan(200);
      }
    }
    expect((await metrics.get(personaId)).totalInteractions).toBe(1);
  });

  it('1,100 events of the largest size never overflow: totals are exact', async () => {
    for (let i = 0; i < 1100; i++) {
      await metrics.recordInteraction(personaId, { success: true, latencyMs: 86_400_000, inputTokens: 10_000_000, outputTokens: 10_000_000, rating: 5 });
    }
    const m = await metrics.get(personaId);
    expect(m).toMatchObject({ totalInteractions: 1100, totalInputTokens: 11_000_000_000, totalOutputTokens: 11_000_000_000, totalResponseTimeMs: 95_040_000_000, ratingSum: 5500 });
    const rebuilt = await metrics.recompute(personaId);
    expect(toPlain(rebuilt)).toEqual(toPlain(m));
    for (const key of ['totalInteractions', 'totalInputTokens', 'totalResponseTimeMs', 'ratingSum'] as const) expect(typeof rebuilt[key]).toBe('number');
  });

  describe('a counter never passes 2^53 - 1 (Number.MAX_SAFE_INTEGER): the event that would is refused', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['totalInputTokens', { inputTokens: 6 }, 'inputTokens'],
      ['totalOutputTokens', { outputTokens: 6 }, 'outputTokens'],
      ['totalResponseTimeMs', { latencyMs: 6 }, 'latencyMs'],
      ['ratingSum', { rating: 5 }, 'rating'],
    ];
    for (const [column, fields, path] of cases) {
      it(`${column}: up to the limit exactly, then refused with a typed error; nothing changes`, async () => {
        await seedCounter(column, String(MAX - 5));
        const exact = { ...fields };
        for (const key of Object.keys(exact)) if (key !== 'rating') exact[key] = 5;
        await metrics.recordInteraction(personaId, { success: true, latencyMs: 0, ...exact });
        expect((await metrics.get(personaId))[column as 'ratingSum']).toBe(MAX);
        const before = await snapshot();
        const error = await metrics.recordInteraction(personaId, { success: true, latencyMs: 0, ...fields }).catch((e) => e);
        expect(error).toBeInstanceOf(PersonaValidationError);
        expect(error.issues).toContainEqual(expect.objectContaining({ path, constraint: 'counterLimit' }));
        expect(await snapshot()).toEqual(before);
        // Events that do not add to the full counter still count.
        await metrics.recordInteraction(personaId, { success: false, latencyMs: 0 });
        expect((await metrics.get(personaId)).totalInteractions).toBe(before.metrics.totalInteractions as number + 1);
      });
    }

    it('totalInteractions: the count itself is bounded too', async () => {
      await seedCounter('totalInteractions', String(MAX));
      const error = await metrics.recordInteraction(personaId, { success: true, latencyMs: 1 }).catch((e) => e);
      expect(error).toBeInstanceOf(PersonaValidationError);
      expect(error.issues).toContainEqual(expect.objectContaining({ path: '', constraint: 'counterLimit' }));
    });

    it('concurrent events at the limit: exactly the headroom is accepted', async () => {
      await seedCounter('totalInputTokens', String(MAX - 3));
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => metrics.recordInteraction(personaId, { success: true, latencyMs: 1, inputTokens: 1 })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PersonaValidationError);
      const after = await snapshot();
      expect(after).toMatchObject({ log: 3, metrics: { totalInputTokens: MAX, totalInteractions: 3 } });
    });

    it('a batch over two personas, one near the limit: exactly its headroom is accepted, a batch past it is refused whole and changes nothing', async () => {
      const other = (await store.create({ name: 'Other', slug: 'other' }, actor)).id as string;
      await seedCounter('totalInputTokens', String(MAX - 10));
      // Pending rows count towards the limit whether folded or not: 4 tokens join the queue.
      await metrics.recordInteraction(personaId, { success: true, latencyMs: 1, inputTokens: 4 });
      const over = await metrics.recordInteraction(personaId, { success: true, latencyMs: 1, inputTokens: 7 }).catch((e) => e);
      expect(over.issues).toContainEqual(expect.objectContaining({ path: 'inputTokens', constraint: 'counterLimit' }));
      const before = await snapshot();
      const refused = await metrics
        .recordInteractions([
          { personaId: other, success: true, latencyMs: 1, inputTokens: 5 },
          { personaId, success: true, latencyMs: 1, inputTokens: 3 },
          { personaId, success: true, latencyMs: 1, inputTokens: 4 },
        ])
        .catch((e) => e);
      expect(refused).toBeInstanceOf(PersonaValidationError);
      expect(refused.issues).toContainEqual(expect.objectContaining({ path: '[1].inputTokens', constraint: 'counterLimit' }));
      expect(await snapshot()).toEqual(before);
      expect((await metrics.get(other)).totalInteractions).toBe(0);
      await metrics.recordInteractions([
        { personaId: other, success: true, latencyMs: 1, inputTokens: 5 },
        { personaId, success: true, latencyMs: 1, inputTokens: 6 },
      ]);
      expect((await metrics.get(personaId)).totalInputTokens).toBe(MAX);
      expect((await metrics.get(other)).totalInputTokens).toBe(5);
    });

    it('a counter already past the limit (written by hand) refuses growth with a typed error and reads as a number; recompute repairs it', async () => {
      await seedCounter('totalInputTokens', '9223372036854775807'); // 2^63 - 1, the most either engine stores
      expect(typeof (await metrics.get(personaId)).totalInputTokens).toBe('number');
      const error = await metrics.recordInteraction(personaId, { success: true, latencyMs: 1, inputTokens: 1 }).catch((e) => e);
      expect(error).toBeInstanceOf(PersonaValidationError);
      expect(error.issues).toContainEqual(expect.objectContaining({ path: 'inputTokens', constraint: 'counterLimit' }));
      expect((await metrics.recompute(personaId)).totalInputTokens).toBe(0);
      await metrics.recordInteraction(personaId, { success: true, latencyMs: 1, inputTokens: 1 });
      expect((await metrics.get(personaId)).totalInputTokens).toBe(1);
    });
  });

  it('recompute over a log poisoned before the ranges existed: bounded numbers, no overflow, no future time', async () => {
    await metrics.recordInteraction(personaId, { success: true, latencyMs: 10, inputTokens: 3, at: '2026-01-01T00:00:00Z' });
    const huge = ctx.engine === 'postgres' ? 9_223_372_036_854_775_807n : 1e19; // SQLite stored 1e19 as REAL; bigint tops out at 2^63 - 1
    const future = ctx.engine === 'postgres' ? '9999-12-31T00:00:00Z' : '9999-12-31 00:00:00.000';
    await insertLogRow({ latencyMs: huge, inputTokens: 9_223_372_036_854_775_807n, at: future });
    await insertLogRow({ latencyMs: 5, inputTokens: 9_223_372_036_854_775_807n, at: future });
    const m = await metrics.recompute(personaId);
    expect(toPlain(m)).toMatchObject({
      totalInteractions: 3,
      totalInputTokens: 3 + 2 * 10_000_000,
      totalResponseTimeMs: 10 + 86_400_000 + 5,
      ratingCount: 2,
      ratingSum: 10,
      p95ResponseTimeMs: 86_400_000,
    });
    for (const [key, value] of Object.entries(toPlain(m))) if (key !== 'personaId' && key !== 'lastInteractionAt') expect(typeof value === 'number' || value === null).toBe(true);
    expect(m.lastInteractionAt?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    await metrics.recordInteraction(personaId, { success: true, latencyMs: 1 });
    expect((await metrics.get(personaId)).totalInteractions).toBe(4);
  });

  it('a refused event changes nothing and an accepted one adds exactly its values (property, valid and invalid events)', async () => {
    type Field = { value: unknown; ok: boolean };
    const good = (value: unknown): Field => ({ value, ok: true });
    const bad = (value: unknown): Field => ({ value, ok: false });
    const now = Date.now();
    /** A field that is valid 7 times in 8, so that about 40% of whole events are valid. */
    const field = (valid: fc.Arbitrary<unknown>, invalid: fc.Arbitrary<unknown>) =>
      fc.oneof({ weight: 7, arbitrary: valid.map(good) }, { weight: 1, arbitrary: invalid.map(bad) });
    const instant = (min: number, max: number) => fc.date({ min: new Date(min), max: new Date(max), noInvalidDate: true }).map((d) => d.getTime());
    const past = instant(Date.UTC(2000, 0, 1), now);
    const withOffset = fc.tuple(past, fc.integer({ min: -14 * 60, max: 14 * 60 })).map(([t, offset]) => {
      const local = new Date(t + offset * MINUTE).toISOString().slice(0, 23);
      const a = Math.abs(offset);
      return `${local}${offset < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
    });
    const tokens = field(
      fc.oneof(fc.integer({ min: 0, max: 10_000_000 }), fc.constantFrom(undefined, -0, 10_000_000)),
      fc.constantFrom(MAX, 2 ** 53, 10_000_001, -1, 1.5, NaN, '3', null, 1e19),
    );
    const event = fc.record({
      success: field(fc.boolean(), fc.constantFrom(0, 'true', null, undefined)),
      latencyMs: field(
        fc.oneof(fc.double({ min: 0, max: 86_400_000, noNaN: true }), fc.constantFrom(0, -0, 86_400_000)),
        fc.oneof(fc.constantFrom(1e19, 86_400_000.5, -1, NaN, Infinity, -Infinity, '10', null, undefined), fc.double({ min: 86_400_001, noNaN: true })),
      ),
      inputTokens: tokens,
      outputTokens: tokens,
      rating: field(fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(undefined, null)), fc.constantFrom(0, 6, 2.5, '4', -0, NaN)),
      at: field(
        fc.oneof(
          fc.constant(undefined),
          past.map((t) => new Date(t)),
          past.map(iso),
          withOffset,
          fc.integer({ min: 0, max: 4 * MINUTE }).map((d) => new Date(now + d)),
        ),
        fc.oneof(
          past.map((t) => iso(t).slice(0, 19)), // no zone
          past.map((t) => iso(t).slice(0, 10)), // date only
          // Beyond the 5-minute skew (30 minutes leaves the test time to run), or before 2000.
          instant(now + 30 * MINUTE, 8.64e15).map((t) => new Date(t)),
          instant(now + 30 * MINUTE, Date.UTC(9999, 11, 31)).map(iso),
          instant(-8.64e15, Date.UTC(2000, 0, 1) - 1).map((t) => new Date(t)),
          fc.string({ minLength: 41, maxLength: 5000 }),
          fc.constantFrom(new Date(NaN), 'x'.repeat(100_000), 0, '', 'now'),
        ),
      ),
      extra: field(fc.constant(undefined), fc.constantFrom('x', 0)),
    });
    let accepted = 0;
    let refused = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(event, fc.boolean()), { minLength: 1, maxLength: 4 }), async (events) => {
        for (const [fields, keepUndefined] of events) {
          // An optional field is either absent or present as undefined; both mean "not given".
          const input: Record<string, unknown> = {};
          for (const [key, f] of Object.entries(fields)) if (f.value !== undefined || (keepUndefined && key !== 'extra')) input[key] = f.value;
          const valid = Object.values(fields).every((f) => f.ok);
          const before = await snapshot();
          const error = await metrics.recordInteraction(personaId, input as never).then(() => null, (e) => e);
          const after = await snapshot();
          if (!valid) {
            expect(error).toBeInstanceOf(PersonaValidationError);
            expect(after).toEqual(before);
            refused++;
            continue;
          }
          expect(error).toBeNull();
          accepted++;
          const b = before.metrics as Record<string, number>;
          const a = after.metrics as Record<string, unknown>;
          const n = (v: unknown) => ((v as number | undefined) ?? 0) + 0;
          const r = input.rating as number | null | undefined;
          expect(after.log).toBe(before.log + 1);
          expect(a).toMatchObject({
            totalInteractions: b.totalInteractions + 1,
            successfulInteractions: b.successfulInteractions + (input.success ? 1 : 0),
            failedInteractions: b.failedInteractions + (input.success ? 0 : 1),
            totalInputTokens: b.totalInputTokens + n(input.inputTokens),
            totalOutputTokens: b.totalOutputTokens + n(input.outputTokens),
            totalResponseTimeMs: b.totalResponseTimeMs + Math.round(input.latencyMs as number),
            ratingCount: b.ratingCount + (r == null ? 0 : 1),
            ratingSum: b.ratingSum + (r ?? 0),
          });
          const ms = (v: unknown) => (v == null ? -Infinity : new Date(v as string | Date).getTime());
          if (input.at !== undefined) expect(ms(a.lastInteractionAt)).toBe(Math.max(ms(before.metrics.lastInteractionAt), ms(input.at)));
        }
      }),
      { numRuns: 80 },
    );
    expect(accepted).toBeGreaterThan(40);
    expect(refused).toBeGreaterThan(40);
    expect(toPlain(await metrics.recompute(personaId))).toMatchObject({ totalInteractions: (await snapshot()).log });
  });

  describe('access: the actor comes last; without one the caller is trusted', () => {
    const alice = { id: 'alice' };
    const bob = { id: 'bob' };
    const root = { id: 'root', roles: ['admin'] };
    const service = { id: 'svc', roles: ['metrics:write'] };
    const event = { success: true, latencyMs: 5 };
    type Outcome = 'ok' | 'notFound' | 'denied';
    const outcomeOf = async (work: () => Promise<unknown>): Promise<Outcome> => {
      try {
        await work();
        return 'ok';
      } catch (error) {
        if (error instanceof PersonaNotFoundError) return 'notFound';
        if (error instanceof AccessDeniedError) return 'denied';
        throw error;
      }
    };
    // [persona visibility, actor, get, recordInteraction, recompute]
    const matrix: [string, { id: string; roles?: string[] }, Outcome, Outcome, Outcome][] = [
      ['private', alice, 'ok', 'ok', 'ok'],
      ['private', root, 'ok', 'ok', 'ok'],
      ['private', bob, 'notFound', 'notFound', 'notFound'],
      ['private', service, 'notFound', 'notFound', 'notFound'],
      ['public', alice, 'ok', 'ok', 'ok'],
      ['public', root, 'ok', 'ok', 'ok'],
      ['public', bob, 'ok', 'denied', 'denied'],
      ['public', service, 'ok', 'ok', 'denied'],
    ];
    for (const [visibility, who, get, record, recompute] of matrix) {
      it(`${visibility} persona of alice, actor ${who.id}${who.roles ? ` (${who.roles})` : ''}: get ${get}, record ${record}, recompute ${recompute}`, async () => {
        const id = (await store.create({ name: 'Owned', slug: 'owned', isPublic: visibility === 'public' }, alice)).id as string;
        await metrics.recordInteraction(id, event);
        const before = await snapshot(id);
        expect(await outcomeOf(() => metrics.get(id, who))).toBe(get);
        expect(await outcomeOf(() => metrics.recordInteraction(id, event, who))).toBe(record);
        expect((await snapshot(id)).log).toBe(before.log + (record === 'ok' ? 1 : 0));
        await seedTotal(ctx.ds, id, 'totalInteractions', '99');
        expect(await outcomeOf(() => metrics.recompute(id, who))).toBe(recompute);
        expect((await metrics.get(id)).totalInteractions).toBe(recompute === 'ok' ? before.log + (record === 'ok' ? 1 : 0) : 99);
      });
    }

    it('a persona the actor may not read looks exactly like a missing one', async () => {
      const id = (await store.create({ name: 'Secret', slug: 'secret' }, alice)).id as string;
      const missing = randomUUID();
      for (const call of [(x: string) => metrics.get(x, bob), (x: string) => metrics.recordInteraction(x, event, bob), (x: string) => metrics.recompute(x, bob)]) {
        const hidden = await call(id).catch((e) => e);
        const absent = await call(missing).catch((e) => e);
        expect(hidden).toBeInstanceOf(PersonaNotFoundError);
        expect(absent).toBeInstanceOf(PersonaNotFoundError);
        expect({ code: hidden.code, message: hidden.message.replace(id, '<id>') }).toEqual({ code: absent.code, message: absent.message.replace(missing, '<id>') });
      }
    });

    it('validates the actor when one is given', async () => {
      for (const bad of [null, {}, { id: '' }, { id: 42 }, { id: 'x', roles: 'admin' }, { id: 'x'.repeat(256) }, 'alice']) {
        for (const call of [() => metrics.get(personaId, bad as never), () => metrics.recordInteraction(personaId, event, bad as never), () => metrics.recompute(personaId, bad as never)]) {
          const error = await call().catch((e) => e);
          expect(error).toBeInstanceOf(PersonaValidationError);
          expect(error.issues[0].path).toMatch(/^actor/);
        }
      }
      expect((await snapshot()).log).toBe(0);
    });

    it('an event out of range from a permitted actor is still refused, and records nothing', async () => {
      await expect(metrics.recordInteraction(personaId, { success: true, latencyMs: 1e19 }, root)).rejects.toBeInstanceOf(PersonaValidationError);
      expect((await snapshot()).log).toBe(0);
    });
  });
});

(PG_URL ? describe : describe.skip)('MetricsService.flush on PostgreSQL while a persona is removed', () => {
  it('folds the other personas and drops the removed one, instead of failing on its foreign key', async () => {
    const { openDataSource, closeDataSource } = await import('../support/engines');
    const ds = await openDataSource('postgres');
    const { Client } = await import('pg');
    try {
      const store = new PersonaStore(ds);
      const metrics = new MetricsService(ds);
      const a = await store.create({ name: 'A', slug: 'removed-meanwhile' }, actor);
      const b = await store.create({ name: 'B', slug: 'stays' }, actor);
      await metrics.recordInteraction(a.id as string, { success: true, latencyMs: 5 });
      await metrics.recordInteraction(b.id as string, { success: true, latencyMs: 7 });
      // A removal in progress in another session holds the persona row while flush folds.
      const other = new Client({ connectionString: (ds.options as { url: string }).url });
      await other.connect();
      await other.query('BEGIN');
      await other.query('DELETE FROM personas WHERE id = $1', [a.id]);
      const flushed = metrics.flush({ id: 'root', roles: ['admin'] });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await other.query('COMMIT');
      await other.end();
      await expect(flushed).resolves.toBeGreaterThanOrEqual(1);
      expect((await metrics.get(b.id as string)).totalInteractions).toBe(1);
      expect(Number((await ds.query('SELECT COUNT(*) AS n FROM persona_metric_pending'))[0].n)).toBe(0);
    } finally {
      await closeDataSource(ds);
    }
  });
});
