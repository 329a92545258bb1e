import { isPlainObject } from './constraints';
import { HiddenSlot } from './hidden';
import { joinPath, parsePath } from './paths';
import { schemaFieldIndexes, schemaFields } from './schema-fields';

/*
 * The fields set (like Pydantic's `model_fields_set`): which fields of each model instance its
 * caller gave. Only this file knows how it is kept; everything else goes through `FieldsSet`.
 * It imports nothing that imports model.ts, since `Model` extends `WithFieldsSet` as model.ts loads.
 */

/** Most schema fields a mask holds (bits of a 32-bit integer, sign bit left alone). */
const MASK_FIELDS = 31;

/**
 * How a fields set is kept: a bit mask over the class's schema fields (a number, so that a bulk
 * save of 300,000 model instances holds no Set per instance), or the names themselves for a class
 * of more than {@link MASK_FIELDS} fields and once {@link fieldsSet} has been asked for them.
 */
type Stored = number | ReadonlySet<string>;

/** Reads and writes the private field of {@link WithFieldsSet}; set up in its body, the only place that can reach it. */
const storage = {} as { read(target: object): Stored | undefined; write(target: object, stored: Stored): void };

/** Where an object that is no {@link WithFieldsSet} (or was made without its constructor) keeps its fields set. */
const FALLBACK = new HiddenSlot<Stored>('fieldsSet');

/**
 * The base of `Model`, and of nothing else (so `instanceof WithFieldsSet` here means a model).
 * Each instance keeps its fields set in a private field, which is not in `Object.keys`, JSON,
 * spreads or Jest's equality, and which the constructor adds, so recording the set is a plain
 * store (a hidden slot defined on each instance built cost create() 20.4 → 22.6 ops/ms).
 */
export abstract class WithFieldsSet {
  #fieldsSet: Stored | undefined = undefined;

  static {
    // try, not `#fieldsSet in target`: that check, across the many model classes, doubled the cost of a read.
    storage.read = (target) => {
      try {
        return (target as WithFieldsSet).#fieldsSet;
      } catch {
        return FALLBACK.get(target);
      }
    };
    storage.write = (target, stored) => {
      try {
        (target as WithFieldsSet).#fieldsSet = stored;
      } catch {
        FALLBACK.set(target, stored);
      }
    };
  }
}

declare const opaque: unique symbol;

/** What one model's caller gave; opaque: read and write it through the functions of `FieldsSet` only. */
export type FieldsSet = { readonly [opaque]: true };

const wrap = (stored: Stored) => stored as unknown as FieldsSet;
const unwrap = (given: FieldsSet) => given as unknown as Stored;

const EMPTY: ReadonlySet<string> = new Set();

export const FieldsSet = {
  /** Nothing given, for a model of class `cls`. */
  none(cls: Function): FieldsSet {
    return wrap(schemaFields(cls).length <= MASK_FIELDS ? 0 : new Set<string>());
  },

  /** `given` and `field` (at `index` in the schema order of its class); may change and return `given` itself. */
  add(given: FieldsSet, field: string, index: number): FieldsSet {
    const stored = unwrap(given);
    if (typeof stored === 'number') return wrap(stored | (1 << index));
    (stored as Set<string>).add(field);
    return given;
  },

  /** Whether `field` (at `index` in the schema order of its class) is in `given`; nothing is in undefined. */
  has(given: FieldsSet | undefined, field: string, index: number): boolean {
    if (given === undefined) return false;
    const stored = unwrap(given);
    // A mask is only kept for classes of at most MASK_FIELDS fields: every index has its bit.
    return typeof stored === 'number' ? (stored & (1 << index)) !== 0 : stored.has(field);
  },

  /** The schema fields of `cls` that `plain` gives (neither undefined nor null). */
  fromPlain(cls: Function, plain: unknown): FieldsSet {
    let given = FieldsSet.none(cls);
    if (!isPlainObject(plain)) return given;
    const fields = schemaFields(cls);
    for (let i = 0; i < fields.length; i++) if (plain[fields[i]] !== undefined && plain[fields[i]] !== null) given = FieldsSet.add(given, fields[i], i);
    return given;
  },

  /** What was recorded for `model`, or undefined when nothing was. */
  of(model: object): FieldsSet | undefined {
    const stored = storage.read(model);
    return stored === undefined ? undefined : wrap(stored);
  },

  /** Records what `model`'s caller gave. */
  record(model: object, given: FieldsSet): void {
    const stored = unwrap(given);
    // Names come in schema order, as a mask gives them, so that equal models report equal sets.
    storage.write(model, typeof stored === 'number' ? stored : new Set(schemaFields(model.constructor).filter((f) => stored.has(f))));
  },
};

