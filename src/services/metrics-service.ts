import { types } from 'util';
import { DataSource, EntityManager } from 'typeorm';
import { Actor, isAdmin } from '../actor';
import { AccessDeniedError, PersonaNotFoundError, PersonaValidationError, ValidationIssue } from '../errors';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaInteraction } from '../models/persona-interaction.entity';
import { PersonaLogHorizon } from '../models/persona-log-horizon.entity';
import { PersonaMetrics } from '../models/persona-metrics.entity';
import {
  bucketSql,
  dateParam,
  DEFAULT_SHARDS,
  deltasOf,
  EVENT_MAX,
  foldPostgresSql,
  foldSqlite,
  foldSqliteNow,
  GRAIN,
  latencyBinSql,
  lockFold,
  lockPersonaMetrics,
  parseDate,
  pendingCountersSql,
  POSTGRES_RECORD_SQL,
  rebuildRollups,
  ROLLUP_COUNTERS,
  RollupCounter,
  RollupEvent,
  RollupSums,
  sumSql,
} from '../persistence/metrics-rollups';
import { newId } from '../persistence/ids';
import { looksLikeId } from '../persistence/persona-rows';
import { canSeeVersion, readableVersions } from '../persistence/release-rows';
import { asStorageError, inSqliteConnection, inTransaction, markWrite, preparedQuery, reading, SqliteConnection } from '../persistence/transaction';
import { isVersionNumber, versionNumberMessage } from '../validation/version-number';
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
  if (version !== undefined && !isVersionNumber(version)) push('version', 'isInt', versionNumberMessage('version'));

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

/** A time given as a Date or ISO 8601 text with a zone; NaN when neither. */
function timeOf(value: unknown): number {
  if (types.isDate(value)) return Date.prototype.getTime.call(value);
  if (typeof value === 'string' && value.length <= INTERACTION_LIMITS.maxAtLength) return parseIsoWithZone(value);
  return NaN;
}

/** A caller's persona id in a message: bounded, and never a conversion that could throw. */
function shownId(personaId: unknown): string {
  if (typeof personaId === 'string') return personaId.length > 100 ? `${personaId.slice(0, 100)}…` : personaId;
  return `(${typeof personaId})`;
}

/**
 * A count or sum read back from SQL (text for PostgreSQL's bigint and numeric, a number on SQLite)
 * as a counter: never a string, capped at 2^53 − 1 (a cap only rows edited by hand can reach).
 */
function counterFromSum(value: unknown): number {
  const n = Number(value ?? 0);
  if (Number.isNaN(n) || n <= 0) return 0;
  return Math.min(n, INTERACTION_LIMITS.maxCounter);
}

/** The counter of `PersonaMetrics` each rollup counter feeds, and the event field behind it (for issue paths). */
const COUNTER_NAMES: Record<RollupCounter, [string, string]> = {
  interactions: ['totalInteractions', ''],
  successes: ['successfulInteractions', 'success'],
  inputTokens: ['totalInputTokens', 'inputTokens'],
  outputTokens: ['totalOutputTokens', 'outputTokens'],
  latencySum: ['totalResponseTimeMs', 'latencyMs'],
  ratingCount: ['ratingCount', 'rating'],
  ratingSum: ['ratingSum', 'rating'],
};

/**
 * Below this, a write needs no lock: a counter at most half full cannot be taken past 2^53 − 1 by
 * the writes in flight at the same time (each adds at most 10,000 × 86,400,000).
 */
const UNCHECKED_BELOW = Math.floor(INTERACTION_LIMITS.maxCounter / 2);

/** Most events one `recordInteractions` call takes. */
export const MAX_INTERACTION_BATCH = 10_000;

/** One event of a batch: an {@link InteractionEvent} and the persona it belongs to. */
export type PersonaInteractionEvent = InteractionEvent & { personaId: string };

/** Options of a {@link MetricsService}. */
export type MetricsServiceOptions = {
  /**
   * Days of raw interaction log `pruneLog()` keeps when called without `before` (a positive
   * integer up to 36,500). Default: none, the log is kept until `pruneLog({ before })` is called.
   * Rollups are never pruned: every figure stays exact after the log is gone.
   */
  logRetentionDays?: number;
  /**
   * Accepted for compatibility (an integer 1–256) and ignored: writers append pending rows and one
   * fold at a time adds them to the rollups, so rollups need no shards any more (docs/scaling.md).
   * @deprecated
   */
  shards?: number;
};

type Target = { id: string; version: number; owned: Owned; events: RollupEvent[]; sums: RollupSums };
type Group = { personaId: string; events: CheckedEvent[]; paths: (path: string) => string };

/**
 * Runtime metrics: an append-only interaction log and per-bucket rollups (persona × version ×
 * hour, day and all time: counts, sums, last time, and a latency histogram for p95) that every
 * read is served from, so reads cost the same at a thousand events and at a million. A write
 * appends one row per event to a pending queue and nothing else (one statement on PostgreSQL), so
 * concurrent writers on one busy persona never wait on a shared row; a fold, in the background
 * (or {@link MetricsService.flush}), moves pending rows into the log and the rollups in one
 * statement, one fold at a time. Every read sums the rollups and the pending rows in one
 * statement, so figures are exact at every moment. `recompute` rebuilds the rollups from the log
 * (folding the persona's pending rows first), and `pruneLog` trims the log (the rollups stay).
 * docs/scaling.md has the design and the measurements.
 *
 * Every method takes the acting {@link Actor} last. With an actor, reading needs read access (a
 * persona the actor may not read is a PersonaNotFoundError, exactly like a missing one);
 * recording needs, besides read access, the owner, an admin or the role `metrics:write`;
 * `recompute` needs the owner or an admin (AccessDeniedError otherwise); `pruneLog` and `flush`
 * an admin.
 * **Without an actor no access check is made at all:** omit it only in trusted in-process code
 * (a job that records what its own runtime served), never with anything a user sent.
 *
 * Events are validated against {@link INTERACTION_LIMITS}; a refused event (bad field, unknown
 * persona, no access, or a counter that would pass 2^53 − 1) changes nothing, neither the log nor
 * the rollups; a refused batch changes nothing at all.
 */
