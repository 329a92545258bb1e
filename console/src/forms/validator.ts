import { Validator, type OutputUnit, type Schema } from '@cfworker/json-schema';
import {
  createErrorHandler, toErrorSchema, unwrapErrorHandler, validationDataMerge,
  type CustomValidator, type ErrorTransformer, type RJSFSchema, type RJSFValidationError, type UiSchema, type ValidationData, type ValidatorType,
} from '@rjsf/utils';

/**
 * rjsf's validator on `@cfworker/json-schema`, which interprets a schema instead of compiling it
 * into code. ajv compiles with `new Function`, which the console's Content-Security-Policy
 * (`default-src 'self'`, no `unsafe-eval`) forbids; this one needs no eval and still validates
 * whatever schema the API sends (the persona's, or a template's customizable fields).
 */

// Keywords that only say "something below failed": the failure below is what a person needs.
const WRAPPERS = new Set(['properties', 'items', 'prefixItems', '$ref', 'allOf', 'additionalItems', 'dependentSchemas', 'patternProperties', 'if', 'then', 'else', 'unevaluatedProperties', 'unevaluatedItems', 'contains']);

const cache = new WeakMap<object, WeakMap<object, Validator>>();

function validatorFor(schema: RJSFSchema, rootSchema: RJSFSchema = schema): Validator {
  let byRoot = cache.get(rootSchema);
  if (!byRoot) cache.set(rootSchema, (byRoot = new WeakMap()));
  let validator = byRoot.get(schema);
  if (!validator) {
    // A sub-schema refers to the root's definitions (`#/definitions/X`): give it them.
    const full = schema === rootSchema ? schema : { ...schema, definitions: { ...(rootSchema.definitions ?? {}), ...(schema.definitions ?? {}) }, $id: undefined };
    validator = new Validator(full as Schema, '7', false);
    byRoot.set(schema, validator);
  }
  return validator;
}

/** `#/traits/0/value` → `.traits.0.value`, the property form rjsf's error schema reads. */
function property(instanceLocation: string): string {
  return instanceLocation
    .replace(/^#/, '')
    .split('/')
    .filter(Boolean)
    .map((part) => '.' + part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('');
}

function toRjsfErrors(units: OutputUnit[]): RJSFValidationError[] {
  const leaves = units.filter((u) => !WRAPPERS.has(u.keyword));
  // Inside `anyOf: [X, { type: 'null' }]` ("optional"), "is not null" is noise: X's failure says it.
  const useful = leaves.filter((u) => !(u.keyword === 'type' && /\/(anyOf|oneOf)\/\d+\/type$/.test(u.keywordLocation) && /"null"/.test(u.error)));
  const errors = useful.filter((u) => !((u.keyword === 'anyOf' || u.keyword === 'oneOf') && useful.some((o) => o !== u && o.keywordLocation.startsWith(u.keywordLocation + '/'))));
  const seen = new Set<string>();
  return errors
    .map((u) => {
      const prop = property(u.instanceLocation);
      return { name: u.keyword, property: prop, message: u.error, params: {}, schemaPath: u.keywordLocation, stack: `${prop || 'root'} ${u.error}`.trim() };
    })
    .filter((e) => (seen.has(e.stack) ? false : (seen.add(e.stack), true)));
}

export class InterpretingValidator<T = unknown> implements ValidatorType<T, RJSFSchema> {
  validateFormData(formData: T | undefined, schema: RJSFSchema, customValidate?: CustomValidator<T>, transformErrors?: ErrorTransformer<T>, uiSchema?: UiSchema<T>): ValidationData<T> {
    let errors = toRjsfErrors(validatorFor(schema).validate(formData ?? {}).errors);
    if (transformErrors) errors = transformErrors(errors, uiSchema);
    let result: ValidationData<T> = { errors, errorSchema: toErrorSchema<T>(errors) };
    if (customValidate) {
      const handler = customValidate(formData, createErrorHandler<T>(formData as T), uiSchema);
      result = validationDataMerge(result, unwrapErrorHandler<T>(handler));
    }
    return result;
  }

  isValid(schema: RJSFSchema, formData: T | undefined, rootSchema: RJSFSchema): boolean {
    try {
      return validatorFor(schema, rootSchema).validate(formData).valid;
    } catch {
      return false;
    }
  }

  rawValidation<Result = unknown>(schema: RJSFSchema, formData?: T): { errors?: Result[]; validationError?: Error } {
    try {
      return { errors: validatorFor(schema).validate(formData).errors as unknown as Result[] };
    } catch (error) {
      return { validationError: error as Error };
    }
  }
}

/** The one validator instance the forms share. */
export const validator = new InterpretingValidator();
