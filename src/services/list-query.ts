import { createHash } from 'crypto';
import { ObjectLiteral, QueryRunner, SelectQueryBuilder } from 'typeorm';
import { preparedQuery, sqliteRows } from '../persistence/transaction';
import { Actor } from '../actor';
import { PersonaValidationError, ValidationIssue } from '../errors';
import { isStorableText } from '../validation/storable-text';
import { isVersionNumber } from '../validation/version-number';
import { visibleWhere } from './access';

/** Largest `limit` a list accepts. */
export const MAX_LIST_LIMIT = 500;
/** Largest `offset` a list accepts (deeper pages are refused with a validation error, never sent to SQL). */
export const MAX_LIST_OFFSET = 1_000_000;
/** Longest text filter (`tag`, `createdBy`, `search`, ...), in characters. */
export const MAX_FILTER_LENGTH = 255;

/** The filters personas and templates share. */
export type ListFilterBase = {
  tag?: string;
  createdBy?: string;
  isPublic?: boolean;
  /** Case-insensitive (Unicode, not only ASCII) substring of the name or slug; `%` and `_` are literal. */
  search?: string;
  /** Page size 1–500 (default 50). */
  limit?: number;
  /** Rows to skip, 0–1,000,000 (default 0). */
  offset?: number;
  /** A whitelisted sort key, `-` in front for descending (default `name`). */
  orderBy?: string;
  /**
   * Keyset pagination: the `nextCursor` of the previous page (same filter and `orderBy`). The
   * page then starts right after that row, read through the sort key's index however deep it is;
   * `offset` must be 0 with a cursor. At most 1,000 characters.
   */
  cursor?: string;
  /** `false` leaves out the count of all matching rows (`total` is null): one query less per page. Default true. */
  withTotal?: boolean;
};

/** Longest cursor accepted, in characters. */
export const MAX_CURSOR_LENGTH = 1000;

/** A decoded cursor: the sort it belongs to, and the sort key and id of the last row of the previous page. */
type Cursor = { orderBy: string; value: string | number; id: string };

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.orderBy, cursor.value, cursor.id]), 'utf8').toString('base64url');
}

/** An instant as `keyValue` writes it: `toISOString()` text (UTC, milliseconds), and a real date. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * True when `v` is a value the sort key `key` can hold, as `keyValue` writes it: a date key an
 * ISO instant that round-trips, `version` a version number, an enum key one of its values
 * (`enums`), any other key storable text of at most 1,000 characters. A forged cursor holding
 * anything else is refused before it reaches SQL (PostgreSQL would fail the cast).
 */
function cursorValueFits(key: string, v: unknown, enums: Record<string, readonly string[]>): boolean {
  if (DATE_KEYS.has(key)) return typeof v === 'string' && ISO_INSTANT.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v;
  if (NUMBER_KEYS.has(key)) return isVersionNumber(v);
  if (key in enums) return typeof v === 'string' && enums[key].includes(v);
  return typeof v === 'string' && v.length <= 1000 && isStorableText(v);
}

/** The cursor, or null when it is not one this module wrote for `orderBy` (its value checked against the sort key's type). */
function decodeCursor(text: string, orderBy: string, enums: Record<string, readonly string[]> = {}): Cursor | null {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(value) || value.length !== 3) return null;
    const [o, v, id] = value as unknown[];
    if (o !== orderBy || typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) return null;
    if (!cursorValueFits(orderBy.replace(/^-/, ''), v, enums)) return null;
    return { orderBy: o, value: v as string | number, id };
  } catch {
    return null;
  }
}

