import { types } from 'util';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../actor';
import { AccessDeniedError, PersonaNotFoundError, PersonaValidationError, ValidationIssue } from '../errors';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaMetrics } from '../models/persona-metrics.entity';
import { newId } from '../persistence/ids';
import { PersonaInteraction } from '../models/persona-interaction.entity';
import { looksLikeId } from '../persistence/persona-rows';
import { inTransaction, reading } from '../persistence/transaction';
import { canSeeVersion, readableVersions } from '../persistence/release-rows';
import { assertActor, assertCanWrite, canRead, canRecordMetrics, METRICS_WRITE_ROLE, Owned } from './access';

/**
 * The documented range of every field of an interaction event (docs/security.md, "Metrics"; DESIGN:
 * "Metrics cannot be poisoned"). Counters never pass `maxCounter`, the largest integer a JavaScript
 * number holds exactly, so every counter reads back exactly on both engines.
 */
export const INTERACTION_LIMITS = Object.freeze({
  /** latencyMs: a finite number of milliseconds, 0 to one day inclusive. */
  maxLatencyMs: 86_400_000,
  /** inputTokens, outputTokens: a safe integer, 0 to ten million inclusive, per event. */
  maxTokens: 10_000_000,
  /** rating: an integer from 1 to 5. */
  minRating: 1,
  maxRating: 5,
  /** at: not before 2000-01-01T00:00:00Z ... */
  minAt: Date.UTC(2000, 0, 1),
  /** ... and at most five minutes after the server's clock (clock skew between hosts). */
  maxFutureSkewMs: 5 * 60_000,
  /** at as text: at most this many characters (the longest valid form is 35). */
  maxAtLength: 40,
  /** Every counter of `PersonaMetrics`: 2^53 − 1 (Number.MAX_SAFE_INTEGER). */
  maxCounter: Number.MAX_SAFE_INTEGER,
});


/**
 * One interaction of a persona with a user, as `recordInteraction` takes it. Ranges are in
 * {@link INTERACTION_LIMITS}; any other field is refused.
 */
export type InteractionEvent = {
  success: boolean;
  /** Response latency in milliseconds, a finite number 0–86,400,000 (one day); stored rounded to whole milliseconds. */
  latencyMs: number;
  /** Prompt tokens, integer 0–10,000,000 (default 0). */
  inputTokens?: number;
  /** Completion tokens, integer 0–10,000,000 (default 0). */
  outputTokens?: number;
  /** The user's rating, integer 1–5; null or absent for none. */
  rating?: number | null;
  /**
   * When it happened (default now): a valid Date, or ISO 8601 text with a time and a zone,
   * `YYYY-MM-DDTHH:mm[:ss[.fraction]]` followed by `Z` or `±hh:mm` (text without a zone is
   * refused, never read in the server's local time). From 2000-01-01T00:00:00Z to five minutes
   * after now.
   */
  at?: Date | string;
  /** The persona version that served it (default the current version): an integer from 1 to the current version. */
  version?: number;
};

type CheckedEvent = { success: boolean; latencyMs: number; inputTokens: number; outputTokens: number; rating: number | null; at: Date; version?: number };

/** One version's metrics, as `byVersion` returns them. */
export type VersionMetrics = { version: number; metrics: PersonaMetrics };

/** One bucket of `series`: its start (ISO, UTC) and the figures of the events in it (zeros and nulls when none). */
export type MetricsPoint = {
  at: string;
  interactions: number;
  successRate: number | null;
  averageResponseTimeMs: number | null;
  p95ResponseTimeMs: number | null;
  averageRating: number | null;
};

/** What `series` takes: the bucket size, the time range (default the 30 days before now) and an optional version. */
export type SeriesOptions = { bucket: 'hour' | 'day'; from?: Date | string; to?: Date | string; version?: number };

/** Most buckets one `series` call returns. */
export const MAX_SERIES_BUCKETS = 1000;
const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;

