import fc from 'fast-check';
import { createDataSource, MetricsService, PersonaStore, PersonaValidationError, AccessDeniedError, PersonaNotFoundError, toPlain } from '../../src';
import { latencyBin, latencyBinSql, p95FromBins } from '../../src/persistence/metrics-rollups';
import { closeDataSource, describeEachEngine, openDataSource, PG_URL } from '../support/engines';

const alice = { id: 'alice' };
const bob = { id: 'bob' };
const root = { id: 'root', roles: ['admin'] };
const HOUR = 3_600_000;

/** The exact nearest-rank p95 of a list of latencies. */
function exactP95(latencies: number[]): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.ceil(0.95 * sorted.length) - 1];
}

describe('latency histogram', () => {
  it('bins are exact below 32 ms and never wider than 1/16 of their lower bound', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400_000 }), (ms) => {
        const bin = latencyBin(ms);
        expect(bin).toBeLessThanOrEqual(ms);
        if (ms < 32) expect(bin).toBe(ms);
        else expect(ms - bin).toBeLessThan(bin / 16);
        expect(latencyBin(bin)).toBe(bin);
      }),
    );
  });

  it('p95 from the bins is an observed latency at or above the exact nearest rank, less than 6.25 % above it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 86_400_000 }), { minLength: 1, maxLength: 300 }), (latencies) => {
        const bins = new Map<number, { bin: number; count: number; maxMs: number }>();
        for (const ms of latencies) {
          const b = bins.get(latencyBin(ms)) ?? { bin: latencyBin(ms), count: 0, maxMs: 0 };
          b.count += 1;
          b.maxMs = Math.max(b.maxMs, ms);
          bins.set(b.bin, b);
        }
        const p95 = p95FromBins([...bins.values()].sort((a, b) => a.bin - b.bin), 86_400_000) as number;
        const exact = exactP95(latencies);
        expect(latencies).toContain(p95);
        expect(p95).toBeGreaterThanOrEqual(exact);
        expect(p95).toBeLessThan(Math.max(exact * 1.0625, exact + 1));
      }),
    );
  });
});

