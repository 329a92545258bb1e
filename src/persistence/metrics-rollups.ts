import { EntityManager } from 'typeorm';
import { newId } from './ids';

/**
 * The SQL behind `MetricsService`: per-bucket rollups (persona × version × hour, day and all
 * time, each in one of `shards` rows) and their latency histograms, written with the event, and
 * rebuilt from the log by `recompute`. docs/scaling.md says why it is shaped this way.
 */

/** Bucket sizes of the rollups: all time (bucketAt = the epoch), a UTC day, a UTC hour. */
export const GRAIN = { total: 0, day: 1, hour: 2 } as const;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Rows per bucket that writers spread over (chosen at random per write); readers sum them.
 * 16 measured best for the cost (docs/scaling.md): with 50 writers on one persona on PostgreSQL,
 * 1 shard gave 778 events/s (p99 336 ms), 4 gave 1,432 (195 ms), 16 gave 2,812 (76 ms), 32 gave
 * 3,364 (53 ms) against 779 (335 ms) for a log insert plus one counters row.
 */
export const DEFAULT_SHARDS = 16;

/**
 * Histogram bins are spread over fewer rows than the counters (shard modulo 4): a bucket has up to
 * ~75 bins per version, and 16 shards of them made `series(hour, 7 days)` read 200,000 rows
 * (38 ms on PostgreSQL); 4 keep it near 50,000 while writers of one latency still spread.
 */
export const BIN_SHARDS = 4;

/** Events below this latency (ms) have a bin of their own: p95 is exact there. */
const EXACT_BELOW = 32;

/**
 * The histogram bin of a latency (ms, an integer 0–2^31): its lower bound. Exact below 32 ms,
 * then 16 bins per power of two, so a bin is at most 1/16 (6.25 %) of its lower bound wide.
 */
export function latencyBin(ms: number): number {
  if (ms < EXACT_BELOW) return ms;
  const exponent = 31 - Math.clz32(ms);
  const shift = exponent - 4;
  return Math.floor(ms / 2 ** shift) * 2 ** shift;
}

/** {@link latencyBin} in SQL over an integer expression (integer division, the same on both engines). */
export function latencyBinSql(expr: string): string {
  const arms: string[] = [`WHEN ${expr} < ${EXACT_BELOW} THEN ${expr}`];
  for (let exponent = 5; exponent <= 30; exponent++) {
    const width = 2 ** (exponent - 4);
    arms.push(`WHEN ${expr} < ${2 ** (exponent + 1)} THEN (${expr} / ${width}) * ${width}`);
  }
  return `(CASE ${arms.join(' ')} ELSE ${expr} END)`;
}

/**
 * Nearest-rank p95 from histogram bins (ascending by bin): the largest latency of the bin that
 * holds the ⌈0.95·n⌉-th event. That is an observed latency at or above the exact nearest-rank
 * value and less than 6.25 % above it (exact below 32 ms). Null with no events.
 */
export function p95FromBins(bins: { bin: number; count: number; maxMs: number }[], cap: number): number | null {
  const n = bins.reduce((sum, b) => sum + b.count, 0);
  if (!n) return null;
  const rank = Math.ceil(0.95 * n);
  let seen = 0;
  for (const b of bins) {
    seen += b.count;
    if (seen >= rank) return Math.min(Math.max(b.maxMs, 0), cap);
  }
  return Math.min(Math.max(bins[bins.length - 1].maxMs, 0), cap);
}

/** One validated event as the rollups take it. */
export type RollupEvent = {
  success: boolean;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  rating: number | null;
  at: Date;
  version: number;
};

/** The counters of a rollup row, in column order. */
export const ROLLUP_COUNTERS = ['interactions', 'successes', 'inputTokens', 'outputTokens', 'latencySum', 'ratingCount', 'ratingSum'] as const;
export type RollupCounter = (typeof ROLLUP_COUNTERS)[number];
export type RollupSums = Record<RollupCounter, number>;

