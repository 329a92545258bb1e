import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, ValidationError, ValidatorOptions } from 'class-validator';
import { AfterLoad } from 'typeorm';
import { PersonaValidationError, ValidationIssue } from '../errors';
import { build, validateInstance } from './compiled';
import { findJsonProblem, MAX_JSON_DEPTH } from './constraints';
import { FIELDS_SET, MASK_FIELDS } from './hidden';

const EMPTY: ReadonlySet<string> = new Set();

/** Keys that would reach an object's prototype if they were ever assigned; refused wherever they appear. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Deepest nesting accepted in any input, free JSON included: an object or list at most this many
 * keys or indexes below the root of the input (`metadata.a.b` is 3 levels down). Enforced while
 * sanitising, which never descends past it, so no later recursive walk can overflow the stack.
 */
export const MAX_INPUT_DEPTH = MAX_JSON_DEPTH;

/** Options passed to class-validator on every validation; never rely on its defaults. */
export const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
  validationError: { target: false, value: false },
};

/** A class with a no-argument constructor (TypeORM and class-transformer both need one). */
export type ModelClass<M> = { new (): M; prototype: M; name: string };

type Fn = (...args: never[]) => unknown;
type InputOf<V> = V extends Date
  ? Date | string
  : V extends string
    ? V | `${V}` // an enum member or its string value
  : V extends Array<infer E>
    ? InputOf<E>[]
    : V extends Model
      ? ModelInput<V> | V
      : V;

/** The plain input a model's `create()` accepts: any subset of its fields, nested models as plain objects. */
export type ModelInput<M> = {
  [K in keyof M as K extends symbol ? never : M[K] extends Fn ? never : K]?: InputOf<M[K]> | null;
};

/**
 * Base of the nine persona models. Each subclass is at once a class-validator schema and a
 * TypeORM entity (or embedded entity); TypeORM constructs it with no arguments, callers go
 * through the static `create()`, which validates.
 */
export abstract class Model {
  /**
   * Builds a validated instance from plain props: nested instances, defaults applied, every
   * rule checked at once. Throws {@link PersonaValidationError} listing every issue.
   */
  static create<M extends Model>(this: ModelClass<M>, props: ModelInput<M>): M {
    return createModel(this, props);
  }

  /** Input keys accepted and ignored (derived figures that are recomputed, never typed in). */
  static readonly ignoredInputFields: readonly string[] = [];

  /** Getters written by `toPlain()` after the schema fields (derived figures). */
  static readonly derivedFields: readonly string[] = [];

  /** The plain form, so that `JSON.stringify(model)` equals `JSON.stringify(toPlain(model))`. */
  toJSON(): Record<string, unknown> {
    return toPlain(this);
  }

  /** @internal Defaults that cannot be field initialisers (TypeORM refuses initialised relations). */
  applyDefaults(): void {}

  /** @internal Rules spanning models or needing more than decorators; paths relative to this model. */
  extraIssues(): ValidationIssue[] {
    return [];
  }

  /**
   * TypeORM hands back nullable columns as `null` and an absent embedded object as an object of
   * nulls; turn both back into "not there" so round trips and `excludeUnset` hold.
   */
  @AfterLoad()
  normaliseAfterLoad(): void {
    normaliseNulls(this);
  }
}

