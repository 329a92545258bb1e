import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage, ValidationArguments, ValidationTypes } from 'class-validator';
import { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { ValidationIssue } from '../errors';
import { FieldsSet } from './fields-set';
import { HiddenSlot } from './hidden';
import { joinPath } from './paths';

/**
 * Validation plans compiled once per class from the class-validator decorators, so that the
 * decorators stay the single source of truth while building and checking an instance takes one
 * pass without class-transformer's and class-validator's generic machinery. It reproduces their
 * semantics under the options this library uses (whitelist + forbidNonWhitelisted,
 * forbidUnknownValues, stopAtFirstError, no implicit conversion); class-validator stays the oracle:
 * a differential property test checks that both accept the same inputs and report the same paths
 * and rules.
 */

type ConstraintInstance = { validate(value: unknown, args: ValidationArguments): boolean; defaultMessage?(args: ValidationArguments): string };
type Check = { type: string; each: boolean; meta: ValidationMetadata; instance: ConstraintInstance };
type Transform = (params: { value: unknown; key: string; obj: unknown; type: number; options: unknown }) => unknown;
type Property = {
  name: string;
  /** Position in the schema order (the order of `schemaFields`). */
  index: number;
  optional: boolean;
  checks: Check[];
  nested?: ValidationMetadata;
  /** The class of a nested model (from `@Type`), or undefined. */
  type?: new () => object;
  transforms: Transform[];
};
/** The compiled plan of one model class. */
export type Plan = { cls: new () => object; name: string; properties: Property[]; byName: Map<string, Property> };

type ValidationUtilsModule = { ValidationUtils: { replaceMessageSpecialTokens(message: unknown, args: ValidationArguments): string } };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ValidationUtils } = require('class-validator/cjs/validation/ValidationUtils') as ValidationUtilsModule;

type TypeStorage = {
  findTypeMetadata(target: Function, key: string): { typeFunction: () => new () => object } | undefined;
  findTransformMetadatas(target: Function, key: string, type: number): { transformFn: Transform; options: { toClassOnly?: boolean; toPlainOnly?: boolean } }[];
};
const typeStorage = defaultMetadataStorage as unknown as TypeStorage;

const plans = new Map<Function, Plan>();