export class MetricsService {
  /** The ranges events are checked against, as exported by {@link INTERACTION_LIMITS}. */
  static readonly limits = INTERACTION_LIMITS;
  /** The role that may record interactions, as {@link METRICS_WRITE_ROLE}. */
  static readonly writerRole = METRICS_WRITE_ROLE;

  private readonly shards: number;
  private readonly retentionDays: number | undefined;
  private readonly postgres: boolean;

  constructor(
    private readonly dataSource: DataSource,
    options: MetricsServiceOptions = {},
  ) {
    const issues: ValidationIssue[] = [];
    const { shards = DEFAULT_SHARDS, logRetentionDays } = options ?? {};
    if (!Number.isInteger(shards) || shards < 1 || shards > 256) issues.push({ path: 'shards', constraint: 'isInt', message: 'shards must be an integer from 1 to 256' });
    if (logRetentionDays !== undefined && (!Number.isInteger(logRetentionDays) || logRetentionDays < 1 || logRetentionDays > 36_500)) {
      issues.push({ path: 'logRetentionDays', constraint: 'isInt', message: 'logRetentionDays must be an integer from 1 to 36,500' });
    }
    if (issues.length) throw new PersonaValidationError(issues, 'options');
    this.shards = shards;
    this.retentionDays = logRetentionDays;
    this.postgres = dataSource.options.type === 'postgres';
  }

  /**
   * Validates and records one interaction: appends it to the pending queue, in ONE statement on
   * PostgreSQL (which also checks the persona, the access, the version and the counter limit) and
   * one transaction on SQLite; a fold moves it into the log and the rollups later, in the
   * background, and every read counts it from the moment this resolves. Throws
   * PersonaValidationError for an event out of range (or one that would take a counter past
   * 2^53 − 1, constraint `counterLimit`), PersonaNotFoundError for a persona that does not exist
   * or that `actor` may not read, AccessDeniedError when `actor` is neither the owner, an admin
   * nor holds `metrics:write`. Without `actor`: trusted caller, no checks.
   */
  async recordInteraction(personaId: string, event: InteractionEvent, actor?: Actor): Promise<void> {
    if (actor !== undefined) assertActor(actor);
    const e = checkEvent(event, Date.now());
    await this.write([{ personaId, events: [e], paths: (path) => path }], actor);
  }

  /**
   * Records up to {@link MAX_INTERACTION_BATCH} events, of one persona or many, in one
   * transaction: all of them or, on the first refusal, none. Issues are named `[i].field`. The
   * same rules and errors as {@link recordInteraction}, per event. A batch of 256 events or more
   * returns only after a fold has moved it into the log and the rollups (a bulk load leaves few
   * rows pending for the reads after it).
   */
  async recordInteractions(events: PersonaInteractionEvent[], actor?: Actor): Promise<void> {
    if (actor !== undefined) assertActor(actor);
    if (!Array.isArray(events) || events.length < 1 || events.length > MAX_INTERACTION_BATCH) {
      throw new PersonaValidationError([{ path: '', constraint: 'arrayLength', message: `events must be a list of 1 to ${MAX_INTERACTION_BATCH} interactions` }], 'interaction');
    }
    const now = Date.now();
    const groups = new Map<string, Group>();
    // Every index, holes of a sparse array included (forEach would skip them: `new Array(3)` recorded nothing).
    for (let i = 0; i < events.length; i++) {
      const at = (path: string) => (path ? `[${i}].${path}` : `[${i}]`);
      const item = events[i] as unknown as Record<string, unknown> | null | undefined;
      if (item === null || item === undefined || typeof item !== 'object' || Array.isArray(item)) {
        throw new PersonaValidationError([{ path: at(''), constraint: 'isObject', message: 'an interaction must be an object' }], 'interaction');
      }
      const { personaId, ...event } = item;
      if (typeof personaId !== 'string' || !looksLikeId(personaId)) {
        throw new PersonaValidationError([{ path: at('personaId'), constraint: 'isUUID', message: 'personaId must be the id of a persona' }], 'interaction');
      }
      let checked: CheckedEvent;
      try {
        checked = checkEvent(event, now);
      } catch (error) {
        if (error instanceof PersonaValidationError) throw new PersonaValidationError(error.issues.map((issue) => ({ ...issue, path: at(issue.path) })), 'interaction');
        throw error;
      }
      const key = personaId.toLowerCase();
      const group = groups.get(key) ?? { personaId: key, events: [], paths: at };
      group.events.push(checked);
      groups.set(key, group);
    }
    await this.write([...groups.values()], actor);
  }

  /**
   * The persona's totals with the derived figures, p95 latency included, from its all-time
   * rollups (a few rows per version, whatever the number of events). Throws PersonaNotFoundError
   * for a persona that does not exist or that `actor` may not read. Without `actor`: trusted
   * caller, no checks.
   */
  async get(personaId: string, actor?: Actor): Promise<PersonaMetrics> {
    if (actor !== undefined) assertActor(actor);
    return reading(this.dataSource, async (manager) => {
      const persona = await this.findPersona(manager, personaId, actor);
      const visible = actor ? await readableVersions(manager, persona, actor) : null;
      return this.totals(manager, persona.id, visible);
    });
  }

  /**
   * Rebuilds the persona's rollups from the interaction log, in one transaction, and returns the
   * totals. It first folds the persona's pending events into the log and the rollups, holding the
   * fold lock and the persona's metrics lock exclusively, so no fold runs and no event of the
   * persona is recorded meanwhile, and the rebuild covers every event. Hours whose log `pruneLog` removed keep their rollups; every other hour, and every
   * day and all-time figure, is recomputed. Needs the owner or an admin when `actor` is given
   * (PersonaNotFoundError for a persona the actor may not read, AccessDeniedError for one it may
   * read but not change). Log rows outside today's event ranges (written before they were
   * enforced, or by hand) count at the nearest bound, and a row dated more than the allowed skew
   * in the future does not set `lastInteractionAt`; a sum past 2^53 − 1 (reachable only through a
   * log edited outside the service) reads as 2^53 − 1. So recompute is also how a persona
   * poisoned by an older version, or rollups edited by hand, are repaired.
   */
  async recompute(personaId: string, actor?: Actor): Promise<PersonaMetrics> {
    if (actor !== undefined) assertActor(actor);
    return inTransaction(this.dataSource, async (manager) => {
      const persona = await this.findPersona(manager, personaId, actor);
      const id = persona.id;
      if (actor) assertCanWrite(actor, persona, `the metrics of persona ${id}`);
      await lockPersonaMetrics(manager, id);
      // No fold runs meanwhile; the persona's pending rows join the log and the rollups first, so
      // that the rebuild covers them (and the hours kept before a pruned horizon include them).
      await lockFold(manager);
      while ((await foldRound(manager, id)).moved >= FOLD_CHUNK);
      const horizon = await manager.getRepository(PersonaLogHorizon).findOne({ where: { personaId: id } });
      await rebuildRollups(manager, { personaId: id, from: horizon?.prunedBefore ?? null, lastBefore: new Date(Date.now() + INTERACTION_LIMITS.maxFutureSkewMs) }, INTERACTION_LIMITS);
      return this.totals(manager, id);
    });
  }