const EVENT_KEYS = new Set(['success', 'latencyMs', 'inputTokens', 'outputTokens', 'rating', 'at', 'version']);
const MAX_UNKNOWN_KEY_ISSUES = 20;

/** `YYYY-MM-DDTHH:mm[:ss[.fraction]]` and a zone, `Z` or `±hh:mm`. */
const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** Milliseconds since the epoch of ISO 8601 text with a zone; NaN when it is not one or names no real instant (2026-02-30, 24:00). */
function parseIsoWithZone(text: string): number {
  const m = ISO_WITH_ZONE.exec(text);
  if (!m) return NaN;
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number);
  const second = Number(m[6] ?? 0);
  const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  if (day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return NaN;
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day); // not Date.UTC, which reads years 0–99 as 1900–1999
  local.setUTCHours(hour, minute, second, ms);
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  return local.getTime() - offset * 60_000;
}

/**
 * Validates an event against {@link INTERACTION_LIMITS}, reading each field once (a getter cannot
 * pass the check with one value and be stored with another). Throws PersonaValidationError with
 * every broken rule; nothing has been read from or written to the database yet.
 */
function checkEvent(event: unknown, now: number): CheckedEvent {
  const L = INTERACTION_LIMITS;
  const issues: ValidationIssue[] = [];
  const push = (path: string, constraint: string, message: string) => issues.push({ path, constraint, message });
  if (event === null || typeof event !== 'object' || Array.isArray(event) || types.isDate(event)) {
    throw new PersonaValidationError([{ path: '', constraint: 'isObject', message: 'an interaction must be an object' }], 'interaction');
  }
  const e = event as Record<string, unknown>;
  const unknown = Object.keys(e).filter((key) => !EVENT_KEYS.has(key));
  for (const key of unknown.slice(0, MAX_UNKNOWN_KEY_ISSUES)) push(key, 'whitelistValidation', `unknown field "${key.length > 100 ? `${key.slice(0, 100)}…` : key}"`);
  if (unknown.length > MAX_UNKNOWN_KEY_ISSUES) push('', 'whitelistValidation', `and ${unknown.length - MAX_UNKNOWN_KEY_ISSUES} more unknown fields`);
  const { success, latencyMs, inputTokens, outputTokens, rating, at, version } = e;
  if (version !== undefined && (!Number.isSafeInteger(version) || (version as number) < 1)) push('version', 'isInt', 'version must be an integer of at least 1');

  if (typeof success !== 'boolean') push('success', 'isBoolean', 'success must be a boolean');

  if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs)) push('latencyMs', 'isNumber', 'latencyMs must be a finite number of milliseconds');
  else if (latencyMs < 0) push('latencyMs', 'min', 'latencyMs must be at least 0');
  else if (latencyMs > L.maxLatencyMs) push('latencyMs', 'max', `latencyMs must be at most ${L.maxLatencyMs} (one day)`);

  const tokens = { inputTokens, outputTokens };
  for (const [key, v] of Object.entries(tokens)) {
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) push(key, 'isInt', `${key} must be an integer`);
    else if (v < 0) push(key, 'min', `${key} must be at least 0`);
    else if (v > L.maxTokens) push(key, 'max', `${key} must be at most ${L.maxTokens}`);
  }

  if (rating !== undefined && rating !== null && (typeof rating !== 'number' || !Number.isInteger(rating) || rating < L.minRating || rating > L.maxRating)) {
    push('rating', 'isRating', `rating must be an integer from ${L.minRating} to ${L.maxRating}`);
  }

  let time = now;
  if (at !== undefined) {
    if (types.isDate(at)) time = Date.prototype.getTime.call(at);
    else if (typeof at === 'string' && at.length <= L.maxAtLength) time = parseIsoWithZone(at);
    else time = NaN;
    if (Number.isNaN(time)) {
      push('at', 'isDate', 'at must be a valid Date or ISO 8601 text with a time and a zone (Z or ±hh:mm), e.g. 2026-01-31T09:30:00Z');
    } else if (time < L.minAt) {
      push('at', 'minDate', 'at must not be before 2000-01-01T00:00:00Z');
    } else if (time > now + L.maxFutureSkewMs) {
      push('at', 'maxDate', `at must not be more than ${L.maxFutureSkewMs / 60_000} minutes in the future`);
    }
  }

  if (issues.length) throw new PersonaValidationError(issues, 'interaction');
  return {
    success: success as boolean,
    // `+ 0` turns -0 into 0.
    latencyMs: Math.round(latencyMs as number) + 0,
    inputTokens: ((inputTokens as number | undefined) ?? 0) + 0,
    outputTokens: ((outputTokens as number | undefined) ?? 0) + 0,
    rating: (rating as number | null | undefined) ?? null,
    at: new Date(time),
    version: version as number | undefined,
  };
}

