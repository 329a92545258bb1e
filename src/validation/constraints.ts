import { Transform } from 'class-transformer';
import { ValidateBy, ValidationOptions } from 'class-validator';
import * as paths from './paths';

/** Moved to paths.ts; a plain copy here, not `export … from`, which would make this module's exports a slow dictionary (see model.ts). */
export const { formatPath } = paths;

/** The persona slug rule: lowercase words of letters and digits joined by single hyphens. */
export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The shape of a UUID (any version); a slug may not have it, so lookups are unambiguous. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** BCP 47 language tags as used in practice: language, optional script, region and variants. */
const BCP47_PATTERN = /^(?:[a-zA-Z]{2,3}(?:-[a-zA-Z]{3}){0,3}|[a-zA-Z]{4,8})(?:-[a-zA-Z]{4})?(?:-(?:[a-zA-Z]{2}|\d{3}))?(?:-(?:[a-zA-Z\d]{5,8}|\d[a-zA-Z\d]{3}))*(?:-[a-wyzA-WYZ\d](?:-[a-zA-Z\d]{2,8})+)*(?:-x(?:-[a-zA-Z\d]{1,8})+)?$/;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** An object literal or `JSON.parse` output (of any realm), or an object without a prototype: no array, no class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  // Any realm's Object.prototype (Jest, vm contexts) or none.
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !Array.isArray(value) && isPlainObject(value);
}

/**
 * Deepest nesting accepted in free JSON, in levels below the root of the input: an object or a
 * list may sit at most 64 keys or indexes below it. Real data uses a fraction of it (an imported
 * character card with every field set sits 10 levels deep in `metadata.interop`); the point is
 * a bound that keeps every recursive walk of ours far from the stack limit.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Deepest nesting accepted in any input, free JSON included: an object or list at most this many
 * keys or indexes below the root of the input (`metadata.a.b` is 3 levels down). Enforced while
 * sanitising, which never descends past it, so no later recursive walk can overflow the stack;
 * `toPlain` writes no deeper.
 */
export const MAX_INPUT_DEPTH = MAX_JSON_DEPTH;

/**
 * True when the value is made only of what JSON can carry (finite numbers, no functions, no
 * dates) and nests at most {@link MAX_JSON_DEPTH} levels (deeper is false, never a stack overflow).
 */
export function isJsonValue(value: unknown, depth = 0): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (depth >= MAX_JSON_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isJsonValue(value[i], depth + 1)) return false;
    return true;
  }
  if (isRecord(value)) {
    for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key) && !isJsonValue(value[key], depth + 1)) return false;
    return true;
  }
  return false;
}

/** What {@link findJsonProblem} found, at `path` (keys and indexes from the root). */
export type JsonProblem = { path: (string | number)[]; constraint: 'maxDepth' | 'noCycle' | 'isJsonValue' | 'isPlainObject' };

/** Options of {@link findJsonProblem}. */
export type JsonProblemOptions = {
  /** Which keys of an object to follow (default: its own keys when it is plain); `undefined` refuses the object. */
  childKeys?: (node: object) => readonly string[] | undefined;
  /** Take any value that is not an object as a leaf (only depth and cycles are looked for). */
  anyLeaf?: boolean;
};

/**
 * The first place where `root` stops being a JSON tree of at most `maxDepth` levels: an object
 * or list nested deeper (`maxDepth`), one that contains itself (`noCycle`), a value JSON cannot
 * carry (`isJsonValue`: bigint, symbol, function) or an object that is neither plain nor a list
 * (`isPlainObject`; dates count as leaves). Iterative, so any depth of input is safe: run it
 * before anything that walks the value recursively (JSON.stringify included).
 */
export function findJsonProblem(root: unknown, maxDepth: number, options: JsonProblemOptions = {}): JsonProblem | undefined {
  const childKeys = options.childKeys ?? plainKeys;
  const leafProblem = options.anyLeaf ? anyLeaf : jsonLeaf;
  const leaf = leafProblem(root);
  if (leaf !== null) return leaf ? { path: [], constraint: leaf } : undefined;
  const rootKeys = Array.isArray(root) ? null : childKeys(root as object);
  if (rootKeys === undefined) return { path: [], constraint: 'isPlainObject' };
  // The current path as parallel stacks: the containers, their keys (null for a list) and the next position in each.
  const nodes: object[] = [root as object];
  const keyLists: (readonly string[] | null)[] = [rootKeys];
  const positions: number[] = [0];
  const path: (string | number)[] = [];
  while (nodes.length) {
    const top = nodes.length - 1;
    const node = nodes[top];
    const keys = keyLists[top];
    const at = positions[top]++;
    if (at >= (keys ? keys.length : (node as unknown[]).length)) {
      nodes.pop();
      keyLists.pop();
      positions.pop();
      path.pop();
      continue;
    }
    const key = keys ? keys[at] : at;
    const child = (node as Record<string | number, unknown>)[key];
    const problem = leafProblem(child);
    if (problem === undefined) continue;
    if (problem) return { path: [...path, key], constraint: problem };
    const isList = Array.isArray(child);
    const childList = isList ? null : childKeys(child as object);
    if (childList === undefined) return { path: [...path, key], constraint: 'isPlainObject' };
    if (nodes.includes(child as object)) return { path: [...path, key], constraint: 'noCycle' };
    if (nodes.length > maxDepth) return { path: [...path, key], constraint: 'maxDepth' };
    nodes.push(child as object);
    keyLists.push(childList);
    positions.push(0);
    path.push(key);
  }
  return undefined;
}