/** What one kind of list accepts beyond the shared filters. */
export type ListSpec = { sortKeys: readonly string[]; strings?: readonly string[]; enums?: Record<string, readonly string[]> };

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Refuses unknown filters, bad pages and non-whitelisted sort keys; returns the filter with its defaults. */
export function checkListFilter<F extends ListFilterBase>(filter: F, spec: ListSpec): F & { limit: number; offset: number; orderBy: string } {
  const issues: ValidationIssue[] = [];
  const strings = ['tag', 'createdBy', 'search', ...(spec.strings ?? [])];
  const enums = spec.enums ?? {};
  const known = [...strings, ...Object.keys(enums), 'isPublic', 'limit', 'offset', 'orderBy', 'cursor', 'withTotal'];
  const f = (filter ?? {}) as F;
  for (const key of Object.keys(f)) if (!known.includes(key)) issues.push({ path: key, constraint: 'whitelistValidation', message: `unknown filter "${key}"` });
  const { limit = 50, offset = 0, orderBy = 'name' } = f;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    issues.push({ path: 'limit', constraint: 'isInt', message: `limit must be an integer from 1 to ${MAX_LIST_LIMIT}` });
  }
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_LIST_OFFSET) {
    issues.push({ path: 'offset', constraint: 'isInt', message: `offset must be an integer from 0 to ${MAX_LIST_OFFSET}` });
  }
  if (typeof orderBy !== 'string' || !spec.sortKeys.includes(orderBy.replace(/^-/, ''))) {
    issues.push({ path: 'orderBy', constraint: 'isIn', message: `orderBy must be one of ${spec.sortKeys.join(', ')} (prefix - for descending)` });
  }
  if (f.isPublic !== undefined && typeof f.isPublic !== 'boolean') issues.push({ path: 'isPublic', constraint: 'isBoolean', message: 'isPublic must be a boolean' });
  for (const [key, values] of Object.entries(enums)) {
    const v = (f as Record<string, unknown>)[key];
    if (v !== undefined && !values.includes(v as string)) issues.push({ path: key, constraint: 'isEnum', message: `${key} must be one of ${values.join(', ')}` });
  }
  for (const key of strings) {
    const v = (f as Record<string, unknown>)[key];
    if (v !== undefined && (typeof v !== 'string' || v.length > MAX_FILTER_LENGTH)) {
      issues.push({ path: key, constraint: 'isString', message: `${key} must be a string of at most ${MAX_FILTER_LENGTH} characters` });
    } else if (typeof v === 'string' && !isStorableText(v)) {
      issues.push({ path: key, constraint: 'isStorableText', message: `${key} may not contain U+0000 or a lone surrogate` });
    }
  }
  if (f.withTotal !== undefined && typeof f.withTotal !== 'boolean') issues.push({ path: 'withTotal', constraint: 'isBoolean', message: 'withTotal must be a boolean' });
  if (f.cursor !== undefined) {
    if (typeof f.cursor !== 'string' || f.cursor.length > MAX_CURSOR_LENGTH || (typeof orderBy === 'string' && !decodeCursor(f.cursor, orderBy, enums))) {
      issues.push({ path: 'cursor', constraint: 'isCursor', message: 'cursor must be the nextCursor of a previous page with the same orderBy' });
    } else if (offset !== 0) {
      issues.push({ path: 'offset', constraint: 'exclusiveWith', message: 'offset must be 0 when a cursor is given' });
    }
  }
  if (issues.length) throw new PersonaValidationError(issues, 'filter');
  return { ...f, limit, offset, orderBy };
}

/** better-sqlite3 connections that have the Unicode lower-casing function registered. */
const foldingConnections = new WeakSet<object>();

/**
 * SQLite's LOWER() and LIKE fold ASCII only ("É" stays "É"), so search lower-cases through a
 * JavaScript function registered once per connection; PostgreSQL's LOWER() follows the
 * database's ctype (Unicode under a UTF-8 locale such as C.UTF-8 or en_US.UTF-8).
 */
function lowerFunction(qb: SelectQueryBuilder<ObjectLiteral>): string {
  if (qb.connection.options.type === 'postgres') return 'LOWER';
  const db = (qb.connection.driver as unknown as { databaseConnection?: { function?: Function } }).databaseConnection;
  if (db && typeof db.function === 'function' && !foldingConnections.has(db)) {
    db.function('persona_lower', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? text.toLowerCase() : text));
    foldingConnections.add(db);
  }
  return 'persona_lower';
}

/** How a kind of list finds rows by tag and by text, beyond the columns of its own row. */
export type ListSources = {
  /** SQLite: SQL of the ids having the tag `:tag` (a side table); without it, tags are read from the row's JSON. */
  tagIds?: string;
  /** SQLite: an FTS5 trigram table (`personaId`, `name`, `slug`) that narrows a search of 3 characters or more. */
  searchTable?: string;
};

/** One page: the rows, the count of all matching (null with `withTotal: false`), and the cursor of the next page (null on the last). */
export type ListPage<T> = { rows: T[]; total: number | null; nextCursor: string | null };

/**
 * Applies visibility (what the actor may read, from `access.ts`), equality filters, the tag
 * filter (a side table, else an exact element of the JSON array) and the text search (trigram
 * indexes on PostgreSQL, an FTS5 trigram table on SQLite, each rechecked by the exact LIKE), then
 * counts (unless `withTotal: false`) and fetches one page sorted by the whitelisted key with the
 * id as tie-breaker in the same direction, after the cursor's row when one is given. Every shape
 * is served by an index: docs/scaling.md has the plans.
 */
