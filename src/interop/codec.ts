import { createHash } from 'crypto';
import { isDeepStrictEqual } from 'util';
import { PersonaValidationError, ValidationIssue } from '../errors';

/** A plain JSON object. */
export type Json = Record<string, unknown>;

/** What one mapped source field gives our persona, and what it needs kept to be written back. */
export type Forward = { persona?: Json; extra?: unknown };

/**
 * One field of a foreign format mapped onto persona fields. `read` turns the source value into
 * persona fields (and an `extra` it will need back); `write` turns the persona back into the
 * source value (`undefined` = leave the key out). `personaPaths` name the persona fields it
 * reads and writes, so an export can tell whether the user changed them since the import.
 */
export type FieldMap = {
  key: string;
  personaPaths: string[];
  read(value: unknown, present: boolean, ctx: ReadContext): Forward;
  write(persona: Json, extra: unknown): unknown;
  /** True when a stored `extra` has the shape `write` needs (records are data an owner can change); absent = any. */
  isExtra?(extra: unknown): boolean;
};

/** Where warnings and (strict mode) issues go while reading. */
export type ReadContext = { warnings: string[]; lenient: boolean; issues: ValidationIssue[] };

/** What an import keeps in `metadata.interop`, so that an export in the same format gives the document back. */
export type InteropRecord = {
  format: string;
  /** The source document without the fields that were mapped. */
  remainder: Json;
  /**
   * Per mapped field: what `write` needs, a digest of the persona fields the import derived (so
   * an export can tell whether they changed without keeping a second copy of them), and the
   * original value when `write` could not reproduce it.
   */
  fields: Record<string, { extra?: unknown; derived: string; original?: unknown; absent?: boolean }>;
  /** Root keys of a card that repeat a `data` field (SillyTavern's V1 copy), stored once: written from `data`. */
  copies?: string[];
  /**
   * The other card chunk of the PNG the card came from (`chara` beside `ccv3`): `swap` when it was
   * the same card with the other `spec`, `converted` when it was what `convertCard` gives, else
   * the whole document.
   */
  chunks?: Record<string, unknown>;
};

/** The namespaced metadata key that holds an {@link InteropRecord}. */
export const INTEROP_KEY = 'interop';

function isPlain(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * What is wrong with a stored record, as issues at `metadata.interop…`: it lives in metadata,
 * which its owner may change, so an export checks its shape before it trusts it. The remainder
 * and the originals may hold any JSON (the output is checked as a document afterwards); what
 * the writers read (the digests, the `absent` flags, each field's `extra`) must have its shape.
 */
export function recordIssues(record: unknown, fields: FieldMap[], at = `metadata.${INTEROP_KEY}`, copyKeys: readonly string[] = []): ValidationIssue[] {
  const issue = (path: string, message: string): ValidationIssue => ({ path, constraint: 'interopRecord', message: `${path} ${message}` });
  if (!isPlain(record)) return [issue(at, 'must be an object')];
  const issues: ValidationIssue[] = [];
  if (!isPlain(record.remainder)) issues.push(issue(`${at}.remainder`, 'must be an object'));
  if (record.copies !== undefined) {
    if (!Array.isArray(record.copies)) issues.push(issue(`${at}.copies`, 'must be a list of strings'));
    else {
      record.copies.forEach((key, i) => {
        if (typeof key !== 'string' || !copyKeys.includes(key)) issues.push(issue(`${at}.copies[${i}]`, `must be one of the root keys a card copies from data${copyKeys.length ? ` (${copyKeys.join(', ')})` : ' (this format has none)'}`));
      });
    }
  }
  if (record.chunks !== undefined && !(isPlain(record.chunks) && Object.values(record.chunks).every((c) => c === 'swap' || c === 'converted' || isPlain(c)))) {
    issues.push(issue(`${at}.chunks`, 'must map chunk names to "swap", "converted" or a document'));
  }
  if (!isPlain(record.fields)) return [...issues, issue(`${at}.fields`, 'must be an object')];
  for (const field of fields) {
    if (!Object.prototype.hasOwnProperty.call(record.fields, field.key)) continue;
    const entry = record.fields[field.key];
    const path = `${at}.fields["${field.key}"]`;
    if (!isPlain(entry)) {
      issues.push(issue(path, 'must be an object'));
      continue;
    }
    if (typeof entry.derived !== 'string') issues.push(issue(`${path}.derived`, 'must be a string'));
    if (entry.absent !== undefined && typeof entry.absent !== 'boolean') issues.push(issue(`${path}.absent`, 'must be a boolean'));
    if (entry.extra !== undefined && field.isExtra && !field.isExtra(entry.extra)) issues.push(issue(`${path}.extra`, `does not have the shape ${field.key} needs`));
  }
  return issues;
}

export function getPath(doc: unknown, path: string): { present: boolean; value: unknown } {
  let node: unknown = doc;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.prototype.hasOwnProperty.call(node, key)) return { present: false, value: undefined };
    node = (node as Json)[key];
  }
  return { present: true, value: node };
}

export function setPath(doc: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = doc;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object' || Array.isArray(node[key])) node[key] = {};
    node = node[key] as Json;
  }
  Object.defineProperty(node, keys[keys.length - 1], { value, enumerable: true, writable: true, configurable: true });
}