  /**
   * Folds every pending event now, of every persona: moves them into the interaction log and the
   * rollups (a background fold does it anyway, after a few hundred events written through this
   * data source or 100 ms after the first; see docs/scaling.md). Figures read the same before and
   * after: reads always add the pending events. Waits for a fold running in another process.
   * Returns how many events it moved. Useful before reading the log table directly, in tests, or
   * before shutting down. With an actor: admins only (AccessDeniedError otherwise).
   */
  async flush(actor?: Actor): Promise<number> {
    if (actor !== undefined) {
      assertActor(actor);
      if (!isAdmin(actor)) throw new AccessDeniedError(`${actor.id} may not fold the interaction queue (admins only)`, actor.id);
    }
    await folderOf(this.dataSource).settle();
    let total = 0;
    for (let retries = 0; ; ) {
      let moved: number;
      try {
        ({ moved } = await inTransaction(this.dataSource, async (manager) => {
          await lockFold(manager);
          return foldRound(manager);
        }));
      } catch (error) {
        // A persona removed while the round ran (PostgreSQL: its rollups' foreign key): the
        // round changed nothing; the next one no longer sees that persona's rows.
        if (retries++ < 5 && removedMeanwhile(error)) continue;
        throw error;
      }
      total += moved;
      if (moved < FOLD_CHUNK) return total;
    }
  }

  /**
   * Deletes the raw interaction log before `before` (rounded down to the hour; default: now
   * minus the `logRetentionDays` the service was made with), for every persona, in one
   * transaction, after folding the pending events into the log (so the cut covers them too). The rollups stay, so every figure stays exact; `recompute` afterwards keeps the
   * pruned hours as they are. Returns how many log rows went and the cut-off used. Run it from a
   * scheduled job. With an actor: admins only (AccessDeniedError otherwise).
   */
  async pruneLog(options: { before?: Date | string } = {}, actor?: Actor): Promise<{ deleted: number; before: Date }> {
    if (actor !== undefined) {
      assertActor(actor);
      if (!isAdmin(actor)) throw new AccessDeniedError(`${actor.id} may not prune the interaction log (admins only)`, actor.id);
    }
    const o = (options ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => k !== 'before');
    if (unknown.length) throw new PersonaValidationError(unknown.map((k) => ({ path: k, constraint: 'whitelistValidation', message: `unknown option "${k}"` })), 'options');
    let before: number;
    if (o.before !== undefined) before = timeOf(o.before);
    else if (this.retentionDays !== undefined) before = Date.now() - this.retentionDays * 86_400_000;
    else throw new PersonaValidationError([{ path: 'before', constraint: 'isDefined', message: 'give `before`, or make the service with logRetentionDays' }], 'options');
    if (Number.isNaN(before) || before < INTERACTION_LIMITS.minAt || before > Date.now() + INTERACTION_LIMITS.maxFutureSkewMs) {
      throw new PersonaValidationError([{ path: 'before', constraint: 'isDate', message: 'before must be a Date or ISO 8601 text with a zone, from 2000 to now' }], 'options');
    }
    const cut = new Date(Math.floor(before / 3_600_000) * 3_600_000);
    return inTransaction(this.dataSource, async (manager) => {
      // Pending events join the log first, so that the cut applies to every event recorded so far.
      await lockFold(manager);
      while ((await foldRound(manager)).moved >= FOLD_CHUNK);
      const at = dateParam(this.postgres, cut);
      const greatest = this.postgres ? 'GREATEST' : 'MAX';
      const [sql, params] = manager.connection.driver.escapeQueryWithParameters(
        `INSERT INTO persona_log_horizons ("personaId", "prunedBefore")
         SELECT DISTINCT "personaId", ${this.postgres ? 'CAST(:cut AS timestamptz)' : ':cut'} FROM persona_interactions WHERE at < :cut
         ON CONFLICT ("personaId") DO UPDATE SET "prunedBefore" = ${greatest}(persona_log_horizons."prunedBefore", excluded."prunedBefore")`,
        { cut: at },
      );
      await manager.query(sql, params);
      const result = await manager.createQueryBuilder().delete().from(PersonaInteraction).where('at < :cut', { cut: at }).execute();
      return { deleted: result.affected ?? 0, before: cut };
    });
  }

  /**
   * The metrics of each version of a persona that has events, oldest version first, from the
   * all-time rollups of each version. Events recorded before versions were kept are in `get()`'s
   * totals only. With an actor: read access, and only the versions it may see
   * (docs/security.md, private eras).
   */
  async byVersion(personaId: string, actor?: Actor): Promise<VersionMetrics[]> {
    if (actor !== undefined) assertActor(actor);
    return reading(this.dataSource, async (manager) => {
      const persona = await this.findPersona(manager, personaId, actor);
      const visible = actor ? await readableVersions(manager, persona, actor) : null;
      const rows = await this.rollupSums(manager, persona.id, GRAIN.total, 'version', {});
      const p95 = await this.p95s(manager, persona.id, GRAIN.total, 'version', {});
      const out: VersionMetrics[] = [];
      for (const [version, row] of rows) {
        if (version === 0 || !canSeeVersion(visible, version)) continue;
        const metrics = this.metricsOf(persona.id, row);
        metrics.p95ResponseTimeMs = p95.get(version) ?? null;
        out.push({ version, metrics });
      }
      return out.sort((a, b) => a.version - b.version);
    });
  }