/** The plan of a class, compiled on first use from its decorators. */
export function planOf(cls: new () => object): Plan {
  let plan = plans.get(cls);
  if (plan) return plan;
  const storage = getMetadataStorage();
  const metas = storage.getTargetValidationMetadatas(cls, '', true, false);
  const grouped = storage.groupByPropertyName(metas);
  const properties: Property[] = [];
  for (const [name, list] of Object.entries(grouped)) {
    const checks: Check[] = [];
    for (const meta of list.filter((m) => m.type === ValidationTypes.CUSTOM_VALIDATION)) {
      for (const constraint of storage.getTargetValidatorConstraints(meta.constraintCls)) {
        checks.push({ type: constraint.name || meta.type, each: meta.each, meta, instance: constraint.instance as ConstraintInstance });
      }
    }
    const typeMeta = typeStorage.findTypeMetadata(cls, name);
    properties.push({
      name,
      index: properties.length,
      optional: list.some((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION),
      checks,
      nested: list.find((m) => m.type === ValidationTypes.NESTED_VALIDATION),
      type: typeMeta ? typeMeta.typeFunction() : undefined,
      // class-transformer's @Transform for plain → class (TransformationType.PLAIN_TO_CLASS = 0)
      transforms: typeStorage.findTransformMetadatas(cls, name, 0).map((t) => t.transformFn),
    });
  }
  plan = { cls, name: cls.name, properties, byName: new Map(properties.map((p) => [p.name, p])) };
  plans.set(cls, plan);
  return plan;
}

/**
 * Builds an instance of `cls` from sanitised plain input as class-transformer would: every key
 * copied, nested objects (and arrays of them) of a `@Type` built as instances, primitives where
 * objects were expected left as they are for validation to refuse.
 */
export function build(cls: new () => object, plain: Record<string, unknown>): object {
  const plan = planOf(cls);
  const instance = new plan.cls() as Record<string, unknown>;
  let unknown: string[] | undefined;
  // Which fields the input gives, recorded as they are copied.
  let given = FieldsSet.none(plan.cls);
  for (const key of Object.keys(plain)) {
    let value = plain[key];
    const property = plan.byName.get(key);
    if (property && value !== null && value !== undefined) given = FieldsSet.add(given, key, property.index);
    if (!property) {
      // Never assigned: a key such as "toJSON" or "applyDefaults" must not replace a method.
      // (class-transformer drops such keys silently; here they are refused as unknown fields.)
      (unknown ??= []).push(key);
      continue;
    }
    for (const t of property.transforms) value = t({ value, key, obj: plain, type: 0, options: {} });
    if (property.type && value !== null && typeof value === 'object') value = buildNested(property.type, value);
    instance[key] = value;
  }
  if (unknown) unknownKeys.set(instance, unknown);
  FieldsSet.record(instance, given);
  return instance;
}

/** Keys of the input that are no field of the model, per built instance. */
const unknownKeys = new HiddenSlot<string[]>('unknownKeys');

function buildNested(type: new () => object, value: object): unknown {
  if (Array.isArray(value)) return value.map((v) => (v !== null && typeof v === 'object' ? buildNested(type, v) : v));
  if (value instanceof Date) return value;
  return build(type, value as Record<string, unknown>);
}

function messageOf(check: Check, object: object, value: unknown, path: string, property: string): string {
  const args: ValidationArguments = { targetName: object.constructor?.name, property, object, value, constraints: check.meta.constraints };
  const raw = check.meta.message || (check.instance.defaultMessage ? check.instance.defaultMessage(args) : '');
  const text = ValidationUtils.replaceMessageSpecialTokens(raw, args);
  return text.startsWith(`${property} `) ? path + text.slice(property.length) : text;
}

/** Validates an instance tree built by {@link build}, pushing issues with their paths. */
export function validateInstance(instance: object, path: string, issues: ValidationIssue[]): void {
  const plan = typeof instance.constructor === 'function' ? planOf(instance.constructor as new () => object) : undefined;
  if (!plan || !plan.properties.length) {
    // class-validator's forbidUnknownValues: an object without rules is refused where it stands.
    issues.push({ path, constraint: 'unknownValue', message: 'an unknown value was passed to the validate function' });
    return;
  }
  const record = instance as Record<string, unknown>;
  const unknown = unknownKeys.get(instance);
  if (unknown) for (const key of unknown) issues.push({ path: joinPath(path, key), constraint: 'whitelistValidation', message: `unknown field "${key}"` });
  for (const key in record) {
    if (!plan.byName.has(key) && Object.prototype.hasOwnProperty.call(record, key)) {
      issues.push({ path: joinPath(path, key), constraint: 'whitelistValidation', message: `unknown field "${key}"` });
    }
  }
  // One arguments object per instance, as class-validator's validators read it (object, constraints).
  const args: ValidationArguments = { targetName: plan.name, property: '', object: instance, value: undefined, constraints: [] };
  for (const property of plan.properties) {
    const value = record[property.name];
    if (property.optional && (value === null || value === undefined)) continue;
    let failed = false;
    args.property = property.name;
    args.value = value;
    for (const check of property.checks) {
      args.constraints = check.meta.constraints;
      let ok: boolean;
      if (check.each && Array.isArray(value)) {
        ok = true;
        for (const v of value) if (!check.instance.validate(v, args)) {
          ok = false;
          break;
        }
      } else ok = (check.type === 'isLength' && surelyWithinLength(value, check.meta.constraints)) || check.instance.validate(value, args);
      if (!ok) {
        const at = joinPath(path, property.name);
        issues.push({ path: at, constraint: check.type, message: messageOf(check, instance, value, at, property.name) });
        failed = true;
        break;
      }
    }
    if (failed || !property.nested || value === undefined) continue;
    validateNested(value, joinPath(path, property.name), property.name, false, issues);
  }
}

/**
 * True when class-validator's `Length(min, max)` surely accepts `value`, without its two regex
 * scans. validator.js subtracts from the UTF-16 length one per surrogate pair and one per
 * character + U+FE0E/U+FE0F: with O other characters, S pairs and P selectors (each after an
 * other character or a pair's low half, so P ≤ O + S), the length it sees is S + O of
 * n = P + 2S + O ≤ 2O + 3S, so it lies between a third of the UTF-16 length (rounded up) and that
 * length. Anything this does not settle goes to the real check.
 */
function surelyWithinLength(value: unknown, constraints: unknown[]): boolean {
  if (typeof value !== 'string') return false;
  const [min, max] = constraints as [number | undefined, number | undefined];
  return (max === undefined || value.length <= max) && Math.ceil(value.length / 3) >= (min ?? 0);
}

/** class-validator's nested validation: arrays (at any depth) element by element, objects by their own rules. */
function validateNested(value: unknown, at: string, name: string, each: boolean, issues: ValidationIssue[]): void {
  if (Array.isArray(value)) value.forEach((element, i) => validateNested(element, joinPath(at, i), name, true, issues));
  else if (value instanceof Object) validateInstance(value as object, at, issues);
  else issues.push({ path: at, constraint: ValidationTypes.NESTED_VALIDATION, message: `${each ? 'each value in ' : ''}nested property ${name} must be either object or array` });
}