/** The stored counters of a PersonaMetrics (what `recompute` writes back). */
function toPlainCounters(m: PersonaMetrics): Record<string, unknown> {
  const { personaId, totalInteractions, successfulInteractions, failedInteractions, totalInputTokens, totalOutputTokens, totalResponseTimeMs, ratingCount, ratingSum, lastInteractionAt } = m;
  return { personaId, totalInteractions, successfulInteractions, failedInteractions, totalInputTokens, totalOutputTokens, totalResponseTimeMs, ratingCount, ratingSum, lastInteractionAt };
}

/** A time given as a Date or ISO 8601 text with a zone, at `path`; NaN when neither. */
function timeOf(value: unknown): number {
  if (types.isDate(value)) return Date.prototype.getTime.call(value);
  if (typeof value === 'string' && value.length <= INTERACTION_LIMITS.maxAtLength) return parseIsoWithZone(value);
  return NaN;
}

/** The counters of `persona_metrics`, and the field of an event that feeds each (for issue paths). */
const COUNTERS = {
  totalInteractions: '',
  successfulInteractions: 'success',
  failedInteractions: 'success',
  totalInputTokens: 'inputTokens',
  totalOutputTokens: 'outputTokens',
  totalResponseTimeMs: 'latencyMs',
  ratingCount: 'rating',
  ratingSum: 'rating',
} as const;
type CounterName = keyof typeof COUNTERS;

/** How much one event adds to each counter. */
function deltasOf(e: CheckedEvent): Record<CounterName, number> {
  return {
    totalInteractions: 1,
    successfulInteractions: e.success ? 1 : 0,
    failedInteractions: e.success ? 0 : 1,
    totalInputTokens: e.inputTokens,
    totalOutputTokens: e.outputTokens,
    totalResponseTimeMs: e.latencyMs,
    ratingCount: e.rating === null ? 0 : 1,
    ratingSum: e.rating ?? 0,
  };
}

/** A caller's persona id in a message: bounded, and never a conversion that could throw. */
function shownId(personaId: unknown): string {
  if (typeof personaId === 'string') return personaId.length > 100 ? `${personaId.slice(0, 100)}…` : personaId;
  return `(${typeof personaId})`;
}

/**
 * A count or sum read back from SQL (text for PostgreSQL's bigint and numeric, a number on SQLite)
 * as a counter: never a string, capped at 2^53 − 1 (a cap only a log edited by hand can reach).
 */
function counterFromSum(value: unknown): number {
  const n = Number(value ?? 0);
  if (Number.isNaN(n) || n <= 0) return 0;
  return Math.min(n, INTERACTION_LIMITS.maxCounter);
}

/**
 * Runtime metrics: an append-only interaction log and aggregate counters kept in step with it by
 * atomic SQL increments in the same transaction; derived figures are computed on read, and
 * `recompute` rebuilds the aggregates from the log.
 *
 * Every method takes the acting {@link Actor} last. With an actor, reading needs read access (a
 * persona the actor may not read is a PersonaNotFoundError, exactly like a missing one);
 * recording needs, besides read access, the owner, an admin or the role `metrics:write`;
 * `recompute` needs the owner or an admin (AccessDeniedError otherwise). **Without an actor no
 * access check is made at all:** omit it only in trusted in-process code (a job that records
 * what its own runtime served), never with anything a user sent.
 *
 * Events are validated against {@link INTERACTION_LIMITS}; a refused event (bad field, unknown
 * persona, no access, or a counter that would pass 2^53 − 1) changes nothing, neither the log nor
 * the counters.
 */