  /**
   * The persona's figures over time in hour or day buckets (UTC), every bucket from `from` to `to`
   * included (zeros and null averages when empty), optionally for one version; at most
   * {@link MAX_SERIES_BUCKETS} buckets (more is a validation error). Served from the hour or day
   * rollups: a bucket counts all of its events, so the first and last buckets are whole even when
   * `from` or `to` falls inside them. p95 per bucket comes from its latency histogram (at or
   * above the exact value, less than 6.25 % above it; exact below 32 ms).
   */
  async series(personaId: string, options: SeriesOptions, actor?: Actor): Promise<MetricsPoint[]> {
    if (actor !== undefined) assertActor(actor);
    const { size, start, end, count, version } = this.checkSeries(options);
    return reading(this.dataSource, async (manager) => {
      const persona = await this.findPersona(manager, personaId, actor);
      const visible = actor ? await readableVersions(manager, persona, actor) : null;
      if (version !== undefined && !canSeeVersion(visible, version)) return this.emptySeries(start, size, count);
      const grain = size === BUCKET_MS.hour ? GRAIN.hour : GRAIN.day;
      const where = { from: new Date(start), to: new Date(end), version, versions: visibleList(visible) };
      const rows = await this.rollupSums(manager, persona.id, grain, 'bucket', where);
      const p95s = await this.p95s(manager, persona.id, grain, 'bucket', where);
      const points = this.emptySeries(start, size, count);
      for (const [time, row] of rows) {
        const i = Math.round((time - start) / size);
        if (!(i >= 0 && i < count)) continue;
        const m = this.metricsOf(persona.id, row);
        const p95 = p95s.get(time) ?? null;
        points[i] = { at: points[i].at, interactions: m.totalInteractions, successRate: m.successRate, averageResponseTimeMs: m.averageResponseTimeMs, p95ResponseTimeMs: p95, averageRating: m.averageRating };
      }
      return points;
    });
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Writes groups of events, each of one persona, as pending rows (a fold adds them to the log
   * and the rollups later). PostgreSQL, one group: ONE statement that checks the persona, the
   * access, the versions and a bound on the counters, and appends (see POSTGRES_RECORD_SQL);
   * several groups: that statement per group in one transaction. When the bound cannot vouch for
   * the counters (one of them near 2^53 − 1), the events are written again in a transaction that
   * holds the persona's metrics lock exclusively and checks exactly. SQLite: one transaction on
   * the connection itself, exact checks. Then the background fold is told.
   */
  private async write(groups: Group[], actor: Actor | undefined): Promise<void> {
    for (const group of groups) if (typeof group.personaId !== 'string' || !looksLikeId(group.personaId)) throw new PersonaNotFoundError(shownId(group.personaId));
    if (this.postgres) await this.writePostgres(groups, actor);
    else await sqliteWriterOf(this.dataSource).write((connection) => groups.forEach((group) => this.writeSqlite(connection, group, actor)));
    const events = groups.reduce((n, g) => n + g.events.length, 0);
    const folder = folderOf(this.dataSource);
    folder.written(events);
    // A large batch (a bulk load, an import) waits for its fold, as it waited for its rollups
    // before: reads are fastest with few rows pending. A single event never waits.
    if (events >= FOLD_EVERY) await folder.drain();
  }

  private async writePostgres(groups: Group[], actor: Actor | undefined): Promise<void> {
    markWrite(this.dataSource);
    const bounded = (group: Group) => recordParams(group, actor, true, deltasOf(group.events.map((e) => ({ ...e, version: 0 }))));
    if (groups.length === 1) {
      const gate = gateOf(this.dataSource);
      await gate.enter();
      let row: Record<string, unknown> | undefined;
      try {
        [row] = await preparedQuery(this.dataSource, 'personas_metrics_record', POSTGRES_RECORD_SQL, bounded(groups[0]));
      } finally {
        gate.leave();
      }
      if (this.accepted(row, groups[0], actor)) return;
    } else {
      const fast = await inTransaction(this.dataSource, async (manager) => {
        for (const group of groups) {
          const [row] = (await manager.query(POSTGRES_RECORD_SQL, bounded(group))) as Record<string, unknown>[];
          if (!this.accepted(row, group, actor)) throw NEAR_LIMIT; // rolls back: the exact path below
        }
        return true;
      }).catch((error) => (error === NEAR_LIMIT ? false : Promise.reject(error)));
      if (fast) return;
    }
    // A counter may be near 2^53 − 1: lock each persona's metrics, read its exact totals, check, write.
    await inTransaction(this.dataSource, async (manager) => {
      for (const group of groups) {
        const id = group.personaId.toLowerCase();
        await lockPersonaMetrics(manager, id);
        const target = await this.prepare(manager, group, actor);
        this.assertHeadroom(target, group);
        const [row] = (await manager.query(POSTGRES_RECORD_SQL, recordParams(group, undefined, false, deltasOf(target.events)))) as Record<string, unknown>[];
        if (!row || !Number(row.written)) throw new PersonaNotFoundError(shownId(group.personaId));
      }
    });
  }

  /**
   * What the record statement answered: true when it wrote; throws the error of a refusal (no
   * persona, no access, no such version); false when only the counter bound refused.
   */
  private accepted(row: Record<string, unknown> | undefined, group: Group, actor: Actor | undefined): boolean {
    if (!row) throw new PersonaNotFoundError(shownId(group.personaId));
    const current = Number(row.version);
    this.checkAccess(group, { isPublic: Boolean(row.isPublic), createdBy: String(row.createdBy) }, current, actor);
    return Number(row.written) > 0;
  }

  /** Access and version rules of a group of events on a persona (PersonaNotFoundError, AccessDeniedError, PersonaValidationError). */
  private checkAccess(group: Group, owned: Owned, current: number, actor: Actor | undefined): RollupEvent[] {
    const id = group.personaId.toLowerCase();
    if (actor && !canRead(actor, owned)) throw new PersonaNotFoundError(shownId(group.personaId));
    if (actor && !canRecordMetrics(actor, owned)) {
      throw new AccessDeniedError(`${actor.id} may not record interactions of persona ${id} (owner, admin or role ${METRICS_WRITE_ROLE} only)`, actor.id);
    }
    return group.events.map((e, i) => {
      if (e.version !== undefined && e.version > current) {
        const path = group.events.length === 1 && group.paths('') === '' ? 'version' : group.paths('version');
        throw new PersonaValidationError([{ path, constraint: 'versionExists', message: `persona ${id} has no version ${e.version} (its current version is ${current}); event ${i}` }], 'interaction');
      }
      return { ...e, version: e.version ?? current };
    });
  }

  /**
   * SQLite (inside one transaction on the connection): the persona, its folded all-time totals and
   * a bound on the pending rows in one query; the exact totals only when that bound comes near
   * 2^53 − 1; then one pending row per event.
   */
  private writeSqlite(connection: SqliteConnection, group: Group, actor: Actor | undefined): void {
    const id = group.personaId.toLowerCase();
    const row = connection.statement(SQLITE_PERSONA_SQL).get(id, id) as Record<string, unknown> | undefined;
    if (!row) throw new PersonaNotFoundError(shownId(group.personaId));
    const events = this.checkAccess(group, { isPublic: Boolean(row.isPublic), createdBy: String(row.createdBy) }, Number(row.version), actor);
    const pending = row.hi == null ? 0 : Number(row.hi) - Number(row.lo) + 1;
    const folded = Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, Number(row[c] ?? 0) + pending * EVENT_MAX[c]])) as RollupSums;
    const target: Target = { id, version: Number(row.version), owned: { isPublic: Boolean(row.isPublic), createdBy: String(row.createdBy) }, events, sums: folded };
    if (!this.headroom(target, INTERACTION_LIMITS.maxCounter)) {
      const exact = connection.statement(SQLITE_EXACT_SQL).get(id, id) as Record<string, unknown>;
      target.sums = Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, Number(exact[c] ?? 0)])) as RollupSums;
      this.assertHeadroom(target, group);
    }
    const insert = connection.statement(SQLITE_INSERT_SQL);
    let seq = row.hi == null ? 1 : Number(row.hi) + 1;
    for (const e of events) {
      insert.run(seq++, newId(), id, e.version, e.success ? 1 : 0, e.latencyMs, e.inputTokens, e.outputTokens, e.rating, dateParam(false, e.at));
    }
  }

  /** Reads the persona and its exact all-time sums (rollups and pending rows) in one query, checks access and versions, and gives every event its version. */
  private async prepare(manager: EntityManager, group: Group, actor: Actor | undefined): Promise<Target> {
    const { personaId } = group;
    if (typeof personaId !== 'string' || !looksLikeId(personaId)) throw new PersonaNotFoundError(shownId(personaId));
    const id = personaId.toLowerCase();
    const [sql, params] = manager.connection.driver.escapeQueryWithParameters(
      `SELECT p.id, p."isPublic", p."createdBy", p.version, t.* FROM personas p
         CROSS JOIN (${exactTotalsSql(this.postgres, ':id')}) t
        WHERE p.id = :id`,
      { id },
    );
    const [row] = (await manager.query(sql, params)) as Record<string, unknown>[];
    if (!row) throw new PersonaNotFoundError(shownId(personaId));
    const owned: Owned = { isPublic: Boolean(row.isPublic), createdBy: String(row.createdBy) };
    const events = this.checkAccess(group, owned, Number(row.version), actor);
    const total = Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, Number(row[c] ?? 0)])) as RollupSums;
    return { id, version: Number(row.version), owned, events, sums: total };
  }

  /** True when every counter stays at or below `limit` after the target's events. */
  private headroom(target: Target, limit: number): boolean {
    const d = deltasOf(target.events);
    return ROLLUP_COUNTERS.every((c) => target.sums[c] <= limit - d[c]);
  }

  /** Refuses (PersonaValidationError, `counterLimit`) events that would take a counter past 2^53 − 1. */
  private assertHeadroom(target: Target, group: Group): void {
    const max = INTERACTION_LIMITS.maxCounter;
    const d = deltasOf(target.events);
    const over = ROLLUP_COUNTERS.filter((c) => !(target.sums[c] <= max - d[c]));
    if (!over.length) return;
    const issues = over.map((c) => ({
      path: group.paths(COUNTER_NAMES[c][1]),
      constraint: 'counterLimit',
      message: `this event would take ${COUNTER_NAMES[c][0]} past ${max} (2^53 - 1), the most a counter holds; nothing was recorded`,
    }));
    throw new PersonaValidationError(issues, 'interaction');
  }

  /** The all-time totals of a persona with p95, as a PersonaMetrics. */
  private async totals(manager: EntityManager, personaId: string, visible: ReadonlySet<number> | null = null): Promise<PersonaMetrics> {
    const where = { versions: visibleList(visible) };
    const rows = await this.rollupSums(manager, personaId, GRAIN.total, null, where);
    const p95 = await this.p95s(manager, personaId, GRAIN.total, null, where);
    const metrics = this.metricsOf(personaId, rows.get(0) ?? {});
    metrics.p95ResponseTimeMs = p95.get(0) ?? null;
    return metrics;
  }

  /**
   * The WHERE of a read over the rollups (alias r) of one grain, the same over the pending rows
   * (alias q, bucketed as a fold would), and their parameters.
   */
  private rollupWhere(personaId: string, grain: number, where: RollupFilter): [string, string, Record<string, unknown>] {
    const parts = ['r."personaId" = :personaId', `r.grain = ${grain}`];
    const pending = ['q."personaId" = :personaId'];
    const params: Record<string, unknown> = { personaId };
    if (where.version !== undefined) {
      parts.push('r.version = :version');
      pending.push('q.version = :version');
      params.version = where.version;
    }
    if (where.versions) {
      parts.push(versionsIn('r', where.versions));
      pending.push(versionsIn('q', where.versions));
    }
    if (where.from && where.to) {
      parts.push('r."bucketAt" >= :from AND r."bucketAt" < :to');
      const bucket = bucketSql(this.postgres, 'q.at', grain);
      pending.push(`${bucket} >= :from AND ${bucket} < :to`);
      params.from = dateParam(this.postgres, where.from);
      params.to = dateParam(this.postgres, where.to);
    }
    return [parts.join(' AND '), pending.join(' AND '), params];
  }

  /** The group key of a read over the rollups (r) and over the pending rows (q). */
  private groupKeys(group: 'version' | 'bucket' | null, grain: number): [string, string] {
    if (group === 'version') return ['r.version', 'q.version'];
    if (group === 'bucket') return ['r."bucketAt"', bucketSql(this.postgres, 'q.at', grain)];
    return ['0', '0'];
  }

  private keyOf(group: 'version' | 'bucket' | null, raw: unknown): number {
    return group === 'bucket' ? parseDate(raw).getTime() : Number(raw);
  }

  /**
   * Summed counters of one grain, per version, per bucket, or all in one (key 0): the rollups and
   * the pending rows in ONE statement (one snapshot, so a fold running at the same time is seen
   * either wholly or not at all). Many pending rows wake the background fold.
   */
  private async rollupSums(manager: EntityManager, personaId: string, grain: number, group: 'version' | 'bucket' | null, where: RollupFilter): Promise<Map<number, Record<string, unknown>>> {
    const [condition, pendingCondition, params] = this.rollupWhere(personaId, grain, where);
    const [key, pendingKey] = this.groupKeys(group, grain);
    const pending = pendingCountersSql('q');
    const [sql, values] = manager.connection.driver.escapeQueryWithParameters(
      `SELECT ${group ? 'u.grp' : '0'} AS grp, ${ROLLUP_COUNTERS.map((c) => `${sumSql(this.postgres, `u.${c}`)} AS "${c}"`).join(', ')}, MAX(u."lastAt") AS "lastAt", COUNT(*) AS "rowCount", ${sumSql(this.postgres, 'u.pend')} AS pend
         FROM (SELECT ${key} AS grp, ${ROLLUP_COUNTERS.map((c) => `r."${c}" AS ${c}`).join(', ')}, r."lastAt" AS "lastAt", 0 AS pend FROM persona_metric_rollups r WHERE ${condition}
               UNION ALL
               SELECT ${pendingKey} AS grp, ${ROLLUP_COUNTERS.map((c, i) => `${pending[i]} AS ${c}`).join(', ')}, q.at AS "lastAt", 1 AS pend FROM persona_metric_pending q WHERE ${pendingCondition}) u
        ${group ? 'GROUP BY u.grp' : ''}`,
      params,
    );
    const out = new Map<number, Record<string, unknown>>();
    let pendingRows = 0;
    for (const row of (await manager.query(sql, values)) as Record<string, unknown>[]) {
      pendingRows += Number(row.pend ?? 0);
      if (Number(row.rowCount) > 0) out.set(this.keyOf(group, row.grp), row);
    }
    if (pendingRows >= FOLD_EVERY) folderOf(this.dataSource).start();
    return out;
  }

  /**
   * The p95 latency of each group (version, bucket, or all in one: key 0) of one grain, computed in
   * SQL from the summed histogram bins and the pending rows binned the same way, in one statement,
   * so one row per group crosses the wire: the largest latency of the bin holding the
   * ⌈0.95·n⌉-th event (the rule of `p95FromBins`).
   */
  private async p95s(manager: EntityManager, personaId: string, grain: number, group: 'version' | 'bucket' | null, where: RollupFilter): Promise<Map<number, number>> {
    const [condition, pendingCondition, params] = this.rollupWhere(personaId, grain, where);
    const [key, pendingKey] = this.groupKeys(group, grain);
    const rank = this.postgres ? 'FLOOR((95 * w.total + 99) / 100)' : '((95 * w.total + 99) / 100)';
    const [sql, values] = manager.connection.driver.escapeQueryWithParameters(
      `SELECT w.grp AS grp, w.mx AS mx FROM (
         SELECT b.grp, b.n, b.mx, SUM(b.n) OVER (PARTITION BY b.grp ORDER BY b.bin) AS cum, SUM(b.n) OVER (PARTITION BY b.grp) AS total
           FROM (SELECT x.grp, x.bin, SUM(x.n) AS n, MAX(x.mx) AS mx FROM (
                   SELECT ${key} AS grp, r.bin AS bin, r."count" AS n, r."maxMs" AS mx FROM persona_latency_bins r WHERE ${condition}
                   UNION ALL
                   SELECT ${pendingKey} AS grp, ${latencyBinSql('q."latencyMs"')} AS bin, 1 AS n, q."latencyMs" AS mx FROM persona_metric_pending q WHERE ${pendingCondition}
                 ) x GROUP BY x.grp, x.bin) b
       ) w WHERE w.cum >= ${rank} AND w.cum - w.n < ${rank}`,
      params,
    );
    const out = new Map<number, number>();
    for (const row of (await manager.query(sql, values)) as Record<string, unknown>[]) {
      out.set(this.keyOf(group, row.grp), Math.min(Math.max(Number(row.mx), 0), INTERACTION_LIMITS.maxLatencyMs));
    }
    return out;
  }

  private checkSeries(options: SeriesOptions): { size: number; start: number; end: number; count: number; version?: number } {
    const issues: ValidationIssue[] = [];
    const o = (options ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(o)) if (!['bucket', 'from', 'to', 'version'].includes(key)) issues.push({ path: key, constraint: 'whitelistValidation', message: `unknown option "${key}"` });
    if (o.bucket !== 'hour' && o.bucket !== 'day') issues.push({ path: 'bucket', constraint: 'isIn', message: 'bucket must be "hour" or "day"' });
    const to = o.to === undefined ? Date.now() : timeOf(o.to);
    if (Number.isNaN(to)) issues.push({ path: 'to', constraint: 'isDate', message: 'to must be a Date or ISO 8601 text with a zone' });
    const from = o.from === undefined ? to - 30 * 86_400_000 : timeOf(o.from);
    if (Number.isNaN(from)) issues.push({ path: 'from', constraint: 'isDate', message: 'from must be a Date or ISO 8601 text with a zone' });
    if (o.version !== undefined && !isVersionNumber(o.version)) issues.push({ path: 'version', constraint: 'isInt', message: versionNumberMessage('version') });
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

  /** A PersonaMetrics holding one group's counters (derived figures come from its getters). */
  private metricsOf(personaId: string, row: Record<string, unknown>): PersonaMetrics {
    const total = counterFromSum(row.interactions);
    const successful = Math.min(counterFromSum(row.successes), total);
    return Object.assign(new PersonaMetrics(), {
      personaId,
      totalInteractions: total,
      successfulInteractions: successful,
      failedInteractions: total - successful,
      totalInputTokens: counterFromSum(row.inputTokens),
      totalOutputTokens: counterFromSum(row.outputTokens),
      totalResponseTimeMs: counterFromSum(row.latencySum),
      ratingCount: counterFromSum(row.ratingCount),
      ratingSum: counterFromSum(row.ratingSum),
      lastInteractionAt: row.lastAt == null ? null : parseDate(row.lastAt),
    });
  }

  /** The persona's id (lower case, as stored) and its access fields; any id that is not a UUID, a missing persona and, with an actor, one the actor may not read are all PersonaNotFoundError. */
  private async findPersona(manager: EntityManager, personaId: string, actor: Actor | undefined): Promise<Owned & { id: string; version: number }> {
    if (typeof personaId !== 'string' || !looksLikeId(personaId)) throw new PersonaNotFoundError(shownId(personaId));
    const id = personaId.toLowerCase();
    const persona = await manager.getRepository(PersonaConfiguration).createQueryBuilder('p').select(['p.id', 'p.isPublic', 'p.createdBy', 'p.version']).where('p.id = :id', { id }).getOne();
    if (!persona || (actor && !canRead(actor, persona))) throw new PersonaNotFoundError(shownId(personaId));
    return { id, isPublic: persona.isPublic, createdBy: persona.createdBy, version: persona.version as number };
  }
}

