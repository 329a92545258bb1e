import { Json, ReadContext } from './codec';

/**
 * Shape checks of foreign documents. In strict mode a wrong type is an issue at its path in the
 * source document; in lenient mode the known malformations are repaired, each with a warning.
 */

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function issue(ctx: ReadContext, path: string, constraint: string, message: string): void {
  ctx.issues.push({ path, constraint, message: `${path} ${message}` });
}

/** A string field: strict refuses another type; lenient turns null into "" and numbers into text. */
export function checkString(ctx: ReadContext, obj: Json, key: string, path: string): void {
  if (!(key in obj) || typeof obj[key] === 'string') return;
  const v = obj[key];
  if (ctx.lenient && (v === null || typeof v === 'number' || typeof v === 'boolean')) {
    obj[key] = v === null ? '' : String(v);
    ctx.warnings.push(`repaired ${path}: ${v === null ? 'null' : typeof v} made a string`);
  } else issue(ctx, path, 'isString', 'must be a string');
}

/** A list of strings: lenient turns a string into a list (split on commas when `split`), null into []. */
export function checkStringList(ctx: ReadContext, obj: Json, key: string, path: string, split = false): void {
  if (!(key in obj)) return;
  const v = obj[key];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return;
  if (ctx.lenient) {
    if (typeof v === 'string') {
      obj[key] = split ? v.split(',').map((s) => s.trim()).filter(Boolean) : [v];
      ctx.warnings.push(`repaired ${path}: a string made a list`);
      return;
    }
    if (v === null) {
      obj[key] = [];
      ctx.warnings.push(`repaired ${path}: null made an empty list`);
      return;
    }
    if (Array.isArray(v)) {
      obj[key] = v.filter((x) => typeof x === 'string');
      ctx.warnings.push(`repaired ${path}: dropped ${v.length - (obj[key] as unknown[]).length} entries that were not strings`);
      return;
    }
  }
  issue(ctx, path, 'isStringArray', 'must be a list of strings');
}

/** An object field: lenient turns null or a missing required one into {}. */
export function checkObject(ctx: ReadContext, obj: Json, key: string, path: string, required = false): void {
  const v = obj[key];
  if (isObject(v) || (!(key in obj) && !required)) return;
  if (ctx.lenient && (v === null || v === undefined)) {
    obj[key] = {};
    ctx.warnings.push(`repaired ${path}: ${v === null ? 'null' : 'missing'}, made {}`);
    return;
  }
  issue(ctx, path, 'isObject', 'must be an object');
}

/** A boolean or number field, strict only. */
export function checkType(ctx: ReadContext, obj: Json, key: string, path: string, type: 'boolean' | 'number'): void {
  if (!(key in obj) || typeof obj[key] === type || (obj[key] === null && ctx.lenient)) return;
  issue(ctx, path, type === 'number' ? 'isNumber' : 'isBoolean', `must be a ${type}`);
}

/** The root must be an object. */
export function checkRoot(ctx: ReadContext, doc: unknown): doc is Json {
  if (isObject(doc)) return true;
  ctx.issues.push({ path: '', constraint: 'isObject', message: 'the document must be a JSON object' });
  return false;
}

/** A required non-empty string (a name). */
export function checkName(ctx: ReadContext, obj: Json, key: string, path: string): void {
  const before = ctx.issues.length;
  checkString(ctx, obj, key, path);
  if (ctx.issues.length === before && (typeof obj[key] !== 'string' || !(obj[key] as string).trim())) issue(ctx, path, 'isNotEmpty', 'must be a non-empty string');
}
