import { EntityManager } from 'typeorm';
import type { SqliteConnection } from './transaction';

/**
 * The SQL behind `MetricsService`: the write (one pending row per event, see
 * {@link POSTGRES_RECORD_SQL}), the fold that moves pending rows into the log and the per-bucket
 * rollups (persona × version × hour, day and all time) and their latency histograms
 * ({@link foldPostgresSql}, {@link foldSqlite}), and the rebuild from the log by `recompute`.
 * docs/scaling.md says why it is shaped this way.
 */

/** Bucket sizes of the rollups: all time (bucketAt = the epoch), a UTC day, a UTC hour. */
export const GRAIN = { total: 0, day: 1, hour: 2 } as const;

/** Accepted and ignored since the fold (see {@link foldPostgresSql}): every rollup row is shard 0. */
export const DEFAULT_SHARDS = 16;

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

// ---------------------------------------------------------------------------------------------
// The pending queue and the fold

/** The most one event adds to each counter (INTERACTION_LIMITS): what a pending row can weigh at most. */
export const EVENT_MAX: RollupSums = { interactions: 1, successes: 1, inputTokens: 10_000_000, outputTokens: 10_000_000, latencySum: 86_400_000, ratingCount: 1, ratingSum: 5 };

/** The columns of a pending row (see PersonaMetricPending), in insert order. */
export const PENDING_COLUMNS = ['seq', ...LOG_COLUMNS];

/**
 * The counters of one pending row, in {@link ROLLUP_COUNTERS} order, as SQL over alias `alias`:
 * what a row adds to a rollup.
 */
export function pendingCountersSql(alias: string): string[] {
  return [
    '1',
    `CASE WHEN ${alias}.success THEN 1 ELSE 0 END`,
    `${alias}."inputTokens"`,
    `${alias}."outputTokens"`,
    `${alias}."latencyMs"`,
    `CASE WHEN ${alias}.rating IS NULL THEN 0 ELSE 1 END`,
    `COALESCE(${alias}.rating, 0)`,
  ];
}

/** The start of the bucket of a timestamp expression at a grain, as the rollups store `bucketAt`. */
export function bucketSql(postgres: boolean, expr: string, grain: number): string {
  if (grain === GRAIN.total) return postgres ? `TIMESTAMPTZ '1970-01-01T00:00:00Z'` : `'1970-01-01 00:00:00.000'`;
  return truncSql(postgres, expr, grain === GRAIN.day ? 'day' : 'hour');
}

/** The advisory lock (PostgreSQL) that one fold at a time holds, and `recompute` too ("fold" as bytes). */
const FOLD_LOCK = 0x666f6c64;

/**
 * PostgreSQL: the one statement that records the events of one persona, taking nothing but the
 * persona's metrics lock shared (see {@link lockPersonaMetrics}): it reads the persona, and only
 * when the actor may record on it, every explicit version exists and (with `$6`) every counter
 * stays below its limit, appends one pending row per event. It returns the persona's access fields
 * and version (no row: no such persona) and `written`, the rows appended (0: refused, the caller
 * says why). The counter check is a bound, not a sum: the folded all-time totals plus, for every
 * row that may be pending, the most one event adds. The pending rows are counted by the room
 * they could take: the table's pages times the most tuples a page holds (every row version,
 * committed or not, lives in one of them), so no writer scans the queue; the background fold
 * vacuums it to keep that bound small.
 *
 * Parameters: $1 persona id; $2 any actor may record (none given, or an admin); $3 the actor's
 * id; $4 the actor holds metrics:write; $5 the largest explicit version (0: none); $6 check the
 * counters; $7 the 7 limits (what each counter may reach before the events: limit − their sum);
 * $8–$15 the events as arrays: log ids, versions (null: the current one), success, latency,
 * input and output tokens, rating, time.
 */
