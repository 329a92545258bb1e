import type { Json } from '../api/types';

const isNull = (s: unknown) => !!s && typeof s === 'object' && (s as Json).type === 'null';
const isObjectSchema = (s: unknown) => !!s && typeof s === 'object' && ((s as Json).type === 'object' || '$ref' in (s as Json));

/** `maxContextTokens` → `Max context tokens`. */
export function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The form's view of the API's JSON Schema; what is valid does not change, only how it is shown:
 * - an optional scalar or list, `anyOf: [X, { type: 'null' }]` ("X, or not given"), is just X:
 *   leaving it empty leaves it out, and the merge patch sends `null` for a removed value;
 * - an optional object (voiceConfig) stays a choice, named "Not set" / "Set";
 * - choices between types (a trait's value) are named by their type;
 * - every property gets a readable title (`Max context tokens`).
 */
export function simplifySchema<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(simplifySchema) as T;
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema as Json)) out[key] = simplifySchema(value);
  if (out.properties && typeof out.properties === 'object') {
    for (const [key, prop] of Object.entries(out.properties as Json)) {
      if (prop && typeof prop === 'object' && !('title' in (prop as Json))) (out.properties as Json)[key] = { title: humanize(key), ...(prop as Json) };
    }
  }
  const anyOf = out.anyOf;
  if (Array.isArray(anyOf) && anyOf.length === 2 && anyOf.some(isNull)) {
    const other = anyOf.find((s) => !isNull(s)) as Json;
    if (isObjectSchema(other)) return { ...out, anyOf: [{ type: 'null', title: 'Not set' }, { ...other, title: 'Set' }] } as T;
    const { anyOf: _drop, ...rest } = out;
    return { ...rest, ...other } as T;
  }
  if (Array.isArray(out.oneOf)) out.oneOf = (out.oneOf as Json[]).map((s) => (s && typeof s === 'object' && !s.title && typeof s.type === 'string' ? { title: s.type, ...s } : s));
  return out as T;
}

/**
 * The schema with every local `$ref` (`#/definitions/X`) replaced by what it names, and without
 * `definitions` and `$id`: each part of the form (and the validator rjsf hands parts to) is then
 * self-contained. Our schema has no recursive definitions; `depth` stops one that would.
 */
export function dereference<T>(root: T): T {
  const definitions = ((root as Json)?.definitions ?? {}) as Json;
  const walk = (node: unknown, depth: number): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, depth));
    if (!node || typeof node !== 'object') return node;
    const ref = (node as Json).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
      if (depth > 16) throw new Error(`The schema nests ${ref} too deeply to show as a form`);
      const { $ref: _r, ...rest } = node as Json;
      return { ...(walk(definitions[ref.slice('#/definitions/'.length)], depth + 1) as Json), ...(walk(rest, depth) as Json) };
    }
    const out: Json = {};
    for (const [key, value] of Object.entries(node as Json)) if (key !== 'definitions' && key !== '$id' && key !== '$schema') out[key] = walk(value, depth);
    return out;
  };
  return walk(root, 0) as T;
}

/** A record without its `null` values (at any depth in objects): what the simplified schema accepts. */
export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutNulls) as T;
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value as Json).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)])) as T;
}
