import { isStorableText } from './storable-text';
import { PersonaValidationError, ValidationIssue } from '../errors';
import { isPlainObject, MAX_INPUT_DEPTH } from './constraints';
import { Model } from './model';
import { appendPath, formatPath, joinPath } from './paths';
import { depthMessage, toPlain } from './to-plain';

/** Keys that would reach an object's prototype if they were ever assigned; refused wherever they appear. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Sanitises untrusted input for `cls` (the first step of `create()`): issues are pushed, the clean
 * copy returned, or undefined when the input is no object at all.
 */
export function sanitiseInput(cls: { ignoredInputFields?: readonly string[] }, input: unknown, issues: ValidationIssue[]): Record<string, unknown> | undefined {
  if (!isPlainObject(input) && !(input instanceof Model)) {
    issues.push({ path: '', constraint: 'isObject', message: `input must be an object, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}` });
    return undefined;
  }
  const plain = sanitise(input, { issues, keys: [], ancestors: [] }) as Record<string, unknown> | undefined;
  if (plain) for (const key of cls.ignoredInputFields ?? []) delete plain[key];
  return plain;
}

/**
 * Where {@link sanitise} is: the keys and indexes from the root (a path is only spelled out when
 * there is an issue to report) and the objects above, for cycles.
 */
type SanitiseState = { issues: ValidationIssue[]; keys: (string | number)[]; ancestors: object[] };

/** Reports an issue where sanitising is (or at its key `last`, or at `below` under it) and returns undefined: the value is refused. */
function refuse(state: SanitiseState, constraint: string, message: (path: string) => string, last?: string | number, below?: string): undefined {
  let path = formatPath(state.keys);
  if (last !== undefined) path = joinPath(path, last);
  if (below) path = appendPath(path, below);
  state.issues.push({ path, constraint, message: message(path) });
  return undefined;
}

/**
 * Copies untrusted input into fresh plain objects: refuses prototype keys, values JSON cannot
 * carry and runaway nesting, each with its path; converts nested model instances to their
 * plain form (keeping what they had set). Undefined properties count as absent.
 */
function sanitise(value: unknown, state: SanitiseState): unknown {
  // -0 becomes 0: JSON cannot carry the sign, and a round trip must give back what was stored.
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (typeof value === 'string') {
    // Text both engines store as given (PostgreSQL refuses U+0000; lone surrogates do not round-trip).
    return isStorableText(value) ? value : refuse(state, 'isStorableText', (path) => `${path || 'input'} may not contain U+0000 or a lone surrogate`);
  }
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value !== 'object') return refuse(state, 'isJsonValue', (path) => `${path || 'input'} must be a JSON value, got ${typeof value}`);
  if (value instanceof Date) return value;
  // `keys` holds one entry per level below the root: its length is the depth.
  if (state.keys.length > MAX_INPUT_DEPTH) return refuse(state, 'maxDepth', (path) => `${path} is nested deeper than ${MAX_INPUT_DEPTH} levels`);
  if (state.ancestors.includes(value)) return refuse(state, 'noCycle', (path) => `${path} refers back to itself`);
  if (value instanceof Model) {
    let plain: Record<string, unknown>;
    try {
      // An instance changed by hand may hold anything: toPlain refuses what it cannot copy safely.
      plain = toPlain(value, { excludeUnset: true });
    } catch (error) {
      if (!(error instanceof PersonaValidationError)) throw error;
      for (const issue of error.issues) refuse(state, issue.constraint, (path) => `${path || 'input'} ${depthMessage(issue.constraint)}`, undefined, issue.path);
      return undefined;
    }
    state.ancestors.push(value);
    try {
      return sanitise(plain, state);
    } finally {
      state.ancestors.pop();
    }
  }
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) return refuse(state, 'isPlainObject', (path) => `${path || 'input'} must be a plain object`);
  state.ancestors.push(value);
  try {
    if (isArray) {
      const out: unknown[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        state.keys.push(i);
        // A refused item (undefined) holds its place as null: its issue is the only one reported.
        out[i] = sanitise(value[i], state) ?? null;
        state.keys.pop();
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        refuse(state, 'forbiddenKey', () => `key "${key}" is not allowed`, key);
        continue;
      }
      if (!isStorableText(key)) {
        refuse(state, 'isStorableText', (path) => `${path} (a key) may not contain U+0000 or a lone surrogate`, key);
        continue;
      }
      const child = (value as Record<string, unknown>)[key];
      if (child === undefined) continue;
      state.keys.push(key);
      const clean = sanitise(child, state);
      // A refused value is left out, so that the rules of the fields above do not report it again.
      if (clean !== undefined) out[key] = clean;
      state.keys.pop();
    }
    return out;
  } finally {
    state.ancestors.pop();
  }
}