describeEachEngine('metrics rollups', (ctx) => {
  let store: PersonaStore;
  let metrics: MetricsService;
  let a: string;
  let b: string;
  beforeEach(async () => {
    store = new PersonaStore(ctx.ds);
    metrics = new MetricsService(ctx.ds);
    a = (await store.create({ name: 'A', slug: 'a' }, alice)).id as string;
    b = (await store.create({ name: 'B', slug: 'b', isPublic: true }, alice)).id as string;
  });

  it('computes the same bins in SQL as in TypeScript', async () => {
    const values = [0, 1, 31, 32, 33, 63, 64, 100, 1000, 1023, 1024, 65_535, 1_000_000, 86_399_999, 86_400_000];
    const pg = ctx.engine === 'postgres';
    for (const v of values) {
      const [row] = await ctx.ds.query(`SELECT ${latencyBinSql('t.v')} AS bin FROM (SELECT CAST(${pg ? '$1' : '?'} AS bigint) AS v) t`, [v]);
      expect(Number(row.bin)).toBe(latencyBin(v));
    }
  });

  it('p95 computed in SQL from the bins follows the same rule as p95FromBins, whatever the latencies (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 86_400_000 }), { minLength: 1, maxLength: 60 }), async (latencies) => {
        await metrics.flush();
        await ctx.ds.query('DELETE FROM persona_metric_rollups');
        await ctx.ds.query('DELETE FROM persona_latency_bins');
        await metrics.recordInteractions(latencies.map((latencyMs) => ({ personaId: a, success: true, latencyMs })));
        const bins = new Map<number, { bin: number; count: number; maxMs: number }>();
        for (const ms of latencies) {
          const b = bins.get(latencyBin(ms)) ?? { bin: latencyBin(ms), count: 0, maxMs: 0 };
          b.count += 1;
          b.maxMs = Math.max(b.maxMs, ms);
          bins.set(b.bin, b);
        }
        const expected = p95FromBins([...bins.values()].sort((x, y) => x.bin - y.bin), 86_400_000);
        expect((await metrics.get(a)).p95ResponseTimeMs).toBe(expected);
        expect((await metrics.byVersion(a))[0].metrics.p95ResponseTimeMs).toBe(expected);
      }),
      { numRuns: 10 },
    );
  });

  it('records a batch over several personas in one go, each event at its persona', async () => {
    await metrics.recordInteractions([
      { personaId: a, success: true, latencyMs: 10, rating: 5 },
      { personaId: b, success: false, latencyMs: 30 },
      { personaId: a.toUpperCase(), success: true, latencyMs: 20, inputTokens: 7 },
    ]);
    expect(await metrics.get(a)).toMatchObject({ totalInteractions: 2, successfulInteractions: 2, totalInputTokens: 7, ratingSum: 5, p95ResponseTimeMs: 20 });
    expect(await metrics.get(b)).toMatchObject({ totalInteractions: 1, failedInteractions: 1, p95ResponseTimeMs: 30 });
    expect(toPlain(await metrics.recompute(a))).toEqual(toPlain(await metrics.get(a)));
  });

  it('refuses a whole batch for one bad event, naming it by index, and records nothing', async () => {
    const bad: [unknown[], string][] = [
      [[{ personaId: a, success: true, latencyMs: 1 }, { personaId: a, success: true, latencyMs: -1 }], '[1].latencyMs'],
      [[{ personaId: a, success: true, latencyMs: 1 }, { personaId: 'nope', success: true, latencyMs: 1 }], '[1].personaId'],
      [[{ personaId: a, success: true, latencyMs: 1, extra: 1 }], '[0].extra'],
      [[{ personaId: a, success: true, latencyMs: 1, version: 9 }], '[0].version'],
      [[null], '[0]'],
      // A sparse list: its holes are no interactions (forEach would have skipped them).
      [[{ personaId: a, success: true, latencyMs: 1 }, , { personaId: a, success: true, latencyMs: 1 }], '[1]'],
      [new Array(3), '[0]'],
      [[], ''],
      [Array.from({ length: 10_001 }, () => ({ personaId: a, success: true, latencyMs: 1 })), ''],
    ];
    for (const [events, path] of bad) {
      const error = await metrics.recordInteractions(events as never).catch((e) => e);
      expect(error).toBeInstanceOf(PersonaValidationError);
      expect(error.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    // A persona that does not exist, or one the actor may not write, refuses the batch as a whole.
    const ghost = '0190a0a0-0000-7000-8000-00000000dead';
    await expect(metrics.recordInteractions([{ personaId: a, success: true, latencyMs: 1 }, { personaId: ghost, success: true, latencyMs: 1 }])).rejects.toBeInstanceOf(PersonaNotFoundError);
    await expect(metrics.recordInteractions([{ personaId: b, success: true, latencyMs: 1 }], bob)).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(metrics.recordInteractions([{ personaId: a, success: true, latencyMs: 1 }], bob)).rejects.toBeInstanceOf(PersonaNotFoundError);
    const [{ n }] = await ctx.ds.query('SELECT COUNT(*) AS n FROM persona_interactions');
    expect(Number(n)).toBe(0);
    expect((await metrics.get(a)).totalInteractions).toBe(0);
  });

  it('keeps every figure after the log is pruned, and recompute keeps the pruned hours', async () => {
    const old = Date.UTC(2026, 0, 1, 10, 30);
    const events = Array.from({ length: 40 }, (_, i) => ({ personaId: a, success: i % 4 !== 0, latencyMs: 10 + i, rating: 1 + (i % 5), at: new Date(old + (i % 4) * HOUR) }));
    await metrics.recordInteractions(events);
    await metrics.recordInteraction(a, { success: true, latencyMs: 500 });
    const before = toPlain(await metrics.get(a));
    const hours = await metrics.series(a, { bucket: 'hour', from: new Date(old), to: new Date(old + 4 * HOUR) });

    await expect(metrics.pruneLog({ before: new Date(old + 2 * HOUR) }, alice)).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(metrics.pruneLog({})).rejects.toBeInstanceOf(PersonaValidationError);
    const pruned = await metrics.pruneLog({ before: new Date(old + 2 * HOUR + 5 * 60_000) }, root);
    expect(pruned).toEqual({ deleted: 20, before: new Date(Date.UTC(2026, 0, 1, 12)) });
    expect(toPlain(await metrics.get(a))).toEqual(before);
    expect(await metrics.series(a, { bucket: 'hour', from: new Date(old), to: new Date(old + 4 * HOUR) })).toEqual(hours);
    expect(toPlain(await metrics.recompute(a))).toEqual(before);
    expect(await metrics.series(a, { bucket: 'hour', from: new Date(old), to: new Date(old + 4 * HOUR) })).toEqual(hours);

    // An event dated before the horizon, recorded after the prune, counts, and recompute keeps it.
    await metrics.recordInteraction(a, { success: true, latencyMs: 7, at: new Date(old) });
    const after = toPlain(await metrics.get(a));
    expect(after.totalInteractions).toBe(42);
    expect(toPlain(await metrics.recompute(a))).toEqual(after);
  });

  it('prunes by the configured retention', async () => {
    const days = new MetricsService(ctx.ds, { logRetentionDays: 7 });
    await days.recordInteraction(a, { success: true, latencyMs: 1, at: new Date(Date.now() - 8 * 86_400_000) });
    await days.recordInteraction(a, { success: true, latencyMs: 2 });
    expect((await days.pruneLog()).deleted).toBe(1);
    expect((await days.get(a)).totalInteractions).toBe(2);
    expect(() => new MetricsService(ctx.ds, { logRetentionDays: 0 })).toThrow(PersonaValidationError);
    expect(() => new MetricsService(ctx.ds, { shards: 1000 })).toThrow(PersonaValidationError);
  });

  it('50 concurrent writers on one persona and batches beside them: totals exact, equal to a recompute', async () => {
    const service = new MetricsService(ctx.ds, { shards: 4 });
    await Promise.all([
      ...Array.from({ length: 50 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 10; i++) await service.recordInteraction(a, { success: i % 2 === 0, latencyMs: w, inputTokens: 1, rating: 1 + (i % 5) });
        })(),
      ),
      ...Array.from({ length: 5 }, () => service.recordInteractions(Array.from({ length: 20 }, () => ({ personaId: a, success: true, latencyMs: 1000 })))),
    ]);
    const m = await service.get(a);
    expect(m).toMatchObject({ totalInteractions: 600, successfulInteractions: 350, totalInputTokens: 500, totalResponseTimeMs: 10 * (49 * 50) / 2 + 100_000, ratingCount: 500, ratingSum: 1500 });
    expect(toPlain(await service.recompute(a))).toEqual(toPlain(m));
  });

  it('folds racing writers and readers: every read exact (between the events finished and the events started), totals equal to a recompute', async () => {
    const service = new MetricsService(ctx.ds);
    let started = 0;
    let finished = 0;
    let writing = true;
    const checks: string[] = [];
    const record = async (n: number, work: () => Promise<void>) => {
      started += n;
      await work();
      finished += n;
    };
    const writers = Promise.all([
      ...Array.from({ length: 20 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 25; i++) await record(1, () => service.recordInteraction(a, { success: i % 2 === 0, latencyMs: 10 + w, inputTokens: 2, outputTokens: 3, rating: 1 + (i % 5) }));
        })(),
      ),
      ...Array.from({ length: 2 }, () => record(300, () => service.recordInteractions(Array.from({ length: 300 }, () => ({ personaId: a, success: true, latencyMs: 1000, inputTokens: 2, outputTokens: 3 }))))),
    ]).finally(() => {
      writing = false;
    });
    const folders = (async () => {
      while (writing) {
        await service.flush();
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
    })();
    const readers = Array.from({ length: 3 }, async () => {
      while (writing) {
        const low = finished;
        const m = await service.get(a);
        const high = started;
        if (!(m.totalInteractions >= low && m.totalInteractions <= high)) checks.push(`total ${m.totalInteractions} outside [${low}, ${high}]`);
        if (m.totalInputTokens !== 2 * m.totalInteractions || m.totalOutputTokens !== 3 * m.totalInteractions) checks.push(`tokens ${m.totalInputTokens}/${m.totalOutputTokens} for ${m.totalInteractions}`);
        const [v] = await service.byVersion(a);
        if (v && !(v.metrics.totalInteractions >= low && v.metrics.totalInteractions <= started)) checks.push(`byVersion ${v.metrics.totalInteractions} outside [${low}, ${started}]`);
      }
    });
    await Promise.all([writers, folders, ...readers]);
    expect(checks).toEqual([]);
    const m = await service.get(a);
    expect(m).toMatchObject({ totalInteractions: 1100, successfulInteractions: 860, totalInputTokens: 2200, totalOutputTokens: 3300, ratingCount: 500, ratingSum: 1500, totalResponseTimeMs: 25 * (20 * 10 + 190) + 600_000 });
    const hours = await service.series(a, { bucket: 'hour', from: new Date(Date.now() - 2 * HOUR) });
    expect(hours.reduce((n, h) => n + h.interactions, 0)).toBe(1100);
    await service.flush();
    const [{ n }] = await ctx.ds.query('SELECT COUNT(*) AS n FROM persona_interactions');
    expect(Number(n)).toBe(1100);
    expect(toPlain(await service.get(a))).toEqual(toPlain(m));
    expect(toPlain(await service.recompute(a))).toEqual(toPlain(m));
  });

  it('a removed persona takes its rollups with it', async () => {
    await metrics.recordInteraction(a, { success: true, latencyMs: 1 });
    await store.remove('a', alice);
    for (const table of ['persona_metric_rollups', 'persona_latency_bins']) {
      const [{ n }] = await ctx.ds.query(`SELECT COUNT(*) AS n FROM ${table}`);
      expect(Number(n)).toBe(0);
    }
  });
});