/** The background fold: after this many events written through one data source ... */
const FOLD_EVERY = 256;
/** ... or this many milliseconds after the first event not folded yet. */
const FOLD_AFTER_MS = 100;
/** Pending rows one fold statement moves at most (a fold repeats while it moves this many). */
const FOLD_CHUNK = 5000;
/** PostgreSQL: the background fold vacuums the pending table after moving this many rows. */
const VACUUM_EVERY = 20_000;

/** Thrown inside the fast batch transaction when only the counter bound refused: it rolls back, and the exact path runs. */
const NEAR_LIMIT = Symbol('near the counter limit');

/** The parameters of POSTGRES_RECORD_SQL for a group of events (`d`: what they add to each counter). */
function recordParams(group: Group, actor: Actor | undefined, check: boolean, d: RollupSums): unknown[] {
  const events = group.events;
  return [
    group.personaId.toLowerCase(),
    !actor || isAdmin(actor),
    actor?.id ?? '',
    !!actor && (actor.roles ?? []).includes(METRICS_WRITE_ROLE),
    events.reduce((max, e) => Math.max(max, e.version ?? 0), 0),
    check,
    ROLLUP_COUNTERS.map((c) => String(UNCHECKED_BELOW - d[c])),
    events.map(() => newId()),
    events.map((e) => e.version ?? null),
    events.map((e) => e.success),
    events.map((e) => e.latencyMs),
    events.map((e) => e.inputTokens),
    events.map((e) => e.outputTokens),
    events.map((e) => e.rating),
    events.map((e) => e.at.toISOString()),
  ];
}