/** undefined: a JSON leaf (or a date); null: a container to look into; else the problem. */
function jsonLeaf(value: unknown): JsonProblem['constraint'] | null | undefined {
  if (value === null || value === undefined) return undefined;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return undefined;
  if (type !== 'object') return 'isJsonValue';
  return value instanceof Date ? undefined : null;
}

function anyLeaf(value: unknown): null | undefined {
  return value !== null && typeof value === 'object' && !(value instanceof Date) ? null : undefined;
}

function plainKeys(node: object): readonly string[] | undefined {
  return isRecord(node) ? Object.keys(node) : undefined;
}


/**
 * Dates come as `Date` or ISO 8601 text; anything else is left as is so that `@IsDate` refuses
 * it (no implicit conversion of numbers).
 */
export function DateInput(): PropertyDecorator {
  return Transform(
    ({ value }) => (typeof value === 'string' && ISO_DATE.test(value) ? new Date(value) : value),
    { toClassOnly: true },
  );
}

/** A trait value: a finite number 0–100, a string of 1–200 characters, or a boolean. */
export function IsTraitValue(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTraitValue',
      validator: {
        validate: (value) =>
          typeof value === 'boolean' ||
          (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 100) ||
          (typeof value === 'string' && value.length >= 1 && value.length <= 200),
        defaultMessage: (args) => `${args?.property} must be a number from 0 to 100, a string of 1 to 200 characters, or a boolean`,
      },
    },
    options,
  );
}

/** A JSON object (not an array), serialising to at most `maxBytes` bytes of UTF-8. */
export function IsJsonObject(maxBytes: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isJsonObject',
      constraints: [maxBytes],
      validator: {
        validate: (value) => isRecord(value) && isJsonValue(value) && Buffer.byteLength(JSON.stringify(value)) <= maxBytes,
        defaultMessage: (args) => `${args?.property} must be a JSON object of at most ${maxBytes} bytes`,
      },
    },
    options,
  );
}

/** A flat object of string, number or boolean values: at most 50 keys of 1–100 characters, strings ≤ 1,000. */
export function IsFlatRecord(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isFlatRecord',
      validator: {
        validate: (value) =>
          isRecord(value) &&
          Object.keys(value).length <= 50 &&
          Object.entries(value).every(
            ([k, v]) =>
              k.length >= 1 &&
              k.length <= 100 &&
              (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 1000)),
          ),
        defaultMessage: (args) =>
          `${args?.property} must be a flat object of at most 50 string, number or boolean values (keys 1-100 characters, strings at most 1000)`,
      },
    },
    options,
  );
}

/** The number must be strictly below the sibling field `other` (when that one is a number). */
export function IsBelowField(other: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isBelowField',
      constraints: [other],
      validator: {
        validate: (value, args) => {
          const limit = (args?.object as Record<string, unknown>)[other];
          return typeof value !== 'number' || typeof limit !== 'number' || value < limit;
        },
        defaultMessage: (args) => `${args?.property} must be below ${other}`,
      },
    },
    options,
  );
}

/** This field and `other` may not both be given. */
export function IsExclusiveWith(other: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'exclusiveWith',
      constraints: [other],
      validator: {
        validate: (value, args) => value == null || (args?.object as Record<string, unknown>)[other] == null,
        defaultMessage: (args) => `${args?.property} and ${other} cannot both be set`,
      },
    },
    options,
  );
}

/** Entries of the array have distinct `name`s. */
export function HasUniqueNames(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'uniqueNames',
      validator: {
        validate: (value) => {
          if (!Array.isArray(value)) return true;
          const names = value.map((v) => (v !== null && typeof v === 'object' ? (v as { name?: unknown }).name : undefined));
          return new Set(names.filter((n) => typeof n === 'string')).size === names.filter((n) => typeof n === 'string').length;
        },
        defaultMessage: (args) => {
          const names = (args?.value as { name?: unknown }[]).map((v) => v?.name);
          const dup = names.find((n, i) => typeof n === 'string' && names.indexOf(n) !== i);
          return `${args?.property} must have unique names; "${String(dup)}" appears more than once`;
        },
      },
    },
    options,
  );
}

/** A BCP 47 language tag such as `en-US`, `pt-BR` or `zh-Hant-TW`. */
export function IsBcp47(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isBcp47',
      validator: {
        validate: (value) => typeof value === 'string' && value.length <= 35 && BCP47_PATTERN.test(value),
        defaultMessage: (args) => `${args?.property} must be a BCP 47 language tag such as en-US`,
      },
    },
    options,
  );
}

/** A slug (`^[a-z0-9]+(-[a-z0-9]+)*$`) that does not have the shape of a UUID. */
export function IsSlug(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSlug',
      validator: {
        validate: (value) => typeof value === 'string' && SLUG_PATTERN.test(value) && !UUID_PATTERN.test(value),
        defaultMessage: (args) => `${args?.property} must be lowercase letters and digits joined by single hyphens, and not look like a UUID`,
      },
    },
    options,
  );
}