export class MetricsService {
  /** The ranges events are checked against, as exported by {@link INTERACTION_LIMITS}. */
  static readonly limits = INTERACTION_LIMITS;
  /** The role that may record interactions, as {@link METRICS_WRITE_ROLE}. */
  static readonly writerRole = METRICS_WRITE_ROLE;

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Validates and records one interaction: appends it to the log and adds it to the counters, in
   * one transaction. Throws PersonaValidationError for an event out of range (or one that would
   * take a counter past 2^53 − 1, constraint `counterLimit`), PersonaNotFoundError for a persona
   * that does not exist or that `actor` may not read, AccessDeniedError when `actor` is neither
   * the owner, an admin nor holds `metrics:write`. Without `actor`: trusted caller, no checks.
   */
  async recordInteraction(personaId: string, event: InteractionEvent, actor?: Actor): Promise<void> {
    if (actor !== undefined) assertActor(actor);
    const e = checkEvent(event, Date.now());
    await inTransaction(this.dataSource, async (manager) => {
      const persona = await this.findPersona(manager, personaId, actor, true);
      if (actor && !canRecordMetrics(actor, persona)) {
        throw new AccessDeniedError(`${actor.id} may not record interactions of persona ${persona.id} (owner, admin or role ${METRICS_WRITE_ROLE} only)`, actor.id);
      }
      if (e.version === undefined) e.version = persona.version;
      else if (e.version > persona.version) {
        throw new PersonaValidationError([{ path: 'version', constraint: 'versionExists', message: `persona ${persona.id} has no version ${e.version} (its current version is ${persona.version})` }], 'interaction');
      }
      // Counters first: when one would pass the limit nothing is written, not even the log row.
      await this.addToCounters(manager, persona.id, e);
      await manager
        .createQueryBuilder()
        .insert()
        .into(PersonaInteraction)
        .values({ id: newId(), personaId: persona.id, ...e })
        .updateEntity(false)
        .execute();
    });
  }

  /**
   * The counters of a persona with the derived figures, p95 latency included. Throws
   * PersonaNotFoundError for a persona that does not exist or that `actor` may not read. Without
   * `actor`: trusted caller, no checks.
   */
  async get(personaId: string, actor?: Actor): Promise<PersonaMetrics> {
    if (actor !== undefined) assertActor(actor);
    return reading(this.dataSource, async (manager) => this.load(manager, (await this.findPersona(manager, personaId, actor, false)).id));
  }

  /**
   * Rebuilds the aggregate counters from the interaction log, in one transaction, and returns
   * them. Needs the owner or an admin when `actor` is given (PersonaNotFoundError for a persona
   * the actor may not read, AccessDeniedError for one it may read but not change). Log rows
   * outside today's event ranges (written before they were enforced, or by hand) count at the
   * nearest bound, and a row dated more than the allowed skew in the future does not set
   * `lastInteractionAt`; a sum past 2^53 − 1 (reachable only through a log edited outside the
   * service) is capped there. So recompute is also how a persona poisoned by an older version
   * is repaired.
   */
  async recompute(personaId: string, actor?: Actor): Promise<PersonaMetrics> {
    if (actor !== undefined) assertActor(actor);
    return inTransaction(this.dataSource, async (manager) => {
      const persona = await this.findPersona(manager, personaId, actor, true);
      const id = persona.id;
      if (actor) assertCanWrite(actor, persona, `the metrics of persona ${id}`);
      // One group of all the persona's events; a row dated past the allowed skew does not set lastInteractionAt.
      const [row] = await this.aggregate(manager, id, null, { lastBefore: this.dateParam(new Date(Date.now() + INTERACTION_LIMITS.maxFutureSkewMs)) });
      const { personaId: _p, ...values } = toPlainCounters(this.metricsOf(id, row ?? {}));
      await manager.createQueryBuilder().insert().into(PersonaMetrics).values({ personaId: id }).orIgnore().updateEntity(false).execute();
      await manager.createQueryBuilder().update(PersonaMetrics).set(values as never).where('personaId = :personaId', { personaId: id }).updateEntity(false).execute();
      return this.load(manager, id);
    });
  }