/** The exact all-time sums of a persona: its all-time rollups and its pending rows (`param` names the persona id, twice). */
function exactTotalsSql(postgres: boolean, param: string): string {
  const pending = pendingCountersSql('q');
  return `SELECT ${ROLLUP_COUNTERS.map((c) => `${sumSql(postgres, `u.${c}`)} AS "${c}"`).join(', ')} FROM (
      SELECT ${ROLLUP_COUNTERS.map((c) => `r."${c}" AS ${c}`).join(', ')} FROM persona_metric_rollups r WHERE r."personaId" = ${param} AND r.grain = ${GRAIN.total}
      UNION ALL
      SELECT ${ROLLUP_COUNTERS.map((c, i) => `${pending[i]} AS ${c}`).join(', ')} FROM persona_metric_pending q WHERE q."personaId" = ${param}) u`;
}

/** SQLite: the persona, its folded all-time sums and the pending rows' seq range (a bound on their number). */
const SQLITE_PERSONA_SQL = `SELECT p.id, p.version, p."isPublic", p."createdBy", t.*,
    (SELECT MAX(seq) FROM persona_metric_pending) AS hi, (SELECT MIN(seq) FROM persona_metric_pending) AS lo
  FROM personas p CROSS JOIN (SELECT ${ROLLUP_COUNTERS.map((c) => `TOTAL(r."${c}") AS "${c}"`).join(', ')} FROM persona_metric_rollups r WHERE r."personaId" = ? AND r.grain = ${GRAIN.total}) t
  WHERE p.id = ?`;
