import { STORE_KEPT_FIELDS } from '../models/field-roles';

/** One difference between two versions: the field path, what happened, and the values on each side. */
export type PersonaChange = { path: string; kind: 'added' | 'removed' | 'changed'; before?: unknown; after?: unknown };

/** Lists whose entries are keyed by their `name`: a change names the entry, not its index. */
const BY_NAME: ReadonlySet<string> = new Set(['traits', 'knowledgeDomains', 'behaviorRules']);
const LEFT_OUT: ReadonlySet<string> = new Set<string>(STORE_KEPT_FIELDS.filter((f) => f !== 'id'));

type Plain = Record<string, unknown>;

function isObject(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `a.b` for plain keys; `a["x.y"]` for keys containing `.`, `[` or `"` (and for empty keys). */
export function pathKey(prefix: string, key: string): string {
  if (key === '' || /[.["]/.test(key)) return `${prefix}[${JSON.stringify(key)}]`;
  return prefix ? `${prefix}.${key}` : key;
}

/** Structural equality of JSON values (key order ignored). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => same(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && same(a[k], b[k]));
  }
  return false;
}

/** Code-point order: the same on every machine and locale. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares two objects key by key: objects recurse, anything else (arrays included) changes as a
 * whole value. Keys come in code-point order, so the result is deterministic.
 */
function diffObjects(before: Plain, after: Plain, prefix: string, out: PersonaChange[]): void {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(byCodePoint);
  for (const key of keys) {
    const path = pathKey(prefix, key);
    const has = [Object.prototype.hasOwnProperty.call(before, key) && before[key] !== undefined, Object.prototype.hasOwnProperty.call(after, key) && after[key] !== undefined];
    if (has[0] && !has[1]) out.push({ path, kind: 'removed', before: before[key] });
    else if (!has[0] && has[1]) out.push({ path, kind: 'added', after: after[key] });
    else if (has[0] && has[1] && !same(before[key], after[key])) {
      if (isObject(before[key]) && isObject(after[key])) diffObjects(before[key] as Plain, after[key] as Plain, path, out);
      else out.push({ path, kind: 'changed', before: before[key], after: after[key] });
    }
  }
}

/** Entries of a named list by name (the last one wins should a stored list ever repeat a name). */
function byName(list: unknown): Map<string, Plain> {
  const out = new Map<string, Plain>();
  if (Array.isArray(list)) for (const entry of list) if (isObject(entry) && typeof entry.name === 'string') out.set(entry.name, entry);
  return out;
}

/**
 * The changes from one stored snapshot of a persona to another (`toPlain` forms), in a
 * deterministic order: fields in code-point order of their paths; traits, knowledge domains and
 * behavior rules keyed by name (`traits.patient.value`, a whole entry as `traits.witty`); other
 * arrays as whole values; `version`, `createdAt` and `updatedAt` left out.
 */
export function diffSnapshots(before: Plain, after: Plain): PersonaChange[] {
  const out: PersonaChange[] = [];
  const strip = (snapshot: Plain) => {
    const copy: Plain = {};
    for (const [k, v] of Object.entries(snapshot)) if (!LEFT_OUT.has(k) && !BY_NAME.has(k)) copy[k] = v;
    return copy;
  };
  diffObjects(strip(before), strip(after), '', out);
  for (const list of BY_NAME) {
    const a = byName(before[list]);
    const b = byName(after[list]);
    for (const name of [...new Set([...a.keys(), ...b.keys()])].sort(byCodePoint)) {
      const path = pathKey(list, name);
      const x = a.get(name);
      const y = b.get(name);
      if (x && !y) out.push({ path, kind: 'removed', before: x });
      else if (!x && y) out.push({ path, kind: 'added', after: y });
      else if (x && y) diffObjects(x, y, path, out);
    }
  }
  return out.sort((p, q) => byCodePoint(p.path, q.path));
}