export async function runListQuery<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  filter: ListFilterBase & { limit: number; offset: number; orderBy: string },
  equals: Record<string, unknown>,
  actor: Actor,
  sources: ListSources = {},
  options: {
    /** Raw rows (keys `alias_column`) instead of entities. */
    raw?: boolean;
    /** With `raw`: SQL around the page's own (`page`, its rows named `alias_column`) given the ORDER BY of those names, e.g. to join wide columns to the page's rows only. */
    wrap?: (page: string, orderBy: string) => string;
    /** With `raw`: a name of what the caller adds (its `wrap`), under which the page's SQL text is built once per shape. */
    shape?: string;
  } = {},
): Promise<ListPage<T>> {
  const a = alias;
  const postgres = qb.connection.options.type === 'postgres';
  const visible = visibleWhere(a, actor);
  if (visible) qb.andWhere(visible.sql, visible.parameters);
  for (const [column, value] of Object.entries({ ...equals, createdBy: filter.createdBy, isPublic: filter.isPublic })) {
    if (value !== undefined) qb.andWhere(`${a}.${column} = :eq_${column}`, { [`eq_${column}`]: value });
  }
  if (filter.tag !== undefined) {
    // PostgreSQL: the expression GIN index on CAST(tags AS jsonb) (personas) serves this, and the planner may also walk the sort index and filter.
    if (postgres) qb.andWhere(`CAST(${a}.tags AS jsonb) @> CAST(:tagJson AS jsonb)`, { tagJson: JSON.stringify([filter.tag]) });
    else if (sources.tagIds) qb.andWhere(`${a}.id IN (${sources.tagIds})`, { tag: filter.tag });
    else qb.andWhere(`EXISTS (SELECT 1 FROM json_each(${a}.tags) WHERE json_each.value = :tag)`, { tag: filter.tag });
  }
  if (filter.search !== undefined) {
    const lower = lowerFunction(qb as unknown as SelectQueryBuilder<ObjectLiteral>);
    const pattern = `%${escapeLike(filter.search.toLowerCase())}%`;
    // PostgreSQL's default LIKE escape is the backslash already; leaving ESCAPE out keeps the trigram indexes usable.
    const escape = postgres ? '' : ` ESCAPE '\\'`;
    if (!postgres && sources.searchTable && [...filter.search].length >= 3) {
      qb.andWhere(`${a}.id IN (SELECT s.personaId FROM ${sources.searchTable} s WHERE ${sources.searchTable} MATCH :fts)`, { fts: `{name slug} : "${filter.search.replace(/"/g, '""')}"` });
    }
    qb.andWhere(`(${lower}(${a}.name) LIKE :q${escape} OR ${lower}(${a}.slug) LIKE :q${escape})`, { q: pattern });
  }
  const total = filter.withTotal === false ? null : await qb.getCount();
  const key = filter.orderBy.replace(/^-/, '');
  const descending = filter.orderBy.startsWith('-');
  const cursor = filter.cursor === undefined ? null : decodeCursor(filter.cursor, filter.orderBy);
  if (cursor) {
    const value = DATE_KEYS.has(key) ? dateValue(postgres, String(cursor.value)) : cursor.value;
    qb.andWhere(`(${a}.${key}, ${a}.id) ${descending ? '<' : '>'} (:cursorValue, :cursorId)`, { cursorValue: value, cursorId: cursor.id });
  }
  qb.orderBy(`${a}.${key}`, descending ? 'DESC' : 'ASC')
    .addOrderBy(`${a}.id`, descending ? 'DESC' : 'ASC')
    .offset(cursor ? 0 : filter.offset || undefined)
    .limit(filter.limit + 1);
  // Raw rows (`options.raw`) skip TypeORM's entity building: their keys are `alias_column`.
  const column = (name: string) => `${a}_${qb.expressionMap.mainAlias!.metadata.findColumnWithPropertyName(name)!.databaseName}`;
  const direction = descending ? 'DESC' : 'ASC';
  const wrap = options.wrap && ((sql: string) => options.wrap!(sql, `"${column(key)}" ${direction}, "${column('id')}" ${direction}`));
  // Prepared (a plan kept per connection) only where one plan serves every value: the selectivity
  // of a tag, a search term or an owner decides between walking the sort index and collecting the
  // matches (a kept generic plan walked the name index for a tag: 5.9 -> 34 ms at 100,000
  // personas; for owners in turn 1.6 -> 2.4 ms).
  const prepare = filter.tag === undefined && filter.search === undefined && filter.createdBy === undefined;
  const rows = options.raw ? ((await rawRows(qb, options.shape, wrap, prepare)) as T[]) : await qb.getMany();
  const more = rows.length > filter.limit;
  if (more) rows.length = filter.limit;
  const last = rows[rows.length - 1] as Record<string, unknown> | undefined;
  const valueOf = (row: Record<string, unknown>, name: string) => (options.raw ? row[column(name)] : row[name]);
  const nextCursor = more && last ? encodeCursor({ orderBy: filter.orderBy, value: keyValue(valueOf(last, key), DATE_KEYS.has(key)), id: String(valueOf(last, 'id')) }) : null;
  return { rows, total, nextCursor };
}