  /**
   * The metrics of each version of a persona that has events, oldest version first, computed in
   * SQL (one GROUP BY, and one p95 query per version through the (personaId, version, latencyMs)
   * index). Events recorded before versions were kept are in `get()`'s totals only. With an actor:
   * read access, and only the versions it may see (docs/security.md, private eras).
   */
  async byVersion(personaId: string, actor?: Actor): Promise<VersionMetrics[]> {
    if (actor !== undefined) assertActor(actor);
    return reading(this.dataSource, async (manager) => {
      const persona = await this.findPersona(manager, personaId, actor, false);
      const visible = actor ? await readableVersions(manager, persona, actor) : null;
      const rows = await this.aggregate(manager, persona.id, 'i.version', {});
      const out: VersionMetrics[] = [];
      for (const row of rows) {
        const version = Number(row.grp);
        if (!canSeeVersion(visible, version)) continue;
        const metrics = this.metricsOf(persona.id, row);
        metrics.p95ResponseTimeMs = await this.p95(manager, persona.id, metrics.totalInteractions, version);
        out.push({ version, metrics });
      }
      return out.sort((a, b) => a.version - b.version);
    });
  }

  /**
   * The persona's figures over time in hour or day buckets (UTC), every bucket from `from` to `to`
   * included (zeros and null averages when empty), optionally for one version; at most
   * {@link MAX_SERIES_BUCKETS} buckets (more is a validation error). Aggregated in SQL: one
   * GROUP BY for the counts and one windowed query for the p95 of every bucket.
   */
  async series(personaId: string, options: SeriesOptions, actor?: Actor): Promise<MetricsPoint[]> {
    if (actor !== undefined) assertActor(actor);
    const { size, start, end, count, version } = this.checkSeries(options);
    return reading(this.dataSource, async (manager) => {
      const persona = await this.findPersona(manager, personaId, actor, false);
      if (version !== undefined && actor) {
        const visible = await readableVersions(manager, persona, actor);
        if (!canSeeVersion(visible, version)) return this.emptySeries(start, size, count);
      }
      const bucket = this.bucketSql(start, size);
      const where = { from: this.dateParam(new Date(start)), to: this.dateParam(new Date(end)), ...(version !== undefined ? { version } : {}) };
      const rows = await this.aggregate(manager, persona.id, bucket, where);
      const p95 = await this.bucketP95(manager, persona.id, bucket, where);
      const points = this.emptySeries(start, size, count);
      for (const row of rows) {
        const i = Number(row.grp);
        if (!(i >= 0 && i < count)) continue;
        const m = this.metricsOf(persona.id, row);
        points[i] = { at: points[i].at, interactions: m.totalInteractions, successRate: m.successRate, averageResponseTimeMs: m.averageResponseTimeMs, p95ResponseTimeMs: p95.get(i) ?? null, averageRating: m.averageRating };
      }
      return points;
    });
  }

  // ---------------------------------------------------------------------------------------------

