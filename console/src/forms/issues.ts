import { toErrorSchema, type ErrorSchema } from '@rjsf/utils';
import type { Json, ValidationIssue } from '../api/types';

/** `traits[2].value` (the server's issue paths) → `.traits.2.value` (rjsf's property paths). */
export function issueProperty(path: string): string {
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/\["((?:[^"\\]|\\.)*)"\]/g, (_, key: string) => `.${key}`)
    .split('.')
    .filter(Boolean)
    .map((p) => `.${p}`)
    .join('');
}

/** The server's 400 issues as the error schema rjsf shows beside each field. */
export function issuesToErrorSchema(issues: ValidationIssue[]): ErrorSchema {
  return toErrorSchema(issues.map((i) => ({ property: issueProperty(i.path), message: i.message, stack: i.message })));
}

function isPlainObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The JSON merge patch (RFC 7396) that turns `before` into `after`: changed values, `null` for
 * removed keys, objects compared key by key, arrays replaced whole. Empty when nothing changed.
 */
export function mergePatch(before: Json, after: Json): Json {
  const patch: Json = {};
  for (const key of Object.keys(before)) if (!(key in after) || after[key] === undefined) if (before[key] !== undefined && before[key] !== null) patch[key] = null;
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const old = before[key];
    if (isPlainObject(old) && isPlainObject(value)) {
      const inner = mergePatch(old, value);
      if (Object.keys(inner).length) patch[key] = inner;
    } else if (JSON.stringify(old) !== JSON.stringify(value)) patch[key] = value;
  }
  return patch;
}

/** Applies a JSON merge patch (RFC 7396) to `target`: what the server does with {@link mergePatch}'s output. */
export function applyMergePatch<T>(target: T, patch: unknown): T {
  if (!isPlainObject(patch)) return patch as T;
  const out: Json = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out as T;
}
