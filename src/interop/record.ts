import { ValidationIssue } from '../errors';
import { CARD_FIELDS, ROOT_COPIES, V1_CARD_FIELDS } from './card';
import { FieldMap, recordIssues } from './codec';
import { ELIZA_FIELDS } from './eliza';

/** The fields each format with a record maps (Letta's records map none: it is read only). */
export const RECORD_FIELDS: Record<string, FieldMap[]> = { 'card-v1': V1_CARD_FIELDS, 'card-v2': CARD_FIELDS, 'card-v3': CARD_FIELDS, eliza: ELIZA_FIELDS, 'letta-af': [] };

/**
 * What is wrong with an interchange record as a persona stores it (`interop`, or the older
 * `metadata.interop`), checked when the persona is written and again before an export trusts it:
 * a record of a format we write must have the shape its writers read, and its `copies` may name
 * only the root keys a card copies from `data` (own keys of {@link ROOT_COPIES}, never
 * `__proto__` or `constructor`). A record of a format we do not know is the owner's own data.
 */
export function storedRecordIssues(record: unknown, at = 'interop'): ValidationIssue[] {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return [];
  const format = (record as Record<string, unknown>).format;
  if (typeof format !== 'string' || !Object.prototype.hasOwnProperty.call(RECORD_FIELDS, format)) return [];
  const copyKeys = format.startsWith('card-') ? Object.keys(ROOT_COPIES) : [];
  return recordIssues(record, RECORD_FIELDS[format], at, copyKeys);
}