/** What a list of events adds to each counter. */
export function deltasOf(events: RollupEvent[]): RollupSums {
  const d: RollupSums = { interactions: 0, successes: 0, inputTokens: 0, outputTokens: 0, latencySum: 0, ratingCount: 0, ratingSum: 0 };
  for (const e of events) {
    d.interactions += 1;
    d.successes += e.success ? 1 : 0;
    d.inputTokens += e.inputTokens;
    d.outputTokens += e.outputTokens;
    d.latencySum += e.latencyMs;
    d.ratingCount += e.rating === null ? 0 : 1;
    d.ratingSum += e.rating ?? 0;
  }
  return d;
}

type RollupRow = { version: number; grain: number; bucketAt: number; sums: RollupSums; lastAt: number };
type BinRow = { version: number; grain: number; bucketAt: number; bin: number; count: number; maxMs: number };

/** The rollup and bin rows a list of events adds to, summed per key (one write per key, as PostgreSQL's ON CONFLICT needs). */
export function rollupRowsOf(events: RollupEvent[]): { rollups: RollupRow[]; bins: BinRow[] } {
  const rollups = new Map<string, RollupRow>();
  const bins = new Map<string, BinRow>();
  for (const e of events) {
    const t = e.at.getTime();
    const buckets: [number, number][] = [
      [GRAIN.total, 0],
      [GRAIN.day, Math.floor(t / DAY_MS) * DAY_MS],
      [GRAIN.hour, Math.floor(t / HOUR_MS) * HOUR_MS],
    ];
    const d = deltasOf([e]);
    const bin = latencyBin(e.latencyMs);
    for (const [grain, bucketAt] of buckets) {
      const key = `${e.version}:${grain}:${bucketAt}`;
      const row = rollups.get(key);
      if (!row) rollups.set(key, { version: e.version, grain, bucketAt, sums: { ...d }, lastAt: t });
      else {
        for (const c of ROLLUP_COUNTERS) row.sums[c] += d[c];
        row.lastAt = Math.max(row.lastAt, t);
      }
      const binKey = `${key}:${bin}`;
      const b = bins.get(binKey);
      if (!b) bins.set(binKey, { version: e.version, grain, bucketAt, bin, count: 1, maxMs: e.latencyMs });
      else {
        b.count += 1;
        b.maxMs = Math.max(b.maxMs, e.latencyMs);
      }
    }
  }
  return { rollups: [...rollups.values()], bins: [...bins.values()] };
}