  private checkSeries(options: SeriesOptions): { size: number; start: number; end: number; count: number; version?: number } {
    const issues: ValidationIssue[] = [];
    const o = (options ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(o)) if (!['bucket', 'from', 'to', 'version'].includes(key)) issues.push({ path: key, constraint: 'whitelistValidation', message: `unknown option "${key}"` });
    if (o.bucket !== 'hour' && o.bucket !== 'day') issues.push({ path: 'bucket', constraint: 'isIn', message: 'bucket must be "hour" or "day"' });
    const to = o.to === undefined ? Date.now() : timeOf(o.to);
    if (Number.isNaN(to)) issues.push({ path: 'to', constraint: 'isDate', message: 'to must be a Date or ISO 8601 text with a zone' });
    const from = o.from === undefined ? to - 30 * 86_400_000 : timeOf(o.from);
    if (Number.isNaN(from)) issues.push({ path: 'from', constraint: 'isDate', message: 'from must be a Date or ISO 8601 text with a zone' });
    if (o.version !== undefined && (!Number.isSafeInteger(o.version) || (o.version as number) < 1)) issues.push({ path: 'version', constraint: 'isInt', message: 'version must be an integer of at least 1' });
    if (issues.length) throw new PersonaValidationError(issues, 'series');
    const size = BUCKET_MS[o.bucket as 'hour' | 'day'];
    if (from >= to) throw new PersonaValidationError([{ path: 'from', constraint: 'isBefore', message: 'from must be before to' }], 'series');
    const start = Math.floor(from / size) * size;
    const count = Math.ceil((to - start) / size);
    if (count > MAX_SERIES_BUCKETS) {
      throw new PersonaValidationError([{ path: 'from', constraint: 'maxBuckets', message: `the range spans ${count} ${o.bucket} buckets; at most ${MAX_SERIES_BUCKETS} per call` }], 'series');
    }
    return { size, start, end: to, count, version: o.version as number | undefined };
  }

  private emptySeries(start: number, size: number, count: number): MetricsPoint[] {
    return Array.from({ length: count }, (_, i) => ({ at: new Date(start + i * size).toISOString(), interactions: 0, successRate: null, averageResponseTimeMs: null, p95ResponseTimeMs: null, averageRating: null }));
  }

  /** The SQL of an event's bucket index from `start` (milliseconds since the epoch, aligned). */
  private bucketSql(start: number, size: number): string {
    if (this.dataSource.options.type === 'postgres') return `FLOOR(EXTRACT(EPOCH FROM (i.at - TIMESTAMPTZ '${new Date(start).toISOString()}')) * 1000 / ${size})::bigint`;
    return `CAST((julianday(i.at) - julianday('${this.dateParam(new Date(start))}')) * 86400000 / ${size} AS INTEGER)`;
  }

  /**
   * Counters per group (`grp`; one group of everything when `group` is null) of the persona's
   * events, optionally within [from, to), for one version, and with `last` only from events up to
   * `lastBefore`. Each term is clamped into its event range first, so a sum cannot pass SQLite's
   * 2^63 − 1 below ~9·10^11 rows per persona (PostgreSQL sums bigint as numeric and hands it back
   * as text); counterFromSum turns either into a number capped at 2^53 − 1.
   */
  private async aggregate(
    manager: EntityManager,
    personaId: string,
    group: string | null,
    where: { from?: unknown; to?: unknown; version?: number; lastBefore?: unknown },
  ): Promise<Record<string, unknown>[]> {
    const L = INTERACTION_LIMITS;
    const within = (column: string, min: number, max: number) => `CASE WHEN ${column} < ${min} THEN ${min} WHEN ${column} > ${max} THEN ${max} ELSE ${column} END`;
    const qb = manager
      .getRepository(PersonaInteraction)
      .createQueryBuilder('i')
      .select(group ?? '0', 'grp')
      .addSelect('COUNT(*)', 'total')
      .addSelect('SUM(CASE WHEN i.success THEN 1 ELSE 0 END)', 'successful')
      .addSelect(`SUM(${within('i.inputTokens', 0, L.maxTokens)})`, 'input')
      .addSelect(`SUM(${within('i.outputTokens', 0, L.maxTokens)})`, 'output')
      .addSelect(`SUM(${within('i.latencyMs', 0, L.maxLatencyMs)})`, 'latency')
      .addSelect('COUNT(i.rating)', 'ratingCount')
      .addSelect(`SUM(${within('i.rating', L.minRating, L.maxRating)})`, 'ratingSum')
      .addSelect(where.lastBefore === undefined ? 'MAX(i.at)' : 'MAX(CASE WHEN i.at <= :lastBefore THEN i.at END)', 'last')
      .where('i.personaId = :personaId', { personaId, ...(where.lastBefore === undefined ? {} : { lastBefore: where.lastBefore }) })
      .andWhere(group === 'i.version' ? 'i.version IS NOT NULL' : '1 = 1');
    if (group) qb.groupBy(group);
    if (where.from !== undefined) qb.andWhere('i.at >= :from AND i.at < :to', { from: where.from, to: where.to });
    if (where.version !== undefined) qb.andWhere('i.version = :version', { version: where.version });
    return qb.getRawMany<Record<string, unknown>>();
  }