/** The top-level fields the caller of `create()` gave (like Pydantic's `model_fields_set`), in schema order. */
export function fieldsSet(model: object): ReadonlySet<string> {
  const given = FieldsSet.of(model);
  if (given === undefined) return EMPTY;
  const stored = unwrap(given);
  if (typeof stored !== 'number') return stored;
  if (stored === 0) return EMPTY;
  const set = new Set<string>();
  const fields = schemaFields(model.constructor);
  for (let i = 0; i < fields.length; i++) if (FieldsSet.has(given, fields[i], i)) set.add(fields[i]);
  // Kept, so that asking again (inheritance asks per field) builds nothing.
  storage.write(model, set);
  return set;
}

/**
 * Every field the caller gave, as paths: `name`, `responseStyle.tone`, `traits[0].weight`.
 * The store persists this list so inheritance still knows what a persona set itself.
 */
export function setFieldPaths(model: object): string[] {
  const out: string[] = [];
  addSetPaths(model, '', out);
  return out;
}

function addSetPaths(model: object, prefix: string, out: string[]): void {
  const given = FieldsSet.of(model);
  if (given === undefined) return;
  const fields = schemaFields(model.constructor);
  for (let i = 0; i < fields.length; i++) {
    const key = fields[i];
    if (!FieldsSet.has(given, key, i)) continue;
    const path = joinPath(prefix, key);
    out.push(path);
    const value = (model as Record<string, unknown>)[key];
    if (value instanceof WithFieldsSet) addSetPaths(value, path, out);
    else if (Array.isArray(value)) for (let j = 0; j < value.length; j++) if (value[j] instanceof WithFieldsSet) addSetPaths(value[j], joinPath(path, j), out);
  }
}

/**
 * Stored field paths compiled for {@link applyFieldPaths}: per model the paths name (its route
 * from the root: keys and list indexes), the keys given of it. Compiled once per distinct list, so
 * personas of one shape share one plan and a load parses no path.
 */
export type FieldPathsPlan = { readonly owners: readonly { readonly route: readonly (string | number)[]; readonly keys: readonly string[] }[] };

/** Compiles what {@link setFieldPaths} wrote; paths that do not parse are left out. */
export function compileFieldPaths(paths: readonly unknown[]): FieldPathsPlan {
  const owners = new Map<string, { route: (string | number)[]; keys: string[] }>();
  const own = (route: (string | number)[], key: string) => {
    const id = JSON.stringify(route);
    let owner = owners.get(id);
    if (!owner) owners.set(id, (owner = { route: [...route], keys: [] }));
    if (!owner.keys.includes(key)) owner.keys.push(key);
  };
  for (const path of Array.isArray(paths) ? paths : []) {
    const steps = typeof path === 'string' ? parsePath(path) : null;
    if (!steps) continue;
    const route: (string | number)[] = [];
    for (const { key, indexes } of steps) {
      own(route, key);
      route.push(key, ...indexes);
    }
  }
  return { owners: [...owners.values()] };
}

/** The model at `route` below `model`, through models only; undefined when the route leaves them. */
function modelAt(model: object, route: readonly (string | number)[]): object | undefined {
  let target: unknown = model;
  for (let i = 0; i < route.length; ) {
    if (!(target instanceof WithFieldsSet)) return undefined;
    target = (target as unknown as Record<string, unknown>)[route[i++] as string];
    while (typeof route[i] === 'number') target = Array.isArray(target) ? target[route[i++] as number] : undefined;
  }
  return target instanceof WithFieldsSet ? target : undefined;
}

/**
 * Restores a {@link compileFieldPaths} plan, after a load from the database. Keys that are no
 * field of their model (written by an older schema) are left out. With `fresh` (a tree just
 * loaded, with no fields set yet), only the models a path names are given a set.
 */
export function applyFieldPaths(model: object, plan: FieldPathsPlan, options: { fresh?: boolean } = {}): void {
  const named = new Set<object>();
  for (const { route, keys } of plan.owners) {
    const target = modelAt(model, route);
    if (!target || named.has(target)) continue;
    named.add(target);
    let given = FieldsSet.none(target.constructor);
    const indexes = schemaFieldIndexes(target.constructor);
    for (const key of keys) {
      const index = indexes.get(key);
      if (index !== undefined) given = FieldsSet.add(given, key, index);
    }
    FieldsSet.record(target, given);
  }
  if (!named.has(model)) {
    named.add(model);
    FieldsSet.record(model, FieldsSet.none(model.constructor));
  }
  if (options.fresh) return;
  const visitAll = (m: unknown) => {
    if (!(m instanceof WithFieldsSet)) return;
    if (!named.has(m)) FieldsSet.record(m, FieldsSet.none(m.constructor));
    for (const value of Object.values(m)) {
      if (value instanceof WithFieldsSet) visitAll(value);
      else if (Array.isArray(value)) value.forEach(visitAll);
    }
  };
  visitAll(model);
}

/** Restores what {@link setFieldPaths} wrote: {@link applyFieldPaths} of {@link compileFieldPaths}. */
export function restoreFieldPaths(model: object, paths: readonly string[], options: { fresh?: boolean } = {}): void {
  applyFieldPaths(model, compileFieldPaths(paths), options);
}