/** Dates as SQL parameters: PostgreSQL takes a Date; SQLite compares TypeORM's UTC text. */
export function dateParam(postgres: boolean, date: Date): Date | string {
  if (postgres) return date;
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/** A date read back from SQL (a Date from pg, TypeORM's UTC text from SQLite). */
export function parseDate(raw: unknown): Date {
  if (raw instanceof Date) return raw;
  const text = String(raw);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

/** SUM that never raises on SQLite (TOTAL is a float there: exact up to 2^53, the counters' cap). */
export function sumSql(postgres: boolean, expr: string): string {
  return postgres ? `COALESCE(SUM(${expr}), 0)` : `TOTAL(${expr})`;
}

/** The advisory lock key pair of one persona's metrics on PostgreSQL ("metr" as bytes, and the id's hash). */
const METRICS_LOCK = 0x6d657472;

/**
 * Takes the persona's metrics lock for the rest of the transaction (PostgreSQL; SQLite writes
 * are one queue already): exclusive for a writer near the counter limit and for `recompute`;
 * every ordinary write takes it shared, inside its own statement, so that an exclusive holder
 * sees every write that started before it.
 */
export async function lockPersonaMetrics(manager: EntityManager, personaId: string): Promise<void> {
  if (manager.connection.options.type === 'postgres') await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [METRICS_LOCK, personaId]);
}

const ROLLUP_COLUMNS = ['personaId', 'version', 'grain', 'bucketAt', 'shard', ...ROLLUP_COUNTERS, 'lastAt'];
const BIN_COLUMNS = ['personaId', 'version', 'grain', 'bucketAt', 'bin', 'shard', 'count', 'maxMs'];
const LOG_COLUMNS = ['id', 'personaId', 'version', 'success', 'latencyMs', 'inputTokens', 'outputTokens', 'rating', 'at'];
const q = (name: string) => `"${name}"`;

const ROLLUP_KEY = '"personaId", "version", "grain", "bucketAt", "shard"';
const BIN_KEY = '"personaId", "version", "grain", "bucketAt", "bin", "shard"';
function rollupUpdate(postgres: boolean): string {
  const t = 'persona_metric_rollups';
  const adds = ROLLUP_COUNTERS.map((c) => `${q(c)} = ${t}.${q(c)} + excluded.${q(c)}`);
  const last = postgres ? `GREATEST(${t}."lastAt", excluded."lastAt")` : `MAX(COALESCE(${t}."lastAt", ''), excluded."lastAt")`;
  return `ON CONFLICT (${ROLLUP_KEY}) DO UPDATE SET ${adds.join(', ')}, "lastAt" = ${last}`;
}
function binUpdate(postgres: boolean): string {
  const t = 'persona_latency_bins';
  return `ON CONFLICT (${BIN_KEY}) DO UPDATE SET "count" = ${t}."count" + excluded."count", "maxMs" = ${postgres ? 'GREATEST' : 'MAX'}(${t}."maxMs", excluded."maxMs")`;
}

/**
 * PostgreSQL: the events of one persona (log rows, rollups, bins) in ONE statement, so it commits
 * on its own (autocommit: no other round trip) or inside the caller's transaction. Arrays through
 * `unnest` keep the statement text and its parameter count the same for any batch size. Nothing is
 * written when the persona is gone; the statement returns `found` = 0 then.
 */
export function postgresWrite(personaId: string, events: RollupEvent[], shard: number): [string, unknown[]] {
  const { rollups, bins } = rollupRowsOf(events);
  const params: unknown[] = [personaId, METRICS_LOCK];
  const arr = (values: unknown[], type: string) => {
    params.push(values);
    return `$${params.length}::${type}[]`;
  };
  const log = [
    arr(events.map(() => newId()), 'uuid'),
    arr(events.map((e) => e.version || null), 'int'),
    arr(events.map((e) => e.success), 'boolean'),
    arr(events.map((e) => e.latencyMs), 'bigint'),
    arr(events.map((e) => e.inputTokens), 'bigint'),
    arr(events.map((e) => e.outputTokens), 'bigint'),
    arr(events.map((e) => e.rating), 'int'),
    arr(events.map((e) => e.at.toISOString()), 'timestamptz'),
  ];
  const r = [
    arr(rollups.map((x) => x.version), 'int'),
    arr(rollups.map((x) => x.grain), 'smallint'),
    arr(rollups.map((x) => new Date(x.bucketAt).toISOString()), 'timestamptz'),
    ...ROLLUP_COUNTERS.map((c) => arr(rollups.map((x) => x.sums[c]), 'bigint')),
    arr(rollups.map((x) => new Date(x.lastAt).toISOString()), 'timestamptz'),
  ];
  const b = [
    arr(bins.map((x) => x.version), 'int'),
    arr(bins.map((x) => x.grain), 'smallint'),
    arr(bins.map((x) => new Date(x.bucketAt).toISOString()), 'timestamptz'),
    arr(bins.map((x) => x.bin), 'int'),
    arr(bins.map((x) => x.count), 'bigint'),
    arr(bins.map((x) => x.maxMs), 'int'),
  ];
  params.push(shard);
  const s = `$${params.length}::smallint`;
  params.push(shard % BIN_SHARDS);
  const bs = `$${params.length}::smallint`;
  const sql = `WITH lk AS (SELECT pg_advisory_xact_lock_shared($2, hashtext($1)) AS l),
  p AS (SELECT pe.id FROM personas pe, lk WHERE pe.id = $1::uuid FOR KEY SHARE OF pe),
  l AS (INSERT INTO persona_interactions (${LOG_COLUMNS.map(q).join(', ')})
        SELECT u.i, p.id, u.v, u.s, u.l, u.it, u.ot, u.r, u.a FROM p, unnest(${log.join(', ')}) AS u(i, v, s, l, it, ot, r, a)),
  r AS (INSERT INTO persona_metric_rollups (${ROLLUP_COLUMNS.map(q).join(', ')})
        SELECT p.id, u.v, u.g, u.b, ${s}, u.c1, u.c2, u.c3, u.c4, u.c5, u.c6, u.c7, u.la FROM p, unnest(${r.join(', ')}) AS u(v, g, b, c1, c2, c3, c4, c5, c6, c7, la)
        ${rollupUpdate(true)}),
  b AS (INSERT INTO persona_latency_bins (${BIN_COLUMNS.map(q).join(', ')})
        SELECT p.id, u.v, u.g, u.b, u.bin, ${bs}, u.n, u.mx FROM p, unnest(${b.join(', ')}) AS u(v, g, b, bin, n, mx)
        ${binUpdate(true)})
  SELECT COUNT(*) AS found FROM p`;
  return [sql, params];
}

/** SQLite: the same writes as {@link postgresWrite}, as multi-row statements in the caller's transaction (the persona is known to exist). */
export async function sqliteWrite(manager: EntityManager, personaId: string, events: RollupEvent[], shard: number): Promise<void> {
  const { rollups, bins } = rollupRowsOf(events);
  const d = (ms: number | Date) => dateParam(false, new Date(ms));
  const insert = async (table: string, columns: string[], rows: unknown[][], tail = '') => {
    const per = Math.max(1, Math.floor(30_000 / columns.length));
    for (let i = 0; i < rows.length; i += per) {
      const part = rows.slice(i, i + per);
      const marks = part.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
      await manager.query(`INSERT INTO ${table} (${columns.map(q).join(', ')}) VALUES ${marks} ${tail}`, part.flat());
    }
  };
  await insert(
    'persona_interactions',
    LOG_COLUMNS,
    events.map((e) => [newId(), personaId, e.version || null, e.success ? 1 : 0, e.latencyMs, e.inputTokens, e.outputTokens, e.rating, d(e.at)]),
  );
  await insert(
    'persona_metric_rollups',
    ROLLUP_COLUMNS,
    rollups.map((x) => [personaId, x.version, x.grain, d(x.bucketAt), shard, ...ROLLUP_COUNTERS.map((c) => x.sums[c]), d(x.lastAt)]),
    rollupUpdate(false),
  );
  await insert(
    'persona_latency_bins',
    BIN_COLUMNS,
    bins.map((x) => [personaId, x.version, x.grain, d(x.bucketAt), x.bin, shard % BIN_SHARDS, x.count, x.maxMs]),
    binUpdate(false),
  );
}

/** The SQL of the start of the hour / day of a timestamp expression, as the rollups store it. */
function truncSql(postgres: boolean, expr: string, grain: 'hour' | 'day'): string {
  const seconds = grain === 'hour' ? 3600 : 86400;
  if (postgres) return `to_timestamp(floor(extract(epoch from ${expr}) / ${seconds}) * ${seconds})`;
  return grain === 'hour' ? `strftime('%Y-%m-%d %H:00:00.000', ${expr})` : `strftime('%Y-%m-%d 00:00:00.000', ${expr})`;
}

/** The limits the log is read within when rollups are rebuilt from it (rows written by hand or by older versions count at the nearest bound). */
export type LogBounds = { maxLatencyMs: number; maxTokens: number; minRating: number; maxRating: number };

/**
 * Rebuilds rollups and bins from the log: the hour level from log rows (of one persona, or of
 * all, and only from `from` on when the log before it was pruned: those hours keep their
 * rollups), then the day and all-time levels from the hours. One shard per bucket. `lastBefore`:
 * log rows dated after it (past the allowed clock skew) do not set `lastAt`.
 */
export async function rebuildRollups(
  manager: EntityManager,
  scope: { personaId?: string; from?: Date | null; lastBefore: Date },
  limits: LogBounds,
): Promise<void> {
  const postgres = manager.connection.options.type === 'postgres';
  const within = (column: string, min: number, max: number) => `CASE WHEN ${column} < ${min} THEN ${min} WHEN ${column} > ${max} THEN ${max} ELSE ${column} END`;
  const parameters: Record<string, unknown> = { lastBefore: dateParam(postgres, scope.lastBefore) };
  if (scope.personaId !== undefined) parameters.personaId = scope.personaId;
  if (scope.from) parameters.from = dateParam(postgres, scope.from);
  const run = async (sql: string) => {
    const [text, values] = manager.connection.driver.escapeQueryWithParameters(sql, parameters);
    await manager.query(text, values);
  };
  const onlyP = (alias = '') => (scope.personaId !== undefined ? `${alias}"personaId" = :personaId` : '1 = 1');
  const logF = `${onlyP('i.')}${scope.from ? ` AND i.at >= :from` : ''}`;
  const lastMark = ':lastBefore';
  const epoch = postgres ? `TIMESTAMPTZ '1970-01-01T00:00:00Z'` : `'1970-01-01 00:00:00.000'`;
  const sum = (expr: string) => sumSql(postgres, expr);
  const L = limits;
  const latency = within('i."latencyMs"', 0, L.maxLatencyMs);
  const hour = truncSql(postgres, 'i.at', 'hour');
  const version = 'COALESCE(i.version, 0)';

  // Every level but the hours kept from before the pruned log goes, then comes back from the log.
  const doomed = scope.from ? `(grain <> ${GRAIN.hour} OR "bucketAt" >= :from)` : '1 = 1';
  for (const table of ['persona_metric_rollups', 'persona_latency_bins']) await run(`DELETE FROM ${table} WHERE ${onlyP()} AND ${doomed}`);
  await run(`INSERT INTO persona_metric_rollups (${ROLLUP_COLUMNS.map(q).join(', ')})
    SELECT i."personaId", ${version}, ${GRAIN.hour}, ${hour}, 0, COUNT(*),
      ${sum('CASE WHEN i.success THEN 1 ELSE 0 END')}, ${sum(within('i."inputTokens"', 0, L.maxTokens))}, ${sum(within('i."outputTokens"', 0, L.maxTokens))},
      ${sum(latency)}, COUNT(i.rating), ${sum(within('i.rating', L.minRating, L.maxRating))}, MAX(CASE WHEN i.at <= ${lastMark} THEN i.at END)
    FROM persona_interactions i WHERE ${logF} GROUP BY i."personaId", ${version}, ${hour}`);
  await run(`INSERT INTO persona_latency_bins (${BIN_COLUMNS.map(q).join(', ')})
    SELECT i."personaId", ${version}, ${GRAIN.hour}, ${hour}, ${latencyBinSql(latency)}, 0, COUNT(*), MAX(${latency})
    FROM persona_interactions i WHERE ${logF} GROUP BY i."personaId", ${version}, ${hour}, ${latencyBinSql(latency)}`);
  for (const [grain, bucket] of [
    [GRAIN.day, truncSql(postgres, 'h."bucketAt"', 'day')],
    [GRAIN.total, epoch],
  ] as const) {
    await run(`INSERT INTO persona_metric_rollups (${ROLLUP_COLUMNS.map(q).join(', ')})
      SELECT h."personaId", h.version, ${grain}, ${bucket}, 0, ${ROLLUP_COUNTERS.map((c) => sum(`h.${q(c)}`)).join(', ')}, MAX(h."lastAt")
      FROM persona_metric_rollups h WHERE ${onlyP('h.')} AND h.grain = ${GRAIN.hour} GROUP BY h."personaId", h.version, ${bucket}`);
    await run(`INSERT INTO persona_latency_bins (${BIN_COLUMNS.map(q).join(', ')})
      SELECT h."personaId", h.version, ${grain}, ${bucket}, h.bin, 0, ${sum('h."count"')}, MAX(h."maxMs")
      FROM persona_latency_bins h WHERE ${onlyP('h.')} AND h.grain = ${GRAIN.hour} GROUP BY h."personaId", h.version, ${bucket}, h.bin`);
  }
}