function normaliseNulls(model: Model): void {
  const record = model as unknown as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (value === null) {
      delete record[key];
    } else if (value instanceof Model) {
      normaliseNulls(value);
      if (Object.keys(value).every((k) => (value as unknown as Record<string, unknown>)[k] === undefined)) {
        delete record[key];
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fields set
// ---------------------------------------------------------------------------------------------

/** The top-level fields the caller of `create()` gave (like Pydantic's `model_fields_set`). */
export function fieldsSet(model: object): ReadonlySet<string> {
  const entry = FIELDS_SET.get(model);
  if (entry === undefined) return EMPTY;
  if (typeof entry !== 'number') return entry;
  // Schema order, not input order, so that two equal personas report equal field sets.
  const set = new Set<string>();
  schemaFields(model.constructor).forEach((k, i) => {
    if (entry & (1 << i)) set.add(k);
  });
  FIELDS_SET.set(model, set);
  return set;
}

/** What a model of this class with nothing given holds: an empty mask, or an empty Set beyond {@link MASK_FIELDS} fields. */
function nothingGiven(model: object): number | Set<string> {
  return schemaFields(model.constructor).length <= MASK_FIELDS ? 0 : new Set();
}

/**
 * Whether `field` (schema position `index`) was given, read from a model's fields-set entry
 * without turning a mask into a Set (writes and snapshots read hundreds of thousands of models).
 */
function isGiven(entry: ReadonlySet<string> | number | undefined, field: string, index: number): boolean {
  if (entry === undefined) return false;
  return typeof entry === 'number' ? index < MASK_FIELDS && (entry & (1 << index)) !== 0 : entry.has(field);
}

/**
 * Every field the caller gave, as paths: `name`, `responseStyle.tone`, `traits[0].weight`.
 * The store persists this list so inheritance still knows what a persona set itself.
 */
export function setFieldPaths(model: object): string[] {
  const out: string[] = [];
  const visitKey = (m: object, prefix: string, key: string) => {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push(path);
    const value = (m as Record<string, unknown>)[key];
    if (value instanceof Model) visit(value, path);
    else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) if (value[i] instanceof Model) visit(value[i], `${path}[${i}]`);
  };
  const visit = (m: object, prefix: string) => {
    const entry = FIELDS_SET.get(m);
    if (entry === undefined) return;
    if (typeof entry !== 'number') {
      for (const key of entry) visitKey(m, prefix, key);
      return;
    }
    // Schema order, as fieldsSet() reports a mask.
    const fields = schemaFields(m.constructor);
    for (let i = 0; i < fields.length && i < MASK_FIELDS; i++) if (entry & (1 << i)) visitKey(m, prefix, fields[i]);
  };
  visit(model, '');
  return out;
}

/** One step of a field path: a key, then the array indexes after it (`traits[2]` is `traits`, [2]). */
type PathStep = { key: string; indexes: number[] };

/** Field paths as steps, parsed once per distinct path (personas of one shape share their paths). */
const parsedPaths = new Map<string, PathStep[] | null>();

/** The steps of a path written by {@link setFieldPaths}, or null for a path that is not of that form. */
function parsePath(path: string): PathStep[] | null {
  let steps = parsedPaths.get(path);
  if (steps !== undefined) return steps;
  steps = [];
  for (const segment of path.split('.')) {
    const bracket = segment.indexOf('[');
    const key = bracket < 0 ? segment : segment.slice(0, bracket);
    if (!key) {
      steps = null;
      break;
    }
    const indexes: number[] = [];
    for (let at = bracket; at >= 0; ) {
      const close = segment.indexOf(']', at);
      const index = close < 0 ? NaN : Number(segment.slice(at + 1, close));
      if (!Number.isInteger(index)) break;
      indexes.push(index);
      at = segment.indexOf('[', close);
    }
    steps.push({ key, indexes });
  }
  if (parsedPaths.size >= 10_000) parsedPaths.clear();
  parsedPaths.set(path, steps);
  return steps;
}

/** The position of each schema field of a class, for its bit in a fields-set mask. */
const fieldIndexes = new Map<Function, Map<string, number>>();
function fieldIndexOf(cls: Function): Map<string, number> {
  let indexes = fieldIndexes.get(cls);
  if (!indexes) fieldIndexes.set(cls, (indexes = new Map(schemaFields(cls).map((field, i) => [field, i]))));
  return indexes;
}

/**
 * Restores what {@link setFieldPaths} wrote, after a load from the database. Keys that are no
 * field of their model (written by an older schema) are left out. With `fresh` (a tree just
 * loaded, with no fields set yet), only the models a path names are given a set.
 */
export function restoreFieldPaths(model: object, paths: readonly string[], options: { fresh?: boolean } = {}): void {
  // The models named so far and what was given of each: a mask, or a Set beyond MASK_FIELDS fields.
  const targets: object[] = [model];
  const given: (number | Set<string>)[] = [nothingGiven(model)];
  let last = 0;
  const mark = (target: object, key: string) => {
    // Paths below one model come one after another: the last model named is the usual one.
    let at = targets[last] === target ? last : targets.lastIndexOf(target);
    if (at < 0) {
      at = targets.push(target) - 1;
      given.push(nothingGiven(target));
    }
    last = at;
    const entry = given[at];
    const index = fieldIndexOf(target.constructor).get(key);
    if (index === undefined) return;
    if (typeof entry === 'number') given[at] = entry | (1 << index);
    else entry.add(key);
  };
  for (const path of paths) {
    const steps = typeof path === 'string' ? parsePath(path) : null;
    if (!steps) continue;
    let target: unknown = model;
    for (let i = 0; i < steps.length && target instanceof Model; i++) {
      const { key, indexes } = steps[i];
      mark(target, key);
      if (i === steps.length - 1) break;
      let next: unknown = (target as unknown as Record<string, unknown>)[key];
      for (const index of indexes) next = Array.isArray(next) ? next[index] : undefined;
      target = next;
    }
  }
  for (let i = 0; i < targets.length; i++) FIELDS_SET.set(targets[i], given[i]);
  if (options.fresh) return;
  const named = new Set(targets);
  const visitAll = (m: unknown) => {
    if (!(m instanceof Model)) return;
    if (!named.has(m)) FIELDS_SET.set(m, EMPTY);
    for (const value of Object.values(m)) {
      if (value instanceof Model) visitAll(value);
      else if (Array.isArray(value)) value.forEach(visitAll);
    }
  };
  visitAll(model);
}

// ---------------------------------------------------------------------------------------------
// Schema introspection
// ---------------------------------------------------------------------------------------------

const schemaFieldCache = new Map<Function, readonly string[]>();

/** The validated fields of a model class, in declaration order: its schema and its JSON form. */
export function schemaFields(cls: Function): readonly string[] {
  let fields = schemaFieldCache.get(cls);
  if (!fields) {
    const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
    fields = [...new Set(metas.map((m) => m.propertyName))];
    schemaFieldCache.set(cls, fields);
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Construction
// ---------------------------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  // Any realm's Object.prototype (Jest, vm contexts) or none.
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/**
 * Where {@link sanitise} is: the keys and indexes from the root (a path is only spelled out when
 * there is an issue to report) and the objects above, for cycles.
 */
type SanitiseState = { issues: ValidationIssue[]; keys: (string | number)[]; ancestors: object[] };

function pathOf(keys: readonly (string | number)[], last?: string | number): string {
  let path = '';
  for (const key of keys) path = joinPath(path, key);
  return last === undefined ? path : joinPath(path, last);
}

function refuse(state: SanitiseState, constraint: string, message: (path: string) => string, last?: string | number, below?: string): undefined {
  let path = pathOf(state.keys, last);
  if (below) path = !path ? below : below.startsWith('[') ? path + below : `${path}.${below}`;
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
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
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

/** Flattens class-validator's error tree into issues with paths like `traits[2].value`. */
export function mapErrors(errors: ValidationError[], parent: string, out: ValidationIssue[]): void {
  for (const error of errors) {
    // An error without a property (forbidUnknownValues) stands at its parent's path.
    // A numeric property is an array index, except for an unknown key ({"0": …}), which is a key.
    const isIndex = /^\d+$/.test(error.property ?? '') && !error.constraints?.whitelistValidation;
    const path = error.property === undefined ? parent : isIndex ? joinPath(parent, Number(error.property)) : joinPath(parent, error.property);
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      const text = constraint === 'whitelistValidation' ? `unknown field "${error.property}"` : message;
      // class-validator names only the property; name the whole path instead.
      out.push({ path, constraint, message: text.startsWith(`${error.property} `) ? path + text.slice(error.property.length) : text });
    }
    if (error.children?.length) mapErrors(error.children, path, out);
  }
}

/** The fields of `plain` that are schema fields of the instance's class, given (not undefined nor null). */
function givenFields(instance: Model, plain: unknown): ReadonlySet<string> | number {
  if (!isPlainObject(plain)) return EMPTY;
  const fields = schemaFields(instance.constructor);
  if (fields.length > MASK_FIELDS) return new Set(fields.filter((k) => plain[k] !== undefined && plain[k] !== null));
  let mask = 0;
  for (let i = 0; i < fields.length; i++) if (plain[fields[i]] !== undefined && plain[fields[i]] !== null) mask |= 1 << i;
  return mask;
}

/** Marks what the caller gave and applies the defaults of every model in the tree. */
export function prepare(instance: unknown, plain: unknown): void {
  if (!(instance instanceof Model)) return;
  // An instance the compiled plans built has its mask already (recorded as they copied the input).
  if (!FIELDS_SET.has(instance)) FIELDS_SET.set(instance, givenFields(instance, plain));
  instance.applyDefaults();
  const record = instance as unknown as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    const source = isPlainObject(plain) ? plain[key] : undefined;
    if (value instanceof Model) prepare(value, source);
    else if (Array.isArray(value)) value.forEach((v, i) => prepare(v, Array.isArray(source) ? source[i] : undefined));
  }
}

/** Optional fields given as `null` mean "not there"; after validation they are removed. */
function dropNulls(instance: unknown): void {
  if (!(instance instanceof Model)) return;
  const record = instance as unknown as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (value === null) delete record[key];
    else if (value instanceof Model) dropNulls(value);
    else if (Array.isArray(value)) value.forEach(dropNulls);
  }
}

/** Validates an instance tree with class-validator itself and returns its issues (nothing thrown). */
export function collectIssues(instance: Model): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  mapErrors(validateSync(instance, VALIDATOR_OPTIONS), '', issues);
  issues.push(...instance.extraIssues());
  return issues;
}

/**
 * The reference path: class-transformer's `plainToInstance` and class-validator's `validateSync`
 * with the library's options. `create()` uses the compiled plans instead (src/validation/compiled.ts);
 * this is the oracle they are tested against. Returns the issues, or the instance when valid.
 */
export function validateWithClassValidator<M extends Model>(cls: ModelClass<M>, input: unknown): { issues: ValidationIssue[]; instance?: M } {
  const issues: ValidationIssue[] = [];
  const plain = sanitiseInput(cls as unknown as typeof Model, input, issues);
  if (!plain) return { issues };
  const instance = plainToInstance(cls, plain, { enableImplicitConversion: false }) as M;
  prepare(instance, plain);
  const refused = issues.map((i) => i.path);
  const covered = (path: string) => refused.some((r) => path === r || path.startsWith(`${r}.`) || path.startsWith(`${r}[`));
  issues.push(...collectIssues(instance).filter((i) => !covered(i.path)));
  return issues.length ? { issues } : { issues, instance };
}

/** Sanitises untrusted input for `cls`; issues are pushed, the clean copy returned. */
export function sanitiseInput(cls: { ignoredInputFields?: readonly string[] }, input: unknown, issues: ValidationIssue[]): Record<string, unknown> | undefined {
  if (!isPlainObject(input) && !(input instanceof Model)) {
    issues.push({ path: '', constraint: 'isObject', message: `input must be an object, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}` });
    return undefined;
  }
  const plain = sanitise(input, { issues, keys: [], ancestors: [] }) as Record<string, unknown> | undefined;
  if (plain) for (const key of cls.ignoredInputFields ?? []) delete plain[key];
  return plain;
}

/** `Model.create` for any model class: sanitise, transform, default, validate, record fields set. */
export function createModel<M extends Model>(cls: ModelClass<M>, input: unknown): M {
  const issues: ValidationIssue[] = [];
  const plain = sanitiseInput(cls as unknown as typeof Model, input, issues);
  if (!plain) throw new PersonaValidationError(issues, cls.name);
  // One pass over the compiled plans of the decorators (class-validator stays the oracle, see
  // validateWithClassValidator and its differential test).
  const instance = build(cls, plain) as M;
  prepare(instance, plain);
  const found: ValidationIssue[] = [];
  validateInstance(instance, '', found);
  found.push(...instance.extraIssues());
  // Every problem at once: what sanitising refused, then every rule, without repeating a path
  // (or a path below it) that sanitising already reported.
  const refused = issues.map((i) => i.path);
  const covered = (path: string) => refused.some((r) => path === r || path.startsWith(`${r}.`) || path.startsWith(`${r}[`));
  issues.push(...(refused.length ? found.filter((i) => !covered(i.path)) : found));
  if (issues.length) throw new PersonaValidationError(issues, cls.name);
  dropNulls(instance);
  return instance;
}

// ---------------------------------------------------------------------------------------------
// Public helpers
// ---------------------------------------------------------------------------------------------

/** Either the valid instance or every issue; never throws for bad input. */
export type ValidationResult<M> = { ok: true; value: M } | { ok: false; issues: ValidationIssue[] };

/** Validates plain input against a model class without throwing for bad input. */
export function validateModel<M extends Model>(cls: ModelClass<M>, plain: unknown): ValidationResult<M> {
  try {
    return { ok: true, value: createModel(cls, plain) };
  } catch (error) {
    if (error instanceof PersonaValidationError) return { ok: false, issues: error.issues };
    throw error;
  }
}

/** Parses JSON text (or takes an already parsed object) and builds a validated instance. */
export function fromJSON<M extends Model>(cls: ModelClass<M>, json: string | object): M {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new PersonaValidationError([{ path: '', constraint: 'isJson', message: `not valid JSON: ${(error as Error).message}` }], cls.name);
    }
  }
  return createModel(cls, value);
}

