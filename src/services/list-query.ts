import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Actor } from '../actor';
import { PersonaValidationError, ValidationIssue } from '../errors';
import { isStorableText } from '../validation/storable-text';
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
};

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
  const known = [...strings, ...Object.keys(enums), 'isPublic', 'limit', 'offset', 'orderBy'];
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

/**
 * Applies visibility (what the actor may read, from `access.ts`), equality filters, the tag
 * filter (an exact element of the JSON array, through the engine's JSON functions) and the text
 * search, then counts and fetches one page sorted by the whitelisted key with the id as
 * tie-breaker.
 */
export async function runListQuery<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  filter: ListFilterBase & { limit: number; offset: number; orderBy: string },
  equals: Record<string, unknown>,
  actor: Actor,
): Promise<{ rows: T[]; total: number }> {
  const a = alias;
  const visible = visibleWhere(a, actor);
  if (visible) qb.andWhere(visible.sql, visible.parameters);
  for (const [column, value] of Object.entries({ ...equals, createdBy: filter.createdBy, isPublic: filter.isPublic })) {
    if (value !== undefined) qb.andWhere(`${a}.${column} = :eq_${column}`, { [`eq_${column}`]: value });
  }
  if (filter.tag !== undefined) {
    if (qb.connection.options.type === 'postgres') qb.andWhere(`CAST(${a}.tags AS jsonb) @> CAST(:tagJson AS jsonb)`, { tagJson: JSON.stringify([filter.tag]) });
    else qb.andWhere(`EXISTS (SELECT 1 FROM json_each(${a}.tags) WHERE json_each.value = :tag)`, { tag: filter.tag });
  }
  if (filter.search !== undefined) {
    const lower = lowerFunction(qb as unknown as SelectQueryBuilder<ObjectLiteral>);
    qb.andWhere(`(${lower}(${a}.name) LIKE :q ESCAPE '\\' OR ${lower}(${a}.slug) LIKE :q ESCAPE '\\')`, { q: `%${escapeLike(filter.search.toLowerCase())}%` });
  }
  const total = await qb.getCount();
  const key = filter.orderBy.replace(/^-/, '');
  const rows = await qb
    .orderBy(`${a}.${key}`, filter.orderBy.startsWith('-') ? 'DESC' : 'ASC')
    .addOrderBy(`${a}.id`, 'ASC')
    .offset(filter.offset)
    .limit(filter.limit)
    .getMany();
  return { rows, total };
}