/**
 * The page's raw rows. TypeORM builds the same SQL text for every list of one shape (the WHERE
 * clauses present, their SQL, the sort, the page bounds): with `shape` (what the caller adds,
 * e.g. its joins) the text is built once per shape and only the parameters are escaped per call
 * (building it was ~9 % of a list page's CPU). The key is the builder's own WHERE expressions,
 * so two lists share a text only when TypeORM would build the same one.
 */
async function rawRows<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, shape: string | undefined, wrap?: (sql: string) => string, prepare = false): Promise<Record<string, unknown>[]> {
  if (shape === undefined) {
    if (!wrap) return qb.getRawMany();
    const [sql, parameters] = qb.getQueryAndParameters();
    return qb.connection.query(wrap(sql), parameters, (qb as unknown as { queryRunner?: QueryRunner }).queryRunner);
  }
  const m = qb.expressionMap;
  const key = JSON.stringify([shape, m.wheres.map((w) => [w.type, typeof w.condition === 'string' ? w.condition : null]), m.orderBys, m.offset ?? null, m.limit ?? null, m.selects.map((x) => [x.selection, x.aliasName ?? null])]);
  if (m.wheres.some((w) => typeof w.condition !== 'string')) return rawRows(qb, undefined, wrap);
  let byKey = listTexts.get(qb.connection);
  if (!byKey) listTexts.set(qb.connection, (byKey = new Map()));
  let entry = byKey.get(key);
  if (entry === undefined) {
    const text = wrap ? wrap(qb.getQuery()) : qb.getQuery();
    if (byKey.size >= 500) byKey.clear();
    byKey.set(key, (entry = { text, name: `personas-list-${createHash('sha256').update(text).digest('hex').slice(0, 24)}` }));
  }
  const [sql, parameters] = qb.connection.driver.escapeQueryWithParameters(entry.text, qb.getParameters());
  // The builder's runner (the caller's transaction, or a replica's), as getRawMany would use it.
  const runner = (qb as unknown as { queryRunner?: QueryRunner }).queryRunner;
  // Without one on PostgreSQL the page goes to the primary: when `prepare`, as a named prepared
  // statement, parsed and planned once per connection (planning alone was 0.24 ms of a page at
  // 100,000 personas).
  if (prepare && !runner && qb.connection.options.type === 'postgres') return preparedQuery(qb.connection, entry.name, sql, parameters);
  // SQLite: on the one connection (in the caller's queue and transaction, if any), rows read as arrays.
  return sqliteRows(qb.connection, sql, parameters) ?? qb.connection.query(sql, parameters, runner);
}
const listTexts = new WeakMap<object, Map<string, { text: string; name: string }>>();

/** Sort keys that hold dates. */
const DATE_KEYS = new Set(['createdAt', 'updatedAt']);
/** Sort keys that hold version numbers. */
const NUMBER_KEYS = new Set(['version']);

function keyValue(value: unknown, isDate = false): string | number {
  if (value instanceof Date) return value.toISOString();
  // A raw date from SQLite: TypeORM's UTC text ("2026-11-25 20:14:04.123").
  if (isDate && typeof value === 'string') return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`).toISOString();
  return typeof value === 'number' ? value : String(value);
}

/** A date cursor value as SQL compares it: a Date on PostgreSQL, TypeORM's UTC text on SQLite. */
function dateValue(postgres: boolean, iso: string): Date | string {
  const date = new Date(iso);
  if (postgres) return date;
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('T', ' ').replace('Z', '');
}
