import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Actor, isAdmin } from '../actor';
import { PersonaValidationError, ValidationIssue } from '../errors';

/** The filters personas and templates share. */
export type ListFilterBase = {
  tag?: string;
  createdBy?: string;
  isPublic?: boolean;
  /** Case-insensitive substring of the name or slug; `%` and `_` are literal. */
  search?: string;
  /** Page size 1–500 (default 50). */
  limit?: number;
  /** Rows to skip (default 0). */
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
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) issues.push({ path: 'limit', constraint: 'isInt', message: 'limit must be an integer from 1 to 500' });
  if (!Number.isInteger(offset) || offset < 0) issues.push({ path: 'offset', constraint: 'isInt', message: 'offset must be a non-negative integer' });
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
    if (v !== undefined && (typeof v !== 'string' || v.length > 255)) issues.push({ path: key, constraint: 'isString', message: `${key} must be a string of at most 255 characters` });
  }
  if (issues.length) throw new PersonaValidationError(issues, 'filter');
  return { ...f, limit, offset, orderBy };
}

/**
 * Applies visibility (what the actor may read), equality filters, the tag filter (tags are JSON
 * text, so the tag's exact JSON form is matched, LIKE-escaped) and the text search, then counts
 * and fetches one page sorted by the whitelisted key with the id as tie-breaker.
 */
export async function runListQuery<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  filter: ListFilterBase & { limit: number; offset: number; orderBy: string },
  equals: Record<string, unknown>,
  actor: Actor,
): Promise<{ rows: T[]; total: number }> {
  const a = alias;
  if (!isAdmin(actor)) qb.andWhere(`(${a}.isPublic = :visible OR ${a}.createdBy = :actorId)`, { visible: true, actorId: actor.id });
  for (const [column, value] of Object.entries({ ...equals, createdBy: filter.createdBy, isPublic: filter.isPublic })) {
    if (value !== undefined) qb.andWhere(`${a}.${column} = :eq_${column}`, { [`eq_${column}`]: value });
  }
  if (filter.tag !== undefined) qb.andWhere(`${a}.tags LIKE :tag ESCAPE '\\'`, { tag: `%${escapeLike(JSON.stringify(filter.tag))}%` });
  if (filter.search !== undefined) {
    qb.andWhere(`(LOWER(${a}.name) LIKE :q ESCAPE '\\' OR ${a}.slug LIKE :q ESCAPE '\\')`, { q: `%${escapeLike(filter.search.toLowerCase())}%` });
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