export const POSTGRES_RECORD_SQL = `WITH lk AS (SELECT pg_advisory_xact_lock_shared(${METRICS_LOCK}, hashtext($1)) AS l),
  p AS (SELECT pe.id, pe.version, pe."isPublic", pe."createdBy" FROM personas pe, lk WHERE pe.id = $1::uuid),
  t AS (SELECT ${ROLLUP_COUNTERS.map((c, i) => `COALESCE(SUM(r.${q(c)}), 0) AS c${i + 1}`).join(', ')}
          FROM persona_metric_rollups r WHERE r."personaId" = $1::uuid AND r.grain = ${GRAIN.total}),
  w AS (SELECT LEAST((pg_relation_size('persona_metric_pending') / bs + 1) * ((bs - 24) / 28), 1000000000) AS n FROM (SELECT current_setting('block_size')::bigint AS bs) z),
  ok AS (SELECT p.id, p.version FROM p, t, w
          WHERE ($2::boolean OR p."createdBy" = $3::text OR ($4::boolean AND p."isPublic")) AND $5::int <= p.version
            AND (NOT $6::boolean OR (${ROLLUP_COUNTERS.map((c, i) => `t.c${i + 1} + w.n * ${EVENT_MAX[c]} <= ($7::numeric[])[${i + 1}]`).join(' AND ')}))),
  ins AS (INSERT INTO persona_metric_pending (${PENDING_COLUMNS.map(q).join(', ')})
          SELECT nextval('persona_metric_pending_seq'), u.i, ok.id, COALESCE(u.v, ok.version), u.s, u.l, u.it, u.ot, u.r, u.a
            FROM ok, unnest($8::uuid[], $9::int[], $10::boolean[], $11::bigint[], $12::bigint[], $13::bigint[], $14::int[], $15::timestamptz[]) AS u(i, v, s, l, it, ot, r, a)
          RETURNING 1)
  SELECT p.version, p."isPublic", p."createdBy", (SELECT COUNT(*) FROM ins) AS written FROM p`;

/**
 * PostgreSQL: one fold, as ONE statement: when no other fold holds the fold lock (a try, never a
 * wait; `recompute` and `flush` hold it already), it deletes the oldest `$1` pending rows (of
 * persona `$2` only when given), and in the same statement appends them to the log and adds them
 * to the hour, day and all-time rollups and histogram bins, keys in one order. Rows of a persona
 * removed since are dropped. Returns `locked` (false: another fold runs) and `moved`.
 */
export function foldPostgresSql(onePersona: boolean): string {
  const k = 'k';
  const bucket = `CASE k.grain WHEN ${GRAIN.total} THEN ${bucketSql(true, 'e.at', GRAIN.total)} WHEN ${GRAIN.day} THEN ${bucketSql(true, 'e.at', GRAIN.day)} ELSE ${bucketSql(true, 'e.at', GRAIN.hour)} END`;
  return `WITH lk AS (SELECT pg_try_advisory_xact_lock(${FOLD_LOCK}, 0) AS ok),
  f AS (DELETE FROM persona_metric_pending d WHERE d.seq IN (
          SELECT s.seq FROM persona_metric_pending s, lk WHERE lk.ok${onePersona ? ' AND s."personaId" = $2::uuid' : ''} ORDER BY s.seq LIMIT $1 FOR UPDATE OF s SKIP LOCKED)
        RETURNING d.*),
  e AS (SELECT f.* FROM f JOIN personas pe ON pe.id = f."personaId"),
  l AS (INSERT INTO persona_interactions (${LOG_COLUMNS.map(q).join(', ')}) SELECT ${LOG_COLUMNS.map((c) => `e.${q(c)}`).join(', ')} FROM e ORDER BY e.seq),
  ${k} AS (SELECT e.*, g.grain, ${bucket.replace(/k\.grain/g, 'g.grain')} AS b FROM e, (VALUES (${GRAIN.total}), (${GRAIN.day}), (${GRAIN.hour})) AS g(grain)),
  r AS (INSERT INTO persona_metric_rollups (${ROLLUP_COLUMNS.map(q).join(', ')})
        SELECT k."personaId", k.version, k.grain, k.b, 0, ${pendingCountersSql('k').map((x) => `SUM(${x})`).join(', ')}, MAX(k.at)
          FROM k GROUP BY k."personaId", k.grain, k.b, k.version ORDER BY k."personaId", k.grain, k.b, k.version
        ${rollupUpdate(true)}),
  bn AS (INSERT INTO persona_latency_bins (${BIN_COLUMNS.map(q).join(', ')})
        SELECT k."personaId", k.version, k.grain, k.b, ${latencyBinSql('k."latencyMs"')} AS bin, 0, COUNT(*), MAX(k."latencyMs")
          FROM k GROUP BY k."personaId", k.grain, k.b, k.version, 5 ORDER BY k."personaId", k.grain, k.b, k.version, 5
        ${binUpdate(true)})
  SELECT (SELECT ok FROM lk) AS locked, (SELECT COUNT(*) FROM f) AS moved`;
}