export function deletePath(doc: Json, path: string): void {
  const keys = path.split('.');
  let node: unknown = doc;
  for (const key of keys.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Json)[key];
  }
  if (node !== null && typeof node === 'object') delete (node as Json)[keys[keys.length - 1]];
}

/**
 * A deep copy through JSON (the documents are JSON). A value whose JSON would be longer than a
 * string can be (about 512 MiB in V8) is refused with a typed error, never a raw RangeError.
 */
export function clone<T>(value: T): T {
  if (value === undefined) return value;
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    if (error instanceof RangeError) throw new PersonaValidationError([{ path: '', constraint: 'maxSize', message: 'the document is too large to copy: its JSON is longer than a string can be' }], 'document');
    throw error;
  }
  return JSON.parse(text) as T;
}

/**
 * The persona fields named by `paths`, as JSON, for change detection: dot notation, and
 * `list#name` for the entry of a list with that name (`traits#personality`).
 */
export function snapshot(persona: Json, paths: string[]): unknown {
  return clone(
    paths.map((p) => {
      const [path, name] = p.split('#');
      const value = getPath(persona, path).value;
      if (name === undefined) return value ?? null;
      return Array.isArray(value) ? (value.find((e) => (e as Json)?.name === name) ?? null) : null;
    }),
  );
}

/** JSON with object keys sorted, so equal values give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value as Json).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Json)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A short digest of the persona fields named by `paths`. */
export function digest(persona: Json, paths: string[]): string {
  return createHash('sha256').update(canonical(snapshot(persona, paths))).digest('base64url').slice(0, 22);
}

/** Deep equality of JSON values, key order ignored. */
export function same(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(clone(a), clone(b));
}

/** Merges persona fragments: lists concatenate (traits from several fields), objects merge, scalars replace. */
export function mergeFragments(target: Json, fragment: Json): void {
  for (const [key, value] of Object.entries(fragment)) {
    if (Array.isArray(value) && Array.isArray(target[key])) target[key] = [...(target[key] as unknown[]), ...value];
    else if (value && typeof value === 'object' && !Array.isArray(value) && target[key] && typeof target[key] === 'object') mergeFragments(target[key] as Json, value as Json);
    else target[key] = value;
  }
}

/** Throws the issues collected in strict mode, paths in the source document. */
export function throwIssues(ctx: ReadContext, what: string): void {
  if (ctx.issues.length) throw new PersonaValidationError(ctx.issues, what);
}

/**
 * Reads `doc` through `fields`: the persona fragment, and the record that lets `writeDocument`
 * give the document back. The lossless check is done here: each field is written back from the
 * persona it produced; when that does not give the original value exactly, the original is kept.
 */
export function readDocument(
  format: string,
  doc: Json,
  fields: FieldMap[],
  ctx: ReadContext,
  build: (fragment: Json) => Json,
): { persona: Json; record: InteropRecord } {
  const fragment: Json = {};
  const record: InteropRecord = { format, remainder: clone(doc), fields: {} };
  const forwards = new Map<FieldMap, Forward>();
  for (const field of fields) {
    const { present, value } = getPath(doc, field.key);
    const forward = field.read(clone(value), present, ctx);
    forwards.set(field, forward);
    if (forward.persona) mergeFragments(fragment, forward.persona);
    deletePath(record.remainder, field.key);
  }
  // The checks run on the persona as it is built (defaults applied), as an export will see it.
  const persona = build(fragment);
  for (const field of fields) {
    const { present, value } = getPath(doc, field.key);
    const forward = forwards.get(field) as Forward;
    const entry: InteropRecord['fields'][string] = { derived: digest(persona, field.personaPaths) };
    if (forward.extra !== undefined) entry.extra = forward.extra;
    const back = field.write(persona, forward.extra);
    if (!present && back !== undefined) entry.absent = true;
    else if (present && !same(back, value)) entry.original = clone(value);
    record.fields[field.key] = entry;
  }
  return { persona, record };
}

/**
 * Writes `persona` as a document of `fields`. With the record of an import of the same format,
 * unmapped fields come back from its remainder, and every field the user did not change since
 * comes back exactly as it was; otherwise `skeleton` gives the fields a valid document needs.
 */
export function writeDocument(persona: Json, fields: FieldMap[], record: InteropRecord | undefined, skeleton: Json): Json {
  const doc: Json = record ? clone(record.remainder) : clone(skeleton);
  for (const field of fields) {
    const info = record && Object.prototype.hasOwnProperty.call(record.fields, field.key) ? record.fields[field.key] : undefined;
    const unchanged = info && digest(persona, field.personaPaths) === info.derived;
    if (unchanged && info.absent) continue;
    const value = unchanged && 'original' in info ? clone(info.original) : field.write(persona, info?.extra);
    if (value === undefined) deletePath(doc, field.key);
    else setPath(doc, field.key, value);
  }
  return doc;
}

/** True when no persona field a record's fields derived from has changed since the import. */
export function unchangedSince(persona: Json, fields: FieldMap[], record: InteropRecord): boolean {
  return fields.every((field) => {
    const info = Object.prototype.hasOwnProperty.call(record.fields, field.key) ? record.fields[field.key] : undefined;
    return !info || digest(persona, field.personaPaths) === info.derived;
  });
}