  /** The nearest-rank p95 latency of every bucket, in one windowed query. */
  private async bucketP95(manager: EntityManager, personaId: string, bucket: string, where: { from?: unknown; to?: unknown; version?: number }): Promise<Map<number, number>> {
    const [sql, params] = manager.connection.driver.escapeQueryWithParameters(
      `SELECT grp, latency FROM (
         SELECT ${bucket} AS grp, i."latencyMs" AS latency,
                ROW_NUMBER() OVER (PARTITION BY ${bucket} ORDER BY i."latencyMs") AS rn,
                COUNT(*) OVER (PARTITION BY ${bucket}) AS n
           FROM persona_interactions i
          WHERE i."personaId" = :personaId AND i.at >= :from AND i.at < :to${where.version !== undefined ? ' AND i.version = :version' : ''}
       ) ranked WHERE rn = (95 * n + 99) / 100`,
      { personaId, ...where },
    );
    const rows: { grp: unknown; latency: unknown }[] = await manager.query(sql, params);
    return new Map(rows.map((r) => [Number(r.grp), Math.min(Math.max(Number(r.latency), 0), INTERACTION_LIMITS.maxLatencyMs)]));
  }

  /** A PersonaMetrics holding one group's counters (derived figures come from its getters). */
  private metricsOf(personaId: string, row: Record<string, unknown>): PersonaMetrics {
    const total = counterFromSum(row.total);
    const successful = counterFromSum(row.successful);
    return Object.assign(new PersonaMetrics(), {
      personaId,
      totalInteractions: total,
      successfulInteractions: successful,
      failedInteractions: total - successful,
      totalInputTokens: counterFromSum(row.input),
      totalOutputTokens: counterFromSum(row.output),
      totalResponseTimeMs: counterFromSum(row.latency),
      ratingCount: counterFromSum(row.ratingCount),
      ratingSum: counterFromSum(row.ratingSum),
      lastInteractionAt: row.last == null ? null : this.parseDate(row.last),
    });
  }

  /**
   * The persona's id (lower case, as stored) and its access fields. Any id that is not a UUID
   * string, a missing persona and, with an actor, one the actor may not read are all
   * PersonaNotFoundError. `lockForWrite` (PostgreSQL, in a transaction) takes FOR KEY SHARE on
   * the row, so a concurrent removal waits instead of failing our insert on its foreign key.
   */
  private async findPersona(manager: EntityManager, personaId: string, actor: Actor | undefined, lockForWrite: boolean): Promise<Owned & { id: string; version: number }> {
    if (typeof personaId !== 'string' || !looksLikeId(personaId)) throw new PersonaNotFoundError(shownId(personaId));
    const id = personaId.toLowerCase();
    const query = manager
      .getRepository(PersonaConfiguration)
      .createQueryBuilder('p')
      .select(['p.id', 'p.isPublic', 'p.createdBy', 'p.version'])
      .where('p.id = :id', { id });
    if (lockForWrite && this.dataSource.options.type === 'postgres') query.setLock('for_key_share');
    const persona = await query.getOne();
    if (!persona || (actor && !canRead(actor, persona))) throw new PersonaNotFoundError(shownId(personaId));
    return { id, isPublic: persona.isPublic, createdBy: persona.createdBy, version: persona.version as number };
  }