/** PostgreSQL: waits for the fold lock, for the rest of the transaction (recompute, flush). */
export async function lockFold(manager: EntityManager): Promise<void> {
  if (manager.connection.options.type === 'postgres') await manager.query(`SELECT pg_advisory_xact_lock(${FOLD_LOCK}, 0)`);
}

/**
 * SQLite: one fold in the caller's transaction (SQLite writers are one queue, so it is the only
 * fold): the oldest `limit` pending rows (of one persona when given) into the log, the rollups and
 * the bins, then deleted. Returns how many rows it moved.
 */
export async function foldSqlite(manager: EntityManager, limit: number, personaId?: string): Promise<number> {
  const plan = sqliteFoldPlan(limit, personaId);
  const [head] = await manager.query(...plan.head);
  const moved = Number(head?.n ?? 0);
  if (!moved) return 0;
  for (const [sql, params] of plan.steps(head.m)) await manager.query(sql, params);
  return moved;
}

/** {@link foldSqlite} on the connection itself, inside `inSqliteConnection` (the background fold). */
export function foldSqliteNow(connection: SqliteConnection, limit: number): number {
  const plan = sqliteFoldPlan(limit);
  const head = connection.statement(plan.head[0]).get(...plan.head[1]) as { n: number; m: unknown } | undefined;
  const moved = Number(head?.n ?? 0);
  if (!moved) return 0;
  for (const [sql, params] of plan.steps(head!.m)) connection.statement(sql).run(...params);
  return moved;
}

/** The statements of a SQLite fold: the last seq it takes (and how many rows), then what it runs up to that seq. */
function sqliteFoldPlan(limit: number, personaId?: string): { head: [string, unknown[]]; steps: (upTo: unknown) => [string, unknown[]][] } {
  const only = personaId === undefined ? '' : ' AND x."personaId" = ?';
  const scope = (params: unknown[]) => (personaId === undefined ? params : [...params, personaId]);
  const from = `persona_metric_pending x JOIN personas pe ON pe.id = x."personaId"`;
  const where = `x.seq <= ?${only}`;
  const grains = `(SELECT ${GRAIN.total} AS grain UNION ALL SELECT ${GRAIN.day} UNION ALL SELECT ${GRAIN.hour}) g`;
  const bucket = `CASE g.grain WHEN ${GRAIN.total} THEN ${bucketSql(false, 'x.at', GRAIN.total)} WHEN ${GRAIN.day} THEN ${bucketSql(false, 'x.at', GRAIN.day)} ELSE ${bucketSql(false, 'x.at', GRAIN.hour)} END`;
  return {
    head: [`SELECT COUNT(*) AS n, MAX(s.seq) AS m FROM (SELECT x.seq FROM persona_metric_pending x WHERE 1 = 1${only} ORDER BY x.seq LIMIT ?) s`, scope([]).concat([limit])],
    steps: (upTo) => [
      [`INSERT INTO persona_interactions (${LOG_COLUMNS.map(q).join(', ')}) SELECT ${LOG_COLUMNS.map((c) => `x.${q(c)}`).join(', ')} FROM ${from} WHERE ${where} ORDER BY x.seq`, scope([upTo])],
      [
        `INSERT INTO persona_metric_rollups (${ROLLUP_COLUMNS.map(q).join(', ')})
         SELECT x."personaId", x.version, g.grain, ${bucket}, 0, ${pendingCountersSql('x').map((c) => `SUM(${c})`).join(', ')}, MAX(x.at)
           FROM ${from} CROSS JOIN ${grains} WHERE ${where} GROUP BY x."personaId", g.grain, 4, x.version ORDER BY x."personaId", g.grain, 4, x.version
         ${rollupUpdate(false)}`,
        scope([upTo]),
      ],
      [
        `INSERT INTO persona_latency_bins (${BIN_COLUMNS.map(q).join(', ')})
         SELECT x."personaId", x.version, g.grain, ${bucket}, ${latencyBinSql('x."latencyMs"')}, 0, COUNT(*), MAX(x."latencyMs")
           FROM ${from} CROSS JOIN ${grains} WHERE ${where} GROUP BY x."personaId", g.grain, 4, x.version, 5 ORDER BY x."personaId", g.grain, 4, x.version, 5
         ${binUpdate(false)}`,
        scope([upTo]),
      ],
      [`DELETE FROM persona_metric_pending WHERE seq <= ?${only.replace('x.', '')}`, scope([upTo])],
    ],
  };
}

