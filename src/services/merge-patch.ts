import { PersonaValidationError } from '../errors';
import { formatPath, MAX_JSON_DEPTH } from '../validation/constraints';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One object of the patch still to merge: into `base`, at `depth` levels below the root, reached by `key` from `parent`. */
type Pending = { base: Record<string, unknown>; patch: Record<string, unknown>; depth: number; parent?: Pending; key?: string };

function pathOf(pending: Pending, last: string): string {
  const keys = [last];
  for (let at: Pending | undefined = pending; at?.key !== undefined; at = at.parent) keys.unshift(at.key);
  return formatPath(keys);
}

/**
 * JSON Merge Patch (RFC 7396): objects merge key by key, arrays and scalars replace, `null`
 * removes. Returns a new value; neither argument is changed. Iterative: a patch whose objects
 * nest deeper than {@link MAX_JSON_DEPTH} levels (or contain themselves) is refused with a
 * PersonaValidationError (`maxDepth`) naming the path, never a stack overflow.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const root: Record<string, unknown> = isObject(target) ? { ...target } : {};
  const stack: Pending[] = [{ base: root, patch, depth: 0 }];
  while (stack.length) {
    const pending = stack.pop() as Pending;
    const { base, patch: part } = pending;
    for (const key of Object.keys(part)) {
      const value = part[key];
      if (value === null) {
        delete base[key];
        continue;
      }
      if (value === undefined) continue;
      let merged = value;
      if (isObject(value)) {
        if (pending.depth >= MAX_JSON_DEPTH) {
          const path = pathOf(pending, key);
          throw new PersonaValidationError([{ path, constraint: 'maxDepth', message: `${path} is nested deeper than ${MAX_JSON_DEPTH} levels` }], 'merge patch');
        }
        const current = Object.prototype.hasOwnProperty.call(base, key) ? base[key] : undefined;
        merged = isObject(current) ? { ...current } : {};
        stack.push({ base: merged as Record<string, unknown>, patch: value, depth: pending.depth + 1, parent: pending, key });
      }
      // defineProperty, not assignment: a "__proto__" key stays an own key and is refused later.
      Object.defineProperty(base, key, { value: merged, enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}