const SQLITE_EXACT_SQL = exactTotalsSql(false, '?');
const SQLITE_INSERT_SQL = `INSERT INTO persona_metric_pending (seq, id, "personaId", version, success, "latencyMs", "inputTokens", "outputTokens", rating, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** True when `error` (or what it wraps) is a foreign-key violation: a persona removed while a fold ran. */
function removedMeanwhile(error: unknown): boolean {
  let e = error as { code?: unknown; cause?: unknown; driverError?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if (e.code === '23503') return true;
    e = (e.driverError ?? e.cause) as typeof e;
  }
  return false;
}

/**
 * One round of folding through `manager` (the caller's transaction, holding the fold lock when it
 * must not miss its turn): at most FOLD_CHUNK rows, of one persona when given. Returns whether it
 * had the fold lock and how many rows it moved.
 */
async function foldRound(manager: EntityManager, personaId?: string): Promise<{ locked: boolean; moved: number }> {
  if (manager.connection.options.type !== 'postgres') return { locked: true, moved: await foldSqlite(manager, FOLD_CHUNK, personaId) };
  const [row] = (await manager.query(foldPostgresSql(personaId !== undefined), personaId === undefined ? [FOLD_CHUNK] : [FOLD_CHUNK, personaId])) as Record<string, unknown>[];
  return { locked: Boolean(row?.locked), moved: Number(row?.moved ?? 0) };
}

/**
 * The background fold of one data source: started after FOLD_EVERY events written through it, or
 * FOLD_AFTER_MS after the first one (an unref'd timer: it never keeps a process alive), or by a
 * read that met as many pending rows. One round at a time per data source; on PostgreSQL a round
 * that finds another process folding gives way. Errors are logged as warnings through the data
 * source's logger and otherwise swallowed (the rows stay pending, reads stay exact, the next fold
 * takes them); a writer never waits for it.
 */
class Folder {
  private unfolded = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private movedSinceVacuum = 0;

  constructor(private readonly dataSource: DataSource) {}

  written(events: number): void {
    this.unfolded += events;
    if (this.unfolded >= FOLD_EVERY) this.start();
    else if (this.unfolded > 0 && !this.timer && !this.running) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.start();
      }, FOLD_AFTER_MS);
      this.timer.unref?.();
    }
  }

  start(): void {
    if (this.running) return;
    this.cancel();
    this.running = this.loop()
      // Swallowed for the caller (the rows stay pending, reads stay exact, the next fold takes
      // them), but told to the data source's logger, so a fold that keeps failing is seen.
      .catch((error: unknown) => {
        try {
          if (this.dataSource.isInitialized) this.dataSource.logger.log('warn', `conductor-personas: a background metrics fold failed and will be retried: ${error instanceof Error ? error.message : String(error)}`);
        } catch {
          // a logger that throws must not turn into an unhandled rejection
        }
      })
      .then(() => {
        this.running = undefined;
        this.written(0);
      });
  }

  /** Waits until no fold runs (one that starts meanwhile included). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Forgets what is due (a flush folds it) and waits for a running round. */
  async settle(): Promise<void> {
    this.cancel();
    await this.running;
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.unfolded = 0;
  }

  private async loop(): Promise<void> {
    const ds = this.dataSource;
    const postgres = ds.options.type === 'postgres';
    try {
      for (let round = 0; round < 1000 && ds.isInitialized; round++) {
        const { locked, moved } = postgres ? await foldRound(ds.manager) : { locked: true, moved: await inSqliteConnection(ds, (connection) => foldSqliteNow(connection, FOLD_CHUNK)) };
        this.movedSinceVacuum += moved;
        if (!locked || moved < FOLD_CHUNK) return;
      }
    } finally {
      // PostgreSQL: the folded rows leave dead index entries that every writer's bound and every
      // read of the pending rows would step over until autovacuum comes (up to a minute): vacuum
      // the small table now and then (without the right to, autovacuum alone does it).
      if (postgres && this.movedSinceVacuum >= VACUUM_EVERY && ds.isInitialized) {
        this.movedSinceVacuum = 0;
        await ds.query('VACUUM persona_metric_pending').catch(() => undefined);
      }
    }
  }
}

/**
 * SQLite: the writes waiting for the connection, committed together (group commit): each in a
 * savepoint of one transaction, so a refused one changes nothing and the others still commit; a
 * commit per event was most of an event's cost. Writes wait only for the ones queued before them.
 */
class SqliteWriter {
  private waiting: { work: (connection: SqliteConnection) => void; done: (error?: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly dataSource: DataSource) {}

  write(work: (connection: SqliteConnection) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ work, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (this.scheduled) return;
      this.scheduled = true;
      const outcomes: [(error?: unknown) => void, unknown][] = [];
      inSqliteConnection(this.dataSource, (connection) => {
        this.scheduled = false;
        const batch = this.waiting.splice(0);
        for (const { work: one, done } of batch) {
          connection.statement('SAVEPOINT metrics_write').run();
          try {
            one(connection);
            connection.statement('RELEASE metrics_write').run();
            outcomes.push([done, undefined]);
          } catch (error) {
            connection.statement('ROLLBACK TO metrics_write').run();
            connection.statement('RELEASE metrics_write').run();
            outcomes.push([done, asStorageError(error)]);
          }
        }
      }).then(
        () => outcomes.forEach(([done, error]) => done(error)),
        (error) => {
          this.scheduled = false;
          for (const [done] of outcomes) done(error);
          for (const { done } of this.waiting.splice(0)) done(error);
        },
      );
    });
  }
}

const sqliteWriters = new WeakMap<DataSource, SqliteWriter>();
function sqliteWriterOf(dataSource: DataSource): SqliteWriter {
  let writer = sqliteWriters.get(dataSource);
  if (!writer) sqliteWriters.set(dataSource, (writer = new SqliteWriter(dataSource)));
  return writer;
}

/**
 * PostgreSQL: single-event writes in flight at once per data source; the others wait in arrival
 * order in the process. 50 writers on one persona on 2 cores, 3 s each (docs/scaling.md): no
 * limit 2,622–2,715 events/s, p99 62–72 ms, slowest 330–367 ms; 16: 2,220–2,764 events/s, p99
 * 41–54 ms, slowest 94–124 ms. Fifty backends runnable at once only share the CPU unfairly.
 */
const WRITES_IN_FLIGHT = 16;

/** A FIFO limit of {@link WRITES_IN_FLIGHT} writes. */
class Gate {
  private inFlight = 0;
  private queue: (() => void)[] = [];
  enter(): Promise<void> | void {
    if (this.inFlight < WRITES_IN_FLIGHT) {
      this.inFlight++;
      return;
    }
    return new Promise<void>((resolve) => this.queue.push(resolve));
  }
  leave(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.inFlight--;
  }
}
const gates = new WeakMap<DataSource, Gate>();
function gateOf(dataSource: DataSource): Gate {
  let gate = gates.get(dataSource);
  if (!gate) gates.set(dataSource, (gate = new Gate()));
  return gate;
}

const folders = new WeakMap<DataSource, Folder>();
function folderOf(dataSource: DataSource): Folder {
  let folder = folders.get(dataSource);
  if (!folder) folders.set(dataSource, (folder = new Folder(dataSource)));
  return folder;
}

/**
 * Which rollups a read sums: a time range, one version, and `versions`, the only versions it may
 * include (the reader's readable versions; absent for the owner, an admin or a trusted caller).
 */
type RollupFilter = { from?: Date; to?: Date; version?: number; versions?: readonly number[] };

/** The readable versions of {@link readableVersions} as a list, or undefined for "all of them". */
function visibleList(visible: ReadonlySet<number> | null): number[] | undefined {
  return visible === null ? undefined : [...visible];
}

/**
 * `r.version IN (…)` over versions read from the database, inlined (a persona may have more
 * versions than an engine takes parameters); each is checked to be an integer first. An empty
 * list matches nothing.
 */
function versionsIn(alias: string, versions: readonly number[]): string {
  const safe = versions.filter((v) => Number.isSafeInteger(v));
  return safe.length ? `${alias}.version IN (${safe.join(', ')})` : '1 = 0';
}
