import { build, planOf, Plan } from './compiled';
import { FieldsSet } from './fields-set';
import { Model, prepare } from './model';

/*
 * Building model instances back from what the store wrote (a revision's snapshot of the fields
 * set): the instance `build` + `prepare` give, the fields set recorded at every level and the
 * defaults applied, but without validation and through code generated once per class from the
 * compiled plan (a property read and a store per field, each at a constant key), instead of a
 * walk over the input's keys with a map lookup per key and a second walk for the defaults. A list
 * page builds 50 personas of ~8 models each: 0.30 ms that way, 0.04–0.08 ms this way
 * (docs/scaling.md).
 */

/** Builds an instance of one class from a trusted plain form. */
type Restorer = (plain: Record<string, unknown>) => object;

/** Most fields a generated restorer handles (a fields-set mask is a 31-bit number; wider classes take `build` + `prepare`). */
const MAX_GENERATED_FIELDS = 31;

const restorers = new Map<Function, Map<string, Restorer>>();
const last: { cls?: Function; skip?: readonly string[]; restorer?: Restorer } = {};

/**
 * An instance of `cls` from a plain form the store wrote from a validated instance (trusted: it
 * is not validated again), with what it gives recorded as the fields set at every level and the
 * defaults of every model applied, exactly as `create()` builds it short of the checks. The keys
 * in `skip` (top level only) are not taken from `plain` and not in its fields set: the store
 * sets them from its own columns. Keys of `plain` that are no field of the model are ignored.
 * `restoreModel` takes over `plain`'s nested objects and arrays (pass a fresh parse). A frozen
 * `skip` list is remembered by identity between calls (no lookup for a page of one class).
 */
export function restoreModel<M extends Model>(cls: new () => M, plain: Record<string, unknown>, skip: readonly string[] = []): M {
  return restorerOf(cls, skip)(plain) as M;
}

/** @internal The reference path `restoreModel` is tested against: `build` + `prepare` of the input without the `skip` keys. */
export function restoreModelGeneric<M extends Model>(cls: new () => M, plain: Record<string, unknown>, skip: readonly string[] = []): M {
  return generic(cls, new Set(skip))(plain) as M;
}

function restorerOf(cls: Function, skip: readonly string[]): Restorer {
  // The same class with the same frozen skip list as the call before (a page of personas): no lookup.
  if (cls === last.cls && skip === last.skip) return last.restorer!;
  const key = skip.join('\u0000');
  let byKey = restorers.get(cls);
  if (!byKey) restorers.set(cls, (byKey = new Map()));
  let restorer = byKey.get(key);
  if (!restorer) byKey.set(key, (restorer = generate(planOf(cls as new () => object), new Set(skip))));
  if (Object.isFrozen(skip)) {
    last.cls = cls;
    last.skip = skip;
    last.restorer = restorer;
  }
  return restorer;
}

/** The generic path (and the reference the generated code is tested against): `build` + `prepare`. */
function generic(cls: new () => object, skip: ReadonlySet<string>): Restorer {
  return (plain) => {
    let input = plain;
    if (skip.size && Object.keys(plain).some((k) => skip.has(k))) {
      input = { ...plain };
      for (const k of skip) delete input[k];
    }
    return genericRestore(cls, input);
  };
}

function genericRestore(cls: new () => object, plain: Record<string, unknown>): object {
  const instance = build(cls, plain);
  prepare(instance, plain);
  return instance;
}

/**
 * The restorer of one class: for each field of the plan in schema order, read it from the plain
 * form, convert it (its class-transformer transforms, nested models restored by their own
 * restorers), store it and set its bit in the fields set; then the models that field initialisers
 * made and the input did not replace are given their (empty) fields set and defaults, and the
 * instance's own `applyDefaults` runs. Nested models get their defaults before their parent
 * (`prepare` goes parent first); no `applyDefaults` reads or writes another model.
 */
function generate(plan: Plan, skip: ReadonlySet<string>): Restorer {
  const properties = plan.properties.filter((p) => !skip.has(p.name));
  if (plan.properties.length > MAX_GENERATED_FIELDS) return generic(plan.cls, skip);
  const nested = properties.map((p) => (p.type ? nestedOf(p.type) : undefined));
  const transforms = properties.map((p) => p.transforms);
  const lines: string[] = ['const o = new C();', 'let m = 0, v;'];
  properties.forEach((p, i) => {
    const k = JSON.stringify(p.name);
    lines.push(`v = plain[${k}];`, 'if (v !== undefined) {');
    for (let t = 0; t < p.transforms.length; t++) lines.push(`  v = T[${i}][${t}]({ value: v, key: ${k}, obj: plain, type: 0, options: {} });`);
    if (p.type) lines.push(`  if (v !== null && typeof v === 'object') v = N[${i}](v);`);
    lines.push(`  o[${k}] = v;`, `  if (v !== null) m |= ${1 << p.index};`, '}');
  });
  lines.push('record(o, m);');
  // Models the field initialisers made (e.g. `responseStyle = new ResponseStyle()`) that the input did not replace.
  const defaults = properties.map((p) => (p.type ? defaultsOf(p.type) : undefined));
  properties.forEach((p, i) => {
    if (p.type) lines.push(`if ((m & ${1 << p.index}) === 0 && o[${JSON.stringify(p.name)}] instanceof Model) D[${i}](o[${JSON.stringify(p.name)}]);`);
  });
  lines.push('o.applyDefaults();', 'return o;');
  const record = (o: object, mask: number) => FieldsSet.record(o, mask as unknown as FieldsSet);
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const factory = new Function('C', 'N', 'T', 'D', 'record', 'Model', `return function restore(plain) {\n${lines.join('\n')}\n};`);
    return factory(plan.cls, nested, transforms, defaults, record, Model) as Restorer;
  } catch {
    // A runtime that forbids code generation (--disallow-code-generation-from-strings): the generic path.
    return generic(plan.cls, skip);
  }
}

/**
 * What `prepare` does to a model a field initialiser made (nothing given of it): an empty fields
 * set and its defaults; without a walk over its keys when its class nests no models.
 */
function defaultsOf(type: new () => object): (model: Model) => void {
  if (planOf(type).properties.some((p) => p.type)) return (model) => prepare(model, undefined);
  const none = FieldsSet.none(type);
  return (model) => {
    if (FieldsSet.of(model) === undefined) FieldsSet.record(model, none);
    model.applyDefaults();
  };
}

/** Restores a nested value of a `@Type` field as `build` does: arrays (at any depth) element by element, dates kept, objects as models. */
function nestedOf(type: new () => object): (value: object) => unknown {
  // Found on first use: the nested class's restorer may be the one being generated (a model that nests itself).
  let model: Restorer | undefined;
  const restore = (value: object): unknown => {
    if (Array.isArray(value)) {
      const out = new Array(value.length);
      for (let i = 0; i < value.length; i++) out[i] = value[i] !== null && typeof value[i] === 'object' ? restore(value[i]) : value[i];
      return out;
    }
    if (value instanceof Date) return value;
    return (model ??= restorerOf(type, []))(value as Record<string, unknown>);
  };
  return restore;
}