/** Options of {@link toPlain}. */
export type ToPlainOptions = {
  /** Leave out every field the caller did not give, defaults included (nested models too). */
  excludeUnset?: boolean;
};

/** Thrown inside {@link toPlain} past {@link MAX_INPUT_DEPTH}; the root call turns it into a PersonaValidationError with the path. */
const TOO_DEEP = Symbol('tooDeep');

function plainValue(value: unknown, options: ToPlainOptions, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  // An instance built by create() is never deeper (sanitising refuses it); one changed by hand may be.
  if (depth > MAX_INPUT_DEPTH) throw TOO_DEEP;
  if (value instanceof Model) return plainModel(value, options, depth);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = plainValue(value[i], options, depth + 1);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = plainValue(v, options, depth + 1);
  return out;
}

/** What toPlain follows, for {@link findJsonProblem}: the schema fields of a model, the own keys of any other object. */
function plainChildKeys(node: object): readonly string[] {
  return node instanceof Model ? schemaFields(node.constructor) : Object.keys(node);
}

function depthMessage(constraint: string): string {
  return constraint === 'noCycle' ? 'refers back to itself' : `is nested deeper than ${MAX_INPUT_DEPTH} levels`;
}

/**
 * The JSON form of a model: its schema fields in declaration order, dates as ISO strings,
 * derived figures last. With `excludeUnset`, only the fields its caller gave. A model changed by
 * hand to nest deeper than {@link MAX_INPUT_DEPTH} levels (or to contain itself) is refused with
 * a PersonaValidationError (`maxDepth`) naming the path, never a stack overflow.
 */