  /**
   * Adds one event to the counters with one atomic UPDATE whose WHERE refuses to take any counter
   * past {@link INTERACTION_LIMITS}.maxCounter (PostgreSQL re-checks it against the latest row
   * when it waited for a concurrent writer). Throws PersonaValidationError (`counterLimit`) when
   * it would.
   */
  private async addToCounters(manager: EntityManager, personaId: string, e: CheckedEvent): Promise<void> {
    const deltas = deltasOf(e);
    const names = Object.keys(COUNTERS) as CounterName[];
    const max = INTERACTION_LIMITS.maxCounter;
    const parameters: Record<string, unknown> = { personaId, at: this.dateParam(e.at) };
    const set: Record<string, () => string> = {};
    const where = ['"personaId" = :personaId'];
    for (const name of names) {
      parameters[`d_${name}`] = deltas[name];
      set[name] = () => `"${name}" + :d_${name}`;
      where.push(`"${name}" <= ${max} - :d_${name}`);
    }
    set.lastInteractionAt = () => `CASE WHEN "lastInteractionAt" IS NULL OR "lastInteractionAt" < :at THEN :at ELSE "lastInteractionAt" END`;
    const update = async () =>
      (await manager.createQueryBuilder().update(PersonaMetrics).set(set as never).where(where.join(' AND ')).setParameters(parameters).updateEntity(false).execute()).affected;
    if (await update()) return;

    const current = await manager.getRepository(PersonaMetrics).findOne({ where: { personaId } });
    if (!current) {
      // A persona stored without a metrics row (written by other means): add it, then count.
      await manager.createQueryBuilder().insert().into(PersonaMetrics).values({ personaId }).orIgnore().updateEntity(false).execute();
      if (await update()) return;
    }
    const over = names.filter((name) => current && !(Number(current[name]) <= max - deltas[name]));
    const issues = (over.length ? over : names.filter((name) => deltas[name] > 0)).map((name) => ({
      path: COUNTERS[name],
      constraint: 'counterLimit',
      message: `this event would take ${name} past ${max} (2^53 - 1), the most a counter holds; nothing was recorded`,
    }));
    throw new PersonaValidationError(issues, 'interaction');
  }

  private async load(manager: EntityManager, personaId: string): Promise<PersonaMetrics> {
    const metrics = (await manager.getRepository(PersonaMetrics).findOne({ where: { personaId } })) ?? Object.assign(new PersonaMetrics(), { personaId });
    metrics.p95ResponseTimeMs = await this.p95(manager, personaId, metrics.totalInteractions);
    return metrics;
  }

  /**
   * Nearest-rank 95th percentile: the ⌈0.95·n⌉-th smallest latency, read through the (personaId,
   * latencyMs) index; a log row above one day (written before the range was enforced) reads as one day.
   */
  private async p95(manager: EntityManager, personaId: string, count: number, version?: number): Promise<number | null> {
    if (!count) return null;
    const rank = Math.ceil(0.95 * count);
    const qb = manager
      .getRepository(PersonaInteraction)
      .createQueryBuilder('i')
      .select('i.latencyMs', 'latency')
      .where('i.personaId = :personaId', { personaId });
    if (version !== undefined) qb.andWhere('i.version = :version', { version });
    const row = await qb
      .orderBy('i.latencyMs', 'ASC')
      .offset(rank - 1)
      .limit(1)
      .getRawOne<{ latency: unknown }>();
    return row ? Math.min(Math.max(Number(row.latency), 0), INTERACTION_LIMITS.maxLatencyMs) : null;
  }

  /** Dates as SQL parameters: PostgreSQL takes a Date; SQLite compares TypeORM's UTC text. */
  private dateParam(date: Date): Date | string {
    if (this.dataSource.options.type === 'postgres') return date;
    return date.toISOString().replace('T', ' ').replace('Z', '');
  }

  private parseDate(raw: unknown): Date {
    if (raw instanceof Date) return raw;
    const text = String(raw);
    return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
  }
}
