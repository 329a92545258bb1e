import { PersonaValidationError } from '../errors';
import { findJsonProblem, MAX_INPUT_DEPTH } from './constraints';
import { FieldsSet } from './fields-set';
import { Model } from './model';
import { formatPath } from './paths';
import { schemaFields } from './schema-fields';

/** Options of {@link toPlain}. */
export type ToPlainOptions = {
  /** Leave out every field the caller did not give, defaults included (nested models too). */
  excludeUnset?: boolean;
};

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
    const path = problem ? formatPath(problem.path) : '';
    const constraint = problem?.constraint === 'noCycle' ? 'noCycle' : 'maxDepth';
    throw new PersonaValidationError([{ path, constraint, message: `${path || 'input'} ${depthMessage(constraint)}` }], model?.constructor?.name);
  }
}

/** How an issue found by {@link toPlain} (`noCycle` or `maxDepth`) reads after its path. */
export function depthMessage(constraint: string): string {
  return constraint === 'noCycle' ? 'refers back to itself' : `is nested deeper than ${MAX_INPUT_DEPTH} levels`;
}

/** Thrown inside {@link toPlain} past {@link MAX_INPUT_DEPTH}; the root call turns it into a PersonaValidationError with the path. */
const TOO_DEEP = Symbol('tooDeep');

function plainModel(model: object, options: ToPlainOptions, depth: number): Record<string, unknown> {
  const cls = model.constructor as typeof Model;
  const given = options.excludeUnset ? FieldsSet.of(model) : undefined;
  const out: Record<string, unknown> = {};
  const record = model as Record<string, unknown>;
  const fields = schemaFields(cls);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    if (options.excludeUnset && !FieldsSet.has(given, field, i)) continue;
    const value = record[field];
    if (value === undefined || value === null) continue;
    out[field] = plainValue(value, options, depth + 1);
  }
  if (!options.excludeUnset) for (const field of cls.derivedFields ?? []) out[field] = plainValue(record[field], options, depth + 1);
  return out;
}

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
