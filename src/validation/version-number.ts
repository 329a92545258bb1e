/**
 * The one rule for a persona version number taken from a caller (`expectedVersion`, `toVersion`,
 * diff's `from`/`to`, a label's `version` or split member, an event's or a series' `version`): an
 * integer from 1 to {@link MAX_VERSION_NUMBER}, the largest PostgreSQL `integer` (the column type
 * of every version). SQLite would take larger ones, PostgreSQL would fail the query; refusing them
 * up front gives both engines the same answer, a validation error naming the field.
 */
export const MAX_VERSION_NUMBER = 2_147_483_647;

/** True for an integer from 1 to {@link MAX_VERSION_NUMBER}. */
export function isVersionNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_VERSION_NUMBER;
}

/** The message of a refused version number at `path`. */
export function versionNumberMessage(path: string): string {
  return `${path} must be an integer from 1 to ${MAX_VERSION_NUMBER}`;
}