(PG_URL ? describe : describe.skip)('metrics rollups under concurrency on PostgreSQL', () => {
  it('5 data sources (as 5 processes) writing, folding and reading at once: folds give way to each other, totals exact', async () => {
    const seed = await openDataSource('postgres');
    try {
      const id = (await new PersonaStore(seed).create({ name: 'Hot', slug: 'hot' }, alice)).id as string;
      const url = (seed.options as { url: string }).url;
      const sources = await Promise.all(Array.from({ length: 5 }, () => createDataSource({ url, poolSize: 6, installExtensions: false }).initialize()));
      let started = 0;
      let finished = 0;
      const wrong: string[] = [];
      try {
        let writing = true;
        const writers = Promise.all(
          sources.flatMap((ds) =>
            Array.from({ length: 4 }, async () => {
              const service = new MetricsService(ds);
              for (let i = 0; i < 40; i++) {
                started += 1;
                await service.recordInteraction(id, { success: true, latencyMs: 100 + i, outputTokens: 3 });
                finished += 1;
              }
            }),
          ),
        ).finally(() => {
          writing = false;
        });
        const others = sources.map(async (ds, k) => {
          const service = new MetricsService(ds);
          while (writing) {
            if (k % 2 === 0) await service.flush();
            const low = finished;
            const m = await service.get(id);
            if (!(m.totalInteractions >= low && m.totalInteractions <= started) || m.totalOutputTokens !== 3 * m.totalInteractions) wrong.push(`${m.totalInteractions} (${low}..${started})`);
          }
        });
        await Promise.all([writers, ...others]);
      } finally {
        await Promise.all(sources.map((ds) => ds.destroy()));
      }
      expect(wrong).toEqual([]);
      const service = new MetricsService(seed);
      const m = await service.get(id);
      expect(m).toMatchObject({ totalInteractions: 800, totalOutputTokens: 2400, totalResponseTimeMs: 20 * (40 * 100 + 780) });
      await service.flush();
      expect(toPlain(await service.get(id))).toEqual(toPlain(m));
      expect(toPlain(await service.recompute(id))).toEqual(toPlain(m));
    } finally {
      await closeDataSource(seed);
    }
  });

  it('50 connections on one persona: totals exact', async () => {
    const seed = await openDataSource('postgres');
    try {
      const id = (await new PersonaStore(seed).create({ name: 'Hot', slug: 'hot' }, alice)).id as string;
      const url = (seed.options as { url: string }).url;
      const sources = await Promise.all(Array.from({ length: 5 }, () => createDataSource({ url, poolSize: 10, installExtensions: false }).initialize()));
      try {
        await Promise.all(
          sources.flatMap((ds) =>
            Array.from({ length: 10 }, async () => {
              const service = new MetricsService(ds);
              for (let i = 0; i < 20; i++) await service.recordInteraction(id, { success: true, latencyMs: 100 + i, outputTokens: 3 });
            }),
          ),
        );
      } finally {
        await Promise.all(sources.map((ds) => ds.destroy()));
      }
      const service = new MetricsService(seed);
      const m = await service.get(id);
      expect(m).toMatchObject({ totalInteractions: 1000, totalOutputTokens: 3000, totalResponseTimeMs: 50 * (20 * 100 + 190) });
      expect(toPlain(await service.recompute(id))).toEqual(toPlain(m));
    } finally {
      await closeDataSource(seed);
    }
  });
});
