import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { AfterLoad } from 'typeorm';
import { PersonaValidationError, ValidationIssue } from '../errors';
import { build, validateInstance } from './compiled';
import * as constraints from './constraints';
import { isPlainObject } from './constraints';
import * as fields from './fields-set';
import { FieldsSet, WithFieldsSet } from './fields-set';
import { isAtOrBelow } from './paths';
import * as reference from './reference';
import { collectIssues } from './reference';
import * as sanitising from './sanitise';
import * as schema from './schema-fields';
import * as plainForm from './to-plain';

/*
 * The base of the models and the entry points that build them; each step has its own file:
 * sanitise.ts (copying untrusted input), compiled.ts (building and checking instances in one
 * pass), fields-set.ts, to-plain.ts, reference.ts (class-validator itself), paths.ts.
 *
 * The names of those steps that other modules import from here are plain copies (of functions,
 * which exist before a module in an import cycle has run): `export … from` makes TypeScript
 * declare each name, then redefine it as a getter, which turns this module's exports into a
 * dictionary and slows every `instanceof Model` elsewhere (toPlain 161 → 145 ops/ms with them).
 */
export const { applyFieldPaths, compileFieldPaths, fieldsSet, restoreFieldPaths, setFieldPaths } = fields;
export const { MAX_INPUT_DEPTH } = constraints;
export const { mapErrors, VALIDATOR_OPTIONS } = reference;
export const { sanitiseInput } = sanitising;
export const { schemaFields } = schema;
export const { toPlain } = plainForm;
export type { ToPlainOptions } from './to-plain';

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
export abstract class Model extends WithFieldsSet {
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

/** `Model.create` for any model class: sanitise, build, default, validate, record fields set. */
export function createModel<M extends Model>(cls: ModelClass<M>, input: unknown): M {
  const issues: ValidationIssue[] = [];
  const plain = sanitiseInput(cls as unknown as typeof Model, input, issues);
  if (!plain) throw new PersonaValidationError(issues, cls.name);
  // One pass over the compiled plans of the decorators (class-validator stays the oracle, see
  // validateWithClassValidator and its differential test).
  const instance = build(cls, plain) as M;
  const withNulls: Model[] = [];
  prepare(instance, plain, withNulls);
  const found: ValidationIssue[] = [];
  validateInstance(instance, '', found);
  found.push(...instance.extraIssues());
  addRuleIssues(issues, found);
  if (issues.length) throw new PersonaValidationError(issues, cls.name);
  // Optional fields given as `null` mean "not there": removed once validation has seen them.
  for (const model of withNulls) dropNulls(model);
  return instance;
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
  addRuleIssues(issues, collectIssues(instance));
  return issues.length ? { issues } : { issues, instance };
}

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

/**
 * Every problem at once: after what sanitising refused (`issues`), the issues of the rules
 * (`found`), leaving out a path at or below one sanitising already reported.
 */
function addRuleIssues(issues: ValidationIssue[], found: readonly ValidationIssue[]): void {
  if (!issues.length) {
    issues.push(...found);
    return;
  }
  const refused = issues.map((i) => i.path);
  for (const issue of found) if (!refused.some((r) => isAtOrBelow(issue.path, r))) issues.push(issue);
}

/**
 * Marks what the caller gave and applies the defaults of every model in the tree; the models
 * holding a `null` are pushed to `withNulls`, rather than looked for in another walk after
 * validation (create() 18.9 → 20.2 ops/ms).
 */
export function prepare(instance: unknown, plain: unknown, withNulls?: Model[]): void {
  if (!(instance instanceof Model)) return;
  // An instance the compiled plans built has its fields set already (recorded as they copied the input).
  if (FieldsSet.of(instance) === undefined) FieldsSet.record(instance, FieldsSet.fromPlain(instance.constructor, plain));
  instance.applyDefaults();
  const record = instance as unknown as Record<string, unknown>;
  const sources = isPlainObject(plain) ? plain : undefined;
  let hasNull = false;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (value === null) hasNull = true;
    else if (value instanceof Model) prepare(value, sources?.[key], withNulls);
    else if (Array.isArray(value)) {
      const source = sources?.[key];
      for (let i = 0; i < value.length; i++) prepare(value[i], Array.isArray(source) ? source[i] : undefined, withNulls);
    }
  }
  if (hasNull) withNulls?.push(instance);
}

/** Removes the fields of one model that hold `null`. */
function dropNulls(model: Model): void {
  const record = model as unknown as Record<string, unknown>;
  for (const key of Object.keys(record)) if (record[key] === null) delete record[key];
}