export function toPlain(model: object, options: ToPlainOptions = {}): Record<string, unknown> {
  try {
    return plainModel(model, options, 0);
  } catch (error) {
    if (error !== TOO_DEEP) throw error;
    const problem = findJsonProblem(model, MAX_INPUT_DEPTH, { childKeys: plainChildKeys, anyLeaf: true });
    const path = problem ? pathOf(problem.path) : '';
    const constraint = problem?.constraint === 'noCycle' ? 'noCycle' : 'maxDepth';
    throw new PersonaValidationError([{ path, constraint, message: `${path || 'input'} ${depthMessage(constraint)}` }], model?.constructor?.name);
  }
}

function plainModel(model: object, options: ToPlainOptions, depth: number): Record<string, unknown> {
  const cls = model.constructor as typeof Model;
  const given = options.excludeUnset ? FIELDS_SET.get(model) : undefined;
  const out: Record<string, unknown> = {};
  const record = model as Record<string, unknown>;
  const fields = schemaFields(cls);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    if (options.excludeUnset && !isGiven(given, field, i)) continue;
    const value = record[field];
    if (value === undefined || value === null) continue;
    out[field] = plainValue(value, options, depth + 1);
  }
  if (!options.excludeUnset) for (const field of cls.derivedFields ?? []) out[field] = plainValue(record[field], options, depth + 1);
  return out;
}