/**
 * Moves every rollup and bin row of a shard other than 0 into shard 0 of its bucket (the
 * migration to the fold: one folder at a time needs no shards). Sums past 2^63 − 1, reachable only
 * by rows edited by hand, stop there.
 */
export async function compactRollupShards(manager: EntityManager): Promise<void> {
  const postgres = manager.connection.options.type === 'postgres';
  const capped = (expr: string) => (postgres ? `LEAST(SUM(${expr}), 9223372036854775807)` : `TOTAL(${expr})`);
  const later = (a: string, b: string) => `CASE WHEN ${b} IS NULL THEN ${a} WHEN ${a} IS NULL THEN ${b} WHEN ${b} > ${a} THEN ${b} ELSE ${a} END`;
  const t = 'persona_metric_rollups';
  await manager.query(`INSERT INTO ${t} (${ROLLUP_COLUMNS.map(q).join(', ')})
    SELECT "personaId", version, grain, "bucketAt", 0, ${ROLLUP_COUNTERS.map((c) => capped(q(c))).join(', ')}, MAX("lastAt")
      FROM ${t} WHERE shard <> 0 GROUP BY "personaId", version, grain, "bucketAt"
    ON CONFLICT (${ROLLUP_KEY}) DO UPDATE SET ${ROLLUP_COUNTERS.map((c) => `${q(c)} = ${postgres ? `LEAST(${t}.${q(c)}::numeric + excluded.${q(c)}, 9223372036854775807)` : `${t}.${q(c)} + excluded.${q(c)}`}`).join(', ')},
      "lastAt" = ${later(`${t}."lastAt"`, 'excluded."lastAt"')}`);
  await manager.query(`DELETE FROM ${t} WHERE shard <> 0`);
  const b = 'persona_latency_bins';
  await manager.query(`INSERT INTO ${b} (${BIN_COLUMNS.map(q).join(', ')})
    SELECT "personaId", version, grain, "bucketAt", bin, 0, ${capped('"count"')}, MAX("maxMs")
      FROM ${b} WHERE shard <> 0 GROUP BY "personaId", version, grain, "bucketAt", bin
    ON CONFLICT (${BIN_KEY}) DO UPDATE SET "count" = ${postgres ? `LEAST(${b}."count"::numeric + excluded."count", 9223372036854775807)` : `${b}."count" + excluded."count"`}, "maxMs" = ${postgres ? 'GREATEST' : 'MAX'}(${b}."maxMs", excluded."maxMs")`);
  await manager.query(`DELETE FROM ${b} WHERE shard <> 0`);
}

/** The SQL of the start of the hour / day of a timestamp expression, as the rollups store it. */
export function truncSql(postgres: boolean, expr: string, grain: 'hour' | 'day'): string {
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
